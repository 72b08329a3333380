"""Drives the real application in its own process for tests/core/test_worker_killed.py: the test
and the `db_worker` it kills share a database that only separate processes can share (a SQLite
file, or the PostgreSQL test database). Prints one JSON value.

    python tests/core/worker_driver.py dry_run ROWS   → job id (a background dry run, enqueued)
    python tests/core/worker_driver.py commit JOB     → the job's commit, enqueued
    python tests/core/worker_driver.py retry JOB      → the id of the new job running it again
    python tests/core/worker_driver.py state JOB      → {"status", "message", "customers", "task", ...}
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerkam.settings")

import django  # noqa: E402

django.setup()

from django_tasks_db.models import DBTaskResult  # noqa: E402

from powerkam.customers.models import Customer  # noqa: E402
from powerkam.imports import services  # noqa: E402
from powerkam.imports.models import ImportJob  # noqa: E402
from powerkam.org.models import OrgUnit, Staff  # noqa: E402


def clerk() -> Staff:
    from tests.factories import OrgUnitFactory, StaffFactory

    station = OrgUnit.objects.filter(code="S1").first() or OrgUnitFactory(code="S1", name="城北一所")
    return Staff.objects.filter(username="clerk1").first() or StaffFactory(
        username="clerk1", role="clerk", org_unit=station)


def dry_run(rows: int) -> int:
    from django.core.files.base import ContentFile

    from tests.imports.conftest import csv_bytes, customer_rows

    upload = ContentFile(csv_bytes(customer_rows(rows, org="S1")), name="big.csv")
    return services.start_import("customers", upload, "big.csv", actor=clerk()).pk


def state(job_id: int) -> dict:
    job = ImportJob.objects.get(pk=job_id)
    task = DBTaskResult.objects.filter(pk=job.task_id).values_list("status", flat=True).first() if job.task_id else None
    return {"status": job.status, "message": job.message, "customers": Customer.objects.count(),
            "task": task, "can_retry": job.can_retry}


def main(command: str, arg: str) -> object:
    if command == "dry_run":
        return dry_run(int(arg))
    job = ImportJob.objects.get(pk=int(arg))
    if command == "commit":
        return services.commit_import(job, actor=job.created_by).pk
    if command == "retry":
        return services.retry_import(job, actor=job.created_by).pk
    if command == "state":
        return state(job.pk)
    raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
