#!/usr/bin/env python
"""Consumption analysis benchmark (issue #14 items 3, 5, 6): the nightly anomaly scan, its
precision and recall, the forecast job and the customer load page.

    python bench/run_consumption_analysis.py --database postgres                       # full scale
    python bench/run_consumption_analysis.py --database postgres --customers 20000     # quicker

Phases, each in its own process (JSON to bench/out/consumption_analysis-<db>.json):

- `quality` (no database): the precision/recall harness (powerkam.consumption.anomaly_harness) —
  --pr-per-day synthetic customers at each of 13 evaluation dates around the Spring Festival,
  Labour Day, National Day and ordinary weeks, 30 % of them with an injected anomaly (drops of
  30–70 % over 5+ working days, rises, flat lines, zero readings). Targets: precision and recall
  each ≥ 0.9.
- `load`: a fresh database; --customers customers (bulk), --days days of daily aggregates each
  (default 365: 100,000 × 365 = 36.5 million rows, COPY on PostgreSQL) from the synthetic
  generator with the real holiday calendar, 1 % of them with an injected drop at the end;
  --key-accounts of them key accounts; one customer-year of 15-minute readings (35,040 values).
  PostgreSQL: the aggregate table's secondary indexes are built after the COPY, then VACUUM
  (ANALYZE) — as autovacuum leaves an insert-mostly table on a live site.
- `watch`: the nightly anomaly scan `anomalies.run_watch` over every customer (target < 60 s),
  then a rerun (idempotent: opens nothing), then EXPLAIN (ANALYZE, BUFFERS) of its read.
- `forecast`: the nightly forecast job `forecasting.run_forecasts` for the key accounts and the
  org units (target: 1,000 key accounts < 5 minutes), `--workers` processes (default: one per
  CPU); the backtest averages of the fitted models, of seasonal naive and of the forecasts used.
- `page`: the load page of the customer with the 15-minute year, through Django's test Client
  (full middleware), and its heatmap JSON: p50/p95 (target p95 < 150 ms) and SQL queries.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_foundation import (  # noqa: E402
    OUT,
    RESULT_MARK,
    _measure,
    peak_rss_mb,
    run_in_process,
    setup_django,
)
from run_foundation import fresh_database as _fresh_database  # noqa: E402

PG_URL = "postgres://postgres@127.0.0.1:5432/pk_consumption_analysis_bench"
TODAY = date(2026, 6, 24)  # the job's business day: the scan judges up to 2026-06-23 (after the Dragon Boat holiday)
TARGET_WATCH_S = 60
TARGET_FORECAST_S = 300
TARGET_PAGE_MS = 150


def phase_quality(args) -> dict:
    setup_django()
    from powerkam.consumption.anomaly_harness import evaluate

    started = time.perf_counter()
    score = evaluate(per_day=args.pr_per_day, seed=args.seed)
    return {"customers": score.customers, "precision": round(score.precision, 4), "recall": round(score.recall, 4),
            "true_positive": score.true_positive, "false_positive": score.false_positive,
            "false_negative": score.false_negative, "by_kind": score.by_kind,
            "seconds": round(time.perf_counter() - started, 1)}


def phase_load(args) -> dict:
    setup_django()
    import numpy as np
    from django.core.management import call_command
    from django.db import connection

    from powerkam.consumption import partitions
    from powerkam.consumption.anomalies import Kind, WatchRules
    from powerkam.consumption.anomaly_harness import (
        inject,
        package_anchors,
        package_calendar,
        synthetic_matrix,
    )
    from powerkam.consumption.models import DailyAggregate, IntervalReading
    from powerkam.core.workqueue import copy_rows
    from powerkam.customers.models import Customer
    from powerkam.org.models import OrgUnit, Role, Staff

    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate_s"] = round(time.perf_counter() - started, 1)
    company = OrgUnit.objects.create(code="BENCH", name="基准供电公司", kind=OrgUnit.Kind.COMPANY)
    stations = [OrgUnit.objects.create(code=f"BS{i}", name=f"基准供电所{i}", kind=OrgUnit.Kind.STATION, parent=company)
                for i in range(10)]
    managers = [Staff.objects.create(username=f"bench_mgr{i}", role=Role.MANAGER, org_unit=stations[i % 10])
                for i in range(50)]
    Staff.objects.create(username="bench_admin", role=Role.SUPERVISOR, org_unit=company, is_staff=True)
    started = time.perf_counter()
    n = args.customers
    Customer.objects.bulk_create([
        Customer(number=f"9{i:09d}", name=f"基准客户{i}", org_unit=stations[i % 10], primary_manager=managers[i % 50],
                 is_key_account=i < args.key_accounts, industry="CFGK"[i % 4]) for i in range(n)], batch_size=5000)
    ids = list(Customer.objects.order_by("number").values_list("pk", flat=True))
    timings["customers_s"] = round(time.perf_counter() - started, 1)

    end = TODAY - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    cal = package_calendar(start, end)
    anchors = package_anchors(start, end)
    rng = np.random.default_rng(args.seed)
    days = [start + timedelta(days=i) for i in range(args.days)]
    written, injected = 0, 0
    started = time.perf_counter()
    indexes = _drop_secondary_indexes(DailyAggregate._meta.db_table)
    for first in range(0, n, args.chunk):
        rows = ids[first:first + args.chunk]
        values = synthetic_matrix(cal, len(rows), rng, anchors)
        chosen = rng.choice(len(rows), size=max(1, len(rows) // 100), replace=False)
        for inj in inject(values, cal, rng, chosen, WatchRules()):
            injected += inj.kind == Kind.DROP
        written += _copy_aggregates(rows, days, values)
    timings["aggregates_s"] = round(time.perf_counter() - started, 1)
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in indexes:
                cursor.execute(sql)
        timings["aggregate_indexes_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        # What autovacuum does to an insert-mostly table on a live site (PostgreSQL ≥ 13 vacuums
        # after inserts too): the visibility map that lets the watch's read be index-only.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {DailyAggregate._meta.db_table}")
        timings["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
        partitions.ensure_partitions(date(end.year - 1, 1, 1), end, connection)
    # One key account's 15-minute year (the load page's heatmap).
    started = time.perf_counter()
    page_customer = ids[0]
    curve = 300 + 200 * np.sin(np.linspace(0, 2 * np.pi, 96))
    year = end.year - 1
    first_day = date(year, 1, 1)
    readings = ((page_customer, first_day + timedelta(days=d), 1, s + 1, float(curve[s] * (1 + 0.1 * np.sin(d / 9))))
                for d in range(365) for s in range(96))
    copy_rows(IntervalReading, ("customer_id", "day", "metering_point_id", "slot", "kw"), readings, batch_size=100_000)
    timings["intervals_s"] = round(time.perf_counter() - started, 1)
    return {"customers": n, "days": args.days, "aggregate_rows": written, "injected_drops": injected,
            "page_customer": page_customer, "page_year": year, "timings": timings, "peak_rss_mb": peak_rss_mb()}


def _drop_secondary_indexes(table: str) -> list[str]:
    """PostgreSQL bulk load: the table's indexes other than its primary key dropped before the COPY
    and built once after it (the statements to build them returned) — a bulk load does not
    maintain 36.5 million entries one by one. Nothing on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
                       "WHERE i.tablename = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)",
                       [table])
        found = cursor.fetchall()
        for name, _sql in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


