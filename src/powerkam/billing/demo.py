"""Demo data for billing: a provincial-style tariff catalogue (two versions: 2024–2025 and from
2026) and 24 months of itemised bills for every demo customer in supply, computed by the same
calculator as the billing run. Payments are left to the receivables demo (all bills OPEN).

Deterministic for a seed; fast (bulk inserts, lines through executemany)."""

from __future__ import annotations

import math
import random
import time as time_
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.utils import timezone

from . import constants as c
from .calculator import Load, Surcharge, TariffSpec, calculate
from .models import Bill, BillLine, MeterReading, Tariff, TariffSurcharge, TariffTimeBand
from .services import (
    LINE_COLUMNS,
    TIMELINE_KIND,
    bill_number,
    due_date_for,
    insert_rows,
    issue_date_for,
)

MONTHS = 24
VOLTAGES = ("0.4", "10", "20", "35", "110", "220")
VOLTAGE_BAND = {"0.4": "不满1千伏", "10": "1-10千伏", "20": "20千伏", "35": "35千伏", "110": "110千伏", "220": "220千伏及以上"}
# Flat-period price (yuan/kWh) by category and voltage, 2026 version; the 2024 version is 2 % higher.
FLAT = {
    "DGY": {"0.4": "0.6420", "10": "0.6210", "20": "0.6150", "35": "0.6040", "110": "0.5890", "220": "0.5790"},
    "GSY": {"0.4": "0.6730", "10": "0.6520", "20": "0.6460", "35": "0.6350", "110": "0.6200", "220": "0.6100"},
    "NY": {"0.4": "0.5090", "10": "0.4990", "20": "0.4950", "35": "0.4890", "110": "0.4890", "220": "0.4890"},
    "JM": {"0.4": "0.5283", "10": "0.5183", "20": "0.5183", "35": "0.5183", "110": "0.5183", "220": "0.5183"},
}
NAMES = {"DGY": "大工业用电（两部制分时）", "GSY": "一般工商业用电（单一制分时）", "NY": "农业生产用电", "JM": "居民生活用电"}
USAGE = {"DGY": "large_industry", "GSY": "general_commercial", "NY": "agriculture", "JM": "residential"}
# 峰谷分时: peak = flat × 1.7, valley = flat × 0.38, sharp = peak × 1.2 (the provincial TOU ratios).
PEAK_RATIO, VALLEY_RATIO, SHARP_RATIO = Decimal("1.7"), Decimal("0.38"), Decimal("1.2")
CAPACITY_PRICE = {"0.4": "26.00", "10": "25.60", "20": "25.00", "35": "24.00", "110": "23.00", "220": "22.00"}
DEMAND_PRICE = {"0.4": "38.40", "10": "38.40", "20": "37.50", "35": "36.00", "110": "34.50", "220": "33.00"}
FUNDS = {  # code, name, yuan/kWh; which categories pay it
    "water": ("国家重大水利工程建设基金", Decimal("0.00196875"), {"DGY", "GSY", "JM"}),
    "resettle": ("大中型水库移民后期扶持资金", Decimal("0.0062"), {"DGY", "GSY", "JM"}),
    "renewable": ("可再生能源电价附加", Decimal("0.019"), {"DGY", "GSY"}),
}
NON_SUMMER = "1,2,3,4,5,6,9,10,11,12"
BANDS = [  # season, months, period, start, end (end 00:00 = midnight)
    ("非夏季", NON_SUMMER, "valley", time(0), time(8)), ("非夏季", NON_SUMMER, "peak", time(8), time(11)),
    ("非夏季", NON_SUMMER, "flat", time(11), time(17)), ("非夏季", NON_SUMMER, "peak", time(17), time(22)),
    ("非夏季", NON_SUMMER, "flat", time(22), time(0)),
    ("夏季（7–8月）", "7,8", "valley", time(0), time(8)), ("夏季（7–8月）", "7,8", "peak", time(8), time(11)),
    ("夏季（7–8月）", "7,8", "flat", time(11), time(17)), ("夏季（7–8月）", "7,8", "peak", time(17), time(20)),
    ("夏季（7–8月）", "7,8", "sharp", time(20), time(22)), ("夏季（7–8月）", "7,8", "flat", time(22), time(0)),
]
VERSIONS = ((date(2024, 1, 1), date(2025, 12, 31), Decimal("1.02")), (date(2026, 1, 1), None, Decimal("1")))
P6 = Decimal("0.000001")


