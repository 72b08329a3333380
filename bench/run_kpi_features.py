#!/usr/bin/env python
"""The month-end dashboard snapshot, the targets page and the potential key accounts (issue #15,
branch kpi-features) on an existing database — typically a copy of the lead's 100,000-customer
PostgreSQL base:

    createdb -h 127.0.0.1 -U postgres -T pk_speed_http_100k pk_kpi_features_100k
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pk_kpi_features_100k \\
        .venv/bin/python bench/run_kpi_features.py --repeat 30

It migrates the database (this branch adds one table), then measures:
1. the snapshot job (`kpis.snapshots.snapshot_job`): seconds for every org unit, run twice (the
   second run replaces the month's rows: idempotent) — no target in the issue; nightly;
2. the executive dashboard (company) with a kept month a year before: p50/p95 and queries
   (target p95 < 200 ms, the issue's);
3. the targets page of the largest supervisor's team: p50/p95 and queries (no target of its own;
   held to the pages' 200 ms);
4. the potential key accounts page (company; the latest run, or no run: every customer from its
   bills): p50/p95 and queries (no target of its own; held to 200 ms).

Writes nothing to the database but the snapshot rows (and the migration). Prints a table and writes
JSON to bench/out/. Record `cat /proc/loadavg` beside the figures (printed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_foundation import OUT, ROOT, _measure, setup_django  # noqa: E402
from run_money import add_months, loadavg  # noqa: E402

TARGET_MS = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-migrate", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    if not args.no_migrate:
        call_command("migrate", verbosity=0)
    from powerkam.customers.models import Customer
    from powerkam.kpis import snapshots
    from powerkam.kpis.models import DashboardSnapshot
    from powerkam.org.models import Role, Staff
    from powerkam.scoring.selectors import latest_run

    settings.ALLOWED_HOSTS = ["*"]
    today = timezone.localdate()
    month = add_months(today.replace(day=1), -1)
    report: dict = {"database": connection.vendor, "customers": Customer.objects.count(),
                    "when": time.strftime("%Y-%m-%d %H:%M"), "loadavg_start": loadavg()}
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        result = snapshots.snapshot_job(today)
        runs.append(round(time.perf_counter() - started, 2))
    report["snapshot"] = {"seconds": runs, "units": result["units"], "month": result["month"],
                          "rows": DashboardSnapshot.objects.count()}
    # a month kept a year before the dashboard's month, so its last-year figures are read
    snapshots.take_snapshot(add_months(month, -11) - timedelta(days=1))  # the end of last year's month

    boss = Staff.objects.filter(role=Role.EXECUTIVE, is_active=True).first() or Staff.objects.create(
        username="bench_kpi_boss", role=Role.EXECUTIVE)
    top = (Staff.objects.filter(is_active=True, role__in=[Role.MANAGER, Role.SPECIALIST]).values("org_unit__parent_id")
           .annotate(n=Count("id")).order_by("-n").first())
    sup = Staff.objects.filter(role=Role.SUPERVISOR, is_active=True, org_unit_id=top["org_unit__parent_id"]).first() \
        if top else None
    sup = sup or Staff.objects.filter(role=Role.SUPERVISOR, is_active=True).first()
    m = f"?month={month:%Y-%m}"
    pages = [("dashboard", boss, f"/kpis/{m}"), ("potential", boss, "/scoring/potential/")]
    if sup is not None:
        pages.append(("targets", sup, f"/kpis/targets/{m}"))
    report["scoring_run"] = bool(latest_run())
    for label, user, url in pages:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        started = time.process_time()
        r = _measure(client, [url] * args.repeat)
        r["cpu_ms"] = round((time.process_time() - started) * 1000 / (args.repeat + 4), 1)
        r["user"] = user.username
        report[label] = r
    report["loadavg_end"] = loadavg()
    report["proc_loadavg"] = Path("/proc/loadavg").read_text().strip() if Path("/proc/loadavg").exists() else ""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"kpi-features-{connection.vendor}-{report['customers']}-{time.strftime('%Y%m%d-%H%M')}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    print(f"\nkpi-features benchmark — {connection.vendor}, {report['customers']:,} customers, "
          f"load {report['loadavg_start']} → {report['loadavg_end']}")
    s = report["snapshot"]
    print(f"  snapshot job: {s['seconds']} s ({s['units']} units, month {s['month']})")
    for label, _user, _url in pages:
        r = report[label]
        ok = "OK" if r["p95"] < TARGET_MS else "OVER"
        print(f"  {label:10s} p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  {r['queries']:3d} queries  "
              f"cpu {r['cpu_ms']} ms [{ok} < {TARGET_MS} ms]")
    print(f"  scoring run present: {report['scoring_run']}")
    print(f"\nJSON: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
