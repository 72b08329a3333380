from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Competitor,
    GovContactLog,
    GovernmentProject,
    Milestone,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    PipelinePolicy,
    Quote,
    QuoteLine,
    ServiceItem,
    WeeklyReport,
)


@admin.register(PipelinePolicy)
class PipelinePolicyAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "report_weekday", "report_escalate_workdays", "discount_approval_pct")

    def has_add_permission(self, request):
        return not PipelinePolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "order", "is_active")
    list_editable = ("name", "order", "is_active")


@admin.register(OpportunityKind)
class OpportunityKindAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "is_value_added", "order", "is_active")
    list_editable = ("name", "is_value_added", "order", "is_active")


@admin.register(OpportunityStage)
class OpportunityStageAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "probability", "outcome", "order")
    list_editable = ("name", "probability", "order")


@admin.register(Competitor)
class CompetitorAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "is_active")


@admin.register(ServiceItem)
class ServiceItemAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "unit", "unit_price_yuan", "kind", "is_active")
    list_editable = ("unit_price_yuan", "is_active")


@admin.register(GovernmentProject)
class GovernmentProjectAdmin(SimpleHistoryAdmin):
    list_display = ("number", "name", "gov_status", "org_unit", "primary_manager", "secondary_manager")
    list_filter = ("gov_status",)
    search_fields = ("number", "name")
    raw_id_fields = ("customer",)

    def has_add_permission(self, request):
        return False  # through the pages: the 1+1 rule lives in the service


@admin.register(GovContactLog, WeeklyReport)
class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False


@admin.register(Opportunity)
class OpportunityAdmin(SimpleHistoryAdmin):
    list_display = ("number", "title", "kind", "stage", "probability", "close_on", "owner")
    list_filter = ("stage", "kind")
    search_fields = ("number", "title", "prospect_name")
    raw_id_fields = ("customer", "government_project")

    def has_add_permission(self, request):
        return False


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    can_delete = False
    readonly_fields = ("item", "description", "quantity", "unit_price_yuan", "discount_pct", "amount_yuan")


@admin.register(Quote)
class QuoteAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "status", "total_yuan", "max_discount_pct")
    inlines = [QuoteLineInline]

    def has_add_permission(self, request):
        return False
