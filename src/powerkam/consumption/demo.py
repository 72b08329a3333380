"""Demo metering data (load_demo): loaded through the real ingest, as a clerk would, so the import
pages show real batches and every consumption page has data on a first run.

- daily register readings (active total and TOU periods, reactive) for a year for up to
  DAILY_ACCOUNTS key accounts (every third without the period registers: its split stays unknown);
- 15-minute curves (wide layout, active and reactive rows) for the last CURVE_DAYS_FULL days for
  the first FULL_CURVE_ACCOUNTS of them (a whole year: the advice letter has every month) and the
  last CURVE_DAYS days for the next few.
Raw meter values (divided by the multiplier) are written, so the ingest multiplies them back.
"""

from __future__ import annotations

import io
import math
import random
from datetime import date, timedelta

import numpy as np

from powerkam.billing.demo import load_catalogue

from . import aggregates as agg
from . import constants as c
from .models import IngestBatch

DAILY_ACCOUNTS = 40
FULL_CURVE_ACCOUNTS = 2
CURVE_ACCOUNTS = 5
CURVE_DAYS_FULL = 365
CURVE_DAYS = 56
SLOTS = [f"{(s * 15) // 60:02d}:{(s * 15) % 60:02d}" for s in range(1, 97)]
# Share of the day's peak load by hour (a two-shift factory)
HOURLY = [0.42, 0.40, 0.40, 0.40, 0.41, 0.45, 0.55, 0.75, 0.92, 0.97, 1.0, 0.98,
          0.80, 0.93, 0.98, 1.0, 0.97, 0.90, 0.85, 0.80, 0.72, 0.62, 0.52, 0.45]


def _accounts(clerk):
    from powerkam.core.scoping import visible_customers
    from powerkam.customers.models import MeteringPoint

    customers = list(visible_customers(clerk).filter(is_key_account=True, lifecycle_status="active",
                                             tariff_code__startswith="DGY").exclude(contract_capacity_kva=0)
                     .order_by("pk")[: DAILY_ACCOUNTS * 2])
    meters = {}
    for mp in MeteringPoint.objects.filter(customer__in=customers).exclude(meter_no="").order_by("pk"):
        meters.setdefault(mp.customer_id, []).append(mp)
    return [(cu, meters[cu.pk][0]) for cu in customers if len(meters.get(cu.pk, [])) == 1][:DAILY_ACCOUNTS]


def _profile(rng: random.Random, cu) -> dict:
    cap = float(cu.contract_capacity_kva)
    return {"peak_kw": cap * rng.uniform(0.45, 0.75), "pf": rng.uniform(0.82, 0.95), "noise": rng.uniform(0.02, 0.06)}


def _day_factor(day: date) -> float:
    season = 1.0 + 0.12 * math.cos((day.timetuple().tm_yday - 200) / 365 * 2 * math.pi)  # summer high
    weekend = 0.65 if day.weekday() >= 5 else 1.0
    festival = 0.35 if (day.month == 2 and day.day <= 14) or (day.month == 1 and day.day >= 28) else 1.0
    return season * weekend * festival


def _curve(rng: random.Random, prof: dict, day: date) -> list[float]:
    f = _day_factor(day)
    out = []
    for s in range(96):
        h = HOURLY[s // 4]
        out.append(prof["peak_kw"] * h * f * (1 + rng.gauss(0, prof["noise"])))
    return out


def load_demo(*, seed: int = 1, today: date, log=None) -> dict:
    """Idempotent: does nothing when any ingest batch exists."""
    from powerkam.org.models import Staff

    from . import services

    log = log or (lambda msg: None)
    if IngestBatch.objects.exists():
        log("consumption demo: batches exist, skipped")
        return {"batches": 0}
    load_catalogue()
    clerk = (Staff.objects.filter(username="clerk1").first()
             or Staff.objects.filter(is_superuser=True).order_by("pk").first())
    if clerk is None:
        return {"batches": 0}
    accounts = _accounts(clerk)  # the clerk's own unit: data is loaded by whoever may see it
    if not accounts:
        return {"batches": 0}
    rng = random.Random(seed * 31 + 14)
    profiles = {cu.pk: _profile(rng, cu) for cu, _mp in accounts}
    end = today - timedelta(days=1)
    first = end - timedelta(days=364)
    counts = {"batches": 0, "daily_readings": 0, "values": 0}

    # Daily registers for a year (raw meter units; the register times the multiplier is kWh): the
    # total, and the TOU period registers (尖峰平谷, from the day's curve and the customer's tariff
    # bands) — except every third meter, whose export has the total only: its days' split is unknown.
    calendar = agg.TouCalendar({cu.tariff_code for cu, _mp in accounts})
    lines = ["资产号,日期,正向有功总,正向有功尖,正向有功峰,正向有功平,正向有功谷,正向无功总"]
    for i, (cu, mp) in enumerate(accounts):
        prof = profiles[cu.pk]
        mult = float(mp.multiplier or 1) or 1.0
        reg, qreg = rng.uniform(1000, 50000), rng.uniform(500, 20000)
        periods = np.array([0.1, 0.3, 0.35, 0.25]) * reg  # sharp, peak, flat, valley: they add up to the total
        day = first - timedelta(days=1)
        while day <= end:
            kw = np.array(_curve(rng, prof, day))
            periods += kw * 0.25 @ calendar.weights(cu.tariff_code, day) / mult
            reg = float(periods.sum())
            qreg += float(kw.sum()) * 0.25 * math.tan(math.acos(prof["pf"])) / mult
            tou = ",".join(f"{v:.2f}" for v in periods) if i % 3 != 2 else ",,,"
            lines.append(f"{mp.meter_no},{day.isoformat()},{reg:.2f},{tou},{qreg:.2f}")
            day += timedelta(days=1)
    batch = services.start_ingest(io.BytesIO(("\n".join(lines) + "\n").encode("gbk")), "日冻结示数.csv",
                                  layout=c.Layout.DAILY, actor=clerk, background=False)
    counts["batches"] += 1
    counts["daily_readings"] = batch.values_written
    log(f"consumption demo: daily readings {batch.status} {batch.values_written}")

    # 15-minute curves: a year for the first accounts, recent weeks for the next.
    for i, (cu, mp) in enumerate(accounts[:CURVE_ACCOUNTS]):
        days = CURVE_DAYS_FULL if i < FULL_CURVE_ACCOUNTS else CURVE_DAYS
        prof = profiles[cu.pk]
        mult = float(mp.multiplier or 1) or 1.0
        tan = math.tan(math.acos(prof["pf"]))
        rows = ["电能表资产号,日期,类型," + ",".join(SLOTS)]
        day = end - timedelta(days=days - 1)
        while day <= end:
            kw = _curve(rng, prof, day)
            rows.append(f"{mp.meter_no},{day.isoformat()},有功," + ",".join(f"{v / mult:.4f}" for v in kw))
            rows.append(f"{mp.meter_no},{day.isoformat()},无功," + ",".join(f"{v * tan / mult:.4f}" for v in kw))
            day += timedelta(days=1)
        batch = services.start_ingest(io.BytesIO(("\n".join(rows) + "\n").encode("utf-8")),
                                      f"96点负荷曲线-{cu.number}.csv", layout=c.Layout.WIDE, actor=clerk,
                                      background=False)
        counts["batches"] += 1
        counts["values"] += batch.values_written
        log(f"consumption demo: curves of {cu.number} {batch.status} {batch.values_written}")
    return counts
