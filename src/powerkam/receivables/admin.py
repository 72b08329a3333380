"""Admin: read-only views with history. Money moves only through the services (payment entry,
reversal, refund, waiver) so that allocations, bills and the audit trail stay consistent."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    BadCreditRecord,
    BlacklistEntry,
    CollectionNotice,
    Extension,
    LadderStep,
    LateFee,
    Payment,
    PaymentAllocation,
    Refund,
    StopSupplyCase,
)


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AllocationInline(admin.TabularInline):
    model = PaymentAllocation
    extra = 0
    can_delete = False
    readonly_fields = ("bill", "amount", "received_on", "is_reversed")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "received_on", "channel", "amount", "allocated_amount", "status")
    list_filter = ("channel", "status", "is_advance")
    search_fields = ("number", "reference", "payer", "customer__name", "customer__number")
    date_hierarchy = "received_on"
    raw_id_fields = ("customer",)
    inlines = [AllocationInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("payment", "amount", "refunded_on", "reason")


@admin.register(LateFee)
class LateFeeAdmin(ReadOnlyAdmin):
    list_display = ("bill", "customer", "as_of", "days", "amount", "status", "waived_by")
    list_filter = ("status",)
    search_fields = ("bill__number", "customer__name")


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ("bill", "customer", "requested_on", "new_due_on", "status", "decided_by")
    list_filter = ("status",)


@admin.register(LadderStep)
class LadderStepAdmin(ReadOnlyAdmin):
    list_display = ("bill", "customer", "step", "reached_on", "due_on")
    list_filter = ("step",)


@admin.register(BadCreditRecord)
class BadCreditRecordAdmin(ReadOnlyAdmin):
    list_display = ("customer", "bill", "recorded_on", "amount_overdue")


@admin.register(CollectionNotice)
class CollectionNoticeAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "bill", "issued_on", "amount_overdue", "pay_by")
    search_fields = ("number", "customer__name")


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(ReadOnlyAdmin):
    list_display = ("customer", "bill", "listed_on", "units_notified", "lifted_on")


@admin.register(StopSupplyCase)
class StopSupplyCaseAdmin(ReadOnlyAdmin):
    list_display = ("customer", "bill", "status", "opened_on", "scheduled_stop_at", "stopped_at", "restored_at")
    list_filter = ("status",)
