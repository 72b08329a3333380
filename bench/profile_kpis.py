#!/usr/bin/env python
"""Every SQL query of the executive dashboard and of the 50-person KPI scorecard, timed in process
(issue #15 on SQLite): the selectors called --repeat times on an existing `run_scoring.py`
database, each query's median time, its share, and its query plan (EXPLAIN QUERY PLAN on
SQLite, EXPLAIN on PostgreSQL).

    POWERKAM_VAR_DIR=bench/out/var-scoring-sqlite python bench/profile_kpis.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pk_scoring_kpis_bench python bench/profile_kpis.py

Timing in one process without HTTP: CPU-bound and repeatable enough to compare two query shapes
one right after the other; the load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_foundation import setup_django  # noqa: E402
from run_money import add_months, loadavg  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--only", choices=("dashboard", "scorecard", "scorecard_live"))
    parser.add_argument("--plans", action="store_true", help="print each query's plan")
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from powerkam.kpis import selectors
    from powerkam.org.models import Role, Staff

    month = add_months(timezone.localdate().replace(day=1), -1)
    boss = Staff.objects.filter(role=Role.EXECUTIVE).first()
    sup = Staff.objects.get(username="bench_sup")
    calls = {"dashboard": lambda: selectors.dashboard(boss, month),
             "scorecard": lambda: selectors.scorecard(sup, month),
             # the same without the portfolio summary (decision record 0021): its bills read live
             "scorecard_live": lambda: selectors.scorecard(sup, month, from_summary=False)}
    print(f"load average before {loadavg()}; {connection.vendor}")
    for name, call in calls.items():
        if args.only and name != args.only:
            continue
        sqls: list[tuple[str, tuple]] = []

        def capture(execute, sql, params, many, context, sqls=sqls):
            sqls.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            call()  # the queries of one call (and a warm cache)
        totals, cpu = [], []
        for _ in range(args.repeat):
            started, cpu0 = time.perf_counter(), time.process_time()
            call()
            totals.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu0) * 1000)
        # each query again on its own, executed and fetched to the last row (a wrapper around
        # execute() alone misses SQLite's work done while the rows are fetched)
        med, med_cpu = {}, {}
        with connection.cursor() as cursor:
            for i, (sql, params) in enumerate(sqls):
                runs, runs_cpu = [], []
                for _ in range(args.repeat):
                    started, cpu0 = time.perf_counter(), time.process_time()
                    cursor.execute(sql, params)
                    cursor.fetchall()
                    runs.append((time.perf_counter() - started) * 1000)
                    runs_cpu.append((time.process_time() - cpu0) * 1000)
                med[i], med_cpu[i] = statistics.median(runs), statistics.median(runs_cpu)
        sql_ms = sum(med.values())
        print(f"\n{name}: {len(med)} queries, call median {statistics.median(totals):.1f} ms "
              f"(min {min(totals):.1f}; CPU {statistics.median(cpu):.1f}), SQL {sql_ms:.1f} ms "
              f"(CPU {sum(med_cpu.values()):.1f})")
        for i, ms in sorted(med.items(), key=lambda kv: -kv[1]):
            sql, params = sqls[i]
            print(f"  {ms:8.2f} ms  cpu {med_cpu[i]:7.2f}  {ms / max(sql_ms, 1e-9):5.1%}  #{i:<2d} {sql[:140]}")
            if args.plans and ms > 2:
                with connection.cursor() as cursor:
                    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
                    cursor.execute(prefix + sql, params)
                    for row in cursor.fetchall():
                        print("             ", row[-1] if connection.vendor == "sqlite" else row[0])
    print(f"\nload average after {loadavg()}")


if __name__ == "__main__":
    main()
