from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Assessment, ScoringModel, ScoringRun


@admin.register(ScoringModel)
class ScoringModelAdmin(SimpleHistoryAdmin):
    """Read here; models are edited, tried out and published on the scoring pages (/scoring/),
    which validate them."""

    list_display = ["version", "name", "status", "key_account_cutoff", "medium_cutoff", "premium_cutoff",
                    "published_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    list_display = ["period", "model", "started_at", "finished_at", "customers", "proposals"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["customer", "assessed_on", "assessed_by", *["industry_influence", "cooperation_intent"]]
    raw_id_fields = ["customer", "assessed_by"]
