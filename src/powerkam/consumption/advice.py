"""Usage advice (增值服务, seed 003 篇5/篇8; issue #14 item 4): from a customer's last 12 months of
daily aggregates, three figures for an advice letter, each computed with the billing calculator:

1. basic charge by capacity vs by maximum demand, month by month (the calculator's comparison,
   including 发改办价格〔2016〕1583号 and the 260 kWh/kVA rule of 发改价格〔2023〕526号), with the
   declared demand set to the month's own maximum demand (what the customer would declare);
2. yuan saved per 1 % of the year's energy shifted from the peak period to the valley period
   (0.01 × annual kWh × (peak price − valley price), at each month's tariff version);
3. power-factor correction: the kvar of compensation needed to bring the year's average power factor
   up to the customer's standard, Q = P·(tanφ₁ − tanφ₂) with P the year's highest maximum demand
   (the bank must hold the PF at the heaviest load), and the yuan the 1983 adjustment tables
   (功率因数调整电费办法) would have saved: each month billed at its measured PF, and again at the
   standard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Max, Q, Sum
from django.utils import timezone

from powerkam.billing import constants as bc
from powerkam.billing.calculator import Load, calculate, money
from powerkam.billing.services import spec_from_tariff, tariff_in_force

from .models import DailyAggregate

MONTHS = 12
KVAR = Decimal("0.1")


def kvar_needed(p_kw: Decimal, pf_now: Decimal, pf_target: Decimal) -> Decimal:
    """Q = P·(tanφ₁ − tanφ₂): the compensation raising the power factor of load P from pf_now to
    pf_target (0 when already there)."""
    if pf_now >= pf_target or p_kw <= 0 or pf_now <= 0:
        return Decimal("0.0")
    tan1 = math.tan(math.acos(float(pf_now)))
    tan2 = math.tan(math.acos(float(pf_target)))
    return Decimal(repr(float(p_kw) * (tan1 - tan2))).quantize(KVAR, rounding=ROUND_HALF_UP)


@dataclass
class MonthFigures:
    month: date
    kwh: Decimal
    kwh_by_period: dict[str, Decimal]
    kvarh: Decimal | None
    max_demand_kw: Decimal | None
    power_factor: Decimal | None
    capacity_charge: Decimal | None = None
    demand_charge: Decimal | None = None
    high_use: bool = False
    shift_yuan: Decimal | None = None
    kwh_split: Decimal | None = None  # the kWh of the days whose TOU split is known (None: all of them)
    pf_adjustment_now: Decimal | None = None
    pf_adjustment_at_standard: Decimal | None = None


@dataclass
class Advice:
    customer: object
    months: list[MonthFigures] = field(default_factory=list)
    capacity_total: Decimal | None = None
    demand_total: Decimal | None = None
    cheaper: str | None = None  # "capacity" | "demand" | "equal"
    basic_saving: Decimal | None = None
    shift_yuan_per_percent: Decimal | None = None
    peak_share: Decimal | None = None
    valley_share: Decimal | None = None
    pf_now: Decimal | None = None
    pf_standard: Decimal | None = None
    pf_p_kw: Decimal | None = None
    kvar: Decimal | None = None
    pf_yuan_saved: Decimal | None = None
    kwh_total: Decimal = Decimal("0")
    split_incomplete_months: int = 0  # months with days of daily readings without period registers
    notes: list[str] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return bool(self.months)


def _months_back(today: date, n: int) -> tuple[date, date]:
    """The n whole months before today's month: (first day, first day of today's month)."""
    end = today.replace(day=1)
    y, m = divmod(end.year * 12 + end.month - 1 - n, 12)
    return date(y, m + 1, 1), end


def has_advice_data(customer_id: int, today: date | None = None) -> bool:
    """Whether the advice letter has figures for this customer: a daily aggregate in the last 12
    whole months, the months `usage_advice` reads (one EXISTS query)."""
    first, end = _months_back(today or timezone.localdate(), MONTHS)
    return DailyAggregate.objects.filter(customer_id=customer_id, day__gte=first, day__lt=end).exists()


def monthly_totals(customer_id: int, first: date, end: date) -> list[MonthFigures]:
    """The customer's months from its daily aggregates (one query)."""
    from django.db.models.functions import TruncMonth

    rows = (DailyAggregate.objects.filter(customer_id=customer_id, day__gte=first, day__lt=end)
            .annotate(month=TruncMonth("day")).values("month")
            .annotate(kwh=Sum("kwh_total"), sharp=Sum("kwh_sharp"), peak=Sum("kwh_peak"), flat=Sum("kwh_flat"),
                      valley=Sum("kwh_valley"), kvarh=Sum("kvarh"), max_kw=Max("max_demand_kw"),
                      kwh_split=Sum("kwh_total", filter=Q(kwh_valley__isnull=False)))
            .order_by("month"))
    out = []
    for r in rows:
        month = r["month"].date() if hasattr(r["month"], "date") else r["month"]
        kwh = Decimal(r["kwh"] or 0)
        kvarh = None if r["kvarh"] is None else Decimal(r["kvarh"])
        pf = None
        if kvarh is not None and kwh > 0:
            pf = Decimal(repr(float(kwh) / math.hypot(float(kwh), float(kvarh)))).quantize(bc.PF_PLACES,
                                                                                       rounding=ROUND_HALF_UP)
        out.append(MonthFigures(
            month=month, kwh=kwh,
            kwh_by_period={"sharp": Decimal(r["sharp"] or 0), "peak": Decimal(r["peak"] or 0),
                           "flat": Decimal(r["flat"] or 0), "valley": Decimal(r["valley"] or 0)},
            kvarh=kvarh, max_demand_kw=None if r["max_kw"] is None else Decimal(r["max_kw"]), power_factor=pf,
            kwh_split=Decimal(r["kwh_split"] or 0)))
    return out


