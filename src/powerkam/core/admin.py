from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Holiday, Task


@admin.register(Holiday)
class HolidayAdmin(SimpleHistoryAdmin):
    list_display = ["date", "is_workday", "name", "source"]
    list_filter = ["is_workday", "source"]
    date_hierarchy = "date"
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        obj.source = Holiday.Source.ADMIN  # an admin's entry survives re-seeding from the package
        super().save_model(request, obj, form, change)


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "assignee", "customer", "due_at", "status"]
    list_filter = ["kind", "status", "priority"]
    search_fields = ["title", "customer__name", "customer__number", "key"]
    raw_id_fields = ["assignee", "customer", "org_unit", "created_by", "closed_by"]
    readonly_fields = ["key", "created_at", "closed_at"]
