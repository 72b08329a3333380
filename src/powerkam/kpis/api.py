"""/api/v1/kpis/ (scorecard, targets, work quality) and /api/v1/dashboard/: the pages' figures as
JSON, scoped like the pages. Money and kWh are Decimal strings; rates in % with two places."""

from __future__ import annotations

from datetime import date

from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from powerkam.analytics.selectors import add_months
from powerkam.core.permissions import StaffPermission
from powerkam.core.scoped import ScopedPrimaryKeyRelatedField
from powerkam.org.api import django_errors_as_400
from powerkam.org.models import OrgUnit, Staff
from powerkam.org.selectors import visible_org_units, visible_portfolio_staff

from . import constants as c
from . import selectors, services
from .models import Target

MONTH = OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM (default: last month).")


def _month(request) -> date:
    raw = request.query_params.get("month") or ""
    if not raw:
        return add_months(timezone.localdate().replace(day=1), -1)
    try:
        return date.fromisoformat(f"{raw}-01")
    except ValueError:
        raise ValidationError({"month": ["Enter a month as YYYY-MM."]}) from None


def _unit(request) -> OrgUnit | None:
    raw = request.query_params.get("org_unit")
    if not raw:
        return None
    unit = visible_org_units(request.user).filter(pk=int(raw)).first() if raw.isdigit() else None
    if unit is None:
        raise ValidationError({"org_unit": ["Does not exist or is not visible to you."]})
    return unit


PCT = {"max_digits": 12, "decimal_places": 2, "allow_null": True}
MONEY = {"max_digits": 20, "decimal_places": 2, "allow_null": True}


class FiguresSerializer(serializers.Serializer):
    satisfaction = serializers.DecimalField(**PCT)
    complaints = serializers.IntegerField()
    revenue = serializers.DecimalField(**MONEY)
    kwh = serializers.DecimalField(**MONEY)
    collection_rate = serializers.DecimalField(**PCT)
    service_cost = serializers.DecimalField(**MONEY)
    task_completion = serializers.DecimalField(**PCT)
    timeliness = serializers.DecimalField(**PCT)
    visit_completion = serializers.DecimalField(**PCT)
    portfolio = serializers.IntegerField()
    portfolio_flag = serializers.CharField()


class ScorecardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    staff = serializers.IntegerField(source="staff.pk")
    staff_name = serializers.CharField(source="staff.display_name")
    figures = FiguresSerializer()
    targets = serializers.DictField(child=serializers.DecimalField(**MONEY))


class UnitFiguresSerializer(serializers.Serializer):
    people = serializers.IntegerField()
    revenue = serializers.DecimalField(**MONEY)
    kwh = serializers.DecimalField(**MONEY)
    collection_rate = serializers.DecimalField(**PCT)
    complaints = serializers.IntegerField()
    service_cost = serializers.DecimalField(**MONEY)
    task_completion = serializers.DecimalField(**PCT)
    timeliness = serializers.DecimalField(**PCT)
    visit_completion = serializers.DecimalField(**PCT)
    portfolio = serializers.IntegerField()
    satisfaction = serializers.DecimalField(**PCT)
    below_1_15 = serializers.IntegerField()


class ScorecardSerializer(serializers.Serializer):
    month = serializers.DateField()
    sort = serializers.CharField()
    unit = UnitFiguresSerializer()
    rows = ScorecardRowSerializer(many=True)
    from_summary = serializers.BooleanField(
        help_text="True: revenue, kWh and the collection rate from the monthly portfolio summary (supervisors' and "
                  "the company's scorecards, months refreshed), as of `as_of`; false: live from the bills (a "
                  "manager's own scorecard, or a month not refreshed yet).")
    as_of = serializers.DateTimeField(allow_null=True, help_text="When the summary was refreshed (null: live).")


class ScorecardView(APIView):
    permission_classes = [StaffPermission]

    @extend_schema(operation_id="kpis_scorecard", responses=ScorecardSerializer,
                   parameters=[MONTH, OpenApiParameter("org_unit", OpenApiTypes.INT),
                               OpenApiParameter("sort", OpenApiTypes.STR, enum=c.Metric.values)],
                   description="Team KPIs per person for one month, ranked by `sort`, with the targets and the unit's "
                               "totals. Revenue, kWh and the collection rate are as of `as_of` for subtree and "
                               "company scopes (the nightly summary); the other figures are live.")
    def get(self, request):
        card = selectors.scorecard(request.user, _month(request), org_unit=_unit(request),
                                   sort=request.query_params.get("sort", c.Metric.REVENUE))
        rows = [{**r, "targets": {m: cell["target"] for m, cell in r["cells"].items() if cell["target"] is not None}}
                for r in card.rows]
        return Response(ScorecardSerializer({"month": card.month, "sort": card.sort, "unit": card.unit,
                                             "rows": rows, "from_summary": card.from_summary,
                                             "as_of": card.as_of}).data)


def _team(user, context):
    return visible_portfolio_staff(user)


def _units(user, context):
    return visible_org_units(user)


class TargetSerializer(serializers.ModelSerializer):
    month = serializers.DateField(help_text="Any day of the month.")
    staff = ScopedPrimaryKeyRelatedField(Staff, scope=_team, required=False, allow_null=True, default=None)
    org_unit = ScopedPrimaryKeyRelatedField(OrgUnit, scope=_units, required=False, allow_null=True, default=None)

    class Meta:
        model = Target
        fields = ["id", "month", "metric", "staff", "org_unit", "value", "set_by", "set_at"]
        read_only_fields = ["id", "set_by", "set_at"]
        validators = []


class TargetViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Monthly targets of the people and units you may see. POST sets (or changes) one: a person's
    KPI (`staff`, a metric of the scorecard) or a unit's dashboard figure (`org_unit`); a supervisor
    sets them only within their own unit."""

    serializer_class = TargetSerializer
    permission_classes = [StaffPermission]
    filterset_fields = ["month", "metric", "staff", "org_unit"]
    ordering = ["month", "metric", "id"]

    def get_queryset(self):
        from django.db.models import Q

        user = self.request.user
        return Target.objects.filter(Q(staff__in=visible_portfolio_staff(user))
                                     | Q(staff__isnull=True, org_unit__in=visible_org_units(user)))

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        with django_errors_as_400():
            target = services.set_target(actor=request.user, month=v["month"], metric=v["metric"], value=v["value"],
                                         staff=v.get("staff"), org_unit=v.get("org_unit"))
        return Response(TargetSerializer(target).data, status=status.HTTP_201_CREATED)


class QualityCellSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField(allow_null=True)
    items = serializers.IntegerField()
    late = serializers.IntegerField()
    compliance = serializers.DecimalField(**PCT)


class QualityRowSerializer(serializers.Serializer):
    process = serializers.CharField()
    label = serializers.CharField()
    cells = QualityCellSerializer(many=True)
    total = QualityCellSerializer()


class QualityUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class WorkQualitySerializer(serializers.Serializer):
    month = serializers.DateField()
    units = QualityUnitSerializer(many=True)
    rows = QualityRowSerializer(many=True)
    missing = serializers.ListField(child=serializers.CharField())


class WorkQualityView(APIView):
    permission_classes = [StaffPermission]

    @extend_schema(operation_id="kpis_work_quality", responses=WorkQualitySerializer, parameters=[MONTH],
                   description="SLA compliance of every process by unit for one month (items due, late, compliance %).")
    def get(self, request):
        return Response(WorkQualitySerializer(selectors.work_quality(request.user, _month(request))).data)


class FigureSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    last_year = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    target = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)


class DashboardFiguresSerializer(serializers.Serializer):
    revenue = FigureSerializer()
    kwh = FigureSerializer()
    unit_price = FigureSerializer()
    arrears = FigureSerializer()
    collection_rate = FigureSerializer()
    complaints = FigureSerializer()
    sla = FigureSerializer()
    satisfaction = FigureSerializer()
    key_accounts = FigureSerializer()
    churn_risk = FigureSerializer()
    pipeline = FigureSerializer()
    new_capacity = FigureSerializer()
    project_cycle_time = FigureSerializer()
    project_within = FigureSerializer()


class DashboardUnitSerializer(serializers.Serializer):
    unit = QualityUnitSerializer()
    figures = DashboardFiguresSerializer()


class DashboardSerializer(serializers.Serializer):
    month = serializers.DateField()
    last_year = serializers.DateField()
    whole = DashboardFiguresSerializer()
    units = DashboardUnitSerializer(many=True)
    missing = serializers.ListField(child=serializers.CharField())
    not_kept = serializers.ListField(
        child=serializers.CharField(),
        help_text="State figures (arrears, key accounts, churn risk, pipeline, new capacity) with no figure kept for "
                  "last year's month: their last_year is null because nothing was kept, not because it was 0.")
    as_of_today = serializers.ListField(
        child=serializers.CharField(),
        help_text="State figures whose value is today's state (the current month, or nothing kept for the month).")
    kept_from = serializers.DateField(allow_null=True, help_text="The first month with a kept figure.")
    from_summary = serializers.BooleanField(
        help_text="True: revenue, kWh, collection rate from the monthly summaries (subtree and company "
                  "scopes), as of `as_of`; false: live from the bills (portfolios).")
    as_of = serializers.DateTimeField(allow_null=True, help_text="When the summaries were refreshed (null: live, "
                                                                 "or never refreshed).")


class DashboardView(APIView):
    permission_classes = [StaffPermission]

    @extend_schema(operation_id="dashboard", responses=DashboardSerializer, parameters=[MONTH],
                   description="The executive dashboard: the whole scope and each unit, this month against the same "
                               "month last year and the target. The state figures (arrears, key accounts, churn "
                               "risk, weighted pipeline, new capacity expected) read last year's figure from the "
                               "month-end snapshots; `not_kept` names those with none kept. Revenue, kWh and the "
                               "collection rate are as of `as_of` for subtree and company scopes (the nightly "
                               "summaries); arrears are live. `missing` is empty.")
    def get(self, request):
        return Response(DashboardSerializer(selectors.dashboard(request.user, _month(request))).data)


urlpatterns = [
    path("kpis/scorecard/", ScorecardView.as_view(), name="api-kpis-scorecard"),
    path("kpis/work-quality/", WorkQualityView.as_view(), name="api-kpis-work-quality"),
    path("dashboard/", DashboardView.as_view(), name="api-dashboard"),
]


def register(router) -> None:
    router.register("kpis/targets", TargetViewSet, basename="kpi-target")
