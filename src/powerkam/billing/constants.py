"""Billing rules with numbers, each with its source. The code reads these; nothing inline.

Power-factor adjustment: 《功率因数调整电费办法》 (水利电力部、国家物价局 (83)水电财字第215号, 1983).
Demand billing: 国家发展改革委办公厅《关于完善两部制电价用户基本电价执行方式的通知》
(发改办价格〔2016〕1583号), item 3.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")
PF_PLACES = Decimal("0.01")  # 1983 rules: 功率因数计算取小数后两位, 以后四舍五入

# Days from issue to due date (the bill's payment term) and the issue day within the month
# after the billed month.
DUE_DAYS_AFTER_ISSUE = 15
ISSUE_DAY_OF_MONTH = 5


class TariffCategory(models.TextChoices):
    TWO_PART = "two_part", _("Two-part")
    SINGLE_PART = "single_part", _("Single-part")


class TouPeriod(models.TextChoices):
    SHARP = "sharp", _("Sharp peak")
    PEAK = "peak", _("Peak")
    FLAT = "flat", _("Flat")
    VALLEY = "valley", _("Valley")


TOU_PERIODS = (TouPeriod.SHARP, TouPeriod.PEAK, TouPeriod.FLAT, TouPeriod.VALLEY)


class BasicMethod(models.TextChoices):
    CAPACITY = "capacity", _("By capacity")
    DEMAND = "demand", _("By maximum demand")


PF_STANDARDS = ("0.90", "0.85", "0.80")

# --- Demand billing (发改办价格〔2016〕1583号, 三): -----------------------------------------------
# "如果用户实际最大需量超过合同确定值105%时，超过105%部分的基本电费加一倍收取；未超过合同确定值
# 105%的，按合同确定值收取；申请最大需量核定值低于变压器容量和高压电动机容量总和的40%时，按容量
# 总和的40%核定合同最大需量".
DEMAND_TOLERANCE = Decimal("1.05")
DEMAND_EXCESS_MULTIPLIER = Decimal("2")
DEMAND_MIN_SHARE_OF_CAPACITY = Decimal("0.40")

# 发改价格〔2023〕526号 (第三监管周期省级电网输配电价) 四: "执行需量电价的用户，每月每千伏安用电量达到
# 260千瓦时及以上的，当月需量电价按本通知核定标准90%执行" — a demand-billed user whose month's kWh per
# kVA of capacity reaches 260 pays 90 % of the demand price that month.
DEMAND_HIGH_USE_KWH_PER_KVA = Decimal("260")
DEMAND_HIGH_USE_PRICE_SHARE = Decimal("0.9")


# --- Power-factor adjustment tables (功率因数调整电费办法, 附表 1–3) ----------------------------
# Percent of (basic charge + energy charge); negative = reduction (减收), positive = increase.
# Each table lists every PF the rules print; below the last printed PF each further 0.01 adds
# 2 % ("功率因数自0.64(0.59, 0.54)及以下，每降低0.01电费增加2%"); above the top printed PF the
# reduction stays at the last value ("0.95～1.00" etc.).

def _table(top_reduction: dict[str, str], increases_half: tuple[str, str], increases_one: tuple[str, str],
           two_from: str) -> dict:
    """Build one table from its printed segments (all percents as Decimal)."""
    rows: dict[Decimal, Decimal] = {}
    for pf, pct in top_reduction.items():
        rows[Decimal(pf)] = -Decimal(pct)
    # 0.5 % per 0.01 from (standard - 0.01) down to increases_half[1]
    hi, lo = Decimal(increases_half[0]), Decimal(increases_half[1])
    pct = Decimal("0")
    pf = hi
    while pf >= lo:
        pct += Decimal("0.5")
        rows[pf] = pct
        pf -= PF_PLACES
    hi, lo = Decimal(increases_one[0]), Decimal(increases_one[1])
    pf = hi
    while pf >= lo:
        pct += Decimal("1")
        rows[pf] = pct
        pf -= PF_PLACES
    return {"rows": rows, "two_percent_from": Decimal(two_from)}


PF_TABLES: dict[str, dict] = {
    # 表一 以0.90为标准值: 减收 0.91 0.15 … 0.94 0.60, 0.95～1.00 0.75;
    # 增收 0.89 0.5 … 0.70 10.0; 0.69 11 … 0.65 15; 0.64 及以下每降低0.01 增加2%.
    "0.90": _table(
        {"0.90": "0.00", "0.91": "0.15", "0.92": "0.30", "0.93": "0.45", "0.94": "0.60",
         "0.95": "0.75", "0.96": "0.75", "0.97": "0.75", "0.98": "0.75", "0.99": "0.75", "1.00": "0.75"},
        ("0.89", "0.70"), ("0.69", "0.65"), "0.64"),
    # 表二 以0.85为标准值: 减收 0.86 0.1 … 0.90 0.5, 0.91 0.65, 0.92 0.80, 0.93 0.95, 0.94～1.00 1.10;
    # 增收 0.84 0.5 … 0.65 10.0; 0.64 11 … 0.60 15; 0.59 及以下每降低0.01 增加2%.
    "0.85": _table(
        {"0.85": "0.0", "0.86": "0.1", "0.87": "0.2", "0.88": "0.3", "0.89": "0.4", "0.90": "0.5",
         "0.91": "0.65", "0.92": "0.80", "0.93": "0.95", "0.94": "1.10", "0.95": "1.10", "0.96": "1.10",
         "0.97": "1.10", "0.98": "1.10", "0.99": "1.10", "1.00": "1.10"},
        ("0.84", "0.65"), ("0.64", "0.60"), "0.59"),
    # 表三 以0.80为标准值: 减收 0.81 0.1 … 0.90 1.0, 0.91 1.15, 0.92～1.00 1.30;
    # 增收 0.79 0.5 … 0.60 10.0; 0.59 11 … 0.55 15; 0.54 及以下每降低0.01 增加2%.
    "0.80": _table(
        {"0.80": "0.0", "0.81": "0.1", "0.82": "0.2", "0.83": "0.3", "0.84": "0.4", "0.85": "0.5",
         "0.86": "0.6", "0.87": "0.7", "0.88": "0.8", "0.89": "0.9", "0.90": "1.0", "0.91": "1.15",
         "0.92": "1.30", "0.93": "1.30", "0.94": "1.30", "0.95": "1.30", "0.96": "1.30", "0.97": "1.30",
         "0.98": "1.30", "0.99": "1.30", "1.00": "1.30"},
        ("0.79", "0.60"), ("0.59", "0.55"), "0.54"),
}


def pf_adjustment_percent(standard: str, power_factor: Decimal) -> Decimal:
    """The table's percent (+ increase, − reduction) for a PF already rounded to 2 places."""
    table = PF_TABLES[standard]
    rows = table["rows"]
    if power_factor in rows:
        return rows[power_factor]
    two_from = table["two_percent_from"]
    if power_factor <= two_from:
        # last printed increase (at two_from + 0.01) plus 2 % for every 0.01 below it
        base = rows[two_from + PF_PLACES]
        steps = (two_from + PF_PLACES - power_factor) / PF_PLACES
        return base + 2 * steps
    raise ValueError(f"power factor {power_factor} outside 0.00–1.00")
