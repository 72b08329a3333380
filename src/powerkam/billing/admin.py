"""Administrators edit the tariff catalogue here (every change is in the history)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Bill,
    BillingRun,
    BillLine,
    MeterReading,
    Tariff,
    TariffSurcharge,
    TariffTimeBand,
)


class TariffSurchargeInline(admin.TabularInline):
    model = TariffSurcharge
    extra = 0


class TariffTimeBandInline(admin.TabularInline):
    model = TariffTimeBand
    extra = 0


@admin.register(Tariff)
class TariffAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "category", "voltage_band", "effective_from", "effective_to", "is_tou")
    list_filter = ("category", "is_tou", "usage_category")
    search_fields = ("code", "name")
    inlines = [TariffSurchargeInline, TariffTimeBandInline]
    save_as = True  # "save as new" starts the next version of a tariff


class BillLineInline(admin.TabularInline):
    model = BillLine
    extra = 0


@admin.register(Bill)
class BillAdmin(SimpleHistoryAdmin):
    list_display = ("number", "customer", "period", "total", "paid_amount", "status", "source")
    list_filter = ("status", "source", "period")
    search_fields = ("number", "customer__number", "customer__name")
    raw_id_fields = ("customer", "created_by")
    inlines = [BillLineInline]


@admin.register(MeterReading)
class MeterReadingAdmin(SimpleHistoryAdmin):
    list_display = ("customer", "period", "kwh_peak", "kwh_flat", "kwh_valley", "kvarh", "max_demand_kw")
    list_filter = ("period",)
    search_fields = ("customer__number", "customer__name")
    raw_id_fields = ("customer",)


@admin.register(BillingRun)
class BillingRunAdmin(admin.ModelAdmin):
    list_display = ("period", "status", "total", "created", "skipped", "started_at", "created_by")
    readonly_fields = ("errors",)
