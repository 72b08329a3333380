"""The job table, the scheduler and the quality-check commands."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from powerkam.core import jobs
from powerkam.customers.models import DataQualityFinding
from tests.factories import CustomerFactory, complete_customer

SH = ZoneInfo("Asia/Shanghai")


def test_quality_checks_job_is_registered():
    assert "quality_checks" in jobs.JOBS


@pytest.mark.parametrize("value, expected", [("02:00", (2, 0)), ("2:30", (2, 30)), ("23:59", (23, 59))])
def test_parse_at(value, expected):
    at = jobs.parse_at(value)
    assert (at.hour, at.minute) == expected


@pytest.mark.parametrize("value", ["24:00", "2am", "", "02:60"])
def test_parse_at_refuses_bad_times(value):
    with pytest.raises(ImproperlyConfigured):
        jobs.parse_at(value)


def test_next_run_is_today_before_the_time_and_tomorrow_after(monkeypatch):
    monkeypatch.setenv("POWERKAM_NIGHTLY_AT", "02:00")
    job = jobs.JOBS["quality_checks"]
    assert job.next_run(datetime(2026, 11, 23, 1, 0, tzinfo=SH)) == datetime(2026, 11, 23, 2, 0, tzinfo=SH)
    assert job.next_run(datetime(2026, 11, 23, 2, 0, tzinfo=SH)) == datetime(2026, 11, 24, 2, 0, tzinfo=SH)


def test_scheduler_runs_a_due_job_once_per_day(monkeypatch):
    monkeypatch.setenv("POWERKAM_NIGHTLY_AT", "02:00")
    ran = []
    scheduler = jobs.Scheduler(["quality_checks"], now=datetime(2026, 11, 23, 1, 0, tzinfo=SH),
                               runner=lambda name, day: ran.append((name, day)) or {})
    assert scheduler.tick(datetime(2026, 11, 23, 1, 59, tzinfo=SH)) == {}
    assert scheduler.tick(datetime(2026, 11, 23, 2, 0, 5, tzinfo=SH)) == {"quality_checks": {}}
    assert scheduler.tick(datetime(2026, 11, 23, 3, 0, tzinfo=SH)) == {}
    scheduler.tick(datetime(2026, 11, 24, 2, 0, tzinfo=SH))
    assert ran == [("quality_checks", date(2026, 11, 23)), ("quality_checks", date(2026, 11, 24))]


def test_a_failing_job_does_not_stop_the_scheduler(monkeypatch):
    def boom(name, day):
        raise RuntimeError("database away")

    scheduler = jobs.Scheduler(["quality_checks"], now=datetime(2026, 11, 23, 1, 0, tzinfo=SH), runner=boom)
    result = scheduler.tick(datetime(2026, 11, 23, 12, 0, tzinfo=SH))
    assert "error" in result["quality_checks"]
    assert scheduler.next_runs["quality_checks"] > datetime(2026, 11, 23, 12, 0, tzinfo=SH)


@pytest.mark.django_db
def test_scheduler_once_runs_the_nightly_job(org_tree, capsys):
    broken = CustomerFactory(org_unit=org_tree["s1"])  # no supply point, metering, contract
    call_command("run_scheduler", once=True)
    assert "quality_checks" in capsys.readouterr().out
    assert DataQualityFinding.objects.filter(customer=broken, rule="metering_missing").exists()


@pytest.mark.django_db
def test_scheduler_refuses_an_unknown_job():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("run_scheduler", once=True, names=["nope"])


@pytest.mark.django_db
def test_run_quality_checks_prints_counts(org_tree, capsys):
    complete_customer(org_unit=org_tree["s1"])
    CustomerFactory(org_unit=org_tree["s1"], credit_code="")
    DataQualityFinding.objects.all().delete()  # as if the rules had never run
    call_command("run_quality_checks", day="2026-11-23")
    out = capsys.readouterr().out
    assert "customers checked: 2" in out
    assert "open identity_missing: 1" in out


@pytest.mark.django_db
def test_run_quality_checks_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("run_quality_checks", day="23/11/2026")


@pytest.mark.django_db
def test_quality_check_as_a_django_task(org_tree):
    broken = CustomerFactory(org_unit=org_tree["s1"])
    DataQualityFinding.objects.all().delete()
    result = jobs.quality_checks_task.enqueue("2026-11-23")  # the immediate backend in tests
    assert result.return_value["customers"] == 1
    assert DataQualityFinding.objects.filter(customer=broken).exists()


@pytest.mark.django_db
def test_database_statistics_job_analyses_sqlite_and_leaves_postgresql_alone():
    from django.db import connection

    assert "database_statistics" in jobs.JOBS
    CustomerFactory()
    result = jobs.run_job("database_statistics")
    if connection.vendor == "sqlite":
        assert "analysed_s" in result
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'customers_customer'")
            assert cursor.fetchone()[0] > 0
    else:
        assert "skipped" in result
