#!/usr/bin/env python
"""The work SQLite does for the executive dashboard's and the 50-person scorecard's slow queries,
counted in virtual-machine instructions (a progress handler every 1,000) and CPU time of this
process — figures that do not depend on the machine's load, unlike wall-clock time.

    POWERKAM_VAR_DIR=bench/out/var-scoring-sqlite python bench/sqlite_work.py [--before]

`--before` measures, inside a transaction that is rolled back, the database as it was before
billing 0008 (its two indexes dropped, the (customer, period) index put back) and the dashboard's
past-due condition without `unlikely()`. Without it: the database and the code as they are.
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
    parser.add_argument("--before", action="store_true")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    setup_django()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from powerkam.kpis import selectors
    from powerkam.org.models import Role, Staff

    month = add_months(timezone.localdate().replace(day=1), -1)
    boss = Staff.objects.filter(role=Role.EXECUTIVE).first()
    sup = Staff.objects.get(username="bench_sup")
    with CaptureQueriesContext(connection) as dash:
        selectors.dashboard(boss, month)
    with CaptureQueriesContext(connection) as card:
        selectors.scorecard(sup, month, from_summary=False)  # the live bill queries (decision record 0021)
    picked = {
        "dashboard arrears": next(q["sql"] for q in dash.captured_queries if "unlikely(" in q["sql"]),
        "scorecard billed": next(q["sql"] for q in card.captured_queries if 'AS "billed"' in q["sql"]),
        "scorecard due in month": next(q["sql"] for q in card.captured_queries if 'AS "due_total"' in q["sql"]),
    }
    print(f"load average before {loadavg()}; {'before' if args.before else 'as is'}")
    raw = connection.connection
    steps = [0]

    def tick():
        steps[0] += 1
        return 0

    with transaction.atomic():
        if args.before:
            with connection.cursor() as cursor:
                cursor.execute('DROP INDEX "bill_customer_due_cover_idx"')
                cursor.execute('DROP INDEX "bill_customer_period_cover_idx"')
                cursor.execute('CREATE INDEX "bill_customer_period_cover_idx" ON "billing_bill" ("customer_id", "period")')
                cursor.execute('ANALYZE "billing_bill"')
            picked["dashboard arrears"] = picked["dashboard arrears"].replace("unlikely((", "((")
        for label, sql in picked.items():
            plan = [r[-1] for r in raw.execute("EXPLAIN QUERY PLAN " + sql)]
            cpu, wall = [], []
            for _ in range(args.repeat):
                steps[0] = 0
                raw.set_progress_handler(tick, 1000)
                c0, w0 = time.process_time(), time.perf_counter()
                rows = raw.execute(sql).fetchall()
                cpu.append((time.process_time() - c0) * 1000)
                wall.append((time.perf_counter() - w0) * 1000)
                raw.set_progress_handler(None, 1000)
            print(f"{label}: {steps[0]:,} thousand VM instructions, CPU {statistics.median(cpu):.1f} ms, "
                  f"wall {statistics.median(wall):.1f} ms (median of {args.repeat}), {len(rows)} rows")
            print("    plan: " + " | ".join(plan))
        transaction.set_rollback(True)
    print(f"load average after {loadavg()}")


if __name__ == "__main__":
    main()
