"""Bulk writes of interval readings and daily aggregates (DESIGN "Data": COPY on PostgreSQL,
executemany on SQLite). Every write is an upsert, so re-importing the same data changes nothing.

PostgreSQL: the rows are packed into COPY's binary format with numpy (no per-value Python work)
and copied straight into the partitioned table when none of the batch's customers has data on
those days yet (the common case of new data), else into a temporary table and merged with
INSERT … ON CONFLICT DO UPDATE … WHERE IS DISTINCT FROM (only values that differ are touched).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import connection, transaction

from . import partitions

TABLE = partitions.TABLE
KEY = ("customer_id", "day", "metering_point_id", "slot")
PG_EPOCH = date(2000, 1, 1).toordinal()


@dataclass
class Rows:
    """Interval rows as parallel numpy arrays (day as a proleptic ordinal; kvar NaN = none)."""

    customer: np.ndarray  # int64
    day: np.ndarray  # int64 ordinals
    mp: np.ndarray  # int64
    slot: np.ndarray  # int16 1…96
    kw: np.ndarray  # float64, NaN = not given (a reactive-only row)
    kvar: np.ndarray  # float64, NaN = none

    def __len__(self) -> int:
        return len(self.customer)

    def take(self, mask: np.ndarray) -> Rows:
        return Rows(self.customer[mask], self.day[mask], self.mp[mask], self.slot[mask], self.kw[mask], self.kvar[mask])


_FIELDS_WITH_KVAR = [("n", ">i2"), ("l1", ">i4"), ("customer", ">i8"), ("l2", ">i4"), ("day", ">i4"),
                     ("l3", ">i4"), ("mp", ">i8"), ("l4", ">i4"), ("slot", ">i2"), ("l5", ">i4"), ("kw", ">f8"),
                     ("l6", ">i4"), ("kvar", ">f8")]
_DT_KVAR = np.dtype(_FIELDS_WITH_KVAR)
_DT_NO_KVAR = np.dtype(_FIELDS_WITH_KVAR[:-1])  # kvar: length -1 (NULL), no data
_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_TRAILER = (-1).to_bytes(2, "big", signed=True)


def pack_binary(rows: Rows) -> bytes:
    """The rows in PostgreSQL's binary COPY format (6 columns: customer_id, day, metering_point_id,
    slot, kw, kvar). NaN kw is written as 0 — callers never copy reactive-only rows."""
    has_q = ~np.isnan(rows.kvar)
    parts = [_HEADER]
    for mask, dt in ((has_q, _DT_KVAR), (~has_q, _DT_NO_KVAR)):
        n = int(mask.sum())
        if not n:
            continue
        a = np.empty(n, dtype=dt)
        a["n"] = 6
        a["l1"], a["l2"], a["l3"], a["l4"], a["l5"], a["l6"] = 8, 4, 8, 2, 8, (8 if dt is _DT_KVAR else -1)
        a["customer"] = rows.customer[mask]
        a["day"] = rows.day[mask] - PG_EPOCH
        a["mp"] = rows.mp[mask]
        a["slot"] = rows.slot[mask]
        a["kw"] = np.nan_to_num(rows.kw[mask])
        if dt is _DT_KVAR:
            a["kvar"] = rows.kvar[mask]
        parts.append(a.tobytes())
    parts.append(_TRAILER)
    return b"".join(parts)


def _copy(cur, table: str, rows: Rows) -> None:
    with cur.copy(f'COPY "{table}" (customer_id, day, metering_point_id, slot, kw, kvar) FROM STDIN (FORMAT BINARY)') as cp:
        cp.write(pack_binary(rows))


_TMP = "consumption_interval_tmp"


def _pg_tmp(cur) -> None:
    cur.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{_TMP}" (customer_id bigint, day date, metering_point_id bigint, '
                f"slot smallint, kw double precision, kvar double precision) ON COMMIT DROP")
    cur.execute(f'TRUNCATE "{_TMP}"')


def stored_day_ranges(customers: Iterable[int], first: date, last: date) -> dict[int, tuple[int, int]]:
    """{customer: (first, last day ordinal)} of the intervals stored between first and last, for the
    customers that have any: a day outside its customer's range is certainly not stored yet."""
    ids = sorted(set(int(c) for c in customers))
    out: dict[int, tuple[int, int]] = {}
    with connection.cursor() as cur:
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            marks = ",".join(["%s"] * len(part))
            cur.execute(f'SELECT customer_id, MIN(day), MAX(day) FROM "{TABLE}" WHERE customer_id IN ({marks}) '
                        f"AND day BETWEEN %s AND %s GROUP BY customer_id", [*part, first, last])
            for cust, lo, hi in cur.fetchall():
                lo = date.fromisoformat(lo) if isinstance(lo, str) else lo
                hi = date.fromisoformat(hi) if isinstance(hi, str) else hi
                out[cust] = (lo.toordinal(), hi.toordinal())
    return out


