"""/api/v1/consumption/anomalies/ and /api/v1/consumption/forecasts/ (issue #14 items 5, 6, 8):
the anomaly watch's findings (read, and record a reason — the same service as the page) and the
latest forecasts with their backtest. Everything through the visibility scope."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from powerkam.core.scoping import scope_to_user

from . import anomalies
from .models import AnomalyReason, ConsumptionForecast, UsageAnomaly


class UsageAnomalySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    reason_code = serializers.CharField(source="reason.code", read_only=True, default=None)

    class Meta:
        model = UsageAnomaly
        fields = ("id", "customer", "kind", "kind_label", "status", "started_on", "detected_on", "checked_on", "days",
                  "last_kwh", "expected_kwh", "reason_code", "note", "explained_at", "task")
        read_only_fields = fields


class ReasonSerializer(serializers.Serializer):
    reason = serializers.SlugRelatedField(slug_field="code", queryset=AnomalyReason.objects.filter(is_active=True))
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class UsageAnomalyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Consumption anomalies of the customers in the caller's scope (newest first)."""

    serializer_class = UsageAnomalySerializer
    filterset_fields = ("customer", "kind", "status")
    ordering_fields = ("detected_on", "started_on")
    search_fields = ()

    def get_queryset(self):
        return scope_to_user(UsageAnomaly.objects.select_related("reason").order_by("-detected_on", "-id"),
                             self.request.user)

    @extend_schema(request=ReasonSerializer, responses={200: UsageAnomalySerializer})
    @action(detail=True, methods=["post"])
    def reason(self, request, pk=None):
        """Record the reason (a code of the configurable list) and close the task."""
        anomaly = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            anomalies.record_reason(anomaly, reason=body.validated_data["reason"], note=body.validated_data["note"],
                                    by=request.user)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        return Response(UsageAnomalySerializer(anomaly).data)


class ConsumptionForecastSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsumptionForecast
        fields = ("id", "customer", "computed_on", "method", "daily_model", "monthly_model", "daily", "monthly",
                  "daily_mape", "daily_naive_mape", "monthly_mape", "monthly_naive_mape")
        read_only_fields = fields


class ConsumptionForecastViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The latest forecast of each key account in the caller's scope (next 7 days, next 12 months,
    rolling-origin backtest MAPE of the fitted model and of seasonal naive; `daily_model` and
    `monthly_model` say which forecast is given: the fitted model only where it beat naive)."""

    serializer_class = ConsumptionForecastSerializer
    filterset_fields = ("customer",)
    ordering_fields = ("computed_on",)
    search_fields = ()

    def get_queryset(self):
        return scope_to_user(ConsumptionForecast.objects.filter(customer__isnull=False).order_by("customer_id"),
                             self.request.user)


def register(router) -> None:
    router.register("consumption/anomalies", UsageAnomalyViewSet, basename="consumption-anomaly")
    router.register("consumption/forecasts", ConsumptionForecastViewSet, basename="consumption-forecast")
