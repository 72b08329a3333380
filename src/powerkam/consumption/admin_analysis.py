"""Admin of the anomaly watch's configuration (issue #14 item 5: the thresholds and the reason list
are configurable) and a read-only view of the anomalies. Imported from analysis_hooks (the app's
admin.py belongs to the ingest)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AnomalyReason, UsageAnomaly, WatchSettings


@admin.register(WatchSettings)
class WatchSettingsAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "drop_pct", "drop_workdays", "rise_pct", "rise_days", "flat_days", "noise_z")

    def has_add_permission(self, request) -> bool:
        return not WatchSettings.objects.exists()  # one row


@admin.register(AnomalyReason)
class AnomalyReasonAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "churn", "order", "is_active")
    list_editable = ("churn", "order", "is_active")


@admin.register(UsageAnomaly)
class UsageAnomalyAdmin(SimpleHistoryAdmin):
    list_display = ("customer", "kind", "status", "started_on", "detected_on", "reason")
    list_filter = ("kind", "status")
    search_fields = ("customer__number", "customer__name")
    raw_id_fields = ("customer", "task")
    readonly_fields = [f.name for f in UsageAnomaly._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
