#!/usr/bin/env python
"""Connection projects benchmark at production scale (issue #12): the board, the list and the
cycle-time report, and the nightly stall scan.

    python bench/run_projects.py --database postgres          # 100,000 customers, 20,000 projects, 200,000 stage records
    python bench/run_projects.py --database sqlite
    python bench/run_projects.py --database sqlite --customers 10000 --projects 2000 --stages 20000   # quick

Builds a fresh database (PostgreSQL `pk_projects_web_bench`, dropped and recreated, or SQLite
under bench/out/), loads the archive demo at --customers scale, then --projects connection
projects with --stages stage records written in bulk (`generate`, below): about 80 % energised
over the last 18 months (their cycle time falling from about 61 to 38 grid-side working days,
the seed's example), the rest open at every stage, a tenth on the green channel, a share of them
overdue. Then measures with Django's test Client (full middleware stack):

- the board /projects/ and the list /projects/list/ (page 1, a later page, a two-character
  Chinese search, filters) for the company supervisor, a region supervisor and a busy tracker;
- the cycle-time report /projects/analysis/ (the default 12 months, a unit, a voltage level);
- the nightly stall scan (`services.scan_stalls`) on the whole set, then a second run
  (idempotent: nothing new).

Targets (issue #12, this 2-core machine): p95 under 150 ms for the pages; the scan under 30 s.
Each phase runs in its own process; JSON goes to bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_foundation import (  # noqa: E402
    OUT,
    RESULT_MARK,
    ROOT,
    _measure,
    peak_rss_mb,
    run_in_process,
    setup_django,
)
from run_foundation import fresh_database as _fresh_database  # noqa: E402

PG_PROJECTS_URL = "postgres://postgres@127.0.0.1:5432/pk_projects_web_bench"
TARGET_MS = 150
TARGET_SCAN_S = 30
NAMES = ["城北", "城南", "江北", "东湖", "西山", "高新", "临港", "滨江", "开发区", "新区"]
KINDS = ["钢铁", "化工", "物流", "医院", "数据中心", "电子", "食品", "纺织", "商业广场", "学校"]


def generate(projects: int, stages: int, seed: int = 1, today: date | None = None) -> dict:
    """Write `projects` connection projects and about `stages` stage records in bulk (no
    services: the bench measures reading them). Realistic shapes, not realistic rules: the
    dates and clocks are drawn, not computed on the calendar."""
    from django.db import connection
    from django.utils import timezone

    from powerkam.customers.models import Customer
    from powerkam.org.models import Staff
    from powerkam.projects import constants as c
    from powerkam.projects.models import Pause, Project, StageRecord

    rng = random.Random(seed)
    today = today or timezone.localdate()
    staff_by_unit: dict[int, list[int]] = {}
    for pk, unit in Staff.objects.filter(role__in=["manager", "specialist"]).values_list("pk", "org_unit_id"):
        staff_by_unit.setdefault(unit, []).append(pk)
    any_staff = [pk for pks in staff_by_unit.values() for pk in pks]
    customers = list(Customer.objects.values_list("pk", "org_unit_id", "primary_manager_id").order_by("pk"))
    units = sorted(staff_by_unit)
    voltages = ["10kV"] * 6 + ["0.4kV"] * 2 + ["35kV", "110kV"]
    types = ["new"] * 6 + ["increase"] * 3 + ["temporary", "reduction"]
    made_projects, rows = [], []
    for i in range(projects):
        app_type = rng.choice(types)
        voltage = rng.choice(voltages)
        flow = list(c.stages_for(app_type, voltage))
        energised = rng.random() < 0.8
        green = rng.random() < 0.1
        if app_type in ("increase", "reduction") or (energised and rng.random() < 0.9):
            cust_pk, unit, manager = customers[rng.randrange(len(customers))]
        else:
            cust_pk, unit, manager = None, rng.choice(units), None
        workers = staff_by_unit.get(unit) or any_staff
        tracker = manager if manager and rng.random() < 0.5 else rng.choice(workers)
        # Energised over the last 18 months, the cycle shortening from ~61 to ~38 grid-side days.
        age = rng.randrange(0, 540)
        target = 38 + 23 * age / 540
        grid_total = max(8, int(rng.gauss(target, 8)))
        customer_total = max(0, int(rng.gauss(15, 8)))
        if energised:
            energised_on = today - timedelta(days=age)
            accepted_on = energised_on - timedelta(days=int((grid_total + customer_total) * 1.4))
            current = len(flow)
        else:
            current = rng.randrange(len(flow))
            accepted_on = today - timedelta(days=rng.randrange(3, 120))
            energised_on = None
        p = Project(number=f"YKB{seed:02d}-{i:07d}", application_type=app_type,
                    applicant_type="existing" if cust_pk and app_type != "new" else "new", customer_id=cust_pk,
                    applicant_name=f"{rng.choice(NAMES)}{rng.choice(KINDS)}{i % 997}有限公司",
                    site_address=f"{rng.choice(NAMES)}路 {i % 500} 号", requested_capacity_kva=rng.choice(
                        [100, 315, 630, 800, 1250, 2500, 5000]), voltage_level=voltage, supply_mode="dual"
                    if rng.random() < 0.15 else "single", green_channel=green, is_key_project=green,
                    org_unit_id=unit, first_contact_owner_id=rng.choice(workers), tracker_id=tracker,
                    status=c.Status.ENERGISED if energised else c.Status.OPEN,
                    stage="" if energised else flow[current], accepted_on=accepted_on, energised_on=energised_on,
                    commitment_workdays=(6 if voltage == "0.4kV" else 22) if not green else (3 if voltage == "0.4kV"
                                                                                            else 11),
                    grid_workdays=grid_total if energised else 0, customer_workdays=customer_total if energised else 0)
        made_projects.append((p, flow, current, energised))
    Project.objects.bulk_create([p for p, *_ in made_projects], batch_size=5000)

    # Every finished stage of each project; the records beyond them (up to --stages) are
    # re-inspections after acceptance defects, spread over the energised projects.
    sequences = [list(flow if energised else flow[:current]) for _p, flow, current, energised in made_projects]
    deficit = stages - sum(len(q) for q in sequences) - sum(1 for *_x, e in made_projects if not e)
    energised_ix = [i for i, (*_x, e) in enumerate(made_projects) if e and c.Stage.ACCEPTANCE in sequences[i]]
    for _ in range(max(0, deficit)):
        if not energised_ix:
            break
        q = sequences[rng.choice(energised_ix)]
        q.insert(q.index(c.Stage.ACCEPTANCE), c.Stage.ACCEPTANCE)
    stage_total = 0
    for (p, flow, current, energised), sequence in zip(made_projects, sequences, strict=True):
        day = p.accepted_on
        for stage in sequence:
            limit = None if c.side_of(stage) == c.Side.CUSTOMER else rng.choice([1, 2, 5, 5, 10, 15])
            grid = 0 if limit is None else max(0, int(rng.gauss(limit * 0.9, limit * 0.4 + 1)))
            customer = int(rng.gauss(12, 5)) if limit is None else rng.choice([0, 0, 0, 2, 4])
            end = min(day + timedelta(days=max(1, int((grid + customer) * 1.4))), today)
            rows.append(StageRecord(project_id=p.pk, stage=stage, side=c.side_of(stage), owner_id=p.tracker_id,
                                    started_on=day, ended_on=end, limit_workdays=limit,
                                    deadline=day + timedelta(days=int(limit * 1.4)) if limit else None,
                                    grid_workdays=grid, customer_workdays=max(customer, 0),
                                    paused_workdays=customer if limit else 0,
                                    within_commitment=None if limit is None else grid <= limit))
            day = end
        if not energised:
            stage = flow[current]
            limit = None if c.side_of(stage) == c.Side.CUSTOMER else rng.choice([1, 2, 5, 10, 15])
            deadline = day + timedelta(days=int(limit * 1.4)) if limit else None
            if deadline and rng.random() < 0.35:  # a share overdue
                day = today - timedelta(days=rng.randrange(int(limit * 1.4) + 2, int(limit * 1.4) + 30))
                deadline = day + timedelta(days=int(limit * 1.4))
            rows.append(StageRecord(project_id=p.pk, stage=stage, side=c.side_of(stage), owner_id=p.tracker_id,
                                    started_on=day, limit_workdays=limit, deadline=deadline,
                                    warn_on=deadline - timedelta(days=2) if deadline else None,
                                    escalate_next_on=deadline + timedelta(days=7) if deadline else None))
        if len(rows) >= 20000:
            StageRecord.objects.bulk_create(rows, batch_size=5000)
            stage_total += len(rows)
            rows = []
    StageRecord.objects.bulk_create(rows, batch_size=5000)
    stage_total += len(rows)
    # The open projects' current stage and deadline, from their open stage record.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE projects_project SET current_stage_id = (SELECT s.id FROM projects_stagerecord s WHERE "
            "s.project_id = projects_project.id AND s.ended_on IS NULL), due_on = (SELECT s.deadline FROM "
            "projects_stagerecord s WHERE s.project_id = projects_project.id AND s.ended_on IS NULL) "
            "WHERE status = 'open'")
    # A few open pauses (customer-side waiting).
    paused = list(StageRecord.objects.filter(ended_on__isnull=True, side="grid").values_list("pk", "project_id",
                                                                                            "started_on")[:300])
    Pause.objects.bulk_create([Pause(project_id=proj, stage_record_id=pk, reason="documents", started_on=start)
                               for pk, proj, start in paused])
    StageRecord.objects.filter(pk__in=[pk for pk, *_ in paused]).update(is_paused=True)
    Project.objects.filter(pk__in=[proj for _pk, proj, _s in paused]).update(is_paused=True)
    return {"projects": projects, "stage_records": stage_total, "pauses": len(paused)}


def phase_load(args) -> dict:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from powerkam.customers.demo import load_demo

    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    counts = load_demo(scale=args.customers, seed=args.seed, evaluate=False)
    timings["customers_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    counts.update(generate(args.projects, args.stages, seed=args.seed))
    timings["projects_s"] = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"timings": timings, "counts": counts, "peak_rss_mb": round(peak_rss_mb(), 1)}


def phase_web(args) -> dict:
    setup_django()
    from django.db.models import Count
    from django.test import Client

    from powerkam.org.models import OrgUnit, Staff
    from powerkam.projects.models import Project

    n = args.repeat
    supervisor = Staff.objects.get(username="supervisor1")
    region_sup = (Staff.objects.filter(role="supervisor", org_unit__kind=OrgUnit.Kind.REGION).order_by("username")
                  .first() or supervisor)
    busiest = (Project.objects.filter(status="open").values("tracker").annotate(n=Count("id")).order_by("-n").first())
    tracker = Staff.objects.get(pk=busiest["tracker"])
    unit = region_sup.org_unit_id

    def client_for(user):
        c = Client()
        c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return c

    sc, rc, tc = client_for(supervisor), client_for(region_sup), client_for(tracker)
    results: dict = {"tracker_open_projects": busiest["n"]}
    results["board_company"] = _measure(sc, ["/projects/"] * n)
    results["board_region"] = _measure(rc, ["/projects/"] * n)
    results["board_tracker"] = _measure(tc, ["/projects/"] * n)
    results["board_company_overdue_green"] = _measure(sc, ["/projects/?overdue=1", "/projects/?green=1"] * (n // 2))
    results["list_company"] = _measure(sc, [f"/projects/list/?page={(1, 2, 10)[i % 3]}" for i in range(n)])
    results["list_company_all_sorted"] = _measure(sc, ["/projects/list/?status=all&sort=-accepted",
                                                       "/projects/list/?status=all&sort=capacity&page=20"] * (n // 2))
    results["list_company_search_2char"] = _measure(sc, [f"/projects/list/?q={k}" for k in
                                                         (KINDS * (n // len(KINDS) + 1))[:n]])
    results["list_region_filters"] = _measure(rc, [f"/projects/list/?voltage_level=10kV&overdue=1&org_unit={unit}",
                                                   "/projects/list/?stage=plan_reply&application_type=new"] * (n // 2))
    results["list_tracker"] = _measure(tc, ["/projects/list/"] * n)
    results["report_company"] = _measure(sc, ["/projects/analysis/"] * n)
    results["report_region"] = _measure(rc, ["/projects/analysis/", "/projects/analysis/?voltage_level=10kV"]
                                        * (n // 2))
    results["report_tracker"] = _measure(tc, ["/projects/analysis/"] * n)
    return results


def phase_scan(args) -> dict:
    setup_django()
    from powerkam.core.models import Task
    from powerkam.projects import services

    before = Task.objects.count()
    started = time.perf_counter()
    first = services.scan_stalls()
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = services.scan_stalls()
    second_s = time.perf_counter() - started
    return {"first": {**first, "seconds": round(first_s, 1), "tasks_created": Task.objects.count() - before},
            "second": {**second, "seconds": round(second_s, 1)}, "peak_rss_mb": round(peak_rss_mb(), 1)}


PHASES = {"load": phase_load, "web": phase_web, "scan": phase_scan}


def print_table(report: dict) -> None:
    print(f"\nPowerKAM connection projects benchmark — {report['database']}, {report['customers']:,} customers, "
          f"{report['projects']:,} projects ({report['when']})")
    load = report.get("load", {})
    if "timings" in load:
        print(f"load: {load['timings']} {load.get('counts', {}).get('stage_records', '')} stage records")
    web = report.get("web", {})
    if web.get("failed"):
        print("web phase failed")
    else:
        print(f"\n{'measure':<32}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'target p95':>12}")
        for key, r in web.items():
            if isinstance(r, dict) and "p95" in r:
                ok = "ok" if r["p95"] < TARGET_MS else "MISSED"
                print(f"{key:<32}{r['p50']:>9}{r['p95']:>9}{r.get('queries', '-'):>9}{TARGET_MS:>9} {ok}")
    scan = report.get("scan", {})
    if "first" in scan:
        ok = "ok" if scan["first"]["seconds"] < TARGET_SCAN_S else "MISSED"
        print(f"\nstall scan: {scan['first']['seconds']} s (warned {scan['first']['warned']}, escalated "
              f"{scan['first']['escalated_1']} + {scan['first']['escalated_2']}, tasks {scan['first']['tasks_created']}) "
              f"target {TARGET_SCAN_S} s {ok}; second run {scan['second']['seconds']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--stages", type=int, default=200_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--database-url", help=f"PostgreSQL URL (default {PG_PROJECTS_URL}); the database is dropped!")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=40, help="requests per measure")
    parser.add_argument("--reuse", action="store_true", help="keep the database and skip loading (re-measure)")
    parser.add_argument("--phase", choices=tuple(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        result = PHASES[args.phase](args)
        print(RESULT_MARK + json.dumps(result, ensure_ascii=False, default=str), flush=True)
        return
    if args.database == "postgres" and not args.database_url:
        args.database_url = PG_PROJECTS_URL
    OUT.mkdir(parents=True, exist_ok=True)
    if args.database == "sqlite":  # our own SQLite file, not the other benchmarks'
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="powerkam.settings")
        env.setdefault("LOG_LEVEL", "ERROR")
        env.pop("DATABASE_URL", None)
        var = OUT / "var-sqlite-projects"
        var.mkdir(parents=True, exist_ok=True)
        if not args.reuse:
            for f in var.glob("powerkam.sqlite3*"):
                f.unlink()
        env["POWERKAM_VAR_DIR"] = str(var)
    else:
        env = _fresh_database(args)
    report = {"database": args.database, "customers": args.customers, "projects": args.projects,
              "stages": args.stages, "when": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count()}
    report["load"] = {} if args.reuse else _run(args, env, "load")
    report["web"] = _run(args, env, "web")
    report["scan"] = _run(args, env, "scan")
    path = OUT / f"projects-{args.database}-{args.customers}-{time.strftime('%Y%m%d-%H%M')}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    print_table(report)
    print(f"\nJSON: {path.relative_to(ROOT)}")
    failed = [k for k in ("load", "web", "scan") if report.get(k, {}).get("failed")]
    for k in failed:
        print(f"\nphase {k} failed:\n{report[k]['stderr']}", file=sys.stderr)
    sys.exit(1 if failed else 0)


def _run(args, env, name):
    cmd = [sys.executable, __file__, "--phase", name, "--customers", str(args.customers), "--seed", str(args.seed),
           "--repeat", str(args.repeat), "--projects", str(args.projects), "--stages", str(args.stages)]
    print(f"… {name}", flush=True)
    return run_in_process(cmd, env)


if __name__ == "__main__":
    main()
