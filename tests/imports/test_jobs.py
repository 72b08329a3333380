"""Import jobs: small files run inline, large ones as a background task with progress."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tasks.signals import task_enqueued

from powerkam.customers.models import Customer
from powerkam.imports import services
from powerkam.imports.models import ImportJob
from tests.imports.conftest import customer_rows, upload

pytestmark = pytest.mark.django_db


def test_small_file_runs_inline_then_commits(clerk, manager):
    f, name = upload(customer_rows(5, manager="mgr1"))
    job = services.start_import("customers", f, name, actor=clerk)
    assert job.status == ImportJob.Status.READY and not job.background
    assert job.summary["created"] == 5 and job.total_rows == 5
    assert job.file.name.startswith("imports/") and job.filename == "data.xlsx"
    assert Customer.objects.count() == 0
    job = services.commit_import(job, actor=clerk)
    assert job.status == ImportJob.Status.DONE and job.summary["committed"]
    assert Customer.objects.count() == 5
    with pytest.raises(ValidationError):  # only once
        services.commit_import(job, actor=clerk)


def test_large_file_runs_in_the_background_with_progress(clerk, manager, settings, monkeypatch, request):
    settings.POWERKAM_IMPORT_INLINE_ROWS = 10
    monkeypatch.setattr(services, "BATCH_SIZE", 7)
    seen = []
    real = services._write_progress

    def spy(job_id, done, total):
        seen.append((done, total))
        real(job_id, done, total)

    monkeypatch.setattr(services, "_write_progress", spy)
    enqueued = []

    def on_enqueued(sender, task_result, **kwargs):
        enqueued.append(tuple(task_result.args))

    task_enqueued.connect(on_enqueued, weak=False)
    request.addfinalizer(lambda: task_enqueued.disconnect(on_enqueued))
    f, name = upload(customer_rows(30, manager="mgr1"), fmt="csv")
    job = services.start_import("customers", f, name, actor=clerk)
    assert job.background and job.task_id
    assert enqueued == [(job.pk, True)]  # the task was queued, not run inline
    assert job.status == ImportJob.Status.READY
    assert (job.processed_rows, job.total_rows) == (30, 30)
    assert (7, 30) in seen and (30, 30) in seen  # progress reported batch by batch

    seen.clear()
    job = services.commit_import(job, actor=clerk)
    assert enqueued[-1] == (job.pk, False)
    assert job.status == ImportJob.Status.DONE and Customer.objects.count() == 30
    assert seen[-1] == (30, 30)
    assert services.job_progress(job) == (30, 30)


def test_progress_is_read_from_the_side_file_while_running(clerk):
    job = ImportJob.objects.create(kind="customers", filename="x.csv", created_by=clerk,
                                   status=ImportJob.Status.COMMITTING, total_rows=100)
    services._write_progress(job.pk, 40, 100)
    assert services.job_progress(job) == (40, 100)


def test_failed_dry_run_keeps_an_error_report(clerk):
    rows = customer_rows(3)
    rows[2][7] = "-3"
    f, name = upload(rows)
    job = services.start_import("customers", f, name, actor=clerk)
    assert job.status == ImportJob.Status.FAILED and job.error_count == 1
    assert job.error_report.name.startswith("imports/reports/")
    with pytest.raises(ValidationError):
        services.commit_import(job, actor=clerk)


def test_oversized_file_is_not_stored(clerk, settings):
    settings.POWERKAM_MAX_UPLOAD_BYTES = 10
    job = services.start_import("customers", io.BytesIO(b"x" * 100), "a.csv", actor=clerk)
    assert job.status == ImportJob.Status.FAILED and not job.file
    assert "refused" in job.summary["errors"][0]["message"]


def test_crash_marks_the_job_failed(clerk, monkeypatch):
    def boom(*a, **kw):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "run_import", boom)
    f, name = upload(customer_rows(2))
    job = services.start_import("customers", f, name, actor=clerk)
    assert job.status == ImportJob.Status.FAILED and "disk on fire" in job.message


def test_only_importers_may_import(manager):
    f, name = upload(customer_rows(1))
    with pytest.raises(PermissionDenied):
        services.start_import("customers", f, name, actor=manager)
