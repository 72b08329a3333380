"""Admin: the timing table and the one-time notice list are edited here (rules as data);
projects are read-only (every change goes through projects.services)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import DocumentRequirement, Project, StageRecord, TimingRule


@admin.register(TimingRule)
class TimingRuleAdmin(SimpleHistoryAdmin):
    list_display = ["application_type", "voltage_level", "supply_mode", "green_channel", "stage", "workdays",
                    "warn_percent"]
    list_editable = ["workdays", "warn_percent"]
    list_filter = ["application_type", "voltage_level", "supply_mode", "green_channel", "stage"]


@admin.register(DocumentRequirement)
class DocumentRequirementAdmin(SimpleHistoryAdmin):
    list_display = ["name", "application_types", "applicant_type", "voltage_group", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["applicant_type", "voltage_group", "is_active"]


class StageInline(admin.TabularInline):
    model = StageRecord
    extra = 0
    can_delete = False
    fields = ["stage", "side", "owner", "started_on", "ended_on", "limit_workdays", "paused_workdays", "deadline",
              "deadline_provisional", "warned", "escalation_level", "grid_workdays", "customer_workdays",
              "within_commitment"]
    readonly_fields = fields


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["number", "application_type", "applicant_name", "voltage_level", "status", "stage", "due_on",
                    "tracker", "green_channel"]
    list_filter = ["application_type", "status", "stage", "voltage_level", "green_channel"]
    search_fields = ["number", "applicant_name", "customer__number", "customer__name", "legacy_number"]
    raw_id_fields = ["customer", "first_contact_owner", "tracker", "created_by", "current_stage", "org_unit"]
    readonly_fields = ["first_contact_owner", "current_stage", "stage", "status", "due_on", "due_provisional",
                       "escalation_level", "grid_workdays", "customer_workdays"]
    inlines = [StageInline]

    def has_add_permission(self, request) -> bool:  # intake is a service (numbering, checklist, tasks)
        return False
