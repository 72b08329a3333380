"""The nightly anomaly watch on the database (issue #14 item 5): an injected drop opens one
anomaly with a task for the manager and a timeline event; a rerun opens nothing more; the manager
records a reason from the list, which closes the task; bad input writes nothing."""

from datetime import date, timedelta

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from powerkam.consumption import anomalies
from powerkam.consumption.models import AnomalyReason, DailyAggregate, UsageAnomaly
from powerkam.core.models import Task
from powerkam.customers.models import TimelineEvent
from tests.factories import CustomerFactory

from .analysis_data import put_daily, regular_series

TODAY = date(2025, 6, 21)  # the job's business day; it judges up to 2025-06-20
START = TODAY - timedelta(days=200)


@pytest.fixture
def watched(db, make_staff):
    manager = make_staff("manager")
    falling = CustomerFactory(name="下滑客户", org_unit=manager.org_unit, primary_manager=manager)
    steady = CustomerFactory(name="平稳客户", org_unit=manager.org_unit, primary_manager=manager)
    values = regular_series(START, 200, seed=1)
    values[-12:] *= 0.5
    put_daily(falling, START, values)
    put_daily(steady, START, regular_series(START, 200, seed=2))
    return manager, falling, steady


def test_drop_opens_one_anomaly_task_and_timeline_event(watched):
    manager, falling, steady = watched
    result = anomalies.run_watch(TODAY)
    assert result["customers"] == 2 and result["anomalies_opened"] == 1
    anomaly = UsageAnomaly.objects.get()
    assert (anomaly.customer, anomaly.kind, anomaly.status) == (falling, "drop", "open")
    assert anomaly.started_on == date(2025, 6, 9)
    assert 0.4 < float(anomaly.ratio) < 0.6
    task = anomaly.task
    assert task.kind == Task.Kind.USAGE_ANOMALY and task.assignee == manager and task.customer == falling
    assert task.link.endswith(f"/{anomaly.pk}/")
    assert anomaly.history.count() == 1
    assert TimelineEvent.objects.filter(customer=falling, kind="consumption.anomaly.drop").count() == 1


def test_rerun_opens_nothing_more(watched):
    anomalies.run_watch(TODAY)
    again = anomalies.run_watch(TODAY + timedelta(days=1))
    assert again["anomalies_opened"] == 0
    assert UsageAnomaly.objects.count() == 1
    assert Task.objects.filter(kind=Task.Kind.USAGE_ANOMALY).count() == 1
    assert UsageAnomaly.objects.get().checked_on == TODAY


def test_reason_closes_the_task_and_an_explained_run_is_not_reopened(watched):
    manager, falling, _ = watched
    anomalies.run_watch(TODAY)
    anomaly = UsageAnomaly.objects.get()
    cut = AnomalyReason.objects.get(code="production_cut")
    anomalies.record_reason(anomaly, reason=cut, note="二号线检修", by=manager)
    anomaly.refresh_from_db()
    assert anomaly.status == "explained" and anomaly.explained_by == manager
    assert anomaly.task.status == Task.Status.DONE
    assert TimelineEvent.objects.filter(customer=falling, kind="consumption.anomaly.explained").count() == 1
    assert anomalies.run_watch(TODAY + timedelta(days=1))["anomalies_opened"] == 0


@pytest.mark.parametrize("code, note, field", [("other", "", "note"), (None, "x", "reason")])
def test_bad_reason_writes_nothing(watched, code, note, field):
    manager, *_ = watched
    anomalies.run_watch(TODAY)
    anomaly = UsageAnomaly.objects.get()
    reason = AnomalyReason.objects.get(code=code) if code else None
    with pytest.raises(ValidationError) as err:
        anomalies.record_reason(anomaly, reason=reason, note=note, by=manager)
    assert field in err.value.message_dict
    anomaly.refresh_from_db()
    assert anomaly.status == "open" and anomaly.task.status == Task.Status.OPEN


def test_seeded_reason_list(db):
    assert list(AnomalyReason.objects.values_list("code", flat=True)) == [
        "production_cut", "relocation", "self_generation", "incremental_network", "meter_fault", "closure", "other"]


def test_scan_query_count_does_not_grow_with_customers(db, make_staff, django_assert_max_num_queries):
    """Set-based: the same number of queries for 3 falling customers as for 1."""
    manager = make_staff("manager")

    def falling(n, seed):
        for i in range(n):
            cu = CustomerFactory(org_unit=manager.org_unit, primary_manager=manager)
            values = regular_series(START, 200, seed=seed + i)
            values[-12:] *= 0.4
            put_daily(cu, START, values)

    falling(1, 10)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        anomalies.run_watch(TODAY)
    UsageAnomaly.objects.all().delete()
    Task.objects.all().delete()
    falling(3, 20)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert anomalies.run_watch(TODAY)["anomalies_opened"] == 4


