"""/api/v1/analytics/<report>/: the money analyses as JSON, the same figures as the pages.

Scoped like the pages (core.scoping through the bills' and payments' customers); the filter is
the pages' form (from_month, to_month as YYYY-MM, org_unit, industry, usage_category, ka_tier):
a bad filter answers 400 with field errors. Money is a Decimal string (yuan, 2 places), unit
prices 4 places, percentages 1 (change) or 2 (rates) places; shares are fractions (0–1).
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from powerkam.core.pagination import Pagination
from powerkam.core.permissions import StaffPermission

from . import constants as c
from . import selectors
from .forms import ReportFilterForm

M2 = {"max_digits": 20, "decimal_places": 2}
KWH = {"max_digits": 20, "decimal_places": 2}
PRICE = {"max_digits": 12, "decimal_places": 4}
PCT1 = {"max_digits": 12, "decimal_places": 1, "allow_null": True}
PCT2 = {"max_digits": 12, "decimal_places": 2, "allow_null": True}
SHARE = {"max_digits": 8, "decimal_places": 4, "allow_null": True}

FILTER_PARAMETERS = [
    OpenApiParameter("from_month", OpenApiTypes.STR, description="First billing month, YYYY-MM (default: 11 months before to_month)."),
    OpenApiParameter("to_month", OpenApiTypes.STR, description="Last billing month, YYYY-MM (default: this month)."),
    OpenApiParameter("org_unit", OpenApiTypes.INT, description="Org unit id; its whole subtree counts."),
    OpenApiParameter("industry", OpenApiTypes.STR, description="GB/T 4754 section letter."),
    OpenApiParameter("usage_category", OpenApiTypes.STR),
    OpenApiParameter("ka_tier", OpenApiTypes.STR, description="Key-account tier."),
]
SORT_PARAMETER = OpenApiParameter("sort", OpenApiTypes.STR, description="Column, '-' prefix for descending.")


# --- response shapes (also the OpenAPI schema) ---------------------------------------------------


class VolumeMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    kwh = serializers.DecimalField(**KWH)
    kwh_previous_month = serializers.DecimalField(**KWH)
    mom_pct = serializers.DecimalField(**PCT1)
    kwh_last_year = serializers.DecimalField(**KWH)
    yoy_pct = serializers.DecimalField(**PCT1)
    amount = serializers.DecimalField(**M2)
    bills = serializers.IntegerField()


class VolumeCategorySerializer(serializers.Serializer):
    usage_category = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    bills = serializers.IntegerField()
    kwh = serializers.DecimalField(**KWH)
    kwh_last_year = serializers.DecimalField(**KWH)
    yoy_pct = serializers.DecimalField(**PCT1)


class VolumeTotalSerializer(serializers.Serializer):
    kwh = serializers.DecimalField(**KWH)
    kwh_last_year = serializers.DecimalField(**KWH)
    yoy_pct = serializers.DecimalField(**PCT1)
    amount = serializers.DecimalField(**M2)


class SalesVolumeSerializer(serializers.Serializer):
    from_summary = serializers.BooleanField(help_text="True: figures from the monthly summary (subtree and company scopes).")
    as_of = serializers.DateTimeField(allow_null=True, help_text="When the monthly summary was refreshed; null for live figures.")
    rows = VolumeMonthSerializer(many=True)
    categories = VolumeCategorySerializer(many=True)
    total = VolumeTotalSerializer()


class PriceFiguresSerializer(serializers.Serializer):
    kwh = serializers.DecimalField(**KWH)
    total = serializers.DecimalField(**M2)
    average_price = serializers.DecimalField(**PRICE, allow_null=True)
    energy_charge = serializers.DecimalField(**M2)
    energy_charge_per_kwh = serializers.DecimalField(**PRICE, allow_null=True)
    basic_charge = serializers.DecimalField(**M2)
    basic_charge_per_kwh = serializers.DecimalField(**PRICE, allow_null=True)
    pf_adjustment = serializers.DecimalField(**M2)
    pf_adjustment_per_kwh = serializers.DecimalField(**PRICE, allow_null=True)
    surcharges = serializers.DecimalField(**M2)
    surcharges_per_kwh = serializers.DecimalField(**PRICE, allow_null=True)


class PriceMonthSerializer(PriceFiguresSerializer):
    month = serializers.DateField()


class PriceCategorySerializer(PriceFiguresSerializer):
    usage_category = serializers.CharField(allow_null=True)
    label = serializers.CharField()


class PriceSerializer(serializers.Serializer):
    from_summary = serializers.BooleanField(help_text="True: figures from the monthly summary (subtree and company scopes).")
    as_of = serializers.DateTimeField(allow_null=True, help_text="When the monthly summary was refreshed; null for live figures.")
    rows = PriceMonthSerializer(many=True)
    categories = PriceCategorySerializer(many=True)
    total = PriceFiguresSerializer()


class ChannelCellSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**M2)
    count = serializers.IntegerField()


class ChannelSerializer(ChannelCellSerializer):
    channel = serializers.CharField()
    label = serializers.CharField()
    share_pct = serializers.DecimalField(**PCT2)


class PaymentMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    by_channel = serializers.DictField(child=ChannelCellSerializer())
    amount = serializers.DecimalField(**M2)
    count = serializers.IntegerField()


class PaymentsSerializer(serializers.Serializer):
    months = PaymentMonthSerializer(many=True)
    channels = ChannelSerializer(many=True)
    total = ChannelCellSerializer()


class BucketSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    amount = serializers.DecimalField(**M2)


class ArrearsTotalsSerializer(serializers.Serializer):
    outstanding = serializers.DecimalField(**M2)
    customers = serializers.IntegerField()
    bills = serializers.IntegerField()
    oldest_due = serializers.DateField(allow_null=True)
    buckets = BucketSerializer(many=True)
    not_due = serializers.DecimalField(**M2, help_text="Open bills not yet due (not arrears), in the scope.")


class ArrearsRowSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    number = serializers.CharField()
    name = serializers.CharField()
    org_unit = serializers.CharField(allow_null=True)
    manager = serializers.CharField()
    bills = serializers.IntegerField()
    outstanding = serializers.DecimalField(**M2)
    oldest_due = serializers.DateField()
    max_days_overdue = serializers.IntegerField()
    buckets = serializers.DictField(child=serializers.DecimalField(**M2))
    not_due = serializers.DecimalField(**M2, help_text="This customer's open bills not yet due (not arrears).")


class ArrearsSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    definition = serializers.CharField()
    totals = ArrearsTotalsSerializer()
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = ArrearsRowSerializer(many=True)


class CollectionFiguresSerializer(serializers.Serializer):
    billed = serializers.DecimalField(**M2)
    collected = serializers.DecimalField(**M2)
    uncollected = serializers.DecimalField(**M2)
    bills = serializers.IntegerField()
    rate_pct = serializers.DecimalField(**PCT2)


class CollectionMonthSerializer(CollectionFiguresSerializer):
    month = serializers.DateField()


class CollectionUnitSerializer(CollectionFiguresSerializer):
    org_unit_id = serializers.IntegerField(allow_null=True)
    org_unit = serializers.CharField()


class CollectionManagerSerializer(CollectionFiguresSerializer):
    manager_id = serializers.IntegerField(allow_null=True)
    manager = serializers.CharField()


class CollectionSerializer(serializers.Serializer):
    definition = serializers.CharField()
    total = CollectionFiguresSerializer()
    months = CollectionMonthSerializer(many=True)
    units = CollectionUnitSerializer(many=True)
    managers = CollectionManagerSerializer(many=True)


class ParetoPointSerializer(serializers.Serializer):
    customers_share = serializers.DecimalField(**SHARE)
    value_share = serializers.DecimalField(**SHARE)


class ParetoSerializer(serializers.Serializer):
    measure = serializers.CharField()
    customers = serializers.IntegerField()
    top_customers = serializers.IntegerField()
    top_share = serializers.DecimalField(**SHARE)
    top_share_pct = serializers.DecimalField(**PCT2)
    points = ParetoPointSerializer(many=True)


class ProfitTotalsSerializer(serializers.Serializer):
    customers = serializers.IntegerField()
    kwh = serializers.DecimalField(**KWH)
    billed = serializers.DecimalField(**M2)
    revenue = serializers.DecimalField(**M2)
    cost = serializers.DecimalField(**M2)
    profit = serializers.DecimalField(**M2)
    margin_pct = serializers.DecimalField(**PCT2)


class ProfitRowSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    number = serializers.CharField()
    name = serializers.CharField()
    org_unit = serializers.CharField(allow_null=True)
    voltage_level = serializers.CharField()
    cost_per_kwh = serializers.DecimalField(max_digits=10, decimal_places=6)
    kwh = serializers.DecimalField(**KWH)
    billed = serializers.DecimalField(**M2)
    revenue = serializers.DecimalField(**M2)
    cost = serializers.DecimalField(**M2)
    profit = serializers.DecimalField(**M2)
    margin_pct = serializers.DecimalField(**PCT2)


class ProfitSerializer(serializers.Serializer):
    definitions = serializers.ListField(child=serializers.CharField())
    purchase_costs = serializers.DictField(child=serializers.DecimalField(max_digits=10, decimal_places=6))
    totals = ProfitTotalsSerializer()
    pareto_revenue = ParetoSerializer()
    pareto_profit = ParetoSerializer()
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = ProfitRowSerializer(many=True)


# --- views -----------------------------------------------------------------------------------------


class _ReportView(APIView):
    permission_classes = [StaffPermission]
    serializer_class: type[serializers.Serializer]

    def report_filter(self, request):
        form = ReportFilterForm(request.query_params, user=request.user, today=timezone.localdate())
        if not form.is_valid():
            raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        return form.report_filter()

    def respond(self, data):
        return Response(self.serializer_class(data).data)

    def paged(self, request, rows, convert, count: int | None = None):
        """A page of grouped rows; `count` when already known (saves a second GROUP BY)."""
        paginator = Pagination()
        if count is not None:
            class KnownCount(paginator.django_paginator_class):
                @property
                def count(self):
                    return count

            paginator.django_paginator_class = KnownCount
        page = paginator.paginate_queryset(rows, request, view=self)
        return {"count": paginator.page.paginator.count, "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(), "results": [convert(r) for r in page]}


class SalesVolumeView(_ReportView):
    serializer_class = SalesVolumeSerializer

    @extend_schema(parameters=FILTER_PARAMETERS, responses=SalesVolumeSerializer, operation_id="analytics_sales_volume",
                   description=str(c.VOLUME_DEFINITION))
    def get(self, request):
        return self.respond(selectors.sales_volume(request.user, self.report_filter(request)))


class PriceView(_ReportView):
    serializer_class = PriceSerializer

    @extend_schema(parameters=FILTER_PARAMETERS, responses=PriceSerializer, operation_id="analytics_unit_price",
                   description=str(c.PRICE_DEFINITION))
    def get(self, request):
        return self.respond(selectors.price_composition(request.user, self.report_filter(request)))


class PaymentsView(_ReportView):
    serializer_class = PaymentsSerializer

    @extend_schema(parameters=FILTER_PARAMETERS, responses=PaymentsSerializer, operation_id="analytics_payments",
                   description="Posted payments received in the period by channel and month (reversed ones left out).")
    def get(self, request):
        return self.respond(selectors.payments_by_channel(request.user, self.report_filter(request)))


class ArrearsView(_ReportView):
    serializer_class = ArrearsSerializer

    @extend_schema(parameters=[*FILTER_PARAMETERS, SORT_PARAMETER,
                               OpenApiParameter("page", OpenApiTypes.INT), OpenApiParameter("page_size", OpenApiTypes.INT)],
                   responses=ArrearsSerializer, operation_id="analytics_arrears",
                   description=str(c.ARREARS_DEFINITION) + " Every open bill past its due date counts unless "
                   "from_month/to_month is given.")
    def get(self, request):
        f = self.report_filter(request)
        today = timezone.localdate()
        by_period = bool(request.query_params.get("from_month") or request.query_params.get("to_month"))
        sort = request.query_params.get("sort") or "-outstanding"
        rows = selectors.arrears_rows(request.user, f, as_of=today, period=by_period, sort=sort)
        totals = selectors.arrears_totals(request.user, f, as_of=today, period=by_period)
        return self.respond({
            "as_of": today, "definition": str(c.ARREARS_DEFINITION), "totals": totals,
            **self.paged(request, rows, lambda r: selectors.arrears_row(r, today), count=totals["customers"]),
        })


class CollectionView(_ReportView):
    serializer_class = CollectionSerializer

    @extend_schema(parameters=FILTER_PARAMETERS, responses=CollectionSerializer, operation_id="analytics_collection_rate",
                   description=str(c.COLLECTION_RATE_DEFINITION))
    def get(self, request):
        return self.respond(selectors.collection_rate(request.user, self.report_filter(request)))


class ProfitView(_ReportView):
    serializer_class = ProfitSerializer

    @extend_schema(parameters=[*FILTER_PARAMETERS, SORT_PARAMETER,
                               OpenApiParameter("page", OpenApiTypes.INT), OpenApiParameter("page_size", OpenApiTypes.INT)],
                   responses=ProfitSerializer, operation_id="analytics_profit",
                   description=f"{c.REVENUE_DEFINITION} {c.COST_DEFINITION}")
    def get(self, request):
        f = self.report_filter(request)
        costs = selectors.purchase_costs()
        rows = selectors.profit_customers(request.user, f, costs=costs, sort=request.query_params.get("sort") or "-profit")
        revenue, profit_curve, totals = selectors.profit_overview(request.user, f, costs=costs)
        return self.respond({
            "definitions": [str(c.REVENUE_DEFINITION), str(c.COST_DEFINITION)], "purchase_costs": costs,
            "totals": totals,
            "pareto_revenue": revenue,
            "pareto_profit": profit_curve,
            **self.paged(request, rows, lambda r: selectors.profit_row(r, costs), count=revenue["customers"]),
        })


urlpatterns = [
    path("analytics/sales-volume/", SalesVolumeView.as_view(), name="api-analytics-sales-volume"),
    path("analytics/unit-price/", PriceView.as_view(), name="api-analytics-unit-price"),
    path("analytics/payments/", PaymentsView.as_view(), name="api-analytics-payments"),
    path("analytics/arrears/", ArrearsView.as_view(), name="api-analytics-arrears"),
    path("analytics/collection-rate/", CollectionView.as_view(), name="api-analytics-collection-rate"),
    path("analytics/profit/", ProfitView.as_view(), name="api-analytics-profit"),
]


def register(router) -> None:
    """The reports are plain API views (api.urlpatterns), not router viewsets."""
