"""Admin: administrators edit the payment-behaviour levels and the characteristic-grade
thresholds (every change is in the history); assessments and ratings are read-only here —
they change only through the credit pages and services."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import BehaviourLevel, BehaviourRating, CharacteristicGrade, CreditAssessment


@admin.register(BehaviourLevel)
class BehaviourLevelAdmin(SimpleHistoryAdmin):
    list_display = ("rank", "code", "name", "min_on_time_rate", "max_days_overdue", "max_arrears", "is_low")
    list_editable = ("min_on_time_rate", "max_days_overdue", "max_arrears", "is_low")
    ordering = ("rank",)


@admin.register(CharacteristicGrade)
class CharacteristicGradeAdmin(SimpleHistoryAdmin):
    list_display = ("grade", "min_percent", "description")
    list_editable = ("min_percent", "description")
    ordering = ("grade",)


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CreditAssessment)
class CreditAssessmentAdmin(ReadOnlyAdmin):
    list_display = ("customer", "assessed_on", "code", "credit_limit", "status", "prepared_by", "approved_by")
    list_filter = ("status", "limit_tier", "grade")
    search_fields = ("customer__name", "customer__number", "code")
    raw_id_fields = ("customer",)


@admin.register(BehaviourRating)
class BehaviourRatingAdmin(admin.ModelAdmin):
    list_display = ("customer", "level", "since", "rated_on", "on_time_rate", "max_days_overdue", "arrears", "is_current")
    list_filter = ("is_current", "level")
    search_fields = ("customer__name", "customer__number")
    raw_id_fields = ("customer",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
