from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CostRate, DashboardSnapshot, MonthlyReport, ReportSubscription, Target


@admin.register(CostRate)
class CostRateAdmin(SimpleHistoryAdmin):
    list_display = ["item", "yuan"]


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = ["month", "metric", "staff", "org_unit", "value", "set_by"]
    list_filter = ["month", "metric"]
    raw_id_fields = ["staff", "org_unit", "set_by"]


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(SimpleHistoryAdmin):
    list_display = ["staff", "email", "created_at"]
    raw_id_fields = ["staff"]


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    list_display = ["month", "generated_at", "seconds", "emailed_to", "pdf_error"]
    readonly_fields = ["month", "xlsx", "pdf", "pdf_error", "generated_at", "seconds", "emailed_to"]


@admin.register(DashboardSnapshot)
class DashboardSnapshotAdmin(admin.ModelAdmin):
    list_display = ["month", "org_unit", "key_accounts", "churn_risk", "pipeline_yuan", "new_capacity_kva",
                    "arrears_yuan", "taken_on", "source"]
    list_filter = ["month", "source"]
    readonly_fields = list_display