def write_intervals(rows: Rows, *, fresh: bool) -> int:
    """Upsert the rows that carry active power, and set kvar on stored rows for reactive-only rows.
    `fresh`: the caller checked nothing is stored for these keys (COPY straight into the table).
    Returns how many stored values were inserted or changed."""
    if not len(rows):
        return 0
    has_p = ~np.isnan(rows.kw)
    active, reactive_only = rows.take(has_p), rows.take(~has_p & ~np.isnan(rows.kvar))
    if connection.vendor == "postgresql":
        return _write_pg(active, reactive_only, fresh)
    return _write_sqlite(active, reactive_only)


def _write_pg(active: Rows, reactive_only: Rows, fresh: bool) -> int:
    changed = 0
    # The temporary tables live until the transaction ends (ON COMMIT DROP): always inside one.
    with transaction.atomic(), connection.cursor() as cur:
        if len(active):
            if fresh:
                _copy(cur, TABLE, active)
                changed += len(active)
            else:
                _pg_tmp(cur)
                _copy(cur, _TMP, active)
                cur.execute(
                    f'INSERT INTO "{TABLE}" AS t (customer_id, day, metering_point_id, slot, kw, kvar) '
                    f'SELECT customer_id, day, metering_point_id, slot, kw, kvar FROM "{_TMP}" '
                    f"ON CONFLICT (customer_id, day, metering_point_id, slot) DO UPDATE "
                    f"SET kw = EXCLUDED.kw, kvar = COALESCE(EXCLUDED.kvar, t.kvar) "
                    f"WHERE t.kw IS DISTINCT FROM EXCLUDED.kw "
                    f"OR (EXCLUDED.kvar IS NOT NULL AND t.kvar IS DISTINCT FROM EXCLUDED.kvar)")
                changed += max(cur.rowcount, 0)
        if len(reactive_only):
            _pg_tmp(cur)
            _copy(cur, _TMP, reactive_only)
            cur.execute(
                f'UPDATE "{TABLE}" AS t SET kvar = s.kvar FROM "{_TMP}" s WHERE t.customer_id = s.customer_id '
                f"AND t.day = s.day AND t.metering_point_id = s.metering_point_id AND t.slot = s.slot "
                f"AND t.kvar IS DISTINCT FROM s.kvar")
            changed += max(cur.rowcount, 0)
    return changed


def _iso_days(ordinals: np.ndarray) -> list[str]:
    cache: dict[int, str] = {}
    out = []
    for o in ordinals.tolist():
        s = cache.get(o)
        if s is None:
            s = cache[o] = date.fromordinal(o).isoformat()
        out.append(s)
    return out


def _opt(values: np.ndarray) -> list:
    return [None if v != v else v for v in values.tolist()]  # NaN → NULL


def _write_sqlite(active: Rows, reactive_only: Rows) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT total_changes()")
        before = cur.fetchone()[0]
        if len(active):
            cur.executemany(
                f'INSERT INTO "{TABLE}" (customer_id, day, metering_point_id, slot, kw, kvar) VALUES (%s, %s, %s, %s, %s, %s) '
                f"ON CONFLICT (customer_id, day, metering_point_id, slot) DO UPDATE "
                f"SET kw = excluded.kw, kvar = COALESCE(excluded.kvar, kvar) "
                f"WHERE kw IS NOT excluded.kw OR (excluded.kvar IS NOT NULL AND kvar IS NOT excluded.kvar)",
                list(zip(active.customer.tolist(), _iso_days(active.day), active.mp.tolist(), active.slot.tolist(),
                         active.kw.tolist(), _opt(active.kvar), strict=True)))
        if len(reactive_only):
            cur.executemany(
                f'UPDATE "{TABLE}" SET kvar = %s WHERE customer_id = %s AND day = %s AND metering_point_id = %s '
                f"AND slot = %s AND kvar IS NOT %s",
                [(q, cu, d, m, s, q) for q, cu, d, m, s in zip(
                    reactive_only.kvar.tolist(), reactive_only.customer.tolist(), _iso_days(reactive_only.day),
                    reactive_only.mp.tolist(), reactive_only.slot.tolist(), strict=True)])
        cur.execute("SELECT total_changes()")
        return cur.fetchone()[0] - before