AGG_COLUMNS = ("customer_id", "day", "kwh_total", "kwh_sharp", "kwh_peak", "kwh_flat", "kwh_valley", "complete",
               "slots", "source", "updated_at")


def _copy_aggregates(ids, days, values) -> int:
    """Daily aggregate rows of `ids` × `days` (every NOT NULL column: Django defaults are not database
    defaults). PostgreSQL: COPY of text blocks built per customer; SQLite: executemany."""
    from django.db import connection
    from django.utils import timezone

    from powerkam.consumption.models import DailyAggregate
    from powerkam.core.workqueue import copy_rows

    now = timezone.now()
    if connection.vendor != "postgresql":
        rows = ((cid, day, round(float(values[r, j]), 3), 0, 0, 0, 0, True, 96, "daily", now)
                for r, cid in enumerate(ids) for j, day in enumerate(days))
        return copy_rows(DailyAggregate, AGG_COLUMNS, rows, batch_size=50_000)
    stamp = now.isoformat()
    day_text = [d.isoformat() for d in days]
    table = DailyAggregate._meta.db_table
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
        with raw.copy(f"COPY {table} ({', '.join(AGG_COLUMNS)}) FROM STDIN") as copy:
            for r, cid in enumerate(ids):
                tail = f"\t0\t0\t0\t0\tt\t96\tdaily\t{stamp}\n"
                copy.write("".join(f"{cid}\t{d}\t{v:.3f}{tail}" for d, v in zip(day_text, values[r].tolist(), strict=True)))
                written += len(days)
    return written


