"""Consumption rules with numbers, each with its source. The code reads these; nothing inline."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

# 用电信息采集系统 load curves: 96 points a day, each the interval ENDING at 00:15 … 24:00.
INTERVAL_MINUTES = 15
SLOTS_PER_DAY = 96
INTERVAL_HOURS = Decimal("0.25")

# Values beyond contract capacity (kVA, taken as kW at PF 1) × this factor are flagged as implausible.
DEFAULT_CAPACITY_FACTOR = Decimal("1.20")
# Daily TOU registers (日冻结 正向有功总、尖、峰、平、谷): the total register of an electronic meter is
# the sum of its period registers but for each register's display rounding (two decimals: ±0.005 on
# each of five registers, at both ends of the day). A day's period kWh may differ from its total kWh by
# the larger of this share of the total and this many raw register units × the multiplier; beyond
# that the row is refused (a period column missing or mixed up).
TOU_SUM_TOLERANCE_SHARE = Decimal("0.01")
TOU_SUM_TOLERANCE_UNITS = Decimal("0.1")
# Months of interval partitions created ahead of the current month (PostgreSQL).
PARTITION_MONTHS_AHEAD = 3

# 发改价格〔2023〕526号 (关于第三监管周期省级电网输配电价及有关事项的通知) 四(二): a demand-billed
# user whose monthly kWh per kVA of capacity reaches 260 pays the demand price × 90 %.
DEMAND_HIGH_UTILISATION_KWH_PER_KVA = Decimal("260")
DEMAND_HIGH_UTILISATION_FACTOR = Decimal("0.9")


class Layout(models.TextChoices):
    WIDE = "wide", _("Load curve, wide (one row per meter and day, 96 columns)")
    LONG = "long", _("Load curve, long (timestamp and value)")
    DAILY = "daily", _("Daily readings (register or daily kWh)")
    API = "api", _("API batch")


class Quantity(models.TextChoices):
    """What the 96 values of a load-curve file are."""
    POWER_KW = "kw", _("Average power (kW)")
    ENERGY_KWH = "kwh", _("Energy per interval (kWh)")


class AggregateSource(models.TextChoices):
    INTERVAL = "interval", _("15-minute curve")
    DAILY = "daily", _("Daily reading")
