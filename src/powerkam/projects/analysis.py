"""Cycle-time statistics of connection projects (issue #12 item 8; seed 003-篇11: "61 → 38 days").

Durations are whole working days on the official holiday calendar, so the database groups them
into histograms — (dimension…, days, within commitment) → count — and the statistics are read
off the histogram here: exact, the same on SQLite and PostgreSQL, and a fixed number of grouped
queries whatever the number of projects (a histogram has at most a few hundred rows).

Definitions (stated on the page and in the export):
- mean: arithmetic mean, rounded half-up to 0.1 working day;
- median: the middle value, or the mean of the two middle values for an even count;
- P90: nearest rank, the ⌈0.9 × n⌉-th smallest value (never interpolated: a value that occurred);
- share within commitment: completed records whose grid-side days were within their
  commitment, over all completed records that have a commitment, in per cent to 0.1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

TENTH = Decimal("0.1")


def _round1(value: Decimal) -> Decimal:
    return value.quantize(TENTH, ROUND_HALF_UP)


@dataclass
class Histogram:
    """Counts of whole working-day durations, plus how many were within their commitment."""

    counts: dict[int, int] = field(default_factory=dict)
    within: int = 0
    with_commitment: int = 0

    def add(self, days: int | None, n: int = 1, *, within: bool | None = None) -> None:
        if days is None or n <= 0:
            return
        days = int(days)
        self.counts[days] = self.counts.get(days, 0) + n
        if within is not None:
            self.with_commitment += n
            if within:
                self.within += n

    def merge(self, other: Histogram) -> None:
        for days, n in other.counts.items():
            self.counts[days] = self.counts.get(days, 0) + n
        self.within += other.within
        self.with_commitment += other.with_commitment

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    def nth(self, k: int) -> int:
        """The k-th smallest value (1-based)."""
        seen = 0
        for days in sorted(self.counts):
            seen += self.counts[days]
            if seen >= k:
                return days
        raise IndexError(k)

    def stats(self) -> Stats:
        n = self.n
        if not n:
            return Stats()
        total = sum(days * count for days, count in self.counts.items())
        mean = _round1(Decimal(total) / n)
        if n % 2:
            median = Decimal(self.nth(n // 2 + 1))
        else:
            median = _round1((Decimal(self.nth(n // 2)) + Decimal(self.nth(n // 2 + 1))) / 2)
        p90 = Decimal(self.nth(max(1, math.ceil(0.9 * n))))
        within_pct = (_round1(Decimal(self.within) * 100 / self.with_commitment)
                      if self.with_commitment else None)
        return Stats(count=n, mean=mean, median=median, p90=p90, within_pct=within_pct,
                     longest=max(self.counts))


@dataclass(frozen=True)
class Stats:
    count: int = 0
    mean: Decimal | None = None
    median: Decimal | None = None
    p90: Decimal | None = None
    within_pct: Decimal | None = None
    longest: int | None = None


def stats_of(values: Iterable[int | None], commitments: Iterable[int | None] | None = None) -> Stats:
    """Statistics of plain values (tests, small lists); `commitments` pairs each value with its
    commitment in working days (None: no commitment) for the share within commitment."""
    h = Histogram()
    values = list(values)
    limits = list(commitments) if commitments is not None else [None] * len(values)
    for days, limit in zip(values, limits, strict=True):
        h.add(days, within=None if limit is None or days is None else days <= limit)
    return h.stats()


def histograms(rows: Iterable[dict], key, *, days: str = "days", n: str = "n",
               within: str | None = "within") -> dict:
    """{key(row): Histogram} from grouped rows such as
    `qs.values(<dims>, "days", "within").annotate(n=Count("id"))`; `within` is a boolean (or
    None when the record has no commitment) column of the rows."""
    out: dict = {}
    for row in rows:
        h = out.get(k := key(row))
        if h is None:
            h = out[k] = Histogram()
        h.add(row[days], row[n], within=row.get(within) if within else None)
    return out


def month_starts(today: date, months: int = 12) -> list[date]:
    """The first days of the last `months` months, oldest first, ending with today's month."""
    index = today.year * 12 + today.month - 1
    return [date(m // 12, m % 12 + 1, 1) for m in range(index - months + 1, index + 1)]


def trend(by_month: dict[date, Histogram], months: list[date]) -> list[dict]:
    """One row per month of `months` (empty months included, so the chart's axis is complete)."""
    rows = []
    for m in months:
        s = by_month.get(m, Histogram()).stats()
        rows.append({"month": m, "count": s.count, "mean": s.mean, "median": s.median, "p90": s.p90,
                     "within_pct": s.within_pct})
    return rows


def mean_of(total: int | Decimal, count: int) -> Decimal | None:
    """`total` / `count` to 0.1 (half up), or None for no records."""
    return _round1(Decimal(total) / count) if count else None
