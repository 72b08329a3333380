"""Synthetic daily kWh and a precision/recall harness for the anomaly watch (issue #14 item 5).

Customers follow their own pattern — a level, a working/non-working ratio, a summer bump, a slow
trend, day-to-day noise and, for industrial ones, a Spring Festival dip (ramp down before the
holiday, near stop during it, ramp up over weeks after) that repeats each year with jitter.
Then, for a share of them, an anomaly is injected at the end: a drop of 30–70 % over 5+ working
days, a rise, a flat line (identical readings) or zero readings. `evaluate` scans at several
dates chosen to sit on holidays and festival seasons, and counts precision and recall.

The calendar comes from the `chinesecalendar` package (the same source the holiday table is
seeded from), so this module runs without a database (bench/, unit tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from .anomalies import DEFAULT_RULES, Calendar, Kind, WatchRules, build_calendar, scan

# Evaluation dates: inside / right after the Spring Festival seasons, after the Labour Day and
# National Day weeks, the Dragon Boat and Mid-autumn holidays, and ordinary weeks.
EVALUATION_DAYS = (
    date(2025, 2, 7), date(2025, 2, 14), date(2025, 2, 24), date(2025, 3, 10), date(2025, 5, 8),
    date(2025, 7, 16), date(2025, 10, 10), date(2025, 10, 13), date(2026, 1, 23), date(2026, 2, 26),
    date(2026, 3, 9), date(2026, 6, 22), date(2026, 9, 28),
)


def package_anchors(start: date, end: date) -> dict[int, date]:
    """The Spring Festival holiday block starts per year, from the package."""
    import chinese_calendar

    anchors = {}
    for day, name in sorted(chinese_calendar.holidays.items()):
        if name and "Spring" in str(name) and start.year - 1 <= day.year <= end.year + 1:
            anchors.setdefault(day.year, day)
    for year, day in anchors.items():
        while not chinese_calendar.is_workday(day - timedelta(days=1)):
            day -= timedelta(days=1)
        anchors[year] = day
    return anchors


def package_calendar(start: date, end: date) -> Calendar:
    import chinese_calendar

    return build_calendar(start, end, is_workday=chinese_calendar.is_workday, anchors=package_anchors(start, end))


def _festival_factor(offsets: np.ndarray, depth, down, up) -> np.ndarray:
    """The dip of an industrial customer around its festival anchor (offset 0); arrays broadcast
    (customers × days offsets, per-customer depth / ramp lengths as column vectors)."""
    offsets = np.asarray(offsets, dtype=float)
    f = np.ones(np.broadcast_shapes(offsets.shape, np.shape(depth), np.shape(down), np.shape(up)))
    offsets = np.broadcast_to(offsets, f.shape)
    depth, down, up = (np.broadcast_to(np.asarray(v, dtype=float), f.shape) for v in (depth, down, up))
    ramp_down = (offsets >= -down) & (offsets < 0)
    f[ramp_down] = (1 - (1 - depth) * (offsets + down) / down)[ramp_down]
    hold = (offsets >= 0) & (offsets < 8)
    f[hold] = depth[hold]
    ramp_up = (offsets >= 8) & (offsets < 8 + up)
    f[ramp_up] = (depth + (1 - depth) * (offsets - 8) / up)[ramp_up]
    return f


def synthetic_matrix(cal: Calendar, n: int, rng: np.random.Generator, anchors: dict[int, date]) -> np.ndarray:
    """n customers' normal daily kWh over the calendar's days."""
    t = np.arange(cal.length)
    days = [cal.day(i) for i in t]
    doy = np.array([d.timetuple().tm_yday for d in days])
    level = rng.lognormal(mean=np.log(5000), sigma=1.0, size=n)
    off_ratio = rng.uniform(0.35, 0.95, size=n)
    summer = rng.uniform(0.0, 0.3, size=n)
    trend = rng.uniform(-0.05, 0.10, size=n) / 365.0
    sigma = rng.uniform(0.02, 0.08, size=n)
    industrial = rng.random(n) < 0.6
    values = (level[:, None] * (1 + trend[:, None] * t[None, :])
              * (1 + summer[:, None] * np.cos(2 * np.pi * (doy[None, :] - 205) / 365.0)))
    values *= np.where(cal.is_work[None, :], 1.0, off_ratio[:, None])
    depth = rng.uniform(0.1, 0.4, size=n)
    down = rng.integers(5, 12, size=n)
    up = rng.integers(10, 25, size=n)
    rows = np.flatnonzero(industrial)
    for anchor in anchors.values():
        offsets = np.array([(d - anchor).days for d in days])
        near = np.abs(offsets) < 60
        if not near.any() or not len(rows):
            continue
        jitter = rng.integers(-1, 2, size=len(rows))[:, None]
        year_depth = (depth[rows] * rng.uniform(0.9, 1.1, size=len(rows)))[:, None]
        factor = _festival_factor(offsets[near][None, :] - jitter, year_depth, down[rows][:, None], up[rows][:, None])
        values[np.ix_(rows, np.flatnonzero(near))] *= factor
    values *= rng.lognormal(0.0, sigma[:, None], size=values.shape)
    return np.round(values, 1)


@dataclass
class Injection:
    row: int
    kind: str


def inject(values: np.ndarray, cal: Calendar, rng: np.random.Generator, rows: np.ndarray,
           rules: WatchRules) -> list[Injection]:
    """Anomalies at the end of the given rows: drops (30–70 %, 5–12 working days), rises (+80–200 %
    over 2–4 days), flat lines and zero readings (3–8 working days)."""
    work = np.flatnonzero(cal.is_work)
    out = []
    for row in rows:
        kind = rng.choice([Kind.DROP, Kind.DROP, Kind.RISE, Kind.FLAT, Kind.ZERO])
        if kind == Kind.DROP:
            first = work[-int(rng.integers(rules.drop_workdays, rules.drop_workdays + 8))]
            values[row, first:] *= 1 - rng.uniform(0.3, 0.7)
        elif kind == Kind.RISE:
            first = work[-int(rng.integers(rules.rise_days, rules.rise_days + 3))]
            values[row, first:] *= 1 + rng.uniform(0.8, 2.0)
        else:
            first = work[-int(rng.integers(rules.flat_days, rules.flat_days + 6))]
            values[row, first:] = 0.0 if kind == Kind.ZERO else values[row, first - 1]
        out.append(Injection(int(row), str(kind)))
    return out


@dataclass
class Score:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    customers: int = 0
    by_kind: dict = field(default_factory=dict)

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 1.0


FAULT_KINDS = {Kind.FLAT, Kind.ZERO}


def _same(expected: str, found: str) -> bool:
    return expected == found or (expected in FAULT_KINDS and found in FAULT_KINDS)


def evaluate(per_day: int = 300, *, share: float = 0.3, seed: int = 14, rules: WatchRules = DEFAULT_RULES,
             days: tuple[date, ...] = EVALUATION_DAYS) -> Score:
    """Scan `per_day` synthetic customers at each evaluation date, `share` of them with an anomaly."""
    rng = np.random.default_rng(seed)
    score = Score()
    for today in days:
        start = today - timedelta(days=rules.days_needed + 400)
        cal = package_calendar(start, today)
        values = synthetic_matrix(cal, per_day, rng, package_anchors(start, today))
        rows = rng.choice(per_day, size=int(per_day * share), replace=False)
        injected = {i.row: i.kind for i in inject(values, cal, rng, rows, rules)}
        findings = {}
        for f in scan(values, cal, rules):
            findings.setdefault(f.row, f.kind)
        score.customers += per_day
        for row in range(per_day):
            want, got = injected.get(row), findings.get(row)
            tally = score.by_kind.setdefault(want or "normal", [0, 0])
            tally[0] += 1
            if want and got and _same(want, got):
                score.true_positive += 1
                tally[1] += 1
            elif got:
                score.false_positive += 1
                if want:
                    score.false_negative += 1
            elif want:
                score.false_negative += 1
    return score
