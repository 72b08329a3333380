from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import SlaRule, Ticket, TicketStage


@admin.register(SlaRule)
class SlaRuleAdmin(SimpleHistoryAdmin):
    """The SLA table: administrators edit limits, units and escalation thresholds here."""

    list_display = ["ticket_type", "stage", "limit", "unit", "warn_percent", "company_margin"]
    list_editable = ["limit", "unit", "warn_percent", "company_margin"]
    list_filter = ["ticket_type", "unit"]


class StageInline(admin.TabularInline):
    model = TicketStage
    extra = 0
    can_delete = False
    fields = ["stage", "round", "owner", "started_at", "due_at", "escalation_level", "completed_at", "result_note",
              "outcome", "sla_met"]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(SimpleHistoryAdmin):
    list_display = ["number", "ticket_type", "customer", "status", "stage", "first_contact_owner", "assignee",
                    "created_at"]
    list_filter = ["ticket_type", "status", "stage", "channel"]
    search_fields = ["number", "subject", "customer__name", "customer__number"]
    raw_id_fields = ["customer", "contact", "about_staff", "first_contact_owner", "assignee", "created_by"]
    readonly_fields = ["first_contact_owner", "current_stage", "created_month"]
    inlines = [StageInline]
