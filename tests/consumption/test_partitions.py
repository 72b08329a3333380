"""PostgreSQL: the interval table is partitioned by month; partitions are created ahead and on demand."""

from datetime import date

import pytest
from django.db import connection

from powerkam.consumption import partitions, services
from powerkam.consumption.jobs import create_partitions
from powerkam.consumption.models import IngestBatch, IntervalReading

from .conftest import wide_csv

pg_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="partitions exist on PostgreSQL only")


@pytest.mark.django_db
def test_month_arithmetic():
    assert partitions.add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert partitions.partition_name(date(2027, 2, 1)) == "consumption_intervalreading_y2027m02"


@pg_only
@pytest.mark.django_db
def test_the_nightly_job_creates_months_ahead():
    create_partitions(date(2030, 5, 17))
    names = partitions.list_partitions()
    assert {f"consumption_intervalreading_y2030m0{m}" for m in (5, 6, 7, 8)} <= set(names)
    assert create_partitions(date(2030, 5, 17))["created"] == 0  # idempotent


@pg_only
@pytest.mark.django_db
def test_an_old_month_gets_its_partition_at_ingest_and_rows_land_in_it(meter, clerk):
    batch = services.start_ingest(wide_csv([("ZJ0001", date(2024, 3, 31), [5.0] * 96)]), "old.csv", layout="wide",
                                  actor=clerk)
    assert batch.status == IngestBatch.Status.DONE
    assert "consumption_intervalreading_y2024m03" in partitions.list_partitions()
    with connection.cursor() as cur:
        cur.execute('SELECT count(*) FROM "consumption_intervalreading_y2024m03"')
        assert cur.fetchone()[0] == 96
    assert IntervalReading.objects.filter(day=date(2024, 3, 31)).count() == 96


def test_sqlite_has_no_partitions():
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL")
    assert partitions.ensure_partitions(date(2026, 1, 1), date(2026, 3, 1)) == []


@pg_only
@pytest.mark.django_db
def test_an_ingest_creates_a_month_while_another_ingest_is_writing():
    """Files ingested side by side: a month's partition is created and committed at once (a plain table
    ATTACHed on a connection of its own), not blocked by another ingest's open transaction."""
    from django.db import DEFAULT_DB_ALIAS, connections

    partitions.ensure_partitions_now(date(2031, 1, 1), date(2031, 1, 1))
    other, fresh = connections.create_connection(DEFAULT_DB_ALIAS), connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        other.ensure_connection()
        other.connection.autocommit = False  # an ingest in progress: its COPY holds the parent until it commits
        other.connection.execute(f'INSERT INTO "{partitions.TABLE}" VALUES (1, %s, 1, 1, 5.0, NULL)', [date(2031, 1, 5)])
        with connection.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout = '3s'")  # the old way would wait for `other`: fail, not hang
        partitions.ensure_partitions_now(date(2031, 2, 1), date(2031, 2, 1))
        fresh.ensure_connection()
        committed = {r[0] for r in fresh.connection.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid").fetchall()}
        assert "consumption_intervalreading_y2031m02" in committed
    finally:
        other.connection.rollback()
        other.close()
        fresh.close()