def usage_advice(customer, today: date | None = None) -> Advice:
    """The advice figures of one customer's last 12 whole months."""
    today = today or timezone.localdate()
    first, end = _months_back(today, MONTHS)
    advice = Advice(customer=customer, months=monthly_totals(customer.pk, first, end))
    if not advice.months:
        return advice
    capacity = customer.contract_capacity_kva or customer.operating_capacity_kva or None
    standard = customer.pf_standard if customer.pf_standard in bc.PF_STANDARDS else None
    advice.pf_standard = Decimal(standard) if standard else None
    cap_sum = dem_sum = shift_sum = pf_now_sum = Decimal("0")
    comparable = True
    for mf in advice.months:
        advice.kwh_total += mf.kwh
        try:
            tariff = spec_from_tariff(tariff_in_force(customer.tariff_code, mf.month))
        except ValidationError:  # no tariff in force: the month gives kWh figures only
            comparable = False
            continue
        # the month's energy by period only when every day's split is known; a month with days of
        # daily readings without period registers is not billed on a partial split
        split_complete = mf.kwh_split is None or mf.kwh_split == mf.kwh
        if not split_complete:
            advice.split_incomplete_months += 1
        tou = tariff.is_tou and split_complete and any(mf.kwh_by_period.values())
        kwh = {p: v for p, v in mf.kwh_by_period.items() if v} if tou else {}
        load = Load(kwh=kwh, kwh_total=None if tou else mf.kwh, kvarh=mf.kvarh,
                    max_demand_kw=mf.max_demand_kw, declared_demand_kw=mf.max_demand_kw, capacity_kva=capacity,
                    pf_standard=standard or "none", basic_method=customer.basic_charge_method
                    if customer.basic_charge_method in (bc.BasicMethod.CAPACITY, bc.BasicMethod.DEMAND)
                    else bc.BasicMethod.CAPACITY)
        if tariff.two_part and load.basic_method == bc.BasicMethod.DEMAND and load.max_demand_kw is None:
            load.basic_method = bc.BasicMethod.CAPACITY
        try:
            result = calculate(tariff, load)
        except ValidationError:  # a month the calculator refuses (missing prices) is skipped
            comparable = False
            continue
        if result.comparison is not None:
            mf.capacity_charge = result.comparison.capacity_charge
            mf.demand_charge = result.comparison.demand_charge
            mf.high_use = bool(capacity) and mf.kwh >= bc.DEMAND_HIGH_USE_KWH_PER_KVA * capacity
            cap_sum += mf.capacity_charge
            dem_sum += mf.demand_charge
        else:
            comparable = False
        peak_price, valley_price = tariff.prices.get("peak"), tariff.prices.get("valley")
        if peak_price is not None and valley_price is not None:
            mf.shift_yuan = mf.kwh * Decimal("0.01") * (peak_price - valley_price)
            shift_sum += mf.shift_yuan
        if standard and mf.power_factor is not None:
            mf.pf_adjustment_now = result.pf_adjustment_amount
            at_standard = calculate(tariff, Load(**{**load.__dict__, "kvarh": None,
                                                    "power_factor": advice.pf_standard}))
            mf.pf_adjustment_at_standard = at_standard.pf_adjustment_amount
            # a month already at or above the standard saves nothing more (its reduction is kept)
            pf_now_sum += max(mf.pf_adjustment_now - mf.pf_adjustment_at_standard, Decimal("0"))
    if comparable and cap_sum and dem_sum:
        advice.capacity_total, advice.demand_total = money(cap_sum), money(dem_sum)
        diff = cap_sum - dem_sum
        advice.cheaper = "equal" if diff == 0 else ("demand" if diff > 0 else "capacity")
        advice.basic_saving = money(abs(diff))
    if shift_sum:
        advice.shift_yuan_per_percent = money(shift_sum)
    total = advice.kwh_total
    # the shares over the days whose TOU split is known
    split_total = sum((m.kwh if m.kwh_split is None else m.kwh_split for m in advice.months), Decimal("0"))
    if split_total:
        advice.peak_share = (sum((m.kwh_by_period["sharp"] + m.kwh_by_period["peak"] for m in advice.months),
                                 Decimal("0")) / split_total).quantize(Decimal("0.001"))
        advice.valley_share = (sum((m.kwh_by_period["valley"] for m in advice.months), Decimal("0"))
                               / split_total).quantize(Decimal("0.001"))
    kvarh_total = sum((m.kvarh for m in advice.months if m.kvarh is not None), Decimal("0"))
    if total and kvarh_total:
        advice.pf_now = Decimal(repr(float(total) / math.hypot(float(total), float(kvarh_total)))).quantize(
            bc.PF_PLACES, rounding=ROUND_HALF_UP)
    demands = [m.max_demand_kw for m in advice.months if m.max_demand_kw is not None]
    if demands:
        advice.pf_p_kw = max(demands)
    if advice.pf_now is not None and advice.pf_standard is not None and advice.pf_p_kw is not None:
        advice.kvar = kvar_needed(advice.pf_p_kw, advice.pf_now, advice.pf_standard)
        advice.pf_yuan_saved = money(pf_now_sum)
    return advice
