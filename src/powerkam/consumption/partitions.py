"""Monthly partitions of the interval table on PostgreSQL (declarative, RANGE on `day`).

The table is created partitioned by migration 0001; a partition per month is created ahead by the
nightly job (`consumption_partitions`, PARTITION_MONTHS_AHEAD months) and, for whatever months a
file holds, by the ingest itself before it copies — so a file with last year's data never fails
for want of a partition. On SQLite the table is plain and these functions do nothing.
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from . import constants as c

TABLE = "consumption_intervalreading"
ADVISORY_LOCK = 1_401_140_001  # pg_advisory_xact_lock key of partition creation (issue 14, partitions 1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(y, m + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def is_partitioned(conn=None) -> bool:
    return (conn or connection).vendor == "postgresql"


def ensure_partitions(first: date, last: date, conn=None) -> list[str]:
    """Create the monthly partitions covering first…last (inclusive) that do not exist yet;
    returns the names created. Idempotent (CREATE TABLE IF NOT EXISTS)."""
    conn = conn or connection
    if not is_partitioned(conn):
        return []
    months = []
    month = month_start(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    with conn.cursor() as cur:
        cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s", [TABLE])
        existing = {row[0] for row in cur.fetchall()}
        created = []
        for month in months:
            name = partition_name(month)
            if name in existing:
                continue
            cur.execute(f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{TABLE}" '
                        f"FOR VALUES FROM ('{month:%Y-%m-%d}') TO ('{add_months(month, 1):%Y-%m-%d}')")
            created.append(name)
    return created


def _existing(cur) -> set[str]:
    cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s", [TABLE])
    return {row[0] for row in cur.fetchall()}


def ensure_partitions_now(first: date, last: date) -> list[str]:
    """ensure_partitions for an ingest, committed at once on a connection of its own, so that ingests
    running side by side (one job a file) never wait for one another's partitions. The month is
    created as a plain table and ATTACHed: that takes SHARE UPDATE EXCLUSIVE on the parent, which the
    COPYs of ingests in progress (ROW EXCLUSIVE) do not conflict with — `CREATE TABLE … PARTITION OF`
    would take ACCESS EXCLUSIVE and wait for every open ingest to commit. Creators queue on an advisory
    lock. If that connection cannot get its locks within a few seconds (the caller's own transaction
    holds the parent), the months are created in the caller's transaction as before."""
    if not is_partitioned():
        return []
    months = []
    month = month_start(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    with connection.cursor() as cur:
        existing = _existing(cur)
    if all(partition_name(m) in existing for m in months):
        return []
    from django.db import DEFAULT_DB_ALIAS, connections

    side = connections.create_connection(DEFAULT_DB_ALIAS)
    created = []
    try:
        side.ensure_connection()
        pg = side.connection
        with pg.transaction():
            pg.execute("SET LOCAL lock_timeout = '5s'")
            pg.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
            with pg.cursor() as cur:
                existing = _existing(cur)
            for month in months:
                name = partition_name(month)
                if name in existing:
                    continue
                pg.execute(f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)')
                pg.execute(f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" '
                           f"FOR VALUES FROM ('{month:%Y-%m-%d}') TO ('{add_months(month, 1):%Y-%m-%d}')")
                created.append(name)
    except Exception:  # noqa: BLE001 - a lock not granted in time, or any other failure: the old way
        return ensure_partitions(first, last)
    finally:
        side.close()
    return created


def ensure_ahead(today: date, conn=None) -> list[str]:
    """This month and PARTITION_MONTHS_AHEAD months ahead."""
    first = month_start(today)
    return ensure_partitions(first, add_months(first, c.PARTITION_MONTHS_AHEAD), conn)


def list_partitions(conn=None) -> list[str]:
    conn = conn or connection
    if not is_partitioned(conn):
        return []
    with conn.cursor() as cur:
        cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s ORDER BY 1", [TABLE])
        return [row[0] for row in cur.fetchall()]


# The DDL of the partitioned parent (migration 0001). customer_id leads the primary key: the Citus
# distribution column; day is in it because a partitioned table's keys must hold the partition key.
CREATE_PARENT_SQL = f"""
CREATE TABLE "{TABLE}" (
    "customer_id" bigint NOT NULL,
    "day" date NOT NULL,
    "metering_point_id" bigint NOT NULL,
    "slot" smallint NOT NULL CHECK ("slot" >= 1 AND "slot" <= {c.SLOTS_PER_DAY}),
    "kw" double precision NOT NULL,
    "kvar" double precision NULL,
    PRIMARY KEY ("customer_id", "day", "metering_point_id", "slot")
) PARTITION BY RANGE ("day")
"""
# Elsewhere (SQLite): the same table, not partitioned.
CREATE_PLAIN_SQL = CREATE_PARENT_SQL.replace(' PARTITION BY RANGE ("day")', "").replace("double precision", "real")
DROP_PARENT_SQL = f'DROP TABLE IF EXISTS "{TABLE}" CASCADE'
