"""Anomaly watch (用电异常, issue #14 item 5; DOMAIN.md "Service"; seed 003-篇6): each customer's
daily kWh against its own baseline.

The computation is set-based: one float matrix (customers × days) read from the daily aggregates,
and numpy over whole columns — never a Python loop per customer-day. The baseline of a customer is

- its **level**: the median kWh of its *working* days (core.workdays, the holiday table with the
  adjusted working weekends) over the reference weeks before the watched window, festival season
  excluded; non-working days are never judged for a drop (a weekend or a public holiday is not a
  fall-away);
- its **noise**: the robust scale (statsmodels' MAD) of its working days around that level, so a
  customer whose usage swings ±20 % a day is not alarmed by a 25 % day;
- its **season**: around the Spring Festival an industrial customer ramps down a week before the
  holiday and back up over weeks after it. Days in that season are compared with the same
  customer's last year *aligned on the festival* (the holiday block's first day, from the holiday
  table — the festival moves by up to a month in the solar calendar): expected = level × (last
  year's aligned kWh ÷ last year's level). Without last year's data such days are not judged.

A finding is one of four kinds (`Kind`): a drop below (100 − drop %) of expected on each of the
last N judged working days; a sudden rise above (100 + rise %) on the last M working days; zero
readings; flat (identical) readings — the last two are meter faults and take precedence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from statsmodels.robust.scale import mad

# The festival season around the Spring Festival holiday block's first day (days before, after).
FESTIVAL_BEFORE_DAYS = 21
FESTIVAL_AFTER_DAYS = 42
# Ordinary days are compared with the same weekday 52 weeks earlier when a season needs last year.
YEAR_LAG_DAYS = 364
ALIGN_SPREAD_DAYS = 3
SPRING_FESTIVAL_NAMES = ("春节", "Spring Festival")


class Kind:
    DROP = "drop"
    RISE = "rise"
    ZERO = "zero"
    FLAT = "flat"
    ALL = (DROP, RISE, ZERO, FLAT)


@dataclass(frozen=True)
class WatchRules:
    """The thresholds (configurable: consumption.models.WatchSettings holds the site's values)."""

    drop_pct: float = 20.0       # a working day below (100 - drop_pct) % of expected is a drop day
    drop_workdays: int = 5       # ... for this many consecutive judged working days
    rise_pct: float = 60.0       # a working day above (100 + rise_pct) % of expected is a rise day
    rise_days: int = 2           # ... for this many consecutive judged working days
    flat_days: int = 3           # zero / identical readings for this many working days (meter fault)
    reference_days: int = 84     # the weeks before the watched window that give the level
    window_days: int = 21        # the watched window (the most recent days)
    noise_z: float = 2.5         # a day must also lie this many robust deviations from expected
    min_level_kwh: float = 10.0  # customers using less than this a working day are not judged

    @property
    def days_needed(self) -> int:
        return self.reference_days + self.window_days


DEFAULT_RULES = WatchRules()


@dataclass(frozen=True)
class Calendar:
    """The days of the matrix columns and what the calendar says of each (one array per fact)."""

    start: date
    is_work: np.ndarray   # bool (T,)
    festival: np.ndarray  # bool (T,): in a Spring Festival season
    aligned: np.ndarray   # int (T,): column of last year's aligned day, -1 if outside the matrix

    @property
    def length(self) -> int:
        return len(self.is_work)

    def day(self, index: int) -> date:
        return self.start + timedelta(days=int(index))


@dataclass(frozen=True)
class Finding:
    row: int
    kind: str
    started_on: date
    days: int
    last_kwh: float
    expected_kwh: float

    @property
    def ratio(self) -> float | None:
        return self.last_kwh / self.expected_kwh if self.expected_kwh else None


def festival_anchors(years: Iterable[int]) -> dict[int, date]:
    """Each year's Spring Festival holiday block start, from the holiday table (core.Holiday):
    the first weekday holiday named 春节, moved back over the weekend days that lead into it."""
    from powerkam.core import workdays
    from powerkam.core.models import Holiday

    rows = (Holiday.objects.filter(is_workday=False, name__in=SPRING_FESTIVAL_NAMES, date__year__in=list(years))
            .order_by("date").values_list("date", flat=True))
    anchors: dict[int, date] = {}
    for day in rows:
        anchors.setdefault(day.year, day)
    for year, day in anchors.items():
        while not workdays.is_workday(day - timedelta(days=1)):
            day -= timedelta(days=1)
        anchors[year] = day
    return anchors


def build_calendar(start: date, end: date, *, is_workday: Callable[[date], bool] | None = None,
                   anchors: dict[int, date] | None = None) -> Calendar:
    """The calendar of the days start…end (inclusive). `is_workday` and `anchors` default to the
    holiday table (core.workdays, `festival_anchors`)."""
    if is_workday is None:
        from powerkam.core import workdays

        is_workday = workdays.is_workday
    n = (end - start).days + 1
    days = [start + timedelta(days=i) for i in range(n)]
    if anchors is None:
        anchors = festival_anchors(range(start.year, end.year + 2))
    is_work = np.array([is_workday(d) for d in days], dtype=bool)
    festival = np.zeros(n, dtype=bool)
    offset = np.full(n, -999_999, dtype=np.int64)  # days after the festival anchor, in season
    season_year = np.zeros(n, dtype=np.int64)
    for year, anchor in anchors.items():
        lo, hi = anchor - timedelta(days=FESTIVAL_BEFORE_DAYS), anchor + timedelta(days=FESTIVAL_AFTER_DAYS)
        for i in range(max(0, (lo - start).days), min(n, (hi - start).days + 1)):
            festival[i] = True
            offset[i] = (days[i] - anchor).days
            season_year[i] = year
    aligned = np.arange(n, dtype=np.int64) - YEAR_LAG_DAYS
    for i in np.flatnonzero(festival):
        previous = anchors.get(int(season_year[i]) - 1)
        if previous is None:
            aligned[i] = -1
            continue
        aligned[i] = (previous + timedelta(days=int(offset[i])) - start).days
    aligned[(aligned < 0) | (aligned >= n)] = -1
    return Calendar(start=start, is_work=is_work, festival=festival, aligned=aligned)


def needed_columns(cal: Calendar, rules: WatchRules) -> np.ndarray:
    """The matrix columns a scan reads (the rest need not be loaded): the reference weeks, the
    watched window, and last year's aligned days of the window's festival season."""
    n = cal.length
    recent = np.arange(max(0, n - rules.days_needed), n)
    window = recent[recent >= n - rules.window_days]
    seasonal = window[cal.festival[window]]
    if len(seasonal) == 0:
        return recent
    back = _aligned_neighbours(cal, seasonal)
    # Last year's level is taken over the weeks before last year's festival season.
    prior = _last_year_reference(cal, rules, seasonal)
    return np.unique(np.concatenate([recent, *back, prior]))


def _reference_columns(cal: Calendar, rules: WatchRules) -> np.ndarray:
    n = cal.length
    cols = np.arange(max(0, n - rules.days_needed), max(0, n - rules.window_days))
    return cols[cal.is_work[cols] & ~cal.festival[cols]]


def _last_year_reference(cal: Calendar, rules: WatchRules, seasonal: np.ndarray) -> np.ndarray:
    """Last year's ordinary working days in the reference weeks before its festival season."""
    back = cal.aligned[seasonal]
    back = back[back >= 0]
    if len(back) == 0:
        return np.array([], dtype=np.int64)
    first = int(back.min())
    while first > 0 and cal.festival[first - 1]:
        first -= 1
    cols = np.arange(max(0, first - rules.reference_days), first)
    return cols[cal.is_work[cols] & ~cal.festival[cols]]


def expected_matrix(values: np.ndarray, cal: Calendar, rules: WatchRules) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expected kWh of each working day of the watched window — NaN where not judged —, each
    customer's level, its relative robust noise). `values` is customers × cal.length, NaN missing."""
    n = cal.length
    window = np.arange(max(0, n - rules.window_days), n)
    reference = _reference_columns(cal, rules)
    with np.errstate(all="ignore"):
        ref = values[:, reference]
        level = np.nanmedian(ref, axis=1) if len(reference) else np.full(len(values), np.nan)
        rel = ref / level[:, None] - 1.0
        rel = np.where(np.isnan(rel), 0.0, rel)  # a missing day counts as typical, not as noise
        noise = mad(rel, axis=1, center=0.0) if len(reference) else np.zeros(len(values))
        expected = np.full((len(values), len(window)), np.nan)
        ordinary = ~cal.festival[window] & cal.is_work[window]
        expected[:, ordinary] = level[:, None]
        seasonal_pos = np.flatnonzero(cal.festival[window] & cal.is_work[window])
        if len(seasonal_pos):
            seasonal = window[seasonal_pos]
            prior = _last_year_reference(cal, rules, seasonal)
            if len(prior):
                level_ly = np.nanmedian(values[:, prior], axis=1)
                for pos, cols in zip(seasonal_pos, _aligned_neighbours(cal, seasonal), strict=True):
                    if len(cols):
                        factor = np.nanmedian(values[:, cols], axis=1) / level_ly
                        expected[:, pos] = level * factor
    return expected, level, noise


def _aligned_neighbours(cal: Calendar, columns: np.ndarray) -> list[np.ndarray]:
    """For each column, last year's working days within ±ALIGN_SPREAD_DAYS of its aligned day: the
    festival-aligned day may fall on a weekend last year, and a median of its working neighbours
    follows a ramp without one day's noise."""
    out = []
    for col in columns:
        back = int(cal.aligned[col])
        if back < 0:
            out.append(np.array([], dtype=np.int64))
            continue
        near = np.arange(max(0, back - ALIGN_SPREAD_DAYS), min(cal.length, back + ALIGN_SPREAD_DAYS + 1))
        out.append(near[cal.is_work[near]])
    return out


def _trailing_run(flags: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """Per row, how many of the last judged columns are flagged in a row (unjudged columns are
    skipped: they neither count nor break a run)."""
    rows, cols = flags.shape
    run = np.zeros(rows, dtype=np.int64)
    alive = np.ones(rows, dtype=bool)
    for j in range(cols - 1, -1, -1):  # over the window's columns (≈ 21), vectorised over customers
        judged_j = judged[:, j]
        hit = alive & judged_j & flags[:, j]
        miss = alive & judged_j & ~flags[:, j]
        run[hit] += 1
        alive &= ~miss
    return run


def _run_start(flags: np.ndarray, judged: np.ndarray, row: int, window: np.ndarray) -> int:
    start = None
    for j in range(flags.shape[1] - 1, -1, -1):
        if not judged[row, j]:
            continue
        if not flags[row, j]:
            break
        start = j
    return int(window[start if start is not None else flags.shape[1] - 1])


def scan(values: np.ndarray, cal: Calendar, rules: WatchRules | None = None) -> list[Finding]:
    """The findings as of the matrix's last column. `values`: customers × days kWh (NaN missing)."""
    rules = rules or DEFAULT_RULES
    n = cal.length
    window = np.arange(max(0, n - rules.window_days), n)
    expected, level, noise = expected_matrix(values, cal, rules)
    observed = values[:, window]
    work = cal.is_work[window]
    findings: list[Finding] = []
    with np.errstate(all="ignore"):
        active = level >= rules.min_level_kwh
        # Meter faults: zero, or the same value repeated, from the first of the last `flat_days`
        # working days to the end.
        work_pos = np.flatnonzero(work)
        faulty = np.zeros(len(values), dtype=bool)
        if len(work_pos) >= rules.flat_days:
            first = int(work_pos[-rules.flat_days])
            tail = observed[:, first:]
            complete = ~np.isnan(tail).any(axis=1)
            zero = active & complete & (tail == 0).all(axis=1)
            before = observed[:, first - 1:first] if first > 0 else tail[:, :1]
            flat = (active & complete & ~zero & (tail > 0).all(axis=1)
                    & (tail == tail[:, :1]).all(axis=1) & (before[:, 0] == tail[:, 0]))
            for kind, mask in ((Kind.ZERO, zero), (Kind.FLAT, flat)):
                for row in np.flatnonzero(mask):
                    findings.append(Finding(int(row), kind, cal.day(window[first]), rules.flat_days,
                                            float(tail[row, -1]), float(level[row])))
            faulty = zero | flat
        ratio = observed / expected
        judged = ~np.isnan(ratio) & work[None, :] & active[:, None] & ~faulty[:, None]
        drop_limit = 1.0 - np.maximum(rules.drop_pct / 100.0, rules.noise_z * noise)
        rise_limit = 1.0 + np.maximum(rules.rise_pct / 100.0, rules.noise_z * noise)
        for kind, flags, need in ((Kind.DROP, ratio < drop_limit[:, None], rules.drop_workdays),
                                  (Kind.RISE, ratio > rise_limit[:, None], rules.rise_days)):
            run = _trailing_run(flags, judged)
            for row in np.flatnonzero(run >= need):
                last = int(np.flatnonzero(judged[row])[-1])
                findings.append(Finding(int(row), kind, cal.day(_run_start(flags, judged, row, window)),
                                        int(run[row]), float(observed[row, last]), float(expected[row, last])))
    return findings
