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


_SLOT_STEPS = [timedelta(minutes=s * MINUTES) for s in range(c.SLOTS_PER_DAY + 1)]


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


def _fmt(values: np.ndarray, places: int) -> list[str | None]:
    return [None if v != v else f"{v:.{places}f}" for v in values.tolist()]


def batch_figures(days: list[date], kw: np.ndarray, kvar: np.ndarray, weights: np.ndarray,
                  index: np.ndarray | None = None) -> list[tuple]:
    """The aggregates of n customer-days at once, vectorised: kw and kvar (n, 96) with NaN for
    missing, weights (n, 96, 4) — or, with `index` (n,), the k distinct weight matrices (k, 96, 4)
    and which one each day uses. Returns per day (kwh_total, kwh_sharp, kwh_peak, kwh_flat,
    kwh_valley, kvarh, max_demand_kw, max_demand_at, load_factor, avg_power_factor, slots) with the
    numbers as decimal strings (3 places; 4 for the factors) — what the database stores."""
    n = len(days)
    present = ~np.isnan(kw)
    slots = present.sum(axis=1)
    kwh_slot = np.where(present, kw, 0.0) * float(c.INTERVAL_HOURS)
    total = kwh_slot.sum(axis=1)
    if index is None:
        by_period = np.einsum("ns,nsp->np", kwh_slot, weights)
    else:
        by_period = np.empty((n, weights.shape[2]))
        for j in range(len(weights)):
            rows = index == j
            by_period[rows] = kwh_slot[rows] @ weights[j]
    masked = np.where(present, kw, -np.inf)
    peak_idx = masked.argmax(axis=1)
    max_kw = masked[np.arange(n), peak_idx]
    has = slots > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_kw = np.where(has, np.where(present, kw, 0.0).sum(axis=1) / np.maximum(slots, 1), np.nan)
        load_factor = np.where(has & (max_kw > 0), mean_kw / np.where(max_kw > 0, max_kw, 1.0), np.nan)
        any_q = (~np.isnan(kvar)).any(axis=1)
        kvarh = np.where(any_q, np.nansum(kvar, axis=1) * float(c.INTERVAL_HOURS), np.nan)
        pf = np.where(any_q & (total > 0), total / np.hypot(total, np.nan_to_num(kvarh)), np.nan)
    max_kw = np.where(has, max_kw, np.nan)
    cols = (_fmt(total, 3), *(_fmt(by_period[:, p], 3) for p in range(4)), _fmt(kvarh, 3), _fmt(max_kw, 3))
    lf, pfs = _fmt(load_factor, 4), _fmt(pf, 4)
    out = []
    midnight: dict[date, datetime] = {}
    for i, day in enumerate(days):
        at = None
        if has[i]:
            start = midnight.get(day)
            if start is None:
                start = midnight[day] = slot_end(day, 0)
            at = start + _SLOT_STEPS[int(peak_idx[i]) + 1]  # China has no DST: adding minutes is exact
        out.append((cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i], cols[5][i], cols[6][i], at,
                    lf[i], pfs[i], int(slots[i])))
    return out


def day_figures(day: date, kw: np.ndarray, kvar: np.ndarray | None, weights: np.ndarray) -> DayFigures:
    """The aggregate of one customer-day from its (96,) kW curve (NaN = missing)."""
    kvar = np.full(c.SLOTS_PER_DAY, np.nan) if kvar is None else kvar
    row = batch_figures([day], kw[None, :], kvar[None, :], weights[None, :, :])[0]
    d = [None if v is None else Decimal(v) for v in row[:7]]
    return DayFigures(kwh_total=d[0], kwh_sharp=d[1], kwh_peak=d[2], kwh_flat=d[3], kwh_valley=d[4], kvarh=d[5],
                      max_demand_kw=d[6], max_demand_at=row[7],
                      load_factor=None if row[8] is None else Decimal(row[8]),
                      avg_power_factor=None if row[9] is None else Decimal(row[9]), slots=row[10])


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
