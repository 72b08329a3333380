"""/api/v1/ endpoints of credit.

- credit/assessments/: list, retrieve, create (POST computes and stores a draft and answers with
  credit_limit, limit_tier, grade, code, the ratios and the reasons), approve
  (POST credit/assessments/{id}/approve/, supervisors);
- credit/behaviour-ratings/: list and retrieve, current ratings by default (?history=1 for all rows).

Every queryset is scoped with core.scoping: a record outside the caller's scope answers 404,
and creating an assessment for an invisible customer answers 400 "no such customer".
"""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from powerkam.core.permissions import StaffPermission
from powerkam.core.scoped import ScopedPrimaryKeyRelatedField, customers_in_scope
from powerkam.core.scoping import scope_to_user
from powerkam.customers.models import Customer
from powerkam.org.api import django_errors_as_400

from . import services
from .models import BehaviourRating, CreditAssessment

RATIO_FIELDS = ("current_ratio", "quick_ratio", "cash_ratio", "debt_ratio", "inventory_turnover", "sales_margin",
                "gross_margin", "cost_profit_ratio")


class ReasonsField(serializers.ReadOnlyField):
    def to_representation(self, value):
        return [{"code": r.get("code"), "params": r.get("params", {}), "text": services.reason_text(r)}
                if isinstance(r, dict) else {"code": "", "params": {}, "text": str(r)} for r in (value or [])]


class AssessmentSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    ratios = serializers.SerializerMethodField()
    reasons = ReasonsField()

    class Meta:
        model = CreditAssessment
        fields = [
            "id", "customer", "customer_number", "customer_name", "assessed_on", "statement_date", "status", "note",
            *services.FINANCIAL_FIELDS, "scores", "ratios", *RATIO_FIELDS,
            "characteristic_total", "characteristic_max", "grade", "working_capital", "operating_assets",
            "evaluation_value", "limit_percent", "model_limit", "grade_factor", "credit_limit", "limit_tier", "code",
            "reasons", "prepared_by", "approved_by", "approved_at", "created_at",
        ]
        read_only_fields = fields

    def get_ratios(self, obj) -> dict:
        return {name: (None if getattr(obj, name) is None else str(getattr(obj, name))) for name in RATIO_FIELDS}


class AssessmentCreateSerializer(serializers.Serializer):
    """Input of POST credit/assessments/. Figures in yuan (strings or numbers); net_worth may be
    left out (total assets − total liabilities); scores {item: [4 scores 0–5]}, unscored items count 3.
    Figures are checked by the service (field errors, Chinese in the UI), not here, so the API and
    the form give the same messages."""

    customer = ScopedPrimaryKeyRelatedField(Customer, scope=customers_in_scope)
    assessed_on = serializers.DateField(required=False)
    statement_date = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    current_assets = serializers.CharField()
    inventory = serializers.CharField()
    cash = serializers.CharField()
    total_assets = serializers.CharField()
    current_liabilities = serializers.CharField()
    total_liabilities = serializers.CharField()
    net_worth = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    sales_revenue = serializers.CharField()
    cost_of_sales = serializers.CharField()
    total_cost = serializers.CharField()
    net_profit = serializers.CharField()
    scores = serializers.JSONField(required=False)

    def to_internal_value(self, data):
        # Accept JSON numbers for figures as well as strings.
        if hasattr(data, "items"):
            data = {k: (str(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                        and k in services.FINANCIAL_FIELDS else v) for k, v in data.items()}
        return super().to_internal_value(data)


class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    permission_classes = [StaffPermission]
    serializer_class = AssessmentSerializer
    filterset_fields = ["customer", "status", "grade", "limit_tier", "code"]
    search_fields = ["customer__name", "customer__number", "code"]
    ordering_fields = ["assessed_on", "credit_limit", "grade", "id"]
    ordering = ["-assessed_on", "-id"]

    def get_queryset(self):
        qs = CreditAssessment.objects.select_related("customer")
        return scope_to_user(qs, self.request.user, "customer")

    def get_serializer_class(self):
        return AssessmentCreateSerializer if self.action == "create" else AssessmentSerializer

    @extend_schema(request=AssessmentCreateSerializer, responses={201: AssessmentSerializer})
    def create(self, request, *args, **kwargs):
        inp = AssessmentCreateSerializer(data=request.data, context={"request": request})
        inp.is_valid(raise_exception=True)
        data = dict(inp.validated_data)
        customer = data.pop("customer")
        with transaction.atomic(), django_errors_as_400():
            assessment = services.create_assessment(
                customer=customer, actor=request.user, data=data, assessed_on=data.get("assessed_on"),
                statement_date=data.get("statement_date"), note=data.get("note", ""))
        return Response(AssessmentSerializer(assessment, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: AssessmentSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        assessment = self.get_object()
        with django_errors_as_400():
            assessment = services.approve_assessment(assessment, actor=request.user)
        return Response(AssessmentSerializer(assessment, context={"request": request}).data)


class BehaviourRatingSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    reasons = ReasonsField()

    class Meta:
        model = BehaviourRating
        fields = ["id", "customer", "customer_number", "customer_name", "level", "since", "rated_on", "is_current",
                  "on_time_rate", "bills_due", "bills_late", "max_days_overdue", "avg_days_overdue", "arrears",
                  "reasons"]
        read_only_fields = fields


class BehaviourRatingViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [StaffPermission]
    serializer_class = BehaviourRatingSerializer
    filterset_fields = ["customer", "level", "is_current"]
    search_fields = ["customer__name", "customer__number"]
    ordering_fields = ["since", "rated_on", "max_days_overdue", "arrears", "id"]
    ordering = ["customer_id", "-since"]

    def get_queryset(self):
        qs = BehaviourRating.objects.select_related("customer")
        if self.action == "list" and self.request.query_params.get("history") not in ("1", "true") \
                and "is_current" not in self.request.query_params:
            qs = qs.filter(is_current=True)
        return scope_to_user(qs, self.request.user, "customer")


def register(router) -> None:
    """Add this app's viewsets to the one /api/v1/ router."""
    router.register("credit/assessments", AssessmentViewSet, basename="credit-assessment")
    router.register("credit/behaviour-ratings", BehaviourRatingViewSet, basename="credit-behaviour-rating")
