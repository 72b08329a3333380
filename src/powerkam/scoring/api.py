"""/api/v1/scoring/: scoring models (read; administrators try out and publish), tier proposals
(scoped; supervisors approve or reject), customer scores with their reasons (scoped), the key
account list and the potential key accounts (scoped). The same services as the pages."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from powerkam.core.pagination import Pagination
from powerkam.core.permissions import StaffPermission
from powerkam.core.scoped import ScopedFilterSet
from powerkam.core.scoping import scope_to_user
from powerkam.org.api import django_errors_as_400

from . import selectors, services
from .models import Criterion, CustomerScore, ScoringModel, TierProposal
from .views import can_review, is_admin


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["code", "weight", "normalisation", "thresholds"]


class ScoringModelSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = ScoringModel
        fields = ["id", "name", "version", "status", "key_account_cutoff", "medium_cutoff", "premium_cutoff",
                  "notes", "created_at", "published_at", "criteria"]
        read_only_fields = fields


class TryOutSerializer(serializers.Serializer):
    customers = serializers.IntegerField()
    changes = serializers.IntegerField()
    by_kind = serializers.DictField(child=serializers.IntegerField())
    moves = serializers.ListField(child=serializers.ListField())
    tiers = serializers.DictField(child=serializers.IntegerField())


class ScoringModelViewSet(viewsets.ReadOnlyModelViewSet):
    """Scoring model versions with their criteria. `try_out` scores the current data without
    writing (how many customers would change tier); `publish` makes a draft the one the monthly
    job uses. Both are for administrators."""

    serializer_class = ScoringModelSerializer
    permission_classes = [StaffPermission]
    queryset = ScoringModel.objects.prefetch_related("criteria").order_by("-version")

    def _admin(self):
        if not is_admin(self.request.user):
            raise PermissionDenied("Only an administrator may do this.")

    @extend_schema(request=None, responses=TryOutSerializer)
    @action(detail=True, methods=["post"], url_path="try-out")
    def try_out(self, request, pk=None):
        self._admin()
        model = self.get_object()
        with django_errors_as_400():
            services.validate_definition(*services.definition_of(model))
        return Response(TryOutSerializer(services.try_out(model)).data)

    @extend_schema(request=None, responses=ScoringModelSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        self._admin()
        model = self.get_object()
        with django_errors_as_400():
            services.publish_model(model, actor=request.user)
        return Response(ScoringModelSerializer(self.get_queryset().get(pk=model.pk)).data)


class TierProposalSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    period = serializers.DateField(source="run.period", read_only=True)

    class Meta:
        model = TierProposal
        fields = ["id", "customer", "customer_number", "customer_name", "period", "kind", "from_tier", "to_tier",
                  "score", "status", "decided_by", "decided_at", "reason"]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ProposalFilter(ScopedFilterSet):
    class Meta:
        model = TierProposal
        fields = ["customer", "status", "kind"]


class TierProposalViewSet(viewsets.ReadOnlyModelViewSet):
    """Tier changes the scoring runs propose, for the customers you may see. A supervisor (or an
    administrator) approves — the tier changes and the visit plan follows — or rejects with a reason."""

    serializer_class = TierProposalSerializer
    permission_classes = [StaffPermission]
    filterset_class = ProposalFilter
    ordering = ["-score", "id"]

    def get_queryset(self):
        return scope_to_user(TierProposal.objects.select_related("customer", "run"), self.request.user)

    def _decide(self, request, approve: bool):
        proposal = self.get_object()
        if not can_review(request.user):
            raise PermissionDenied("Only a supervisor or an administrator decides tier changes.")
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with django_errors_as_400():
            if approve:
                services.approve_proposal(proposal, actor=request.user, reason=data.validated_data["reason"])
            else:
                services.reject_proposal(proposal, actor=request.user, reason=data.validated_data["reason"])
        return Response(TierProposalSerializer(self.get_queryset().get(pk=proposal.pk)).data)

    @extend_schema(request=DecisionSerializer, responses=TierProposalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, True)

    @extend_schema(request=DecisionSerializer, responses=TierProposalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, False)


class CustomerScoreSerializer(serializers.ModelSerializer):
    period = serializers.DateField(source="run.period", read_only=True)
    model_version = serializers.IntegerField(source="run.model.version", read_only=True)
    reasons = serializers.DictField(child=serializers.ListField(allow_null=True), read_only=True)

    class Meta:
        model = CustomerScore
        fields = ["id", "customer", "period", "model_version", "score", "tier", "current_tier", "kwh", "growth_pct",
                  "reasons"]
        read_only_fields = fields


class ScoreFilter(ScopedFilterSet):
    class Meta:
        model = CustomerScore
        fields = ["customer", "run", "tier"]


class CustomerScoreViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Scores of the customers you may see, with each criterion's [value, points] (the reasons)."""

    serializer_class = CustomerScoreSerializer
    permission_classes = [StaffPermission]
    filterset_class = ScoreFilter
    ordering = ["-run_id", "-score"]

    def get_queryset(self):
        return scope_to_user(CustomerScore.objects.select_related("run", "run__model"), self.request.user)


class KeyAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    name = serializers.CharField()
    org_unit = serializers.CharField(source="org_unit.name")
    ka_tier = serializers.CharField()
    scope = serializers.CharField()
    cooperation_depth = serializers.CharField()
    latest_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True, default=None)


class KeyAccountPage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = KeyAccountSerializer(many=True)


class KeyAccountListView(APIView):
    permission_classes = [StaffPermission]

    @extend_schema(operation_id="scoring_key_accounts", responses=KeyAccountPage,
                   parameters=[OpenApiParameter("tier", OpenApiTypes.STR), OpenApiParameter("scope", OpenApiTypes.STR),
                               OpenApiParameter("depth", OpenApiTypes.STR),
                               OpenApiParameter("page", OpenApiTypes.INT),
                               OpenApiParameter("page_size", OpenApiTypes.INT)],
                   description="大客户清单: the key accounts you may see, by unit, with their latest score.")
    def get(self, request):
        q = request.query_params
        qs = selectors.key_accounts(request.user, tier=q.get("tier", ""), scope=q.get("scope", ""),
                                    depth=q.get("depth", ""))
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(KeyAccountSerializer(page, many=True).data)


class PotentialSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    name = serializers.CharField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True,
                                     help_text="The latest run's score (null: not scored yet).")
    kwh = serializers.DecimalField(source="score_kwh", max_digits=16, decimal_places=2, allow_null=True)
    growth_pct = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())


class PotentialPage(KeyAccountPage):
    results = PotentialSerializer(many=True)


class PotentialListView(APIView):
    permission_classes = [StaffPermission]

    @extend_schema(operation_id="scoring_potential", responses=PotentialPage,
                   parameters=[OpenApiParameter("page", OpenApiTypes.INT), OpenApiParameter("page_size", OpenApiTypes.INT)],
                   description="Customers not yet key accounts on track to become one (growth, capacity requests, "
                               "connection projects, opportunities, a score near the cut-off), scored or not, "
                               "with the reasons.")
    def get(self, request):
        run = selectors.latest_run()
        qs = selectors.potential_key_accounts(request.user, run=run)
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        selectors.attach_potential_reasons(request.user, page, run)
        return paginator.get_paginated_response(PotentialSerializer(page, many=True).data)


urlpatterns = [
    path("scoring/key-accounts/", KeyAccountListView.as_view(), name="api-scoring-key-accounts"),
    path("scoring/potential/", PotentialListView.as_view(), name="api-scoring-potential"),
]


def register(router) -> None:
    router.register("scoring/models", ScoringModelViewSet, basename="scoring-model")
    router.register("scoring/proposals", TierProposalViewSet, basename="tier-proposal")
    router.register("scoring/scores", CustomerScoreViewSet, basename="customer-score")