def phase_watch(args) -> dict:
    setup_django()
    from django.db.models import Count

    from powerkam.consumption import anomalies
    from powerkam.consumption.models import UsageAnomaly

    started = time.perf_counter()
    first = anomalies.run_watch(TODAY)
    first["total_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    again = anomalies.run_watch(TODAY)
    again["total_s"] = round(time.perf_counter() - started, 2)
    return {"first": first, "rerun": again, "anomalies": UsageAnomaly.objects.count(),
            "by_kind": dict(UsageAnomaly.objects.values_list("kind").annotate(n=Count("id"))),
            "peak_rss_mb": peak_rss_mb(), "target_s": TARGET_WATCH_S, "read_plan": _explain_watch_read()}


def _explain_watch_read() -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the watch's read (after the runs, so it does not warm the
    cache for them): the plan should be an Index Only Scan of cons_agg_watch_idx, Heap Fetches 0."""
    from datetime import timedelta as td

    from django.db import connection

    from powerkam.consumption import anomalies

    if connection.vendor != "postgresql":
        return []
    rules = anomalies.rules_from_settings()
    end = anomalies.watch_day(TODAY)
    cal = anomalies.build_calendar(end - td(days=rules.days_needed + anomalies.YEAR_LAG_DAYS + 60), end)
    query, params = anomalies.read_query(cal, anomalies.needed_columns(cal, rules))
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}", params)
        return [r[0] for r in cursor.fetchall()]


def phase_forecast(args) -> dict:
    setup_django()
    from powerkam.consumption import forecasting

    started = time.perf_counter()
    result = forecasting.run_forecasts(TODAY, workers=args.workers or None)
    result["total_s"] = round(time.perf_counter() - started, 2)
    from django.db.models import Count

    from powerkam.consumption.analysis import backtest_summary
    from powerkam.consumption.models import ConsumptionForecast

    key_accounts = ConsumptionForecast.objects.filter(customer__isnull=False)
    result["backtest"] = {k: (round(v, 2) if isinstance(v, float) else v)
                          for k, v in backtest_summary(key_accounts).items()}
    result["models_used"] = {f"{d or '-'} / {m or '-'}": n for d, m, n in key_accounts.values_list(
        "daily_model", "monthly_model").annotate(n=Count("id")).order_by("daily_model", "monthly_model")}
    result["peak_rss_mb"] = peak_rss_mb()
    result["target_s"] = TARGET_FORECAST_S
    return result


def phase_page(args) -> dict:
    setup_django()
    from django.test import Client
    from django.urls import reverse

    from powerkam.org.models import Staff

    client = Client()
    client.force_login(Staff.objects.get(username="bench_admin"), backend="django.contrib.auth.backends.ModelBackend")
    pk, year = args.page_customer, args.page_year
    days = [date(year, 1, 1) + timedelta(days=d) for d in range(0, 364, max(1, 364 // args.repeat))][:args.repeat]
    page = _measure(client, [reverse("consumption_analysis:load", args=[pk]) + f"?day={d}" for d in days])
    heat = _measure(client, [reverse("consumption_analysis:load_heatmap", args=[pk]) + f"?year={year}"] * args.repeat)
    return {"load_page": page, "heatmap_json": heat, "target_p95_ms": TARGET_PAGE_MS}


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


PHASES = {"quality": phase_quality, "load": phase_load, "watch": phase_watch, "forecast": phase_forecast,
          "page": phase_page}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--key-accounts", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--pr-per-day", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--workers", type=int, default=0,
                        help="Worker processes of the forecast job (default: POWERKAM_FORECAST_WORKERS / one per CPU).")
    parser.add_argument("--reuse", action="store_true", help="Keep the database (skip the load phase).")
    parser.add_argument("--tag", default="", help="Suffix of the JSON file's name (runs of single phases side by side).")
    parser.add_argument("--only", action="append", choices=list(PHASES), help="Run only these phases.")
    parser.add_argument("--phase", choices=list(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--page-customer", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--page-year", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(RESULT_MARK + json.dumps(PHASES[args.phase](args), default=str))
        return

    import run_foundation

    run_foundation.PG_BENCH_URL = args.database_url or PG_URL
    args.database_url = args.database_url or (PG_URL if args.database == "postgres" else None)
    args.export_repeat, args.import_rows, args.import_first_number = 0, 0, 0  # fresh_database's other flags
    env = _fresh_database(args)
    OUT.mkdir(parents=True, exist_ok=True)
    report = {"database": args.database, "customers": args.customers, "days": args.days,
              "key_accounts": args.key_accounts, "when": time.strftime("%Y-%m-%d %H:%M")}
    wanted = args.only or list(PHASES)
    common = ["--customers", str(args.customers), "--days", str(args.days), "--key-accounts", str(args.key_accounts),
              "--chunk", str(args.chunk), "--pr-per-day", str(args.pr_per_day), "--repeat", str(args.repeat),
              "--seed", str(args.seed), "--workers", str(args.workers)]

    def run(name, extra=()):
        print(f"… {name}", flush=True)
        before = _loadavg()
        result = run_in_process([sys.executable, __file__, "--phase", name, *common, *extra], env)
        result["loadavg"] = {"before": before, "after": _loadavg()}  # the host is shared: say how busy it was
        report[name] = result
        print(json.dumps(result, default=str)[:1500], flush=True)
        return result

    if "quality" in wanted:
        run("quality")
    if "load" in wanted and not args.reuse:
        run("load")
    load = report.get("load", {})
    for name in ("watch", "forecast", "page"):
        if name in wanted:
            extra = ["--page-customer", str(load.get("page_customer", 1)), "--page-year", str(load.get("page_year", 2025))]
            run(name, extra)
    path = OUT / f"consumption_analysis-{args.database}{'-' + args.tag if args.tag else ''}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print(f"written {path}")


if __name__ == "__main__":
    main()
