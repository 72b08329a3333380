"""/api/v1/tasks/: the work queue over the API (own tasks; supervisors may ask for their unit)."""

from django.utils import timezone
from django_filters import rest_framework as filters
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from powerkam.core.permissions import StaffPermission
from powerkam.org.models import COMPANY_ROLES, SUBTREE_ROLES

from . import workqueue
from .models import Task
from .scoped import ScopedFilterSet


class TaskSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True, default=None)
    customer_name = serializers.CharField(source="customer.name", read_only=True, default=None)
    assignee_name = serializers.CharField(source="assignee.display_name", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    due_provisional = serializers.BooleanField(source="due_is_provisional", read_only=True)
    title = serializers.CharField(source="display_title", read_only=True,
                                  help_text="In the language of the request (Accept-Language).")
    detail = serializers.CharField(source="display_detail", read_only=True)

    class Meta:
        model = Task
        fields = ["id", "kind", "title", "detail", "assignee", "assignee_name", "customer", "customer_number",
                  "customer_name", "org_unit", "due_at", "due_provisional", "is_overdue", "priority", "status", "link", "created_at",
                  "closed_at", "result"]
        read_only_fields = fields


class CloseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[Task.Status.DONE, Task.Status.CANCELLED], default=Task.Status.DONE)
    result = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class TaskFilter(ScopedFilterSet):
    overdue = filters.BooleanFilter(method="filter_overdue")
    scope = filters.ChoiceFilter(choices=[("mine", "mine"), ("unit", "unit")], method="filter_noop")

    class Meta:
        model = Task
        fields = ["kind", "status", "customer", "priority"]

    def filter_overdue(self, qs, name, value):
        now = timezone.now()
        return qs.filter(status=Task.Status.OPEN, due_at__lt=now) if value else qs.exclude(status=Task.Status.OPEN, due_at__lt=now)

    def filter_noop(self, qs, name, value):
        return qs


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tasks assigned to you; `?scope=unit` gives supervisors and admins their unit's tasks."""

    serializer_class = TaskSerializer
    permission_classes = [StaffPermission]
    filterset_class = TaskFilter
    ordering_fields = ["due_at", "created_at", "priority"]
    ordering = ["due_at"]
    queryset = Task.objects.none()  # for the schema (typed id); requests use get_queryset

    def get_queryset(self):
        user = self.request.user
        qs = Task.objects.select_related("customer", "assignee")
        if self.request.query_params.get("scope") == "unit":
            if user.is_superuser or user.role in COMPANY_ROLES:
                return qs
            if user.role in SUBTREE_ROLES and user.org_unit_id:
                return qs.filter(org_unit__path__startswith=user.org_unit.path)
            raise PermissionDenied("Only supervisors, clerks, executives and admins can list a unit's tasks.")
        return qs.filter(assignee=user)

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        task = self.get_object()
        if task.assignee_id != request.user.pk and not (request.user.is_superuser or request.user.role in ("admin", "supervisor")):
            raise NotFound
        data = CloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workqueue.close_task(task, by=request.user, **data.validated_data)
        return Response(TaskSerializer(task).data)


def register(router) -> None:
    router.register("tasks", TaskViewSet, basename="task")
