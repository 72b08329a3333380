"""An import whose worker died (issue #9 item 5): marked failed with a clear message by the
reaper or when its page is looked at, then run again from its stored upload; a clean dry run
whose commit was lost may be committed again, a written import never twice."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from powerkam.core import leases
from powerkam.core.models import WorkerLease
from powerkam.customers.models import Customer
from powerkam.imports import services
from powerkam.imports.models import ImportJob
from tests.imports.conftest import customer_rows, upload

pytestmark = pytest.mark.django_db
LOST = "The background job stopped before the end"


@pytest.fixture
def dead_worker(dead_pid) -> str:
    WorkerLease.objects.create(worker_id="w-dead", host=leases.host_id(), pid=dead_pid)
    return "w-dead"


@pytest.fixture
def lost_commit(clerk, settings, dead_worker):
    """A clean dry run whose background commit was claimed by a worker that then died."""
    settings.POWERKAM_IMPORT_INLINE_ROWS = 10
    f, name = upload(customer_rows(30))
    job = services.start_import("customers", f, name, actor=clerk)  # dry run (immediate backend)
    assert job.status == ImportJob.Status.READY
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = services.commit_import(job, actor=clerk)
    assert job.status == ImportJob.Status.COMMITTING
    DBTaskResult.objects.get(pk=job.task_id).claim(dead_worker)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return job


def test_the_reaper_fails_a_lost_import_with_a_clear_message(lost_commit):
    assert leases.reap() == 1
    job = ImportJob.objects.get(pk=lost_commit.pk)
    assert job.status == ImportJob.Status.FAILED and job.message.startswith(LOST)
    assert "Nothing was written" in job.message and job.finished_at is not None
    assert job.can_retry and job.failed_after_clean_dry_run
    assert DBTaskResult.objects.get(pk=job.task_id).status == "FAILED"


def test_its_page_finds_it_lost_and_offers_to_commit_again(lost_commit, login, clerk):
    client = login(clerk)
    page = client.get(f"/imports/{lost_commit.pk}/").content.decode()
    assert ImportJob.objects.get(pk=lost_commit.pk).status == ImportJob.Status.FAILED
    assert 'id="retry-form"' in page and "后台任务进程已中断" in page

    response = client.post(f"/imports/{lost_commit.pk}/retry/")
    again = ImportJob.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == f"/imports/{again.pk}/"
    assert again.pk != lost_commit.pk and again.file.name == lost_commit.file.name
    assert again.status == ImportJob.Status.DONE and Customer.objects.count() == 30


def test_the_api_finds_it_lost_and_runs_it_again(lost_commit, login, clerk):
    client = login(clerk)
    data = client.get(f"/api/v1/imports/{lost_commit.pk}/").json()
    assert data["status"] == "failed" and data["can_retry"] and data["message"]
    response = client.post(f"/api/v1/imports/{lost_commit.pk}/retry/")
    assert response.status_code == 201 and response.json()["status"] == "done"
    assert Customer.objects.count() == 30


def test_a_lost_commit_may_be_committed_again_but_a_written_import_never_twice(lost_commit, clerk):
    leases.reap()
    job = services.commit_import(ImportJob.objects.get(pk=lost_commit.pk), actor=clerk)
    assert job.status == ImportJob.Status.DONE and Customer.objects.count() == 30
    with pytest.raises(ValidationError):
        services.commit_import(job, actor=clerk)
    with pytest.raises(ValidationError):
        services.retry_import(job, actor=clerk)


def test_a_lost_dry_run_runs_again_as_a_dry_run(clerk, settings, dead_worker):
    settings.POWERKAM_IMPORT_INLINE_ROWS = 10
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    f, name = upload(customer_rows(30))
    job = services.start_import("customers", f, name, actor=clerk)
    DBTaskResult.objects.get(pk=job.task_id).claim(dead_worker)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    job = services.recover_if_lost(job)
    assert job.status == ImportJob.Status.FAILED and not job.failed_after_clean_dry_run
    again = services.retry_import(job, actor=clerk)
    assert again.status == ImportJob.Status.READY and Customer.objects.count() == 0


def test_a_failed_import_with_row_errors_is_fixed_not_run_again(clerk):
    f, name = upload(customer_rows(3, 用电类别="不存在"))
    job = services.start_import("customers", f, name, actor=clerk)
    assert job.status == ImportJob.Status.FAILED and not job.can_retry
    with pytest.raises(ValidationError):
        services.retry_import(job, actor=clerk)


def test_an_inline_job_left_running_by_a_dead_request_is_failed_after_the_lease(clerk, settings):
    f, name = upload(customer_rows(3))
    job = services.start_import("customers", f, name, actor=clerk)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.VALIDATING)
    job.refresh_from_db()
    assert services.recover_if_lost(job).status == ImportJob.Status.VALIDATING  # its request may still run
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(seconds=61))
    job.refresh_from_db()
    assert services.recover_if_lost(job).status == ImportJob.Status.FAILED
