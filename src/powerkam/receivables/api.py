"""/api/v1/ endpoints of receivables: payments (create → allocation, list, reverse, refund),
the collections board and a bill's late-payment penalty as of a date."""

from datetime import date

from django.db.models import Prefetch
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from powerkam.billing.models import Bill
from powerkam.core.permissions import StaffPermission
from powerkam.core.scoped import ScopedPrimaryKeyRelatedField, customers_in_scope
from powerkam.core.scoping import get_visible_or_404, scope_to_user
from powerkam.customers.models import Customer
from powerkam.org.api import django_errors_as_400

from . import selectors, services
from .models import LadderStep, Payment, PaymentAllocation


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

    class Meta:
        model = Payment
        fields = ["id", "number", "customer", "customer_number", "channel", "amount", "received_on", "reference",
                  "payer", "is_advance", "note", "allocated_amount", "refunded_amount", "unallocated", "status",
                  "reversal_reason", "allocations", "created_at"]
        read_only_fields = ["number", "allocated_amount", "refunded_amount", "status", "reversal_reason", "created_at"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class RefundSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason = serializers.CharField(max_length=200)


class PaymentFilter(filters.FilterSet):
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

    def create(self, request, *args, **kwargs):
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        with django_errors_as_400():
            payment = services.record_payment(
                customer=d["customer"], amount=d["amount"], channel=d["channel"], received_on=d["received_on"],
                reference=d.get("reference", ""), payer=d.get("payer", ""), is_advance=d.get("is_advance", False),
                note=d.get("note", ""), actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=payment.pk)).data, status=status.HTTP_201_CREATED)

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
                                    actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=payment.pk)).data)


class BoardRowSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    name = serializers.CharField()
    open_bills = serializers.IntegerField()
    outstanding = serializers.DecimalField(max_digits=16, decimal_places=2)
    oldest_due = serializers.DateField()
    step = serializers.IntegerField()
    manager = serializers.CharField(source="primary_manager.display_name", default="")


class CollectionsBoardViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Customers with open arrears and their current ladder step (0 = none yet); same filters as
    the page (q, step, org_unit, manager, overdue_only, sort)."""

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


def register(router) -> None:
    """Add this app's viewsets to the one /api/v1/ router."""
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("receivables/board", CollectionsBoardViewSet, basename="collections-board")


urlpatterns = [
    path("receivables/bills/<int:bill_id>/penalty/", PenaltyView.as_view(), name="receivables-penalty"),
]