# --- The read (docs/performance.md, "nightly anomaly scan") ---------------------------------------

def _binary_copy(rows, extension=b""):
    """A PostgreSQL binary COPY stream of (int8, int4, float8) rows, as the server sends it."""
    import struct

    head = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">iI", 0, len(extension)) + extension
    row = struct.Struct(">hiqiiid")
    return b"".join([head, *(row.pack(3, 8, c, 4, d, 8, v) for c, d, v in rows), b"\xff\xff"])


@pytest.mark.parametrize("block", [1, 7, 34, 1 << 16])
def test_binary_copy_is_read_whatever_the_block_boundaries(block):
    rows = [(7, 0, 1234.5), (7, 3, 0.0), (123456789012, 104, 98765.432), (42, 50, -1.0)]
    stream = _binary_copy(rows, extension=b"ab")
    cids, cols, kwh = anomalies._read_binary_copy(stream[i:i + block] for i in range(0, len(stream), block))
    assert list(zip(cids.tolist(), cols.tolist(), kwh.tolist(), strict=True)) == rows


def test_a_large_binary_copy_comes_in_chunks_that_add_up():
    rows = [(i % 1000, i % 105, i / 8) for i in range(140_000)]  # 4.8 MB: more than one chunk
    stream = _binary_copy(rows)
    chunks = list(anomalies._binary_copy_chunks(stream[i:i + 65536] for i in range(0, len(stream), 65536)))
    assert len(chunks) == 2
    cids, cols, kwh = (np.concatenate([c[k] for c in chunks]) for k in range(3))
    assert cids.tolist() == [r[0] for r in rows] and cols.tolist() == [r[1] for r in rows]
    assert kwh.tolist() == [r[2] for r in rows]


def test_a_truncated_binary_copy_is_an_error():
    stream = _binary_copy([(7, 0, 1.0), (8, 1, 2.0)])
    with pytest.raises(ValueError):
        anomalies._read_binary_copy([stream[:-5]])


def test_rows_of_maps_customer_ids_to_matrix_rows():
    ids, rows = anomalies._rows_of(np.array([30, 10, 30, 20, 10], dtype=np.int64))
    assert ids.tolist() == [10, 20, 30] and rows.tolist() == [2, 0, 2, 1, 0]
    big, rows = anomalies._rows_of(np.array([90_000_000_000, 5], dtype=np.int64))
    assert big.tolist() == [5, 90_000_000_000] and rows.tolist() == [1, 0]


def test_load_matrix_reads_complete_days_of_the_wanted_columns_only(watched):
    _manager, falling, steady = watched
    cal = anomalies.build_calendar(START, TODAY - timedelta(days=1))
    DailyAggregate.objects.filter(customer=steady, day=START + timedelta(days=5)).update(complete=False)
    ids, matrix = anomalies.load_matrix(cal, np.array([0, 1, 5, 6, 7, 150]))
    assert ids.tolist() == sorted([falling.pk, steady.pk])
    row = ids.tolist().index(steady.pk)
    read = np.flatnonzero(~np.isnan(matrix[row]))
    assert read.tolist() == [0, 1, 6, 7, 150]  # column 5 incomplete, the rest never read
    expected = DailyAggregate.objects.get(customer=steady, day=START + timedelta(days=150)).kwh_total
    assert matrix[row, 150] == float(expected)
    only, _m = anomalies.load_matrix(cal, np.array([0]), customer_ids=[falling.pk])
    assert only.tolist() == [falling.pk]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the covering index is PostgreSQL's")
def test_the_read_is_an_index_only_scan_of_the_watch_index(watched):
    """With the table too small for the planner to prefer it, sequential scans are switched off: the
    point is that every column the read needs is in cons_agg_watch_idx (an Index Only Scan is
    impossible otherwise)."""
    cal = anomalies.build_calendar(START, TODAY - timedelta(days=1))
    rules = anomalies.DEFAULT_RULES
    query, params = anomalies.read_query(cal, anomalies.needed_columns(cal, rules))
    with connection.cursor() as cursor:  # SET LOCAL: undone with the test's transaction
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {query}", params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "Index Only Scan using cons_agg_watch_idx" in plan
