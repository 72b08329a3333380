"""The nightly anomaly watch on the database (issue #14 item 5): an injected drop opens one
anomaly with a task for the manager and a timeline event; a rerun opens nothing more; the manager
records a reason from the list, which closes the task; bad input writes nothing."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from powerkam.consumption import anomalies
from powerkam.consumption.models import AnomalyReason, UsageAnomaly
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
