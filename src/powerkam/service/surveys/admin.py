from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import SurveyInvitation, SurveyResponse


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(SimpleHistoryAdmin):
    list_display = ("sent_at", "kind", "customer", "channel", "address", "status", "expires_at", "answered_at")
    list_filter = ("kind", "channel", "status")
    search_fields = ("customer__name", "customer__number", "address")
    raw_id_fields = ("customer", "contact", "created_by")
    readonly_fields = ("token_hash",)
    date_hierarchy = "sent_at"


@admin.register(SurveyResponse)
class SurveyResponseAdmin(SimpleHistoryAdmin):
    list_display = ("answered_at", "kind", "customer", "overall", "manager", "org_unit", "exit_reason")
    list_filter = ("kind", "overall", "exit_reason")
    search_fields = ("customer__name", "customer__number", "comment")
    raw_id_fields = ("invitation", "customer", "manager", "org_unit")
    date_hierarchy = "answered_at"