def _price(value: Decimal) -> Decimal:
    return value.quantize(P6, rounding=ROUND_HALF_UP)


def load_catalogue() -> int:
    """Create the catalogue once (idempotent by code + effective_from)."""
    if Tariff.objects.exists():
        return 0
    tariffs, funds, bands = [], [], []
    for prefix, by_voltage in FLAT.items():
        for v in VOLTAGES:
            for start, end, factor in VERSIONS:
                flat = _price(Decimal(by_voltage[v]) * factor)
                tou = prefix in ("DGY", "GSY")
                t = Tariff(
                    code=f"{prefix}-{v}", name=f"{NAMES[prefix]} {VOLTAGE_BAND[v]}",
                    category=c.TariffCategory.TWO_PART if prefix == "DGY" else c.TariffCategory.SINGLE_PART,
                    usage_category=USAGE[prefix], voltage_band=VOLTAGE_BAND[v], effective_from=start, effective_to=end,
                    is_tou=tou,
                    price_flat=flat if tou else None,
                    price_peak=_price(flat * PEAK_RATIO) if tou else None,
                    price_sharp=_price(flat * PEAK_RATIO * SHARP_RATIO) if tou else None,
                    price_valley=_price(flat * VALLEY_RATIO) if tou else None,
                    price_single=None if tou else flat,
                    capacity_price=Decimal(CAPACITY_PRICE[v]) if prefix == "DGY" else None,
                    demand_price=Decimal(DEMAND_PRICE[v]) if prefix == "DGY" else None,
                    notes="演示电价表（省级电网销售电价水平，仅供演示）",
                )
                tariffs.append(t)
    Tariff.objects.bulk_create(tariffs)
    for t in tariffs:
        prefix = t.code.split("-")[0]
        for i, (code, (name, price, payers)) in enumerate(FUNDS.items()):
            if prefix in payers:
                funds.append(TariffSurcharge(tariff=t, code=code, name=name, price=price, sort=i))
        if t.is_tou:
            bands.extend(TariffTimeBand(tariff=t, season=s, months=m, period=p, start=a, end=b) for s, m, p, a, b in BANDS)
    TariffSurcharge.objects.bulk_create(funds)
    TariffTimeBand.objects.bulk_create(bands)
    return len(tariffs)


def _spec(t: Tariff, funds: list[TariffSurcharge]) -> TariffSpec:
    return TariffSpec(
        code=t.code, name=t.name, category=t.category, is_tou=t.is_tou,
        prices={"sharp": t.price_sharp, "peak": t.price_peak, "flat": t.price_flat, "valley": t.price_valley},
        price_single=t.price_single, capacity_price=t.capacity_price, demand_price=t.demand_price,
        surcharges=tuple(Surcharge(f.code, f.name, f.price) for f in funds),
    )


def _months_back(today: date, n: int) -> list[date]:
    """The n months before today's month, oldest first."""
    y, m = today.year, today.month
    out = []
    for _ in range(n):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append(date(y, m, 1))
    return out[::-1]


