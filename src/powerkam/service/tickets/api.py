"""/api/v1/tickets/: list, create, retrieve, and the actions advance / assign / reopen / escalate.

Scoped like the pages (selectors.visible_tickets); executives are read-only
(core.permissions.StaffPermission); a business-rule refusal is a 400 with field errors and
changes nothing (the same services as the pages).
"""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from powerkam.core.permissions import StaffPermission
from powerkam.core.scoped import (
    ScopedFilterBackend,
    ScopedFilterSet,
    ScopedPrimaryKeyRelatedField,
    contacts_in_scope,
    customers_in_scope,
)
from powerkam.customers.models import Contact, Customer
from powerkam.org.api import django_errors_as_400
from powerkam.org.models import Staff

from . import constants as c
from . import selectors, services
from .forms import about_staff_queryset, worker_queryset
from .models import Ticket, TicketAttachment, TicketStage


class TicketStaffRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class TicketStageSerializer(serializers.ModelSerializer):
    owner = TicketStaffRefSerializer()

    class Meta:
        model = TicketStage
        fields = ["id", "stage", "round", "owner", "started_at", "due_at", "warn_at", "company_at",
                  "deadline_provisional", "company_at_provisional", "escalation_level", "completed_at", "result_note", "outcome", "duration_seconds", "sla_met"]


class TicketAttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = TicketAttachment
        fields = ["id", "name", "size", "uploaded_at", "url"]

    def get_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("tickets:attachment", args=[obj.pk])


class TicketSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    first_contact_owner = TicketStaffRefSerializer(read_only=True)
    assignee = TicketStaffRefSerializer(read_only=True)
    about_staff = TicketStaffRefSerializer(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Ticket
        fields = ["id", "number", "customer", "customer_number", "customer_name", "org_unit", "channel",
                  "ticket_type", "cause", "subject", "status", "stage", "first_contact_owner", "assignee",
                  "about_staff", "due_at", "due_provisional", "is_overdue", "escalation_level", "reopen_count", "created_at",
                  "closed_at", "hours_to_close"]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    stages = TicketStageSerializer(many=True, read_only=True)
    attachments = TicketAttachmentSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "description", "contact", "contact_name", "contact_phone",
                  "stages", "attachments"]
        read_only_fields = fields


def _staff_field(**kwargs):
    """Who may hold a stage: the staff the ticket pages offer (forms.worker_queryset)."""
    return ScopedPrimaryKeyRelatedField(Staff, scope=lambda user, context: worker_queryset(), **kwargs)


class TicketCreateSerializer(serializers.Serializer):
    customer = ScopedPrimaryKeyRelatedField(
        Customer, scope=customers_in_scope,
        error_messages={"does_not_exist": _("Unknown customer: choose a customer you can see.")},
        help_text=_("Customer id (must be visible to you)."))
    ticket_type = serializers.ChoiceField(choices=c.TicketType.choices)
    channel = serializers.ChoiceField(choices=c.Channel.choices)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    cause = serializers.ChoiceField(choices=c.Cause.choices, required=False, allow_blank=True, default="")
    contact = ScopedPrimaryKeyRelatedField(Contact, scope=contacts_in_scope, required=False, allow_null=True,
                                           default=None)
    contact_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    about_staff = ScopedPrimaryKeyRelatedField(Staff, scope=lambda user, context: about_staff_queryset(),
                                               required=False, allow_null=True, default=None)
    assignee = _staff_field(required=False, allow_null=True, default=None)


class TicketAdvanceSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=c.Stage.choices, help_text=_("The stage being completed (must be current)."))
    result_note = serializers.CharField(allow_blank=True)
    outcome = serializers.ChoiceField(choices=c.RevisitOutcome.choices, required=False, allow_blank=True, default="")
    next_owner = _staff_field(required=False, allow_null=True, default=None)


class TicketAssignSerializer(serializers.Serializer):
    to = _staff_field()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TicketReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class TicketFilter(ScopedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    created_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = Ticket
        fields = ["ticket_type", "status", "stage", "channel", "cause", "customer", "org_unit",
                  "first_contact_owner", "assignee", "about_staff"]

    def search(self, qs, name, value):
        return selectors.filter_tickets(qs, selectors.ListParams(q=value.strip()), self.request.user).order_by()

    def filter_overdue(self, qs, name, value):
        if value is None:
            return qs
        late = qs.exclude(status=c.Status.CLOSED).filter(due_at__lt=timezone.now())
        return late if value else qs.exclude(pk__in=late.values("pk"))


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    permission_classes = [StaffPermission]
    filter_backends = [ScopedFilterBackend, OrderingFilter]
    filterset_class = TicketFilter
    ordering_fields = ["created_at", "due_at", "number", "closed_at"]
    ordering = ["-created_at", "-id"]
    queryset = Ticket.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        qs = selectors.list_queryset(selectors.visible_tickets(self.request.user))
        if self.action == "retrieve":
            from django.db.models import Prefetch

            qs = qs.prefetch_related(Prefetch("stages", TicketStage.objects.select_related("owner")),
                                     "attachments")
        return qs

    def get_serializer_class(self):
        return TicketDetailSerializer if self.action == "retrieve" else TicketSerializer

    def _detail(self, ticket: Ticket) -> dict:
        fresh = self.get_queryset().prefetch_related("stages__owner", "attachments").get(pk=ticket.pk)
        return TicketDetailSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketDetailSerializer})
    def create(self, request, *args, **kwargs):
        s = TicketCreateSerializer(data=request.data, context=self.get_serializer_context())
        s.is_valid(raise_exception=True)
        d = s.validated_data
        customer, contact = d["customer"], d["contact"]
        if contact is not None and contact.customer_id != customer.pk:
            raise serializers.ValidationError({"contact": [_("This contact belongs to another customer.")]})
        with django_errors_as_400():
            ticket = services.open_ticket(
                actor=request.user, customer=customer, ticket_type=d["ticket_type"], channel=d["channel"],
                subject=d["subject"], description=d["description"], cause=d["cause"], contact=contact,
                contact_name=d["contact_name"], contact_phone=d["contact_phone"], about_staff=d["about_staff"],
                assignee=d["assignee"])
        return Response(self._detail(ticket), status=status.HTTP_201_CREATED)

    def _act(self, request, serializer_class, run):
        ticket = self.get_object()
        s = serializer_class(data=request.data, context=self.get_serializer_context())
        s.is_valid(raise_exception=True)
        with django_errors_as_400():
            run(ticket, s.validated_data)
        return Response(self._detail(ticket))

    @extend_schema(request=TicketAdvanceSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def advance(self, request, pk=None):
        return self._act(request, TicketAdvanceSerializer, lambda t, d: services.advance(
            t, actor=request.user, stage=d["stage"], result_note=d["result_note"], outcome=d["outcome"],
            next_owner=d["next_owner"]))

    @extend_schema(request=TicketAssignSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def assign(self, request, pk=None):
        return self._act(request, TicketAssignSerializer, lambda t, d: services.assign(
            t, to=d["to"], actor=request.user, note=d["note"]))

    @extend_schema(request=TicketReasonSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request, pk=None):
        return self._act(request, TicketReasonSerializer, lambda t, d: services.reopen(
            t, actor=request.user, reason=d["reason"]))

    @extend_schema(request=TicketReasonSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def escalate(self, request, pk=None):
        return self._act(request, TicketReasonSerializer, lambda t, d: services.escalate(
            t, actor=request.user, reason=d["reason"]))


def register(router) -> None:
    """Add this app's viewsets to the one /api/v1/ router."""
    router.register("tickets", TicketViewSet, basename="ticket")
