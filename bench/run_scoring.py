#!/usr/bin/env python
"""Scoring, KPI, work-quality, dashboard and monthly-report benchmark (issue #15).

    python bench/run_scoring.py --database postgres              # 100,000 customers, 24 months of bills
    python bench/run_scoring.py --database sqlite
    python bench/run_scoring.py --database sqlite --customers 10000   # the scale flag for quick runs

Builds a fresh database (PostgreSQL `pk_scoring_kpis_bench`, dropped and recreated, or SQLite under
bench/out/var-scoring-sqlite/) with the money benchmark's loader (phase_load: the
archive demo at --customers and 24 months of bills with arrears), then, each phase in its own
process:

1. prepare: the default scoring model published, an assessment for every key account, a 50-person
   unit (managers added to one station, 15 customers each) and a target per person, then the
   nightly jobs the pages read (analytics monthly sales, collection and portfolio summaries, ticket
   summaries), as the nightly job would find that data;
2. scoring: `scoring.services.run_scoring` over every customer — target under 60 s — and the
   try-out (dry run) of the same model;
3. web: p50/p95 over --repeat requests and the query count of the executive dashboard (company),
   the KPI scorecard of the 50-person unit (its supervisor) and the work-quality page (company) —
   target p95 under 200 ms;
4. report: `kpis.reports.generate_report` for last month (xlsx and the chromium PDF) — target
   under 2 minutes.

Prints a table and writes JSON to bench/out/.
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
from run_money import add_months, loadavg  # noqa: E402

PG_URL = "postgres://postgres@127.0.0.1:5432/pk_scoring_kpis_bench"
TARGET_SCORING_S = 60
TARGET_MS = 200
TARGET_REPORT_S = 120
TEAM = 50


def phase_prepare(args) -> dict:
    setup_django()
    import random

    from django.db import connection
    from django.utils import timezone

    from powerkam.analytics.services import (
        refresh_monthly_collection,
        refresh_monthly_portfolio,
        refresh_monthly_sales,
    )
    from powerkam.customers.models import Customer
    from powerkam.kpis.models import Target
    from powerkam.org.models import OrgUnit, Role, Staff
    from powerkam.scoring import constants as c
    from powerkam.scoring import services
    from powerkam.scoring.models import Assessment, ScoringModel
    from powerkam.service.tickets.jobs import refresh_ticket_summary

    t: dict = {}
    if not ScoringModel.objects.exists():
        services.publish_model(services.new_version_from(None))
    rng = random.Random(args.seed)
    rows = [Assessment(customer_id=pk, assessed_on=timezone.localdate(),
                       **{code: rng.randint(1, 5) for code in c.ASSESSMENT_CODES})
            for pk in Customer.objects.filter(is_key_account=True).values_list("pk", flat=True)]
    Assessment.objects.bulk_create(rows, batch_size=5000)
    # A 50-person unit: the first station gets managers up to TEAM, 15 of its customers each.
    station = OrgUnit.objects.filter(kind=OrgUnit.Kind.STATION).order_by("path").first()
    team = list(Staff.objects.filter(org_unit=station, role__in=[Role.MANAGER, Role.SPECIALIST]))
    for i in range(len(team), TEAM):
        team.append(Staff.objects.create(username=f"bench_mgr{i}", full_name=f"经理{i}", role=Role.MANAGER,
                                         org_unit=station))
    ids = list(Customer.objects.filter(org_unit__path__startswith=station.path).values_list("pk", flat=True)[:TEAM * 15])
    for i, person in enumerate(team):
        Customer.objects.filter(pk__in=ids[i * 15:(i + 1) * 15]).update(primary_manager=person)
    sup = Staff.objects.filter(username="bench_sup").first() or Staff.objects.create(
        username="bench_sup", role=Role.SUPERVISOR, org_unit=station)
    month = add_months(timezone.localdate().replace(day=1), -1)
    Target.objects.bulk_create([Target(month=month, metric="revenue", staff=p, value=100000) for p in team],
                               ignore_conflicts=True)
    # The nightly summaries, after the team is made (its customers moved to its managers), as the
    # nightly job would find the data: the scorecard's portfolio summary counts each customer for
    # the manager it has at the refresh.
    for name, refresh in (("monthly_sales", refresh_monthly_sales), ("monthly_collection", refresh_monthly_collection),
                          ("monthly_portfolio", refresh_monthly_portfolio)):
        started = time.perf_counter()
        refresh()
        t[f"{name}_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    refresh_ticket_summary(timezone.localdate())
    t["ticket_summary_s"] = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"timings": t, "assessments": len(rows), "team": len(team), "supervisor": sup.username,
            "station": station.name, "customers": Customer.objects.count()}


def phase_scoring(args) -> dict:
    setup_django()
    from django.utils import timezone

    from powerkam.scoring import services
    from powerkam.scoring.models import CustomerScore

    model = services.published_model()
    started = time.perf_counter()
    result = services.try_out(model)
    tryout_s = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    run = services.run_scoring(model, timezone.localdate().replace(day=1))
    run_s = round(time.perf_counter() - started, 1)
    return {"run_s": run_s, "tryout_s": tryout_s, "customers": run.customers, "proposals": run.proposals,
            "scores": CustomerScore.objects.filter(run=run).count(), "tryout_changes": result["changes"],
            "customers_per_s": round(run.customers / max(run_s, 0.1)), "target_s": TARGET_SCORING_S,
            "peak_rss_mb": round(peak_rss_mb(), 1), "loadavg_end": loadavg()}


def phase_web(args) -> dict:
    setup_django()
    from django.test import Client
    from django.utils import timezone

    from powerkam.org.models import Role, Staff

    month = add_months(timezone.localdate().replace(day=1), -1)
    m = f"?month={month:%Y-%m}"
    boss = Staff.objects.filter(role=Role.EXECUTIVE).first() or Staff.objects.create(
        username="bench_boss", role=Role.EXECUTIVE)
    sup = Staff.objects.get(username="bench_sup")
    out: dict = {"loadavg_start": loadavg()}
    for label, user, url in (("dashboard", boss, f"/kpis/{m}"), ("scorecard_50", sup, f"/kpis/team/{m}"),
                             ("work_quality", boss, f"/kpis/work-quality/{m}"),
                             ("key_accounts", boss, "/scoring/key-accounts/"),
                             ("proposals", boss, "/scoring/proposals/")):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        started = time.process_time()
        r = _measure(client, [url] * args.repeat)
        r["cpu_ms"] = round((time.process_time() - started) * 1000 / (args.repeat + 4), 1)
        out[label] = r
    out["target_ms"] = TARGET_MS
    out["loadavg_end"] = loadavg()
    return out


def phase_report(args) -> dict:
    setup_django()
    from django.utils import timezone

    from powerkam.kpis import reports

    month = add_months(timezone.localdate().replace(day=1), -1)
    started = time.perf_counter()
    report = reports.generate_report(month, email=False)
    return {"report_s": round(time.perf_counter() - started, 1), "pdf": bool(report.pdf),
            "pdf_pages": reports.pdf_pages(report.pdf.read()) if report.pdf else 0, "pdf_error": report.pdf_error,
            "target_s": TARGET_REPORT_S, "loadavg_end": loadavg()}


def phase_load(args) -> dict:
    """The archive demo at --customers (customers, staff, org) and 24 months of bills for every
    customer, written in bulk (COPY on PostgreSQL, executemany on SQLite): a per-customer monthly
    load with a per-customer trend (−20 % … +40 % a year), paid except the last month's bills and
    those of ~5 % of the customers (arrears of 1–6 months)."""
    setup_django()
    import random
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from powerkam.billing.models import Bill
    from powerkam.core.workqueue import copy_rows
    from powerkam.customers.demo import load_demo
    from powerkam.customers.models import Customer

    t: dict = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    t["migrate_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    if not Customer.objects.exists():  # idempotent: a re-run after a failed bill load keeps the customers
        load_demo(scale=args.customers, seed=args.seed, evaluate=False)
    t["customers_s"] = round(time.perf_counter() - started, 1)
    if Bill.objects.exists():
        return {"timings": t, "bills": Bill.objects.count(), "customers": Customer.objects.count(), "reused": True}
    today = timezone.localdate()
    first = add_months(today.replace(day=1), -24)
    months = [add_months(first, i) for i in range(24)]
    rng = random.Random(args.seed)
    now = timezone.now()
    q = Decimal("0.01")

    # Read before the COPY starts: the connection cannot fetch while it is copying.
    customers = list(Customer.objects.order_by("pk").values_list("pk", "contract_capacity_kva"))

    def rows():
        n = 0
        for pk, cap in customers:
            base = max(float(cap or 100) * rng.uniform(80, 300), 500.0)
            trend = rng.uniform(-0.2, 0.4) / 12
            late = rng.random() < 0.05
            tail = rng.randint(1, 6) if late else 1
            for i, m in enumerate(months):
                kwh = Decimal(base * (1 + trend * (i - 12)) * rng.uniform(0.9, 1.1)).quantize(q)
                energy = (kwh * Decimal("0.62")).quantize(q)
                basic = Decimal("2000.00")
                sur = (kwh * Decimal("0.03")).quantize(q)
                total = energy + basic + sur
                open_ = i >= 24 - tail
                n += 1
                issued = add_months(m, 1)
                yield (pk, f"BS{n:010d}", m, issued, issued.replace(day=20), "", kwh, Decimal("0"), Decimal("0"),
                       energy, basic, Decimal("0"), sur, total, Decimal("0") if open_ else total,
                       None if open_ else issued.replace(day=15), "open" if open_ else "paid", "import", now)

    started = time.perf_counter()
    pg = connection.vendor == "postgresql"
    if pg:  # the arrears-position triggers fire per row: off for the bulk load, the table rebuilt after
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE billing_bill DISABLE TRIGGER USER")
    written = copy_rows(Bill, ("customer_id", "number", "period", "issued_on", "due_on", "tariff_code", "kwh", "kvarh",
                               "pf_adjustment_rate", "energy_charge", "basic_charge", "pf_adjustment", "surcharges",
                               "total", "paid_amount", "paid_on", "status", "source", "created_at"), rows())
    t["bills_s"] = round(time.perf_counter() - started, 1)
    if pg:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE billing_bill ENABLE TRIGGER USER")
            cursor.execute("DELETE FROM analytics_arrearsposition")
            cursor.execute("""
                INSERT INTO analytics_arrearsposition (customer_id, outstanding, open_bills, oldest_due, number)
                SELECT b.customer_id, SUM(b.total - b.paid_amount), COUNT(*), MIN(b.due_on), c.number
                FROM billing_bill b JOIN customers_customer c ON c.id = b.customer_id
                WHERE b.status = 'open' AND b.total > b.paid_amount GROUP BY b.customer_id, c.number""")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"timings": t, "bills": written, "customers": Customer.objects.count(), "peak_rss_mb": round(peak_rss_mb(), 1)}


PHASES = {"load": phase_load, "prepare": phase_prepare, "scoring": phase_scoring, "web": phase_web,
          "report": phase_report}


def print_table(report: dict) -> None:
    db, n = report["database"], report["customers"]
    print(f"\nScoring / KPI benchmark — {db}, {n:,} customers")
    s = report.get("scoring", {})
    if s and not s.get("failed"):
        ok = "OK" if s["run_s"] < TARGET_SCORING_S else "OVER"
        print(f"  scoring run: {s['run_s']} s for {s['customers']:,} customers ({s['customers_per_s']:,}/s, "
              f"{s['proposals']:,} proposals) [{ok} < {TARGET_SCORING_S} s]; try-out {s['tryout_s']} s")
    w = report.get("web", {})
    for label in ("dashboard", "scorecard_50", "work_quality", "key_accounts", "proposals"):
        r = w.get(label)
        if r:
            ok = "OK" if r["p95"] < TARGET_MS else "OVER"
            print(f"  {label:14s} p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  {r['queries']:3d} queries  "
                  f"cpu {r['cpu_ms']} ms [{ok}]")
    r = report.get("report", {})
    if r and not r.get("failed"):
        ok = "OK" if r["report_s"] < TARGET_REPORT_S else "OVER"
        print(f"  monthly report: {r['report_s']} s, PDF {r['pdf_pages']} pages [{ok} < {TARGET_REPORT_S} s]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000, help="scale (e.g. 10000 for a quick run)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--database-url", help=f"PostgreSQL URL (default {PG_URL}); the database is dropped!")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--phases", default="load,prepare,scoring,web,report")
    parser.add_argument("--reuse", action="store_true", help="keep the database and skip loading")
    parser.add_argument("--phase", choices=tuple(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        result = PHASES[args.phase](args)
        print(RESULT_MARK + json.dumps(result, ensure_ascii=False, default=str), flush=True)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    if args.database == "sqlite":
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="powerkam.settings")
        env.setdefault("LOG_LEVEL", "ERROR")
        env.pop("DATABASE_URL", None)
        var = OUT / "var-scoring-sqlite"
        var.mkdir(parents=True, exist_ok=True)
        if not args.reuse:
            for f in var.glob("powerkam.sqlite3*"):
                f.unlink()
        env["POWERKAM_VAR_DIR"] = str(var)
    else:
        args.database_url = args.database_url or PG_URL
        env = _fresh_database(args)
    env["MEDIA_ROOT"] = str(OUT / "media-scoring")
    report = {"database": args.database, "customers": args.customers, "when": time.strftime("%Y-%m-%d %H:%M"),
              "cpus": os.cpu_count(), "loadavg_start": loadavg()}
    phases = [p for p in args.phases.split(",") if p]  # load is idempotent (keeps what is there)
    path = OUT / f"scoring-{args.database}-{args.customers}-{time.strftime('%Y%m%d-%H%M')}.json"
    for name in phases:
        started = time.perf_counter()
        print(f"… {name} ({time.strftime('%H:%M:%S')}, load {loadavg()})", flush=True)
        report[name] = run_in_process([sys.executable, __file__, "--phase", name, "--customers", str(args.customers),
                                       "--seed", str(args.seed), "--repeat", str(args.repeat)], env)
        report[name]["wall_s"] = round(time.perf_counter() - started, 1)
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        if report[name].get("failed"):
            print(report[name]["stderr"], file=sys.stderr)
            break
    print_table(report)
    print(f"\nJSON: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
