"""/api/v1/government-projects/, /api/v1/opportunities/, /api/v1/quotes/: scoped like the pages
(pipeline.selectors → core.scoping); every write goes through services.py, so the 1+1 rule, the
bad-input checks and the discount approval are the same as on the pages."""

from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from powerkam.core.permissions import StaffPermission
from powerkam.core.scoped import ScopedFilterSet, ScopedPrimaryKeyRelatedField, customers_in_scope
from powerkam.customers.models import Customer
from powerkam.org.api import django_errors_as_400
from powerkam.org.models import OrgUnit, Staff
from powerkam.org.selectors import assignable_org_units, assignable_staff, manager_choices

from . import selectors, services
from .models import (
    Competitor,
    GovernmentProject,
    Milestone,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    Quote,
    QuoteLine,
    ServiceItem,
)


def _units(user, context):
    instance = context.get("instance")
    return assignable_org_units(user, include_ids=[instance.org_unit_id] if instance else [])


def _managers(user, context):
    instance = context.get("instance")
    ids = [instance.primary_manager_id, instance.secondary_manager_id] if isinstance(instance, GovernmentProject) else []
    return manager_choices(user, include_ids=ids)


def _staff(user, context):
    instance = context.get("instance")
    qs = assignable_staff(user)
    if isinstance(instance, Opportunity):
        qs = qs | Staff.objects.filter(pk=instance.owner_id)
    return qs.distinct()


def _projects(user, context):
    return selectors.visible_projects(user)


class MilestoneRowSerializer(serializers.Serializer):
    code = serializers.CharField(source="milestone.code")
    name = serializers.CharField(source="milestone.name")
    planned_on = serializers.DateField(allow_null=True)
    actual_on = serializers.DateField(allow_null=True)


class GovernmentProjectSerializer(serializers.ModelSerializer):
    org_unit = ScopedPrimaryKeyRelatedField(OrgUnit, scope=_units)
    primary_manager = ScopedPrimaryKeyRelatedField(Staff, scope=_managers, required=False, allow_null=True)
    secondary_manager = ScopedPrimaryKeyRelatedField(Staff, scope=_managers, required=False, allow_null=True)
    milestones = MilestoneRowSerializer(many=True, read_only=True)

    class Meta:
        model = GovernmentProject
        fields = ["id", "number", "name", "gov_status", "approval_doc_no", "approval_date", "approving_authority",
                  "investor", "site_address", "org_unit", "industry", "expected_load_kw", "expected_capacity_kva",
                  "expected_annual_kwh", "reliability", "expected_energisation_on", "load_class", "voltage_level",
                  "supply_mode", "primary_manager", "secondary_manager", "developed_by", "customer", "converted_at",
                  "milestones", "notes", "created_at", "updated_at"]
        read_only_fields = ["id", "number", "developed_by", "customer", "converted_at", "created_at", "updated_at"]


class ReportSerializer(serializers.Serializer):
    week = serializers.DateField()
    milestone_progress = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=500),
                                               required=False, default=dict)
    problems = serializers.CharField(required=False, allow_blank=True, default="")
    help_needed = serializers.CharField(required=False, allow_blank=True, default="")
    next_steps = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_milestone_progress(self, value):
        codes = set(Milestone.objects.values_list("code", flat=True))
        unknown = sorted(set(value) - codes)
        if unknown:
            raise serializers.ValidationError(f"Unknown milestones: {', '.join(unknown)}")
        return value


class ProjectFilter(ScopedFilterSet):
    q = filters.CharFilter(method="search")

    class Meta:
        model = GovernmentProject
        fields = ["gov_status", "org_unit", "primary_manager", "secondary_manager"]

    def search(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(number__iexact=value) | Q(investor__icontains=value))


class GovernmentProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                               mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Government key projects (政府重点项目) you may see. An approved project needs 1+1 dual managers;
    `report` records the week's progress report."""

    serializer_class = GovernmentProjectSerializer
    permission_classes = [StaffPermission]
    filterset_class = ProjectFilter
    ordering_fields = ["created_at", "name", "expected_energisation_on", "expected_capacity_kva"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return (selectors.visible_projects(self.request.user)
                .prefetch_related("milestones__milestone"))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.kwargs.get("pk") and self.action in ("update", "partial_update"):
            context["instance"] = self.get_object()
        return context

    def perform_create(self, serializer):
        with django_errors_as_400():
            serializer.instance = services.save_project(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        with django_errors_as_400():
            serializer.instance = services.save_project(actor=self.request.user, project=serializer.instance,
                                                        **serializer.validated_data)

    @extend_schema(request=ReportSerializer, responses={200: GovernmentProjectSerializer})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        project = self.get_object()
        data = ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with django_errors_as_400():
            services.submit_report(project, actor=request.user, **data.validated_data)
        return Response(GovernmentProjectSerializer(project).data)


class OpportunitySerializer(serializers.ModelSerializer):
    customer = ScopedPrimaryKeyRelatedField(Customer, scope=customers_in_scope, required=False, allow_null=True)
    owner = ScopedPrimaryKeyRelatedField(Staff, scope=_staff, required=False)
    org_unit = ScopedPrimaryKeyRelatedField(OrgUnit, scope=_units, required=False)
    government_project = ScopedPrimaryKeyRelatedField(GovernmentProject, scope=_projects, required=False,
                                                      allow_null=True)
    kind = serializers.PrimaryKeyRelatedField(queryset=OpportunityKind.objects.filter(is_active=True))
    stage = serializers.PrimaryKeyRelatedField(queryset=OpportunityStage.objects.all(), required=False)
    competitors = serializers.PrimaryKeyRelatedField(queryset=Competitor.objects.all(), many=True, required=False)
    probability = serializers.IntegerField(required=False, allow_null=True)
    weighted_revenue_yuan = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)

    class Meta:
        model = Opportunity
        fields = ["id", "number", "title", "customer", "prospect_name", "site_address", "contact_name", "contact_mobile",
                  "government_project", "kind", "stage", "probability", "expected_kva", "expected_annual_kwh",
                  "expected_annual_revenue_yuan", "weighted_revenue_yuan", "close_on", "owner", "org_unit",
                  "next_step", "next_step_on", "competitors", "loss_reason", "loss_note", "closed_on", "cycle_days",
                  "converted_at", "created_on", "created_at", "updated_at"]
        read_only_fields = ["id", "number", "closed_on", "cycle_days", "converted_at", "created_on", "created_at",
                            "updated_at"]


class MoveSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=OpportunityStage.objects.all())
    loss_reason = serializers.CharField(required=False, allow_blank=True, default="")
    loss_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class OpportunityFilter(ScopedFilterSet):
    q = filters.CharFilter(method="search")
    close_from = filters.DateFilter(field_name="close_on", lookup_expr="gte")
    close_to = filters.DateFilter(field_name="close_on", lookup_expr="lte")
    outcome = filters.CharFilter(field_name="stage__outcome")

    class Meta:
        model = Opportunity
        fields = ["kind", "stage", "owner", "org_unit", "customer", "loss_reason"]

    def search(self, qs, name, value):
        return qs.filter(Q(title__icontains=value) | Q(number__iexact=value) | Q(prospect_name__icontains=value))


class OpportunityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Opportunities (SFA) you may see. `move` changes the stage (lost needs a loss reason)."""

    serializer_class = OpportunitySerializer
    permission_classes = [StaffPermission]
    filterset_class = OpportunityFilter
    ordering_fields = ["close_on", "expected_annual_revenue_yuan", "probability", "created_at"]
    ordering = ["close_on", "id"]

    def get_queryset(self):
        return selectors.visible_opportunities(self.request.user).prefetch_related("competitors")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.kwargs.get("pk") and self.action in ("update", "partial_update"):
            context["instance"] = self.get_object()
        return context

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        competitors = data.pop("competitors", None)
        with django_errors_as_400():
            serializer.instance = services.save_opportunity(actor=self.request.user, opportunity=instance,
                                                            competitors=competitors, **data)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    @extend_schema(request=MoveSerializer, responses={200: OpportunitySerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        opp = self.get_object()
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with django_errors_as_400():
            services.move_stage(opp, actor=request.user, **data.validated_data)
        return Response(OpportunitySerializer(self.get_queryset().get(pk=opp.pk)).data)


class QuoteLineSerializer(serializers.ModelSerializer):
    item = serializers.PrimaryKeyRelatedField(queryset=ServiceItem.objects.filter(is_active=True))
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2)
    unit_price_yuan = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    discount_pct = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, default=0)

    class Meta:
        model = QuoteLine
        fields = ["item", "description", "quantity", "unit_price_yuan", "discount_pct", "amount_yuan"]
        read_only_fields = ["amount_yuan"]


def _opportunities(user, context):
    return selectors.visible_opportunities(user)


class QuoteSerializer(serializers.ModelSerializer):
    opportunity = ScopedPrimaryKeyRelatedField(Opportunity, scope=_opportunities)
    lines = QuoteLineSerializer(many=True)

    class Meta:
        model = Quote
        fields = ["id", "opportunity", "version", "status", "valid_until", "notes", "lines", "subtotal_yuan",
                  "discount_yuan", "total_yuan", "max_discount_pct", "created_by", "created_at", "approved_by",
                  "approved_at", "accepted_at"]
        read_only_fields = ["id", "version", "status", "subtotal_yuan", "discount_yuan", "total_yuan",
                            "max_discount_pct", "created_by", "created_at", "approved_by", "approved_at",
                            "accepted_at"]


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()


class QuoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Quotes for value-added services. POST creates the opportunity's next version; a discount
    above the threshold waits for `decide` by a supervisor; `accept` wins the opportunity."""

    serializer_class = QuoteSerializer
    permission_classes = [StaffPermission]
    filterset_fields = ["opportunity", "status"]
    ordering_fields = ["created_at", "version"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.visible_quotes(self.request.user).prefetch_related("lines")

    def perform_create(self, serializer):
        v = serializer.validated_data
        lines = [services.LineInput(item=line["item"], quantity=line["quantity"],
                                    discount_pct=line.get("discount_pct"), unit_price_yuan=line.get("unit_price_yuan"),
                                    description=line.get("description", "")) for line in v["lines"]]
        with django_errors_as_400():
            serializer.instance = services.create_quote(v["opportunity"], lines=lines, actor=self.request.user,
                                                        valid_until=v.get("valid_until"), notes=v.get("notes", ""))

    @extend_schema(request=DecisionSerializer, responses={200: QuoteSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        quote = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with django_errors_as_400():
            services.decide_quote(quote, actor=request.user, approve=data.validated_data["approve"])
        return Response(QuoteSerializer(self.get_queryset().get(pk=quote.pk)).data)

    @extend_schema(request=None, responses={200: QuoteSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        quote = self.get_object()
        with django_errors_as_400():
            services.accept_quote(quote, actor=request.user)
        return Response(QuoteSerializer(self.get_queryset().get(pk=quote.pk)).data)


def register(router) -> None:
    router.register("government-projects", GovernmentProjectViewSet, basename="government-project")
    router.register("opportunities", OpportunityViewSet, basename="opportunity")
    router.register("quotes", QuoteViewSet, basename="quote")