def _d(x: float, places: str = "0.01") -> Decimal:
    return Decimal(repr(x)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def load_demo(*, seed: int = 1, today: date, log=None) -> dict:
    """Catalogue + 24 months of bills for every customer in supply (and closed ones before they
    closed) + the last month's meter readings. Idempotent: does nothing when bills exist."""
    from powerkam.customers.models import Customer

    log = log or (lambda msg: None)
    started = time_.perf_counter()
    created_tariffs = load_catalogue()
    if Bill.objects.exists():
        log("billing demo: bills exist, skipped")
        return {"tariffs": created_tariffs, "bills": 0, "lines": 0}
    rng = random.Random(seed * 7919 + 3)
    months = _months_back(today, MONTHS)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    catalogue: dict[tuple[str, date], TariffSpec] = {}
    tariffs = list(Tariff.objects.all())
    funds_by_tariff: dict[int, list[TariffSurcharge]] = {}
    for f in TariffSurcharge.objects.order_by("sort", "id"):
        funds_by_tariff.setdefault(f.tariff_id, []).append(f)
    for t in tariffs:
        spec = _spec(t, funds_by_tariff.get(t.pk, []))
        for m in months:
            if t.effective_from <= m and (t.effective_to is None or t.effective_to >= m):
                catalogue[(t.code, m)] = spec
    customers = list(Customer.objects.filter(lifecycle_status__in=("active", "suspended", "closed"))
                     .order_by("pk").values("pk", "number", "tariff_code", "contract_capacity_kva", "basic_charge_method",
                                            "pf_standard", "usage_category", "lifecycle_status", "closed_on"))
    bills: list[tuple] = []  # rows for billing_bill, in BILL_COLUMNS order
    line_rows: list[tuple] = []  # (bill index, item, label, quantity, unit, unit_price, amount, sort)
    readings: list[MeterReading] = []
    last = months[-1]
    zero = Decimal("0.00")
    for cu in customers:
        cap = float(cu["contract_capacity_kva"] or 0) or rng.choice((8.0, 10.0, 16.0))
        utilisation = rng.uniform(0.12, 0.42)
        pf_target = rng.choice((rng.uniform(0.80, 0.90), rng.uniform(0.88, 0.99), rng.uniform(0.90, 0.99)))
        tan_phi = math.tan(math.acos(pf_target))
        load_factor = rng.uniform(0.45, 0.75)
        typical_demand = cap * utilisation / load_factor
        declared = max(0.4 * cap, typical_demand * rng.uniform(0.9, 1.1))
        method = "demand" if cu["basic_charge_method"] == "demand" else "capacity"
        for m in months:
            if cu["lifecycle_status"] == "closed" and cu["closed_on"] and m > cu["closed_on"]:
                continue
            spec = catalogue.get((cu["tariff_code"], m))
            if spec is None:
                continue
            season = 1 - 0.18 * math.cos((m.month - 7.5) / 6 * math.pi)
            kwh = cap * utilisation * 730 * season * rng.uniform(0.9, 1.1)
            if cu["usage_category"] == "residential":
                kwh = rng.uniform(150, 600) * season
            kvarh = kwh * tan_phi * rng.uniform(0.9, 1.1)
            max_kw = min(cap, kwh / 730 / load_factor * rng.uniform(0.9, 1.15))
            if spec.is_tou:
                sharp = 0.06 if m.month in (7, 8) and spec.prices.get("sharp") else 0.0
                split = {"sharp": sharp, "peak": 0.32 - sharp, "flat": 0.36}
                split["valley"] = 1 - sum(split.values())
                kwh_periods = {p: _d(kwh * s, "1") for p, s in split.items() if s > 0}
                load = Load(kwh=kwh_periods, kvarh=_d(kvarh, "1"))
            else:
                load = Load(kwh_total=_d(kwh, "1"), kvarh=_d(kvarh, "1"))
            load.pf_standard = cu["pf_standard"] if cu["pf_standard"] in c.PF_STANDARDS else "none"
            load.capacity_kva = Decimal(str(cap))
            load.max_demand_kw = _d(max_kw)
            load.declared_demand_kw = _d(declared, "1")
            load.basic_method = method
            r = calculate(spec, load)
            issued = issue_date_for(m)
            bills.append((
                cu["pk"], bill_number(cu["number"], m), m, issued, due_date_for(issued), spec.code, r.kwh,
                load.kvarh, load.max_demand_kw if spec.two_part else None, r.power_factor, r.pf_adjustment_rate,
                r.energy_charge, r.basic_charge, r.pf_adjustment_amount, r.surcharges, r.total, zero,
                Bill.Status.OPEN.value, Bill.Source.RUN.value, now,
            ))
            idx = len(bills) - 1
            for i, ln in enumerate(r.lines):
                line_rows.append((idx, ln.item, ln.label[:100], ln.quantity, ln.unit, ln.unit_price, ln.amount, i))
            if m == last:
                readings.append(MeterReading(
                    customer_id=cu["pk"], period=m, kwh_sharp=load.kwh.get("sharp", Decimal("0")),
                    kwh_peak=load.kwh.get("peak", Decimal("0")), kwh_flat=load.kwh.get("flat", Decimal("0")),
                    kwh_valley=load.kwh.get("valley", Decimal("0")), kwh_total=load.kwh_total, kvarh=load.kvarh,
                    max_demand_kw=load.max_demand_kw, declared_demand_kw=load.declared_demand_kw))
    log(f"billing demo: {len(bills):,} bills computed in {time_.perf_counter() - started:.1f} s")
    with transaction.atomic():
        bill_ids = _insert(Bill._meta.db_table, BILL_COLUMNS, bills)
        _insert(BillLine._meta.db_table, LINE_COLUMNS,
                [(bill_ids[i], *rest) for i, *rest in line_rows], returning=False)
        MeterReading.objects.bulk_create(readings, batch_size=2000)
        _timeline(bills, bill_ids)
    # Fresh planner statistics: without them SQLite picks the status index for "open bills of my
    # portfolio" and scans every bill (10x slower lists).
    with connection.cursor() as cur:
        for table in (Bill._meta.db_table, BillLine._meta.db_table):
            cur.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    log(f"billing demo: {len(bills):,} bills, {len(line_rows):,} lines written in {time_.perf_counter() - started:.1f} s")
    return {"tariffs": created_tariffs, "bills": len(bills), "lines": len(line_rows), "readings": len(readings)}


BILL_COLUMNS = ("customer_id", "number", "period", "issued_on", "due_on", "tariff_code", "kwh", "kvarh",
                "max_demand_kw", "power_factor", "pf_adjustment_rate", "energy_charge", "basic_charge",
                "pf_adjustment", "surcharges", "total", "paid_amount", "status", "source", "created_at")


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple], *, returning: bool = True) -> list[int]:
    """executemany INSERTs; for the bills, returns the new ids in row order (read back by bill
    number, which is unique)."""
    insert_rows(table, columns, rows)
    if not returning:
        return []
    ids = dict(Bill.objects.filter(period__gte=min(r[2] for r in rows)).values_list("number", "pk")) if rows else {}
    return [ids[r[1]] for r in rows]


def _timeline(bills: list[tuple], bill_ids: list[int]) -> None:
    """One "bill.issued" event per bill, dated at its issue."""
    from powerkam.customers.models import TimelineEvent

    tz = timezone.get_current_timezone()
    rows = []
    for b in bills:
        customer_id, number, period, issued, due, total = b[0], b[1], b[2], b[3], b[4], b[15]
        when = connection.ops.adapt_datetimefield_value(timezone.make_aware(datetime.combine(issued, time(9)), tz))
        rows.append((customer_id, TIMELINE_KIND, when, f"电费账单 {number} 已发行（{period:%Y-%m}）：{total} 元",
                     f"缴费截止日期 {due:%Y-%m-%d}"))
    _insert(TimelineEvent._meta.db_table, ("customer_id", "kind", "occurred_at", "title", "detail"), rows,
            returning=False)
