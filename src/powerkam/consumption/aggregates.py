"""Daily aggregates from a day's 15-minute curve: pure functions over numpy arrays.

A day has 96 slots; slot i (1…96) is the interval ending at i × 15 min (00:15 … 24:00). `kw[i-1]`
is the customer's average active power in that interval (summed over its metering points), NaN
when missing. The interval's energy is kW × 0.25 h.

Time-of-use split: each slot's energy is divided among sharp / peak / flat / valley in proportion
to the minutes of the interval each band covers (a band edge inside an interval splits it), from
the tariff version in force on the day and the bands of that month; minutes no band covers — and
customers without a TOU tariff — count as flat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
from django.utils import timezone

from powerkam.billing.constants import TOU_PERIODS

from . import constants as c

PERIOD_INDEX = {str(p): i for i, p in enumerate(TOU_PERIODS)}  # sharp, peak, flat, valley
FLAT = PERIOD_INDEX["flat"]
MINUTES = c.INTERVAL_MINUTES
Q3 = Decimal("0.001")


def _minute(t: time) -> int:
    return t.hour * 60 + t.minute


def tou_weights(bands: list[tuple[str, time, time]]) -> np.ndarray:
    """(96, 4) matrix: the share of each slot's energy in each period. `bands`: (period, start, end)
    with end exclusive; an end at or before the start wraps past midnight (23:00–07:00), and an end of
    00:00 means 24:00."""
    minute_period = np.full(24 * 60, FLAT, dtype=np.int8)
    for period, start, end in bands:
        a, b = _minute(start), _minute(end)
        idx = PERIOD_INDEX.get(str(period), FLAT)
        if b <= a:  # wraps past midnight (or ends at 24:00)
            minute_period[a:] = idx
            minute_period[:b] = idx
        else:
            minute_period[a:b] = idx
    weights = np.zeros((c.SLOTS_PER_DAY, len(PERIOD_INDEX)))
    per_slot = minute_period.reshape(c.SLOTS_PER_DAY, MINUTES)
    for p in range(len(PERIOD_INDEX)):
        weights[:, p] = (per_slot == p).sum(axis=1) / MINUTES
    return weights


FLAT_WEIGHTS = tou_weights([])


def slot_end(day: date, slot: int) -> datetime:
    """The aware end time of a slot (slot 96 ends at the next midnight)."""
    return timezone.make_aware(datetime.combine(day, time()) + timedelta(minutes=slot * MINUTES))


def dec(value: float, places: Decimal = Q3) -> Decimal:
    return Decimal(repr(round(float(value), 6))).quantize(places)


@dataclass
class DayFigures:
    kwh_total: Decimal
    kwh_sharp: Decimal
    kwh_peak: Decimal
    kwh_flat: Decimal
    kwh_valley: Decimal
    kvarh: Decimal | None
    max_demand_kw: Decimal | None
    max_demand_at: datetime | None
    load_factor: Decimal | None
    avg_power_factor: Decimal | None
    slots: int


def power_factor(kwh: float, kvarh: float) -> Decimal | None:
    """cos φ = P / √(P² + Q²) over the day's energies."""
    if kwh <= 0:
        return None
    return dec(kwh / float(np.hypot(kwh, kvarh)), Decimal("0.0001"))


def day_figures(day: date, kw: np.ndarray, kvar: np.ndarray | None, weights: np.ndarray) -> DayFigures:
    """The aggregate of one customer-day from its (96,) kW curve (NaN = missing)."""
    present = ~np.isnan(kw)
    slots = int(present.sum())
    kwh_slot = np.where(present, kw, 0.0) * float(c.INTERVAL_HOURS)
    total = float(kwh_slot.sum())
    by_period = kwh_slot @ weights
    if slots:
        peak_idx = int(np.nanargmax(kw))
        max_kw = float(kw[peak_idx])
        max_at = slot_end(day, peak_idx + 1)
        avg_kw = float(kw[present].mean())
        load_factor = dec(avg_kw / max_kw, Decimal("0.0001")) if max_kw > 0 else None
    else:
        max_kw, max_at, load_factor = None, None, None
    kvarh = None
    pf = None
    if kvar is not None and (~np.isnan(kvar)).any():
        kvarh_f = float(np.nansum(kvar)) * float(c.INTERVAL_HOURS)
        kvarh = dec(kvarh_f)
        pf = power_factor(total, kvarh_f)
    return DayFigures(
        kwh_total=dec(total), kwh_sharp=dec(by_period[0]), kwh_peak=dec(by_period[1]),
        kwh_flat=dec(by_period[2]), kwh_valley=dec(by_period[3]), kvarh=kvarh,
        max_demand_kw=None if max_kw is None else dec(max_kw), max_demand_at=max_at,
        load_factor=load_factor, avg_power_factor=pf, slots=slots,
    )


class TouCalendar:
    """The TOU weights of every tariff code, by day: the version in force on the day and the bands of
    its month. Loads the (small) catalogue once; weights are cached per (version, month)."""

    def __init__(self, codes: set[str] | None = None):
        from powerkam.billing.models import Tariff

        qs = Tariff.objects.prefetch_related("time_bands")
        if codes is not None:
            qs = qs.filter(code__in=codes)
        self.versions: dict[str, list] = {}
        for t in qs:
            self.versions.setdefault(t.code, []).append(t)
        self._cache: dict[tuple[int, int], np.ndarray] = {}

    def weights(self, code: str, day: date) -> np.ndarray:
        for t in self.versions.get(code or "", ()):
            if t.effective_from <= day and (t.effective_to is None or day <= t.effective_to):
                if not t.is_tou:
                    return FLAT_WEIGHTS
                key = (t.pk, day.month)
                w = self._cache.get(key)
                if w is None:
                    bands = [(b.period, b.start, b.end) for b in t.time_bands.all()
                             if str(day.month) in [m.strip() for m in b.months.split(",")]]
                    w = tou_weights(bands)
                    self._cache[key] = w
                return w
        return FLAT_WEIGHTS
