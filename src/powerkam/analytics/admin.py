from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import PurchaseCost


@admin.register(PurchaseCost)
class PurchaseCostAdmin(SimpleHistoryAdmin):
    list_display = ("voltage_level", "cost_per_kwh", "source")
