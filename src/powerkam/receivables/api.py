"""/api/v1/ endpoints of receivables: payments (create → allocation, list, reverse, refund),
the collections board and a bill's late-payment penalty as of a date."""

from datetime import date

from django.db.models import Prefetch
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from powerkam.billing.models import Bill
from powerkam.billing.selectors import visible_bills
from powerkam.core.permissions import StaffPermission
from powerkam.core.scoped import (
    ScopedFilterSet,
    ScopedModelChoiceFilter,
    ScopedPrimaryKeyRelatedField,
    customers_in_scope,
)
from powerkam.core.scoping import get_visible_or_404, scope_to_user
from powerkam.customers.models import Customer
from powerkam.org.api import django_errors_as_400

from . import selectors, services, stop_supply
from .models import BlacklistEntry, LadderStep, Payment, PaymentAllocation, StopSupplyCase


class AllocationSerializer(serializers.ModelSerializer):
    bill_number = serializers.CharField(source="bill.number", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["bill", "bill_number", "amount", "received_on", "is_reversed"]


class PaymentSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    unallocated = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    allocations = AllocationSerializer(many=True, read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    customer = ScopedPrimaryKeyRelatedField(Customer, scope=customers_in_scope)
    idempotency_key = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=64,
        help_text=_("Any unique text per payment (or the Idempotency-Key header): the same key sent again returns "
                    "the payment already recorded instead of a second one."))
    confirm_duplicate = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text=_("Record the payment although the customer already has a payment with this reference "
                    "(otherwise 409)."))

    class Meta:
        model = Payment
        fields = ["id", "number", "customer", "customer_number", "channel", "amount", "received_on", "reference",
                  "payer", "is_advance", "note", "allocated_amount", "refunded_amount", "unallocated", "status",
                  "reversal_reason", "allocations", "created_at", "idempotency_key", "confirm_duplicate"]
        read_only_fields = ["number", "allocated_amount", "refunded_amount", "status", "reversal_reason", "created_at"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class RefundSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason = serializers.CharField(max_length=200)
    idempotency_key = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                            help_text=_("As for payments (or the Idempotency-Key header): the same "
                                                        "key again does not refund a second time."))


class PaymentFilter(ScopedFilterSet):
    customer = ScopedModelChoiceFilter(Customer, customers_in_scope)
    received_from = filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_to = filters.DateFilter(field_name="received_on", lookup_expr="lte")

    class Meta:
        model = Payment
        fields = ["customer", "channel", "status", "is_advance"]


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):
    """Payments in the user's scope. POST records a payment and allocates it to the customer's
    oldest open bills; a payment larger than the balance is a 400 unless `is_advance` is true."""

    serializer_class = PaymentSerializer
    permission_classes = [StaffPermission]
    filterset_class = PaymentFilter

    def get_queryset(self):
        qs = Payment.objects.select_related("customer").prefetch_related(
            Prefetch("allocations", queryset=PaymentAllocation.objects.select_related("bill").order_by("id")))
        return scope_to_user(qs, self.request.user).order_by("-received_on", "-id")

    @extend_schema(
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                     description="Same as the idempotency_key field.")],
        responses={201: PaymentSerializer, 400: OpenApiResponse(description="Bad input; nothing recorded."),
                   409: OpenApiResponse(description="The customer already has a payment with this reference; "
                                                    "send confirm_duplicate=true to record it anyway.")})
    def create(self, request, *args, **kwargs):
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        key = d.get("idempotency_key") or request.headers.get("Idempotency-Key", "")
        try:
            with django_errors_as_400():
                payment = services.record_payment(
                    customer=d["customer"], amount=d["amount"], channel=d["channel"], received_on=d["received_on"],
                    reference=d.get("reference", ""), payer=d.get("payer", ""), is_advance=d.get("is_advance", False),
                    note=d.get("note", ""), actor=request.user, idempotency_key=key,
                    confirm_duplicate=d.get("confirm_duplicate", False))
        except serializers.ValidationError as exc:
            cause = exc.__cause__
            if any(e.code == services.DUPLICATE_REFERENCE
                   for e in getattr(cause, "error_dict", {}).get("reference", [])):
                return Response({**exc.detail, "code": services.DUPLICATE_REFERENCE}, status=status.HTTP_409_CONFLICT)
            raise
        response = Response(self.get_serializer(self.get_queryset().get(pk=payment.pk)).data,
                            status=status.HTTP_201_CREATED)
        if getattr(payment, "replayed", False):
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(request=ReasonSerializer, responses=PaymentSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        payment = self.get_object()
        ser = ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        with django_errors_as_400():
            services.reverse_payment(payment, reason=ser.validated_data["reason"], actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=payment.pk)).data)

    @extend_schema(request=RefundSerializer, responses=PaymentSerializer)
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        payment = self.get_object()
        ser = RefundSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        with django_errors_as_400():
            services.refund_advance(payment, amount=ser.validated_data["amount"], reason=ser.validated_data["reason"],
                                    actor=request.user,
                                    idempotency_key=ser.validated_data.get("idempotency_key")
                                    or request.headers.get("Idempotency-Key", ""))
        return Response(self.get_serializer(self.get_queryset().get(pk=payment.pk)).data)


class BoardRowSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    name = serializers.CharField()
    open_bills = serializers.IntegerField(help_text=_("Open bills past their due date."))
    outstanding = serializers.DecimalField(max_digits=16, decimal_places=2,
                                           help_text=_("Arrears: the open amount of bills past their due date."))
    oldest_due = serializers.DateField(allow_null=True)
    not_due = serializers.DecimalField(max_digits=16, decimal_places=2,
                                       help_text=_("Open amount of bills not yet due."))
    next_due = serializers.DateField(allow_null=True)
    step = serializers.IntegerField()
    manager = serializers.CharField(source="primary_manager.display_name", default="")


class CollectionsBoardViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Customers in arrears (open bills past their due date) and their current ladder step (0 =
    none yet); `view=not_due` lists the customers with bills not yet due instead. Same filters as
    the page (view, q, step, org_unit, manager, sort)."""

    serializer_class = BoardRowSerializer
    permission_classes = [StaffPermission]

    def get_queryset(self):
        qs, _sort = selectors.board(self.request.user, self.request.query_params, timezone.localdate())
        return qs


class PenaltyView(APIView):
    """GET the late-payment penalty of a bill as of a date (?as_of=YYYY-MM-DD; default the day it
    was settled, or today)."""

    permission_classes = [StaffPermission]

    @extend_schema(responses={200: dict})
    def get(self, request, bill_id: int):
        bill = get_visible_or_404(Bill.objects.select_related("customer"), request.user, pk=bill_id)
        try:
            as_of = date.fromisoformat(request.query_params["as_of"]) if request.query_params.get("as_of") else None
        except ValueError:
            return Response({"as_of": [_("Use YYYY-MM-DD.")]}, status=status.HTTP_400_BAD_REQUEST)
        p = services.bill_penalty(bill, as_of)
        steps = dict(LadderStep.Step.choices)
        current = LadderStep.objects.filter(bill=bill).order_by("-step").values_list("step", flat=True).first()
        return Response({
            "bill": bill.pk, "bill_number": bill.number, "due_on": p.due_on, "as_of": p.as_of,
            "residential": p.residential, "days": p.days, "amount": str(p.amount),
            "minimum_applied": p.minimum_applied, "rule": p.rule.citation if p.rule else "",
            "lines": [line.as_dict() for line in p.lines],
            "ladder_step": current or 0, "ladder_step_label": str(steps.get(current, "")),
        })


class StopSupplyCaseSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    bill_number = serializers.CharField(source="bill.number", read_only=True)
    notice_number = serializers.CharField(source="notice.number", read_only=True)

    class Meta:
        model = StopSupplyCase
        fields = ["id", "customer", "customer_number", "bill", "bill_number", "notice", "notice_number", "status",
                  "opened_on", "opened_by", "scheduled_stop_at", "approval_requested_at", "approval_requested_by",
                  "decided_at", "decided_by", "decision_note", "stop_notice_delivered_on", "stop_notice_delivered_by",
                  "authority_reported_on", "reminded_at", "reminded_by", "stopped_at", "stopped_by", "paid_on",
                  "restored_at", "restored_by", "cancel_reason"]
        read_only_fields = fields


class StopRequestSerializer(serializers.Serializer):
    scheduled_stop_at = serializers.DateTimeField()


class StopDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StopDeliverSerializer(serializers.Serializer):
    delivered_on = serializers.DateField()
    authority_reported_on = serializers.DateField(required=False, allow_null=True, default=None)


class StopRemindSerializer(serializers.Serializer):
    reminded_at = serializers.DateTimeField()


class StopDoneSerializer(serializers.Serializer):
    stopped_at = serializers.DateTimeField()


class StopRestoreSerializer(serializers.Serializer):
    restored_at = serializers.DateTimeField()


class StopSupplyCaseFilter(ScopedFilterSet):
    customer = ScopedModelChoiceFilter(Customer, customers_in_scope)
    bill = ScopedModelChoiceFilter(Bill, lambda user, context: visible_bills(user))

    class Meta:
        model = StopSupplyCase
        fields = ["customer", "bill", "status"]


class StopSupplyCaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Stop-supply cases (停电催费) in the user's scope; POST one action per step of the legal
    procedure (receivables.stop_supply): request, decide, deliver, remind, stop, restore, cancel.
    A step out of order or outside its window is a 400 naming the field."""

    serializer_class = StopSupplyCaseSerializer
    permission_classes = [StaffPermission]
    filterset_class = StopSupplyCaseFilter

    def get_queryset(self):
        return scope_to_user(StopSupplyCase.objects.select_related("customer", "customer__org_unit", "bill", "notice"),
                             self.request.user).order_by("-opened_on", "-id")

    def _step(self, request, serializer_class, call):
        case = self.get_object()
        ser = serializer_class(data=request.data)
        ser.is_valid(raise_exception=True)
        with django_errors_as_400():
            call(case, ser.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(request=StopRequestSerializer, responses=StopSupplyCaseSerializer)
    @action(detail=True, methods=["post"], url_path="request")
    def request_approval(self, request, pk=None):
        return self._step(request, StopRequestSerializer, lambda c, d: stop_supply.request_approval(
            c, scheduled_stop_at=d["scheduled_stop_at"], actor=request.user))

    @extend_schema(request=StopDecisionSerializer, responses=StopSupplyCaseSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        return self._step(request, StopDecisionSerializer, lambda c, d: stop_supply.decide(
            c, approve=d["approve"], approver=request.user, note=d["note"]))

    @extend_schema(request=StopDeliverSerializer, responses=StopSupplyCaseSerializer)
    @action(detail=True, methods=["post"])
    def deliver(self, request, pk=None):
        return self._step(request, StopDeliverSerializer, lambda c, d: stop_supply.deliver_stop_notice(
            c, delivered_on=d["delivered_on"], authority_reported_on=d["authority_reported_on"], actor=request.user))

    @extend_schema(request=StopRemindSerializer, responses=StopSupplyCaseSerializer)
    @action(detail=True, methods=["post"])
    def remind(self, request, pk=None):
        return self._step(request, StopRemindSerializer, lambda c, d: stop_supply.record_reminder(
            c, reminded_at=d["reminded_at"], actor=request.user))

    @extend_schema(request=StopDoneSerializer, responses=StopSupplyCaseSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        return self._step(request, StopDoneSerializer, lambda c, d: stop_supply.record_stop(
            c, stopped_at=d["stopped_at"], actor=request.user))

    @extend_schema(request=StopRestoreSerializer, responses=StopSupplyCaseSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        return self._step(request, StopRestoreSerializer, lambda c, d: stop_supply.restore(
            c, restored_at=d["restored_at"], actor=request.user))

    @extend_schema(request=ReasonSerializer, responses=StopSupplyCaseSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._step(request, ReasonSerializer, lambda c, d: stop_supply.cancel(
            c, reason=d["reason"], actor=request.user))


class OpenStopCaseView(APIView):
    """POST: open a stop-supply case for a bill that has had its written collection notice."""

    permission_classes = [StaffPermission]

    @extend_schema(request=None, responses={201: StopSupplyCaseSerializer})
    def post(self, request, bill_id: int):
        bill = get_visible_or_404(Bill.objects.select_related("customer"), request.user, pk=bill_id)
        with django_errors_as_400():
            case = stop_supply.open_case(bill, actor=request.user)
        return Response(StopSupplyCaseSerializer(case).data, status=status.HTTP_201_CREATED)


class BlacklistEntrySerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = BlacklistEntry
        fields = ["id", "customer", "customer_number", "customer_name", "bill", "listed_on", "reason", "listed_by",
                  "units_notified", "lifted_on", "removal", "removal_reason", "removal_requested_by",
                  "removal_requested_at", "removal_decided_by", "removal_decided_at", "removal_note"]
        read_only_fields = fields


class BlacklistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The blacklist register in the user's scope (same filters as the page: q, status, sort)."""

    serializer_class = BlacklistEntrySerializer
    permission_classes = [StaffPermission]

    def get_queryset(self):
        params = self.request.query_params if self.action == "list" else {"status": "all"}
        return selectors.blacklist(self.request.user, params)[0]


def register(router) -> None:
    """Add this app's viewsets to the one /api/v1/ router."""
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("receivables/board", CollectionsBoardViewSet, basename="collections-board")
    router.register("receivables/stop-cases", StopSupplyCaseViewSet, basename="stop-supply-case")
    router.register("receivables/blacklist", BlacklistViewSet, basename="blacklist-entry")


urlpatterns = [
    path("receivables/bills/<int:bill_id>/penalty/", PenaltyView.as_view(), name="receivables-penalty"),
    path("receivables/bills/<int:bill_id>/stop-case/", OpenStopCaseView.as_view(), name="receivables-stop-case-open"),
]
