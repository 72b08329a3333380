"""Admin UI to manage org units and staff (roles, org units), with their history."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import OrgUnit, Staff, TwoStepRule


@admin.register(OrgUnit)
class OrgUnitAdmin(SimpleHistoryAdmin):
    list_display = ("indented_name", "code", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    autocomplete_fields = ("parent",)
    ordering = ("path",)

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj: OrgUnit) -> str:
        return "\u3000" * max(obj.depth, 0) + obj.name


@admin.register(Staff)
class StaffAdmin(SimpleHistoryAdmin, UserAdmin):
    list_display = ("username", "full_name", "role", "org_unit", "employee_no", "is_active", "is_staff", "two_step_on")
    list_filter = ("role", "is_active", "is_staff", "is_superuser", "org_unit")
    search_fields = ("username", "full_name", "employee_no", "phone", "email")
    autocomplete_fields = ("org_unit",)
    list_select_related = ("org_unit",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "first_name", "last_name", "employee_no", "email", "phone")}),
        (_("Role and org unit"), {"fields": ("role", "org_unit")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "role", "org_unit", "usable_password", "password1", "password2")}),
    )


@admin.register(TwoStepRule)
class TwoStepRuleAdmin(SimpleHistoryAdmin):
    """Which roles must use two-step login, and the grace period they get (issue #9 item 1)."""

    list_display = ("audience", "grace_days", "since")
