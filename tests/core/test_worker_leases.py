"""Job workers' leases (issue #9 item 5): a task whose worker is gone is found and marked failed;
a task whose worker lives is left alone. The worker-killing test is test_worker_killed.py."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from powerkam.core import jobs, leases
from powerkam.core.models import WorkerLease

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def claimed(task_result, worker_id: str) -> DBTaskResult:
    """What `db_worker` does when it takes a task."""
    row = DBTaskResult.objects.get(pk=task_result.id)
    row.claim(worker_id)
    return row


def lease(worker_id: str, **fields) -> WorkerLease:
    defaults = {"host": leases.host_id(), "pid": os.getpid(), "pid_started": leases.process_start(os.getpid())}
    return WorkerLease.objects.create(worker_id=worker_id, **{**defaults, **fields})


def status(row: DBTaskResult) -> str:
    row.refresh_from_db()
    return row.status


def test_a_task_whose_worker_process_is_gone_is_failed_at_once(dead_pid):
    row = claimed(jobs.run_job_task.enqueue("quality_checks", "2026-11-23"), "w-dead")
    lease("w-dead", pid=dead_pid)
    assert leases.reap() == 1
    assert status(row) == "FAILED"
    assert row.exception_class_path == "powerkam.core.leases.WorkerLost"
    assert "w-dead" in row.traceback and str(dead_pid) in row.traceback
    assert leases.reap() == 0  # once


def test_a_living_worker_keeps_its_task():
    row = claimed(jobs.run_job_task.enqueue("quality_checks"), "w-alive")
    lease("w-alive")
    assert leases.reap() == 0 and status(row) == "RUNNING"


def test_a_new_process_reusing_the_worker_pid_is_not_the_worker():
    row = claimed(jobs.run_job_task.enqueue("quality_checks"), "w-reused")
    lease("w-reused", pid_started="1")  # this process id, but a process started at another time
    assert leases.reap() == 1 and status(row) == "FAILED"


@pytest.mark.parametrize("seconds_ago, lost", [(30, False), (61, True)])
def test_a_worker_on_another_host_is_gone_when_its_heartbeat_is_older_than_the_lease(settings, seconds_ago, lost):
    settings.POWERKAM_JOB_LEASE_SECONDS = 60
    row = claimed(jobs.run_job_task.enqueue("quality_checks"), "w-far")
    lease("w-far", host="another-host:4026531836", pid=1,
          heartbeat_at=timezone.now() - timedelta(seconds=seconds_ago))
    assert leases.reap() == int(lost)
    assert status(row) == ("FAILED" if lost else "RUNNING")


def test_a_worker_that_stopped_with_its_task_still_running_lost_it():
    row = claimed(jobs.run_job_task.enqueue("quality_checks"), "w-stopped")
    lease("w-stopped", stopped_at=timezone.now())
    assert leases.reap() == 1 and status(row) == "FAILED"


def test_a_task_of_a_worker_without_a_lease_is_left_alone():
    """Started by another command: nothing tells whether it lives."""
    row = claimed(jobs.run_job_task.enqueue("quality_checks"), "w-unknown")
    assert leases.reap() == 0 and status(row) == "RUNNING"


def test_a_lost_periodic_job_is_enqueued_again_once(dead_pid, django_capture_on_commit_callbacks):
    first = claimed(jobs.run_job_task.enqueue("receivables_ladder", "2026-11-23"), "w1")
    lease("w1", pid=dead_pid)
    with django_capture_on_commit_callbacks(execute=True):
        leases.reap()
    again = DBTaskResult.objects.exclude(pk=first.pk).get()
    assert again.status == "READY" and again.args_kwargs == {
        "args": ["receivables_ladder", "2026-11-23"], "kwargs": {"attempt": 2}}

    again.claim("w1")  # lost a second time: not enqueued a third time
    with django_capture_on_commit_callbacks(execute=True):
        leases.reap()
    assert DBTaskResult.objects.count() == 2 and status(again) == "FAILED"


@pytest.mark.django_db(transaction=True)  # the worker closes connections between tasks, as in production
def test_the_worker_command_holds_a_lease_and_reaps_before_its_first_task(dead_pid):
    from django.core.management import call_command

    row = claimed(jobs.run_job_task.enqueue("quality_checks"), "w-old")
    lease("w-old", pid=dead_pid)
    call_command("db_worker", batch=True, worker_id="w-new", startup_delay=False, reload=False, verbosity=0)
    assert status(row) == "FAILED"
    new = WorkerLease.objects.get(worker_id="w-new")
    assert new.pid == os.getpid() and new.stopped_at is not None


def test_the_worker_looks_for_tasks_every_fifth_of_a_second_unless_told():
    """An idle worker looks for new tasks every 0.2 s (the stock default is 1 s: a job a user
    started waited half a second on average before it began); `--interval` still sets it."""
    from powerkam.core.management.commands.db_worker import POLL_SECONDS, Command

    parser = Command().create_parser("manage.py", "db_worker")
    assert POLL_SECONDS == 0.2
    assert parser.parse_args([]).interval == 0.2
    assert parser.parse_args(["--interval", "2"]).interval == 2.0
