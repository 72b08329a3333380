#!/usr/bin/env python
"""Service benchmark at production scale (issue #4): work queue, complaint analysis, outage
impact, nightly visit-plan generation.

    python bench/run_service.py --database postgres            # 100,000 customers, 300,000 tickets, 200,000 visits
    make bench-service BENCH_ARGS="--database postgres"

Builds a fresh database (PostgreSQL `powerkam_bench_service`, dropped and recreated, or SQLite
under bench/out/), loads the archive demo at --customers scale, then the ticket and visit
generators (`powerkam.service.tickets.demo.generate`, `powerkam.service.visits.demo.generate`)
and a work-queue backlog of --tasks tasks (about a fifth of them open) spread over the staff.
Then measures, with Django's test Client (full middleware stack) where it is a page:

- the work queue page /queue/ and /api/v1/tasks/ for a key account manager, and the unit queue
  (?scope=unit) for the company supervisor;
- the complaint analysis page /service/tickets/analysis/ for the company supervisor and for a
  region supervisor, after applying pending migrations and running the nightly ticket-summary
  refresh (`refresh_ticket_summary`, timed) that the page reads;
- the outage impact query (`affected_customers`) for the busiest supply line, and the outage
  creation that runs it;
- the nightly visit-plan generation (`generate_plans`) for every key account, and a second run
  (idempotent: creates nothing).

Targets (issue #4, this 2-core machine): p95 under 300 ms for the pages and the impact query;
visit-plan generation under 60 s. Each phase runs in its own process; JSON goes to bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_foundation import (  # noqa: E402
    OUT,
    RESULT_MARK,
    ROOT,
    _measure,
    peak_rss_mb,
    percentiles,
    run_in_process,
    setup_django,
)
from run_foundation import fresh_database as _fresh_database  # noqa: E402

PG_SERVICE_URL = "postgres://postgres@127.0.0.1:5432/powerkam_bench_service"
TARGET_MS = 300
TARGET_PLAN_S = 60


def phase_load(args) -> dict:
    setup_django()
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from powerkam.core.models import Task
    from powerkam.customers.demo import load_demo
    from powerkam.customers.models import Customer
    from powerkam.org.models import Staff
    from powerkam.service.tickets.demo import generate as generate_tickets
    from powerkam.service.visits.demo import generate as generate_visits

    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    counts = load_demo(scale=args.customers, seed=args.seed, evaluate=False)
    timings["customers_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    counts["tickets"] = generate_tickets(args.tickets, seed=args.seed)
    timings["tickets_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    counts["visits"] = generate_visits(args.visits, seed=args.seed)
    timings["visits_s"] = round(time.perf_counter() - started, 1)

    # A work-queue backlog: every kind, a fifth still open, due dates around today.
    started = time.perf_counter()
    rng = random.Random(args.seed)
    staff = list(Staff.objects.filter(role__in=["manager", "specialist", "clerk", "supervisor"])
                 .values_list("pk", "org_unit_id"))
    customer_ids = list(Customer.objects.values_list("pk", flat=True))
    kinds = [k for k, _ in Task.Kind.choices]
    now = timezone.now()
    batch, made = [], 0
    for i in range(args.tasks):
        assignee, unit = staff[rng.randrange(len(staff))]
        is_open = rng.random() < 0.2
        due = now + timedelta(days=rng.randint(-30, 30) if is_open else -rng.randint(1, 700))
        batch.append(Task(kind=kinds[i % len(kinds)], title=f"bench task {i}", assignee_id=assignee, org_unit_id=unit,
                          customer_id=customer_ids[rng.randrange(len(customer_ids))], due_at=due,
                          status=Task.Status.OPEN if is_open else Task.Status.DONE,
                          closed_at=None if is_open else due, key=f"bench:{args.seed}:{i}"))
        if len(batch) == 5000:
            Task.objects.bulk_create(batch)
            made += len(batch)
            batch = []
    Task.objects.bulk_create(batch)
    made += len(batch)
    counts["tasks"] = made
    timings["tasks_s"] = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"timings": timings, "counts": counts, "peak_rss_mb": round(peak_rss_mb(), 1)}


def _nightly() -> dict:
    """Before the pages: apply migrations that landed since the load, then the nightly job the
    complaint analysis reads (the ticket summaries, `refresh_ticket_summary`), as the scheduler
    would run it at night. Each timed, with the load average around them."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    from powerkam.core import jobs

    out: dict = {"loadavg_start": [round(x, 2) for x in os.getloadavg()]}
    executor = MigrationExecutor(connection)
    pending = [f"{m.app_label}.{m.name}" for m, _b in executor.migration_plan(executor.loader.graph.leaf_nodes())]
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    out["migrations_applied"] = pending
    out["migrate_s"] = round(time.perf_counter() - started, 1)
    for name in ("refresh_ticket_summary",):
        if name in jobs.JOBS:
            started = time.perf_counter()
            result = jobs.JOBS[name].func(timezone.localdate())
            out[name] = {"seconds": round(time.perf_counter() - started, 1), **(result or {})}
    with connection.cursor() as cursor:
        for table in ("tickets_ticketmonthlysummary", "tickets_complaintstagesummary"):
            cursor.execute(f"ANALYZE {table}")
    out["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def phase_web(args) -> dict:
    setup_django()
    from django.db.models import Count
    from django.test import Client

    from powerkam.core.models import Task
    from powerkam.customers.models import SupplyPoint
    from powerkam.org.models import OrgUnit, Staff

    n = args.repeat
    busiest_manager = (Task.objects.filter(status=Task.Status.OPEN, assignee__role="manager")
                       .values("assignee").annotate(n=Count("id")).order_by("-n").first())
    manager = Staff.objects.get(pk=busiest_manager["assignee"])
    supervisor = Staff.objects.get(username="supervisor1")
    region_sup = (Staff.objects.filter(role="supervisor", org_unit__kind=OrgUnit.Kind.REGION).order_by("username").first()
                  or supervisor)
    results: dict = {"nightly": _nightly(), "manager_open_tasks": busiest_manager["n"]}

    def client_for(user):
        c = Client()
        c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return c

    mc, sc, rc = client_for(manager), client_for(supervisor), client_for(region_sup)
    mine = Task.objects.filter(assignee=manager, status=Task.Status.OPEN).count()
    unit_open = Task.objects.filter(status=Task.Status.OPEN).count()
    pages = [p for p in (1, 2, 3, 5, 8) if (p - 1) * 50 < mine] or [1]
    results["queue_manager"] = _measure(mc, [f"/queue/?page={pages[i % len(pages)]}" for i in range(n)])
    results["queue_manager_overdue"] = _measure(mc, ["/queue/?overdue=1"] * n)
    results["queue_api_manager"] = _measure(mc, [f"/api/v1/tasks/?page={pages[i % len(pages)]}" for i in range(n)])
    results["queue_unit_supervisor"] = _measure(sc, [f"/queue/?scope=unit&page={(1, 10, 100)[i % 3] if unit_open > 5000 else 1}" for i in range(n)])
    periods = ["", "?date_from=2026-01-01&date_to=2026-06-30", "?date_from=2025-11-01&date_to=2026-10-31"]
    results["complaint_analysis_company"] = _measure(sc, [f"/service/tickets/analysis/{periods[i % 3]}" for i in range(n)])
    results["complaint_analysis_region"] = _measure(rc, [f"/service/tickets/analysis/{periods[i % 3]}" for i in range(n)])

    # Outage impact for the busiest line.
    from powerkam.service.outages.services import affected_customers

    line = (SupplyPoint.objects.filter(supply_line__isnull=False).values("supply_line")
            .annotate(n=Count("id")).order_by("-n").first())
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        ids = list(affected_customers([line["supply_line"]]).values_list("pk", "number", "name", "primary_manager_id"))
        samples.append((time.perf_counter() - started) * 1000)
    results["outage_impact_busiest_line"] = {**percentiles(samples), "supply_points": line["n"], "customers": len(ids)}
    return results


def phase_plans(args) -> dict:
    setup_django()
    from django.utils import timezone

    from powerkam.service.visits.services import generate_plans

    day = timezone.localdate()
    started = time.perf_counter()
    first = generate_plans(day)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = generate_plans(day)
    second_s = time.perf_counter() - started
    return {"first": {**first, "seconds": round(first_s, 1)}, "second": {**second, "seconds": round(second_s, 1)},
            "peak_rss_mb": round(peak_rss_mb(), 1)}


PHASES = {"load": phase_load, "web": phase_web, "plans": phase_plans}


def print_table(report: dict) -> None:
    print(f"\nPowerKAM service benchmark — {report['database']}, {report['customers']:,} customers, "
          f"{report['tickets']:,} tickets, {report['visits']:,} visits, {report['tasks']:,} tasks ({report['when']})")
    load = report.get("load", {})
    if "timings" in load:
        print(f"load: {load['timings']}")
    web = report.get("web", {})
    if web.get("failed"):
        print("web phase failed")
    else:
        print(f"\n{'measure':<32}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'target p95':>12}")
        for key, r in web.items():
            if isinstance(r, dict) and "p95" in r:
                ok = "ok" if r["p95"] < TARGET_MS else "MISSED"
                print(f"{key:<32}{r['p50']:>9}{r['p95']:>9}{r.get('queries', '-'):>9}{TARGET_MS:>9} {ok}")
    nightly = web.get("nightly") if isinstance(web.get("nightly"), dict) else None
    if nightly:
        summary = nightly.get("refresh_ticket_summary", {})
        print(f"\nbefore the pages: migrate {nightly['migrate_s']} s (applied {nightly['migrations_applied'] or 'none'}); "
              f"ticket summary refresh {summary.get('seconds', '-')} s ({summary.get('ticket_rows', '-')} ticket rows, "
              f"{summary.get('stage_rows', '-')} stage rows, {summary.get('bucket_rows', '-')} bucket rows); load average {nightly['loadavg_start']} → "
              f"{nightly['loadavg_end']}")
    plans = report.get("plans", {})
    if "first" in plans:
        ok = "ok" if plans["first"]["seconds"] < TARGET_PLAN_S else "MISSED"
        print(f"\nvisit-plan generation: {plans['first']['seconds']} s (created {plans['first'].get('created')}, "
              f"key accounts {plans['first'].get('key_accounts')}) target {TARGET_PLAN_S} s {ok}; "
              f"second run {plans['second']['seconds']} s, created {plans['second'].get('created')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=300_000)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--tasks", type=int, default=300_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--database-url", help=f"PostgreSQL URL (default {PG_SERVICE_URL}); the database is dropped!")
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
        args.database_url = PG_SERVICE_URL
    OUT.mkdir(parents=True, exist_ok=True)
    args.export_repeat, args.import_rows = 0, 0  # run_foundation.run_phase passes these along
    env = _fresh_database(args)
    extra = ["--tickets", str(args.tickets), "--visits", str(args.visits), "--tasks", str(args.tasks)]
    report = {"database": args.database, "customers": args.customers, "tickets": args.tickets, "visits": args.visits,
              "tasks": args.tasks, "when": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count()}
    report["load"] = {} if args.reuse else _run(args, env, "load", extra)
    report["web"] = _run(args, env, "web", extra)
    report["plans"] = _run(args, env, "plans", extra)
    path = OUT / f"service-{args.database}-{args.customers}-{time.strftime('%Y%m%d-%H%M')}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    print_table(report)
    print(f"\nJSON: {path.relative_to(ROOT)}")
    failed = [k for k in ("load", "web", "plans") if report.get(k, {}).get("failed")]
    for k in failed:
        print(f"\nphase {k} failed:\n{report[k]['stderr']}", file=sys.stderr)
    sys.exit(1 if failed else 0)


def _run(args, env, name, extra):
    cmd = [sys.executable, __file__, "--phase", name, "--customers", str(args.customers), "--seed", str(args.seed),
           "--repeat", str(args.repeat), *extra]
    print(f"… {name}", flush=True)
    return run_in_process(cmd, env)


if __name__ == "__main__":
    main()
