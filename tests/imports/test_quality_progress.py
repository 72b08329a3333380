"""A large archive-records import's data-quality pass runs as a job right after the commit and
reports its progress on the import job (issue #11: "import end to end, until the data-quality pass is done"):
customers checked of total and when it finished, on the job page and in the API."""

import pytest
from django.urls import reverse

from powerkam.core.models import Task
from powerkam.imports.models import ImportJob
from powerkam.imports.services import commit_import, start_import
from tests.factories import CustomerFactory
from tests.imports.conftest import customer_rows, supply_point_rows, upload

pytestmark = pytest.mark.django_db


def test_quality_progress_on_the_job_page_and_in_the_api(login, clerk, manager, settings,
                                                         django_capture_on_commit_callbacks):
    settings.POWERKAM_IMPORT_QUALITY_INLINE_ROWS = 1
    customers = [CustomerFactory(number=f"310000000{i}", primary_manager=manager, org_unit=manager.org_unit)
                 for i in range(1, 4)]
    f, name = upload(supply_point_rows(customers), fmt="csv")
    job = start_import("supply_points", f, name, actor=clerk, dry_run=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = commit_import(job, actor=clerk)
    job.refresh_from_db()
    assert job.summary["quality_deferred"] is True
    assert (job.quality_total, job.quality_done, job.quality_finished_at) == (3, 0, None)
    client = login(clerk)
    assert client.get(f"/api/v1/imports/{job.pk}/").json()["quality"]["finished_at"] is None
    for callback in callbacks:
        callback()  # the job (run at once by the test task backend)
    job.refresh_from_db()
    assert job.quality_done == 3 and job.quality_finished_at is not None and job.status == ImportJob.Status.DONE
    quality = client.get(f"/api/v1/imports/{job.pk}/").json()["quality"]
    assert quality["done"] == quality["total"] == 3 and quality["percent"] == 100 and quality["finished_at"]
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'id="quality-progress"' in page and "3" in page
    assert Task.objects.filter(kind=Task.Kind.DATA_QUALITY).count() == 3  # one per customer


def test_a_small_import_has_no_quality_progress(login, clerk, manager):
    f, name = upload(customer_rows(2, manager="mgr1"), fmt="csv")
    job = commit_import(start_import("customers", f, name, actor=clerk, dry_run=True), actor=clerk)
    job.refresh_from_db()
    assert job.quality_total == 0 and login(clerk).get(f"/api/v1/imports/{job.pk}/").json()["quality"] is None