def stored_curves(keys: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Customer-day curves summed over metering points, read back from the table:
    {(customer_id, day ordinal): (kw[96], kvar[96], meters reporting per slot[96])}."""
    out: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    if not keys:
        return out
    by_customer: dict[int, list[int]] = {}
    for cust, day in keys:
        by_customer.setdefault(cust, []).append(day)
    ids = sorted(by_customer)
    first = date.fromordinal(min(d for _, d in keys))
    last = date.fromordinal(max(d for _, d in keys))
    with connection.cursor() as cur:
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            marks = ",".join(["%s"] * len(part))
            cur.execute(f'SELECT customer_id, day, slot, SUM(kw), SUM(kvar), COUNT(*) FROM "{TABLE}" '
                        f"WHERE customer_id IN ({marks}) AND day BETWEEN %s AND %s "
                        f"GROUP BY customer_id, day, slot", [*part, first, last])
            for cust, day, slot, kw, kvar, n in cur.fetchall():
                if isinstance(day, str):
                    day = date.fromisoformat(day)
                key = (cust, day.toordinal())
                if key not in keys:
                    continue
                entry = out.get(key)
                if entry is None:
                    entry = out[key] = (np.full(96, np.nan), np.full(96, np.nan), np.zeros(96, dtype=np.int32))
                entry[0][slot - 1] = kw
                entry[1][slot - 1] = np.nan if kvar is None else kvar
                entry[2][slot - 1] = n
    return out


AGG_COLUMNS = ("customer_id", "day", "kwh_total", "kwh_sharp", "kwh_peak", "kwh_flat", "kwh_valley", "kvarh",
               "max_demand_kw", "max_demand_at", "load_factor", "avg_power_factor", "slots", "source", "complete",
               "batch_id", "updated_at")
_AGG_COMPARED = AGG_COLUMNS[2:15]  # a row whose figures are unchanged is left alone (batch, updated_at too)
AGG_TABLE = "consumption_dailyaggregate"
_AGG_TMP = "consumption_aggregate_tmp"


def upsert_aggregates(rows: list[tuple]) -> int:
    """Insert or update daily aggregates (tuples in AGG_COLUMNS order); returns rows changed."""
    if not rows:
        return 0
    cols = ", ".join(AGG_COLUMNS)
    marks = ", ".join(["%s"] * len(AGG_COLUMNS))
    sets = ", ".join(f"{col} = excluded.{col}" for col in AGG_COLUMNS[2:])
    if connection.vendor == "postgresql":
        where = f"({', '.join('t.' + c for c in _AGG_COMPARED)}) IS DISTINCT FROM ({', '.join('excluded.' + c for c in _AGG_COMPARED)})"
    else:
        where = " OR ".join(f"t.{c} IS NOT excluded.{c}" for c in _AGG_COMPARED)
    sql = (f"INSERT INTO {AGG_TABLE} AS t ({cols}) VALUES ({marks}) ON CONFLICT (customer_id, day) "
           f"DO UPDATE SET {sets} WHERE {where}")
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # COPY into a temporary table, then one merge (an executemany is a round trip a row)
            if not connection.in_atomic_block:
                with transaction.atomic():
                    return upsert_aggregates(rows)
            cur.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{_AGG_TMP}" (LIKE {AGG_TABLE}) ON COMMIT DROP')
            cur.execute(f'TRUNCATE "{_AGG_TMP}"')
            with cur.copy(f'COPY "{_AGG_TMP}" ({cols}) FROM STDIN') as cp:
                for row in rows:
                    cp.write_row(row)
            cur.execute(f'INSERT INTO {AGG_TABLE} AS t ({cols}) SELECT {cols} FROM "{_AGG_TMP}" '
                        f"ON CONFLICT (customer_id, day) DO UPDATE SET {sets} WHERE {where}")
            return max(cur.rowcount, 0)
        cur.execute("SELECT total_changes()")
        before = cur.fetchone()[0]
        cur.executemany(sql, rows)
        cur.execute("SELECT total_changes()")
        return cur.fetchone()[0] - before
