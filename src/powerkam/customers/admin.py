"""Admin for the grid references (substations, supply lines) and the customer archive.

Day-to-day archive work goes through the customer pages (services, timeline, quality rules);
the admin is the administrators' tool, and every change it makes is in the history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Contact,
    Customer,
    DataQualityFinding,
    MeteringPoint,
    Substation,
    SupplyContract,
    SupplyLine,
    SupplyPoint,
    Transformer,
)


class SupplyLineInline(admin.TabularInline):
    model = SupplyLine
    extra = 0


@admin.register(Substation)
class SubstationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "voltage_level", "org_unit")
    list_filter = ("voltage_level",)
    search_fields = ("name",)
    autocomplete_fields = ("org_unit",)
    inlines = [SupplyLineInline]


@admin.register(SupplyLine)
class SupplyLineAdmin(SimpleHistoryAdmin):
    list_display = ("name", "substation", "voltage_level")
    list_filter = ("voltage_level", "substation")
    search_fields = ("name", "substation__name")
    list_select_related = ("substation",)
    autocomplete_fields = ("substation",)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class SupplyPointInline(admin.TabularInline):
    model = SupplyPoint
    extra = 0
    autocomplete_fields = ("substation", "supply_line")


class TransformerInline(admin.TabularInline):
    model = Transformer
    extra = 0


class MeteringPointInline(admin.TabularInline):
    model = MeteringPoint
    extra = 0


class SupplyContractInline(admin.TabularInline):
    model = SupplyContract
    extra = 0


class FindingInline(admin.TabularInline):
    model = DataQualityFinding
    extra = 0
    can_delete = False
    fields = ("rule", "status", "params", "detected_at", "resolved_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ("number", "name", "org_unit", "lifecycle_status", "is_key_account", "ka_tier",
                    "primary_manager", "contract_capacity_kva")
    list_filter = ("lifecycle_status", "is_key_account", "ka_tier", "usage_category", "voltage_level", "org_unit")
    search_fields = ("number", "name", "credit_code")
    list_select_related = ("org_unit", "primary_manager")
    autocomplete_fields = ("org_unit", "primary_manager", "secondary_manager", "developed_by")
    readonly_fields = ("created_at", "updated_at")
    inlines = [ContactInline, SupplyPointInline, TransformerInline, MeteringPointInline,
               SupplyContractInline, FindingInline]
