from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ConsumptionSettings, IngestBatch


@admin.register(ConsumptionSettings)
class ConsumptionSettingsAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "capacity_factor")

    def has_add_permission(self, request) -> bool:
        return not ConsumptionSettings.objects.exists()  # one row


@admin.register(IngestBatch)
class IngestBatchAdmin(SimpleHistoryAdmin):
    """The ingest audit records, read-only."""

    list_display = ("created_at", "created_by", "layout", "filename", "status", "total_rows", "values_written",
                    "error_count")
    list_filter = ("status", "layout")
    search_fields = ("filename", "created_by__username")
    readonly_fields = [f.name for f in IngestBatch._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
