"""/api/v1/ endpoints of billing: the calculator (POST billing/calculate/), bills, tariffs."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from powerkam.core.permissions import StaffPermission

from . import selectors, services
from .calculator import calculate
from .forms import CalculatorForm, InlineTariffForm
from .models import Bill, BillLine, Tariff, TariffSurcharge, TariffTimeBand


def _form_errors(form) -> dict:
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


_DEC = {"max_digits": 16, "decimal_places": 4, "required": False, "allow_null": True}
CALCULATE_REQUEST = inline_serializer("BillCalculationRequest", {
    "tariff_code": serializers.CharField(required=False, help_text="A catalogue tariff code (or give `tariff`)."),
    "tariff": serializers.JSONField(required=False, help_text="An inline tariff: category, is_tou, price_sharp/peak/"
                                    "flat/valley or price_single, capacity_price, demand_price, surcharges[{code,name,price}]."),
    "period": serializers.CharField(help_text="Billing month, YYYY-MM."),
    **{f"kwh_{p}": serializers.DecimalField(**_DEC) for p in ("sharp", "peak", "flat", "valley", "total")},
    "kvarh": serializers.DecimalField(**_DEC),
    "power_factor": serializers.DecimalField(**_DEC, help_text="Instead of kvarh."),
    "max_demand_kw": serializers.DecimalField(**_DEC),
    "declared_demand_kw": serializers.DecimalField(**_DEC),
    "capacity_kva": serializers.DecimalField(**_DEC),
    "pf_standard": serializers.ChoiceField(choices=["0.90", "0.85", "0.80", "none"]),
    "basic_method": serializers.ChoiceField(choices=["capacity", "demand"]),
})
CALCULATE_RESPONSE = inline_serializer("BillCalculation", {
    **{name: serializers.CharField() for name in ("tariff_code", "period", "kwh", "energy_charge", "basic_charge",
                                                   "power_factor", "pf_adjustment_rate", "pf_adjustment_amount",
                                                   "surcharges", "total", "basic_method", "billed_demand_kw")},
    "lines": serializers.ListField(child=serializers.DictField()),
    "basic_comparison": serializers.DictField(allow_null=True),
})


class CalculateView(APIView):
    """Itemised bill for a month's load. Reads only, so every signed-in staff member may call it
    (executives included)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=CALCULATE_REQUEST, responses={200: CALCULATE_RESPONSE, 400: OpenApiTypes.OBJECT},
                   summary="Bill calculator (电费试算)")
    def post(self, request):
        data = request.data
        inline = isinstance(data.get("tariff"), dict)
        form = CalculatorForm({k: v for k, v in data.items() if k != "tariff" and v is not None}, inline_tariff=inline)
        tariff_form = InlineTariffForm(data["tariff"]) if inline else None
        errors = {}
        if not form.is_valid():
            errors.update(_form_errors(form))
        if tariff_form is not None and not tariff_form.is_valid():
            errors.update({f"tariff.{k}": v for k, v in _form_errors(tariff_form).items()})
        if errors:
            return Response(errors, status=400)
        try:
            if inline:
                result = calculate(tariff_form.spec(data["tariff"].get("surcharges")), form.load())
            else:
                result = services.calculate_bill(tariff_code=form.cleaned_data["tariff_code"],
                                                 period=form.cleaned_data["period"], load=form.load())
        except DjangoValidationError as exc:
            return Response(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages},
                            status=400)
        body = result.as_dict()
        body["period"] = form.cleaned_data["period"].strftime("%Y-%m")
        return Response(body)


class BillLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillLine
        fields = ["item", "label", "quantity", "unit", "unit_price", "amount"]


class BillSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    outstanding = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    lines = BillLineSerializer(many=True, read_only=True)

    class Meta:
        model = Bill
        fields = ["id", "number", "customer", "customer_number", "customer_name", "period", "issued_on", "due_on",
                  "tariff_code", "kwh", "kvarh", "max_demand_kw", "power_factor", "pf_adjustment_rate",
                  "energy_charge", "basic_charge", "pf_adjustment", "surcharges", "total", "paid_amount",
                  "outstanding", "paid_on", "status", "source", "lines"]


@extend_schema(parameters=[
    OpenApiParameter("q", str), OpenApiParameter("period", str, description="YYYY-MM"),
    OpenApiParameter("period_from", str), OpenApiParameter("period_to", str),
    OpenApiParameter("status", str, enum=Bill.Status.values), OpenApiParameter("source", str, enum=Bill.Source.values),
    OpenApiParameter("org_unit", int), OpenApiParameter("customer", int), OpenApiParameter("tariff_code", str),
    OpenApiParameter("sort", str, enum=list(selectors.BILL_ORDERING)),
])
class BillViewSet(viewsets.ReadOnlyModelViewSet):
    """Bills in the caller's scope, itemised; a bill outside it answers 404."""

    serializer_class = BillSerializer
    permission_classes = [StaffPermission]
    queryset = Bill.objects.none()
    # `?search=` (the API's usual search parameter, SearchFilter) finds the same bills as the
    # list page's `q`: by bill number, customer number or customer name.
    search_fields = ["number", "customer__number", "customer__name"]

    def get_queryset(self):
        qs, _sort = selectors.bill_list_queryset(self.request.user, self.request.query_params)
        return qs.prefetch_related(Prefetch("lines", BillLine.objects.order_by("sort", "id")))


class TariffSurchargeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TariffSurcharge
        fields = ["code", "name", "price"]


class TariffTimeBandSerializer(serializers.ModelSerializer):
    class Meta:
        model = TariffTimeBand
        fields = ["season", "months", "period", "start", "end"]


class TariffSerializer(serializers.ModelSerializer):
    surcharges = TariffSurchargeSerializer(many=True, read_only=True)
    time_bands = TariffTimeBandSerializer(many=True, read_only=True)

    class Meta:
        model = Tariff
        fields = ["id", "code", "name", "category", "usage_category", "voltage_band", "effective_from", "effective_to",
                  "is_tou", "price_sharp", "price_peak", "price_flat", "price_valley", "price_single",
                  "capacity_price", "demand_price", "surcharges", "time_bands"]


class TariffViewSet(viewsets.ReadOnlyModelViewSet):
    """The tariff catalogue (every version). Administrators edit it in the admin."""

    serializer_class = TariffSerializer
    permission_classes = [StaffPermission]
    queryset = Tariff.objects.prefetch_related("surcharges", "time_bands").order_by("code", "-effective_from")


def register(router) -> None:
    """Add this app's viewsets to the one /api/v1/ router."""
    router.register("bills", BillViewSet, basename="bill")
    router.register("billing/tariffs", TariffViewSet, basename="tariff")


urlpatterns = [
    path("billing/calculate/", CalculateView.as_view(), name="billing-calculate"),
]
