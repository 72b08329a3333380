from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Outage, OutageDelivery, OutageNotice


@admin.register(Outage)
class OutageAdmin(SimpleHistoryAdmin):
    list_display = ("number", "kind", "status", "substation", "starts_at", "ends_at", "notified_at")
    list_filter = ("kind", "status")
    search_fields = ("number", "reason", "substation__name")
    raw_id_fields = ("substation", "org_unit", "created_by", "notified_by", "late_override_by")
    filter_horizontal = ("supply_lines",)
    date_hierarchy = "starts_at"


class DeliveryInline(admin.TabularInline):
    model = OutageDelivery
    extra = 0
    raw_id_fields = ("customer", "contact")


@admin.register(OutageNotice)
class OutageNoticeAdmin(SimpleHistoryAdmin):
    list_display = ("outage", "customer", "is_key_account", "missed_reason", "acknowledged_at", "ack_method")
    list_filter = ("missed_reason", "ack_method", "is_key_account")
    search_fields = ("customer__name", "customer__number", "outage__number")
    raw_id_fields = ("outage", "customer", "acknowledged_by", "call_task")
    readonly_fields = ("ack_token_hash",)
    inlines = [DeliveryInline]
