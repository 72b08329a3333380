"""Bench: the nightly stall scan of connection projects (issue #12: 20,000 projects < 30 s).

    DATABASE_URL=... PYTHONPATH=src python bench/run_project_stall_scan.py --projects 20000

Needs the demo company (manage.py load_demo) for org units and staff. Writes N open projects,
each at its plan-reply stage started 60 days ago (so every stage is past its warning day, its
deadline and its next-level escalation day: the worst night, three tasks per stage), then times
`services.scan_stalls` once (all work) and a second time (nothing left to do). Prints the
timings and throughput and writes bench/out/project_stall_scan.json. The rows are removed
afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerkam.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from powerkam.core.models import Task  # noqa: E402
from powerkam.org.models import PORTFOLIO_ROLES, Staff  # noqa: E402
from powerkam.projects import constants as c  # noqa: E402
from powerkam.projects import deadlines, services  # noqa: E402
from powerkam.projects.models import Project, StageRecord  # noqa: E402

PREFIX = "BENCH-"


def build(n: int) -> None:
    staff = list(Staff.objects.filter(role__in=PORTFOLIO_ROLES, is_active=True, org_unit__isnull=False))
    today = timezone.localdate()
    start = today - timedelta(days=60)
    clock = deadlines.stage_clock(start, 15)
    with transaction.atomic():
        projects = [Project(number=f"{PREFIX}{i:07d}", application_type=c.ApplicationType.NEW,
                            applicant_type=c.ApplicantType.NEW, applicant_name=f"压测申请人{i}", site_address="园区",
                            requested_capacity_kva=Decimal("630"), voltage_level="10kV", org_unit_id=s.org_unit_id,
                            first_contact_owner=s, tracker=s, accepted_on=start, stage=c.Stage.PLAN_REPLY,
                            due_on=clock.deadline)
                    for i, s in ((i, staff[i % len(staff)]) for i in range(n))]
        Project.objects.bulk_create(projects, batch_size=2000)
        projects = list(Project.objects.filter(number__startswith=PREFIX).values_list("pk", "tracker_id"))
        StageRecord.objects.bulk_create([
            StageRecord(project_id=pk, stage=c.Stage.PLAN_REPLY, owner_id=tracker, started_on=start, limit_workdays=15,
                        deadline=clock.deadline, warn_on=clock.warn_on, escalate_next_on=clock.escalate_next_on)
            for pk, tracker in projects], batch_size=2000)


def clean() -> None:
    with transaction.atomic():
        ids = list(Project.objects.filter(number__startswith=PREFIX).values_list("pk", flat=True))
        keys = [f"project:stage:{pk}" for pk in StageRecord.objects.filter(project_id__in=ids).values_list("pk", flat=True)]
        for start in range(0, len(keys), 5000):
            chunk = keys[start:start + 5000]
            Task.objects.filter(key__in=[f"{k}:{s}" for k in chunk for s in ("warn", "esc1", "esc2")]).delete()
        for start in range(0, len(ids), 5000):
            Project.objects.filter(pk__in=ids[start:start + 5000]).delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    clean()
    t0 = time.perf_counter()
    build(args.projects)
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    first = services.scan_stalls()
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = services.scan_stalls()
    second_s = time.perf_counter() - t0
    result = {"database": connection.vendor, "projects": args.projects, "build_s": round(built, 2),
              "scan_s": round(first_s, 2), "scan_result": first, "rescan_s": round(second_s, 2),
              "rescan_result": second, "stages_per_s": round(args.projects / first_s, 1)}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / f"project_stall_scan_{connection.vendor}.json").write_text(json.dumps(result, indent=2))
    if not args.keep:
        clean()


if __name__ == "__main__":
    main()
