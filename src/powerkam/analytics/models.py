"""Analysis settings: the purchase cost per kWh by voltage level (profit contribution)."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from powerkam.customers.constants import VoltageLevel


class PurchaseCost(models.Model):
    """What the company pays per kWh it sells at one voltage level (购电成本, incl. losses).

    The profit-contribution analysis reads this table; a level without a row falls back to
    analytics.constants.DEFAULT_PURCHASE_COST_PER_KWH."""

    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=VoltageLevel.choices, unique=True)
    cost_per_kwh = models.DecimalField(_("purchase cost (yuan/kWh)"), max_digits=10, decimal_places=6,
                                       validators=[MinValueValidator(Decimal("0"))])
    source = models.CharField(_("source of the figure"), max_length=200, blank=True,
                              help_text=_("Where the figure comes from, e.g. the purchase contract or the finance report."))
    history = HistoricalRecords()

    class Meta:
        ordering = ["voltage_level"]
        verbose_name = _("purchase cost")
        verbose_name_plural = _("purchase costs")
        constraints = [
            models.CheckConstraint(condition=models.Q(cost_per_kwh__gte=0), name="analytics_cost_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_voltage_level_display()}: {self.cost_per_kwh}"
