from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    CareRecord,
    MustVisitOccasion,
    Visit,
    VisitInterval,
    VisitPolicy,
    VisitReschedule,
)


@admin.register(VisitInterval)
class VisitIntervalAdmin(SimpleHistoryAdmin):
    list_display = ("category", "months")
    list_editable = ("months",)


@admin.register(VisitPolicy)
class VisitPolicyAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "first_visit_within_days", "escalate_after_days")

    def has_add_permission(self, request):
        return not VisitPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MustVisitOccasion)
class MustVisitOccasionAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "starts_on", "ends_on", "all_key_accounts")
    list_filter = ("kind",)
    filter_horizontal = ("org_units",)

    def save_related(self, request, form, formsets, change):
        """Plan the occasion's visits once its org units are saved (idempotent on every save)."""
        from django.utils import timezone

        from .services import materialize_occasion

        super().save_related(request, form, formsets, change)
        materialize_occasion(form.instance, today=timezone.localdate(), actor=request.user)


@admin.register(Visit)
class VisitAdmin(SimpleHistoryAdmin):
    list_display = ("customer", "assignee", "source", "due_on", "planned_on", "status", "done_on")
    list_filter = ("status", "source")
    search_fields = ("customer__name", "customer__number")
    raw_id_fields = ("customer", "assignee", "occasion", "participants", "contacts_met", "org_unit")
    date_hierarchy = "planned_on"


@admin.register(VisitReschedule)
class VisitRescheduleAdmin(admin.ModelAdmin):
    list_display = ("visit", "from_date", "to_date", "reason", "by", "at")
    raw_id_fields = ("visit",)


@admin.register(CareRecord)
class CareRecordAdmin(SimpleHistoryAdmin):
    list_display = ("customer", "kind", "occurred_on", "summary", "by")
    list_filter = ("kind",)
    raw_id_fields = ("customer", "contact")

