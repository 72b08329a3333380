#!/usr/bin/env python
"""Pipeline benchmark at production scale (issue #13): the opportunity board, the forecast page and
the weekly meeting page.

    python bench/run_pipeline.py --database postgres     # 100,000 customers, 5,000 projects, 50,000 opportunities
    python bench/run_pipeline.py --database sqlite
    python bench/run_pipeline.py --quick                 # reduced scale (10,000 / 500 / 5,000) for a quick run

Builds a fresh database (PostgreSQL `powerkam_bench_pipeline`, dropped and recreated, or SQLite under
bench/out/), loads the archive demo at --customers scale and the pipeline volume
(`powerkam.pipeline.demo.generate`: projects half approved with 1+1 managers, milestones, a report for
a quarter of them this week; opportunities over every stage, kind, unit and manager, a third with a
competitor). Then measures with Django's test Client (full middleware stack), for the company
supervisor (everything), a region supervisor and the busiest key account manager:
the board /pipeline/, the forecast /pipeline/forecast/, the weekly meeting /pipeline/weekly/.

Target (issue #13): p95 under 150 ms. Each phase runs in its own process; JSON goes to bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
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
    run_in_process,
    setup_django,
)
from run_foundation import fresh_database as _fresh_database  # noqa: E402

PG_PIPELINE_URL = "postgres://postgres@127.0.0.1:5432/powerkam_bench_pipeline"
TARGET_MS = 150


def phase_load(args) -> dict:
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from powerkam.customers.demo import load_demo
    from powerkam.pipeline.demo import generate

    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    counts = load_demo(scale=args.customers, seed=args.seed, evaluate=False)
    timings["customers_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    counts.update(generate(args.projects, args.opportunities, seed=args.seed, today=timezone.localdate()))
    timings["pipeline_s"] = round(time.perf_counter() - started, 1)
    timings["pipeline_rows_s"] = round((args.projects + args.opportunities) / max(timings["pipeline_s"], 0.001))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"timings": timings, "counts": {k: v for k, v in counts.items() if isinstance(v, int)},
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def phase_web(args) -> dict:
    setup_django()
    from django.db.models import Count
    from django.test import Client

    from powerkam.org.models import OrgUnit, Staff
    from powerkam.pipeline.models import Opportunity

    n = args.repeat
    supervisor = Staff.objects.get(username="supervisor1")
    region_sup = Staff.objects.filter(role="supervisor", org_unit__kind=OrgUnit.Kind.REGION).order_by("username").first()
    busiest = Opportunity.objects.values("owner").annotate(n=Count("id")).order_by("-n").first()
    manager = Staff.objects.get(pk=busiest["owner"])

    def client_for(user):
        c = Client()
        c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return c

    results: dict = {"manager_opportunities": busiest["n"]}
    for who, user in (("company", supervisor), ("region", region_sup), ("manager", manager)):
        c = client_for(user)
        results[f"board_{who}"] = _measure(c, ["/pipeline/"] * n)
        results[f"forecast_{who}"] = _measure(c, ["/pipeline/forecast/"] * n)
        results[f"weekly_{who}"] = _measure(c, ["/pipeline/weekly/"] * n)
    results["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return results


PHASES = {"load": phase_load, "web": phase_web}


def _run(args, env, name):
    cmd = [sys.executable, __file__, "--phase", name, "--customers", str(args.customers), "--seed", str(args.seed),
           "--repeat", str(args.repeat), "--projects", str(args.projects), "--opportunities", str(args.opportunities)]
    print(f"… {name}", flush=True)
    return run_in_process(cmd, env)


def print_table(report: dict) -> None:
    print(f"\nPowerKAM pipeline benchmark — {report['database']}, {report['customers']:,} customers, "
          f"{report['projects']:,} government projects, {report['opportunities']:,} opportunities ({report['when']})")
    load = report.get("load", {})
    if "timings" in load:
        print(f"load: {load['timings']}")
    elif load.get("failed"):
        print("load phase failed")
    web = report.get("web", {})
    if web.get("failed"):
        print("web phase failed")
        return
    print(f"\n{'measure':<22}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'target p95':>12}")
    for key, r in web.items():
        if isinstance(r, dict) and "p95" in r:
            ok = "ok" if r["p95"] < TARGET_MS else "MISSED"
            print(f"{key:<22}{r['p50']:>9}{r['p95']:>9}{r.get('queries', '-'):>9}{TARGET_MS:>9} {ok}")
    measures = [r for r in web.values() if isinstance(r, dict) and "p50" in r]
    if measures:
        total_ms = sum(r["p50"] for r in measures)
        print(f"\nthroughput: {1000 * len(measures) / total_ms:.1f} pages/s at p50 (one client)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=5_000)
    parser.add_argument("--opportunities", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true", help="reduced scale: a tenth of every count")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--database-url", help=f"PostgreSQL URL (default {PG_PIPELINE_URL}); the database is dropped!")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=40, help="requests per measure")
    parser.add_argument("--reuse", action="store_true", help="keep the database and skip loading (re-measure)")
    parser.add_argument("--phase", choices=tuple(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        result = PHASES[args.phase](args)
        print(RESULT_MARK + json.dumps(result, ensure_ascii=False, default=str), flush=True)
        return
    if args.quick:
        args.customers, args.projects, args.opportunities = (args.customers // 10, args.projects // 10,
                                                             args.opportunities // 10)
    if args.database == "postgres" and not args.database_url:
        args.database_url = PG_PIPELINE_URL
    OUT.mkdir(parents=True, exist_ok=True)
    env = _fresh_database(args)
    report = {"database": args.database, "customers": args.customers, "projects": args.projects,
              "opportunities": args.opportunities, "when": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(),
              "loadavg": [round(x, 2) for x in os.getloadavg()]}
    report["load"] = {} if args.reuse else _run(args, env, "load")
    report["web"] = _run(args, env, "web")
    path = OUT / f"pipeline-{args.database}-{args.customers}-{time.strftime('%Y%m%d-%H%M')}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    print_table(report)
    print(f"\nJSON: {path.relative_to(ROOT)}")
    failed = [k for k in ("load", "web") if report.get(k, {}).get("failed")]
    for k in failed:
        print(f"\nphase {k} failed:\n{report[k]['stderr']}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
