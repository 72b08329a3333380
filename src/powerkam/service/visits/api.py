"""/api/v1/visits/ and /api/v1/care-records/: scoped like the pages (core.scoping)."""

from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from powerkam.core.permissions import StaffPermission
from powerkam.core.scoped import (
    ScopedFilterSet,
    ScopedPrimaryKeyRelatedField,
    contacts_in_scope,
    customers_in_scope,
)
from powerkam.customers.models import Contact, Customer
from powerkam.org.api import django_errors_as_400
from powerkam.org.models import Staff
from powerkam.org.selectors import assignable_staff

from . import selectors, services
from .models import CareRecord, Visit


class VisitSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    assignee_name = serializers.CharField(source="assignee.display_name", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    due_provisional = serializers.BooleanField(read_only=True)
    planned_provisional = serializers.BooleanField(read_only=True)
    participants = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    contacts_met = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = ["id", "customer", "customer_number", "customer_name", "org_unit", "org_unit_name", "assignee",
                  "assignee_name", "source", "occasion", "purpose", "due_on", "due_provisional", "planned_on",
                  "planned_provisional", "status", "done_on",
                  "participants", "contacts_met", "findings", "customer_needs", "recorded_by", "recorded_at",
                  "created_at"]
        read_only_fields = fields


def _staff(user, context):
    """The staff the visit pages offer (org.selectors.assignable_staff)."""
    return assignable_staff(user)


def _contacts_of_visit(user, context):
    """Contacts of the customer visited — the ones the record page lists."""
    return Contact.objects.filter(customer_id=context["visit"].customer_id)


class PlanVisitSerializer(serializers.Serializer):
    customer = ScopedPrimaryKeyRelatedField(Customer, scope=customers_in_scope)
    planned_on = serializers.DateField()
    assignee = ScopedPrimaryKeyRelatedField(Staff, scope=_staff, required=False, allow_null=True)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class RescheduleSerializer(serializers.Serializer):
    new_date = serializers.DateField()
    reason = serializers.CharField(max_length=500)


class FollowUpSerializer(serializers.Serializer):
    assignee = ScopedPrimaryKeyRelatedField(Staff, scope=_staff)
    due_on = serializers.DateField()
    title = serializers.CharField(max_length=200)


class RecordSerializer(serializers.Serializer):
    """Who took part, whom they met, what was found. Every id is one the record page offers:
    participants and follow-up owners from the visit pages' staff, contacts of the customer
    visited (context["visit"])."""

    done_on = serializers.DateField()
    participants = ScopedPrimaryKeyRelatedField(Staff, scope=_staff, many=True, required=False, default=list)
    contacts_met = ScopedPrimaryKeyRelatedField(Contact, scope=_contacts_of_visit, many=True, required=False,
                                                default=list)
    findings = serializers.CharField(required=False, allow_blank=True, default="")
    customer_needs = serializers.CharField(required=False, allow_blank=True, default="")
    follow_ups = FollowUpSerializer(many=True, required=False, default=list)


class VisitFilter(ScopedFilterSet):
    planned_from = filters.DateFilter(field_name="planned_on", lookup_expr="gte")
    planned_to = filters.DateFilter(field_name="planned_on", lookup_expr="lte")
    q = filters.CharFilter(method="search")

    class Meta:
        model = Visit
        fields = ["customer", "assignee", "status", "source", "occasion", "org_unit"]

    def search(self, qs, name, value):
        return qs.filter(Q(customer__name__icontains=value) | Q(customer__number=value) | Q(purpose__icontains=value))


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Visits of the customers you may see. POST plans a visit by hand (a day in the past is refused);
    `reschedule` and `record` are actions on one visit."""

    serializer_class = VisitSerializer
    permission_classes = [StaffPermission]
    filterset_class = VisitFilter
    ordering_fields = ["planned_on", "due_on", "done_on", "created_at"]
    ordering = ["planned_on", "id"]

    def get_queryset(self):
        return (selectors.visible_visits(self.request.user)
                .select_related("customer", "assignee", "org_unit").prefetch_related("participants", "contacts_met"))

    @extend_schema(request=PlanVisitSerializer, responses={201: VisitSerializer})
    def create(self, request, *args, **kwargs):
        data = PlanVisitSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        with django_errors_as_400():
            visit = services.plan_visit(customer=data.validated_data["customer"],
                                        planned_on=data.validated_data["planned_on"],
                                        assignee=data.validated_data.get("assignee"),
                                        purpose=data.validated_data["purpose"], actor=request.user)
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RescheduleSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        visit = self.get_object()
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with django_errors_as_400():
            services.reschedule_visit(visit, actor=request.user, **data.validated_data)
        return Response(VisitSerializer(self.get_queryset().get(pk=visit.pk)).data)

    @extend_schema(request=RecordSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        visit = self.get_object()
        data = RecordSerializer(data=request.data, context={**self.get_serializer_context(), "visit": visit})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        follow_ups = [services.FollowUp(assignee=f["assignee"], due_on=f["due_on"], title=f["title"])
                      for f in v["follow_ups"]]
        with django_errors_as_400():
            services.record_visit(visit, done_on=v["done_on"], participants=v["participants"],
                                  contacts_met=list(dict.fromkeys(v["contacts_met"])),
                                  findings=v["findings"], customer_needs=v["customer_needs"], follow_ups=follow_ups,
                                  actor=request.user)
        return Response(VisitSerializer(self.get_queryset().get(pk=visit.pk)).data)


class CareRecordSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    contact_name = serializers.CharField(source="contact.name", read_only=True, default=None)
    by_name = serializers.CharField(source="by.display_name", read_only=True, default=None)

    class Meta:
        model = CareRecord
        fields = ["id", "customer", "customer_name", "kind", "contact", "contact_name", "occurred_on", "summary",
                  "by", "by_name", "created_at"]
        read_only_fields = ["id", "customer_name", "contact_name", "by", "by_name", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        fields["customer"] = ScopedPrimaryKeyRelatedField(Customer, scope=customers_in_scope)
        # Contacts of the customers the caller sees; add_care_record checks it is this customer's.
        fields["contact"] = ScopedPrimaryKeyRelatedField(
            Contact, scope=contacts_in_scope, required=False, allow_null=True)
        return fields


class CareFilter(ScopedFilterSet):
    occurred_from = filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    occurred_to = filters.DateFilter(field_name="occurred_on", lookup_expr="lte")

    class Meta:
        model = CareRecord
        fields = ["customer", "kind"]


class CareRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    """Care records (客户关怀记录) of the customers you may see; each one also goes on the timeline."""

    serializer_class = CareRecordSerializer
    permission_classes = [StaffPermission]
    filterset_class = CareFilter
    ordering_fields = ["occurred_on", "created_at"]
    ordering = ["-occurred_on", "-id"]

    def get_queryset(self):
        return selectors.visible_care_records(self.request.user).select_related("customer", "contact", "by")

    def perform_create(self, serializer):
        v = serializer.validated_data
        with django_errors_as_400():
            serializer.instance = services.add_care_record(
                customer=v["customer"], kind=v["kind"], occurred_on=v["occurred_on"], summary=v["summary"],
                contact=v.get("contact"), actor=self.request.user)


def register(router) -> None:
    router.register("visits", VisitViewSet, basename="visit")
    router.register("care-records", CareRecordViewSet, basename="care-record")

