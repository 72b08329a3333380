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

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

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

    def from_column(self, first: int) -> Calendar:
        """The same calendar without its first `first` columns (a scan that needs only the later
        ones allocates its matrix over these); aligned days before the cut become -1."""
        if first <= 0:
            return self
        aligned = self.aligned[first:] - first
        aligned[aligned < 0] = -1
        return Calendar(start=self.day(first), is_work=self.is_work[first:], festival=self.festival[first:],
                        aligned=aligned)


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


# =================================================================================================
# The database side: read the matrix from the daily aggregates, record findings, open tasks.
# =================================================================================================

TASK_KEY = "usage_anomaly:{pk}"
TASK_DUE_WORKDAYS = 3  # the manager calls the customer within three working days (seed 003-篇6)


def rules_from_settings() -> WatchRules:
    from .models import WatchSettings

    s = WatchSettings.current()
    return WatchRules(drop_pct=float(s.drop_pct), drop_workdays=s.drop_workdays, rise_pct=float(s.rise_pct),
                      rise_days=s.rise_days, flat_days=s.flat_days, noise_z=float(s.noise_z),
                      min_level_kwh=float(s.min_level_kwh))


def _runs(columns: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous runs of sorted column numbers, as (first, last)."""
    if len(columns) == 0:
        return []
    breaks = np.flatnonzero(np.diff(columns) > 1)
    starts = np.concatenate([[columns[0]], columns[breaks + 1]])
    ends = np.concatenate([columns[breaks], [columns[-1]]])
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def read_query(cal: Calendar, columns: np.ndarray, customer_ids: list[int] | None = None) -> tuple[str, list]:
    """The SQL that reads the daily kWh of the given calendar columns (PostgreSQL): customer id,
    column number and kWh of every complete day, one `UNION ALL` branch per contiguous run of
    columns. Each branch is an index-only scan of `cons_agg_watch_idx` (`(day) INCLUDE
    (customer_id, kwh_total) WHERE complete`): only the index pages of the days wanted are read,
    never the 5 GB heap stored in (customer, day) order (docs/performance.md, "nightly anomaly scan")."""
    from django.db import connection

    from .models import DailyAggregate

    table = connection.ops.quote_name(DailyAggregate._meta.db_table)
    customers = ""
    if customer_ids is not None:
        customers = (" AND customer_id IN (" + ",".join(str(int(c)) for c in customer_ids) + ")"
                     if customer_ids else " AND FALSE")
    branches, params = [], []
    for a, b in _runs(np.asarray(columns, dtype=np.int64)):
        branches.append(f"SELECT customer_id::int8, (day - %s::date)::int4, kwh_total::float8 FROM {table} "
                        f"WHERE complete AND day BETWEEN %s AND %s{customers}")
        params += [cal.start, cal.day(a), cal.day(b)]
    return " UNION ALL ".join(branches), params


# COPY … (FORMAT binary) of (int8, int4, float8) rows, none NULL: each row is a field count (int16),
# then a length (int32) and the big-endian value of each field — 34 bytes, read by numpy as is.
_COPY_ROW = np.dtype([("fields", ">i2"), ("lc", ">i4"), ("c", ">i8"), ("ld", ">i4"), ("d", ">i4"),
                      ("lv", ">i4"), ("v", ">f8")])
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def _binary_copy_chunks(blocks) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(customer ids, column numbers, kWh) of a binary COPY, a few MB at a time as the blocks
    arrive: the result is never held whole, as bytes or as arrays."""
    size = _COPY_ROW.itemsize
    pending = bytearray()
    header_done = False

    def take(upto: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.frombuffer(bytes(pending[:upto]), dtype=_COPY_ROW)
        del pending[:upto]
        if len(rows) and not ((rows["fields"] == 3).all() and (rows["lc"] == 8).all() and (rows["ld"] == 4).all()
                              and (rows["lv"] == 8).all()):
            raise ValueError("unexpected row layout in the binary COPY of daily aggregates")
        return rows["c"].astype(np.int64), rows["d"].astype(np.int64), rows["v"].astype(np.float64)

    for block in blocks:
        pending += block
        if not header_done:
            if len(pending) < 19:
                continue
            if bytes(pending[:11]) != _COPY_SIGNATURE:
                raise ValueError("not a PostgreSQL binary COPY stream")
            extension = int.from_bytes(pending[15:19], "big")
            if len(pending) < 19 + extension:
                continue
            del pending[:19 + extension]
            header_done = True
        if len(pending) >= (1 << 22):
            yield take(len(pending) // size * size)
    whole = (len(pending) - 2) // size * size  # the trailer: int16 -1
    if not header_done or len(pending) < 2 or bytes(pending[whole:]) != b"\xff\xff":
        raise ValueError("truncated binary COPY stream")
    yield take(whole)


def _read_binary_copy(blocks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The whole of `_binary_copy_chunks`, concatenated."""
    parts = list(_binary_copy_chunks(blocks))
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))


def _rows_of(cids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct customer ids, each value's row among them) — by a dense lookup table when
    the ids are small enough (linear time), else by sorting."""
    if len(cids) == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    top = int(cids.max())
    if int(cids.min()) < 0 or top > 50_000_000:
        return np.unique(cids, return_inverse=True)
    present = np.zeros(top + 1, dtype=bool)
    present[cids] = True
    lookup = np.cumsum(present, dtype=np.int64) - 1
    return np.flatnonzero(present).astype(np.int64), lookup[cids]


def load_matrix(cal: Calendar, columns: np.ndarray, customer_ids: list[int] | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """(customer ids, customers × cal.length kWh matrix, NaN where no complete aggregate) from the
    daily aggregates of the given columns only. PostgreSQL: one binary `COPY (read_query) TO
    STDOUT` parsed by numpy; SQLite: one cursor. Incomplete days (gaps in the curve) are left out,
    not read as a drop."""
    from django.db import connection

    from .models import DailyAggregate

    columns = np.asarray(columns, dtype=np.int64)
    if len(columns) == 0:
        return np.array([], dtype=np.int64), np.zeros((0, cal.length))
    if connection.vendor == "postgresql":
        return _load_matrix_copy(cal, columns, customer_ids)
    else:
        table = connection.ops.quote_name(DailyAggregate._meta.db_table)
        ranges = _runs(columns)
        where = " OR ".join("(day BETWEEN %s AND %s)" for _ in ranges)
        params = [v for a, b in ranges for v in (cal.day(a), cal.day(b))]
        sql_customers = ""
        if customer_ids is not None:
            sql_customers = (" AND customer_id IN (" + ",".join(str(int(c)) for c in customer_ids) + ")"
                             if customer_ids else " AND 1=0")
        query = f"SELECT customer_id, day, kwh_total FROM {table} WHERE complete AND ({where}){sql_customers}"
        with connection.cursor() as cursor:
            cursor.execute(query, [connection.ops.adapt_datefield_value(p) for p in params])
            rows = cursor.fetchall()
        cids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        start = cal.start
        offsets = np.fromiter(((_as_date(r[1]) - start).days for r in rows), dtype=np.int64, count=len(rows))
        kwh = np.fromiter((float(r[2]) for r in rows), dtype=np.float64, count=len(rows))
    ids, rows_of = _rows_of(cids)
    matrix = np.full((len(ids), cal.length), np.nan)
    matrix[rows_of, offsets] = kwh
    return ids, matrix


def _load_matrix_copy(cal: Calendar, columns: np.ndarray, customer_ids: list[int] | None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """PostgreSQL: the matrix is allocated first (a row per candidate customer: the given ones, or
    every customer) and each chunk of the COPY written into it as it arrives, so the 10.5 million
    rows of a nightly scan never exist as Python or numpy rows at once; rows without data are
    dropped at the end."""
    from django.db import connection

    from .models import DailyAggregate

    query, params = read_query(cal, columns, customer_ids)
    if customer_ids is None:
        customer_model = DailyAggregate._meta.get_field("customer").related_model
        customer_ids = customer_model.objects.order_by("pk").values_list("pk", flat=True)
    candidates = np.unique(np.fromiter((int(c) for c in customer_ids), dtype=np.int64))
    matrix = np.full((len(candidates), cal.length), np.nan)
    seen = np.zeros(len(candidates), dtype=bool)
    with connection.cursor() as cursor:
        inner = cursor.cursor if hasattr(cursor, "cursor") else cursor
        with inner.copy(f"COPY ({query}) TO STDOUT (FORMAT binary)", params) as copy:
            for cids, offsets, kwh in _binary_copy_chunks(copy):
                rows = np.searchsorted(candidates, cids)
                # A customer created since the candidates were read is judged the next night.
                known = rows < len(candidates)
                known[known] = candidates[rows[known]] == cids[known]
                matrix[rows[known], offsets[known]] = kwh[known]
                seen[rows[known]] = True
    if not seen.all():
        return candidates[seen], matrix[seen]
    return candidates, matrix


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def watch_day(day: date) -> date:
    """The last day the nightly scan judges: the day before the job's business day (the
    collection system delivers a day's data overnight)."""
    return day - timedelta(days=1)


def run_watch(day: date, *, rules: WatchRules | None = None, customer_ids: list[int] | None = None) -> dict:
    """The nightly anomaly scan (job `consumption_anomaly_watch`): every customer's daily kWh up to
    the day before `day`, findings recorded as anomalies with a task for the manager each."""
    import time

    rules = rules or rules_from_settings()
    end = watch_day(day)
    started = time.perf_counter()
    cal = build_calendar(end - timedelta(days=rules.days_needed + YEAR_LAG_DAYS + 60), end)
    columns = needed_columns(cal, rules)
    # The matrix spans the needed columns only (105 days on an ordinary day, not the 529 of the
    # calendar): the same findings (test_anomaly_scan) in a fifth of the memory.
    first = int(columns.min()) if len(columns) else 0
    cal = cal.from_column(first)
    ids, matrix = load_matrix(cal, columns - first, customer_ids)
    loaded = time.perf_counter()
    findings = scan(matrix, cal, rules)
    scanned = time.perf_counter()
    created = record_findings(findings, ids, day=end)
    return {"customers": int(len(ids)), "findings": len(findings), "anomalies_opened": created,
            "load_s": round(loaded - started, 2), "scan_s": round(scanned - loaded, 2),
            "record_s": round(time.perf_counter() - scanned, 2)}


def _kwh(value: float) -> Decimal:
    return Decimal(str(round(value, 3))) if np.isfinite(value) else Decimal("0")


def record_findings(findings: list[Finding], ids: np.ndarray, *, day: date) -> int:
    """Anomalies for the findings: an open one of the same customer and kind is brought up to date;
    a run that already has an anomaly (open or explained) is not opened again; the rest are
    created — with history rows, a task for the manager and a timeline event each, set-based."""
    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone

    from powerkam.core import workqueue
    from powerkam.customers.models import TimelineEvent

    from .models import UsageAnomaly

    if not findings:
        return 0
    by_key = {(int(ids[f.row]), f.kind): f for f in findings}
    customers = sorted({c for c, _ in by_key})
    existing = UsageAnomaly.objects.filter(customer_id__in=customers).filter(
        Q(status=UsageAnomaly.Status.OPEN) | Q(started_on__gte=day - timedelta(days=400)))
    open_rows, seen_runs = {}, set()
    for a in existing.only("id", "customer_id", "kind", "status", "started_on"):
        if a.status == UsageAnomaly.Status.OPEN:
            open_rows[(a.customer_id, a.kind)] = a
        seen_runs.add((a.customer_id, a.kind, a.started_on))
    updates, new = [], []
    for (cid, kind), f in by_key.items():
        current = open_rows.get((cid, kind))
        if current is not None:
            current.checked_on, current.days = day, f.days
            current.last_kwh, current.expected_kwh = _kwh(f.last_kwh), _kwh(f.expected_kwh)
            updates.append(current)
        elif (cid, kind, f.started_on) not in seen_runs:
            new.append(UsageAnomaly(customer_id=cid, kind=kind, started_on=f.started_on, detected_on=day,
                                    checked_on=day, days=f.days, last_kwh=_kwh(f.last_kwh),
                                    expected_kwh=_kwh(f.expected_kwh)))
    with transaction.atomic():
        if updates:
            UsageAnomaly.objects.bulk_update(updates, ["checked_on", "days", "last_kwh", "expected_kwh"], batch_size=1000)
        if not new:
            return 0
        created = UsageAnomaly.objects.bulk_create(new, batch_size=1000)
        if any(a.pk is None for a in created):  # a backend without RETURNING: read the ids back
            keys = {(a.customer_id, a.kind, a.started_on) for a in new}
            created = [a for a in UsageAnomaly.objects.filter(customer_id__in={k[0] for k in keys}, detected_on=day)
                       if (a.customer_id, a.kind, a.started_on) in keys]
        workqueue.insert_history_rows(UsageAnomaly, [a.pk for a in created])
        _open_tasks(created, day)
        now = timezone.now()
        TimelineEvent.objects.bulk_create([
            TimelineEvent(customer_id=a.customer_id, kind=f"consumption.anomaly.{a.kind}", occurred_at=now,
                          title=_timeline_title(a)) for a in created], batch_size=1000)
    return len(created)


def _timeline_title(anomaly) -> str:
    from django.utils.translation import gettext

    return gettext("Consumption anomaly: %(kind)s since %(since)s") % {
        "kind": anomaly.get_kind_display(), "since": anomaly.started_on.isoformat()}


def task_title(anomaly, customer_name: str):
    from django.utils.translation import gettext_noop

    from powerkam.core.phrases import phrase

    return phrase(gettext_noop("Consumption anomaly · %(customer)s: %(kind)s"), customer=customer_name,
                  kind=anomaly.Kind(anomaly.kind).label)


def task_detail(anomaly):
    from django.utils.translation import gettext_noop

    from powerkam.core.phrases import phrase

    return phrase(gettext_noop("Since %(since)s: last day %(last)s kWh, expected %(expected)s kWh. Call the "
                               "customer, find out why and record the reason."),
                  since=anomaly.started_on, last=anomaly.last_kwh, expected=anomaly.expected_kwh)


def _open_tasks(anomalies: list, day: date) -> None:
    from django.urls import reverse

    from powerkam.core import workqueue
    from powerkam.core.models import Task
    from powerkam.customers.models import Customer
    from powerkam.customers.quality import task_assignees

    from .models import UsageAnomaly

    customers = {c.pk: c for c in Customer.objects.filter(pk__in={a.customer_id for a in anomalies}).only(
        "id", "name", "org_unit_id", "primary_manager_id", "secondary_manager_id")}
    assignees = task_assignees(customers.values())
    due = workqueue.workday_due(day, TASK_DUE_WORKDAYS)
    placeholder = 987654321987
    head, tail = reverse("consumption_analysis:anomaly", args=[placeholder]).split(str(placeholder), 1)
    specs = []
    for a in anomalies:
        if a.customer_id not in assignees:
            continue  # nobody above the customer: the anomaly list still shows it
        cust = customers[a.customer_id]
        specs.append({"kind": Task.Kind.USAGE_ANOMALY, "key": TASK_KEY.format(pk=a.pk),
                      "assignee_id": assignees[a.customer_id], "customer_id": a.customer_id,
                      "org_unit_id": cust.org_unit_id, "title": task_title(a, cust.name), "detail": task_detail(a),
                      "link": f"{head}{a.pk}{tail}", "priority": Task.Priority.HIGH if a.kind == "drop" else Task.Priority.NORMAL,
                      **due})
    workqueue.open_tasks_copy(specs)
    keys = {TASK_KEY.format(pk=a.pk): a.pk for a in anomalies}
    links = [UsageAnomaly(pk=keys[key], task_id=tid) for key, tid in
             workqueue.tasks_with_keys(keys).values_list("key", "pk")]
    UsageAnomaly.objects.bulk_update(links, ["task"], batch_size=1000)


def record_reason(anomaly, *, reason, note: str = "", by=None):
    """The manager's answer (issue #14 item 5): the reason from the configurable list, a note; the
    anomaly is explained, its task closed, the 360 timeline told. Audited (simple-history).
    Raises ValidationError (field-level) and writes nothing on bad input."""
    from django.core.exceptions import ValidationError
    from django.db import transaction
    from django.utils import timezone
    from django.utils.translation import gettext

    from powerkam.core import workqueue
    from powerkam.customers.services import add_timeline_event

    errors = {}
    if anomaly.status != anomaly.Status.OPEN:
        errors["reason"] = gettext("A reason is already recorded for this anomaly.")
    elif reason is None or not reason.is_active:
        errors["reason"] = gettext("Choose a reason from the list.")
    elif reason.code == "other" and not note.strip():
        errors["note"] = gettext("Say what the other reason is.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        anomaly.status = anomaly.Status.EXPLAINED
        anomaly.reason = reason
        anomaly.note = note.strip()
        anomaly.explained_at = timezone.now()
        anomaly.explained_by = by if getattr(by, "pk", None) else None
        if by is not None and getattr(by, "pk", None):
            anomaly._history_user = by
        anomaly.save(update_fields=["status", "reason", "note", "explained_at", "explained_by"])
        if anomaly.task_id:
            workqueue.close_task(anomaly.task, by=by, result=f"{reason.label}: {anomaly.note}".rstrip(": "))
        add_timeline_event(anomaly.customer, "consumption.anomaly.explained",
                           gettext("Consumption anomaly explained: %(reason)s") % {"reason": reason.label},
                           detail=anomaly.note, actor=by)
    return anomaly
