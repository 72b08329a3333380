"""/api/v1/consumption/: batch ingest (JSON), ingest records, daily aggregates, one customer-day's
intervals. Every read goes through the visibility scope; a batch can only load data for metering
points of customers in the caller's scope (others are "unknown meter")."""

from __future__ import annotations

from datetime import date

import numpy as np
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from powerkam.core.params import record_id
from powerkam.core.scoping import get_visible_or_404, scope_to_user
from powerkam.imports.api import CanImport

from . import constants as c
from . import selectors, services
from .models import DailyAggregate, IngestBatch

MAX_API_ROWS = 100_000


class IngestBatchSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)

    class Meta:
        model = IngestBatch
        fields = ("id", "layout", "quantity", "already_multiplied", "filename", "encoding", "status", "total_rows",
                  "processed_rows", "progress", "values_written", "values_changed", "aggregates_written",
                  "customer_count", "day_from", "day_to", "error_count", "errors", "quality", "message",
                  "created_by", "created_at", "finished_at")
        read_only_fields = fields

    def get_progress(self, batch: IngestBatch) -> dict:
        done, total = services.batch_progress(batch)
        return {"done": done, "total": total, "percent": min(100, done * 100 // total) if total else 0}


class IngestRequestSerializer(serializers.Serializer):
    layout = serializers.ChoiceField(choices=[c.Layout.WIDE, c.Layout.LONG, c.Layout.DAILY])
    quantity = serializers.ChoiceField(choices=c.Quantity.choices, default=c.Quantity.POWER_KW)
    already_multiplied = serializers.BooleanField(default=False)
    rows = serializers.ListField(
        child=serializers.DictField(), allow_empty=False, max_length=MAX_API_ROWS,
        help_text="wide: {meter_no | customer_number, date, kind (active/reactive, optional), values: [96 numbers, "
                  "00:15 … 24:00]}; long: {meter_no | customer_number, timestamp (interval end), kw, kvar?}; daily: "
                  "{meter_no | customer_number, date, active_register?, reactive_register?, kwh?, kvarh?, "
                  "sharp_register?, peak_register?, flat_register?, valley_register?, kwh_sharp?, kwh_peak?, "
                  "kwh_flat?, kwh_valley?} (time-of-use periods: registers or the day's kWh).")


class IngestBatchViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin,
                         viewsets.GenericViewSet):
    """POST a batch of readings (JSON); it is validated and written all-or-nothing: 201 when written,
    400 with the row and column errors when rejected (nothing written). GET follows your batches."""

    serializer_class = IngestBatchSerializer
    permission_classes = [CanImport]
    parser_classes = [JSONParser]
    filterset_fields = ("layout", "status")
    ordering_fields = ("created_at",)
    search_fields = ()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return IngestBatch.objects.none()
        return IngestBatch.objects.filter(created_by=self.request.user).select_related("created_by")

    @extend_schema(request=IngestRequestSerializer, responses={
        201: IngestBatchSerializer,
        400: OpenApiTypes.OBJECT,  # the rejected batch (its errors), or the request's field errors
    })
    def create(self, request, *args, **kwargs):
        req = IngestRequestSerializer(data=request.data)
        req.is_valid(raise_exception=True)
        data = req.validated_data
        batch = services.ingest_records(data["rows"], layout=data["layout"], actor=request.user,
                                        quantity=data["quantity"], already_multiplied=data["already_multiplied"])
        code = status.HTTP_201_CREATED if batch.status == IngestBatch.Status.DONE else status.HTTP_400_BAD_REQUEST
        return Response(self.get_serializer(batch).data, status=code)


class DailyAggregateSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)

    class Meta:
        model = DailyAggregate
        fields = ("customer", "customer_number", "day", "kwh_total", "kwh_sharp", "kwh_peak", "kwh_flat",
                  "kwh_valley", "kvarh", "max_demand_kw", "max_demand_at", "load_factor", "avg_power_factor",
                  "slots", "source", "complete")
        read_only_fields = fields


def _day(params, name: str) -> date | None:
    value = params.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: [_("Enter a valid date (YYYY-MM-DD).")]}) from None


@extend_schema(parameters=[
    OpenApiParameter("customer", int), OpenApiParameter("day_from", OpenApiTypes.DATE),
    OpenApiParameter("day_to", OpenApiTypes.DATE),
])
class DailyAggregateViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Daily aggregates (kWh by TOU period, maximum demand, load factor, power factor) of the
    customers in the caller's scope."""

    serializer_class = DailyAggregateSerializer
    search_fields = ()
    ordering_fields = ("day", "kwh_total", "max_demand_kw")

    def get_queryset(self):
        qs = scope_to_user(DailyAggregate.objects.select_related("customer").order_by("customer_id", "day"),
                           self.request.user)
        if getattr(self, "swagger_fake_view", False):
            return qs.none()
        params = self.request.query_params
        if "customer" in params:
            qs = qs.filter(customer_id=record_id(params["customer"]) or 0)
        first, last = _day(params, "day_from"), _day(params, "day_to")
        if first:
            qs = qs.filter(day__gte=first)
        if last:
            qs = qs.filter(day__lte=last)
        return qs


INTERVALS_RESPONSE = inline_serializer("CustomerDayIntervals", {
    "customer": serializers.IntegerField(),
    "day": serializers.DateField(),
    "slots": serializers.ListField(child=serializers.CharField(), help_text="00:15 … 24:00 (interval ends)"),
    "total_kw": serializers.ListField(child=serializers.FloatField(allow_null=True)),
    "metering_points": serializers.ListField(child=serializers.DictField()),
})


class IntervalsView(APIView):
    """One customer's 15-minute curve for one day, per metering point and summed (kW; null = missing)."""

    @extend_schema(parameters=[OpenApiParameter("customer", int, required=True),
                               OpenApiParameter("day", OpenApiTypes.DATE, required=True)],
                   responses={200: INTERVALS_RESPONSE, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT})
    def get(self, request):
        from powerkam.customers.models import Customer

        customer_id = record_id(request.query_params.get("customer"))
        if customer_id is None:
            raise ValidationError({"customer": [_("Give the customer id.")]})
        day = _day(request.query_params, "day")
        if day is None:
            raise ValidationError({"day": [_("Give the day (YYYY-MM-DD).")]})
        customer = get_visible_or_404(Customer.objects.all(), request.user, pk=customer_id)
        curves = selectors.day_curves(customer.pk, day)
        total = np.nansum([cv["kw"] for cv in curves], axis=0) if curves else np.full(96, np.nan)
        missing = np.all([np.isnan(cv["kw"]) for cv in curves], axis=0) if curves else np.ones(96, dtype=bool)
        return Response({
            "customer": customer.pk, "day": day,
            "slots": selectors.SLOT_LABELS,
            "total_kw": [None if m else round(float(v), 3) for v, m in zip(total, missing, strict=True)],
            "metering_points": [{"id": cv["id"], "number": cv["number"], "kw": selectors.nullable(cv["kw"]),
                                 "kvar": selectors.nullable(cv["kvar"])} for cv in curves],
        })


def register(router) -> None:
    router.register("consumption/batches", IngestBatchViewSet, basename="consumption-batch")
    router.register("consumption/daily", DailyAggregateViewSet, basename="consumption-daily")


urlpatterns = [path("consumption/intervals/", IntervalsView.as_view(), name="consumption-intervals")]
