#!/usr/bin/env python
"""The customer list page's ids query at several depths, inside PostgreSQL (issue #11 item 5).

    python bench/list_page_depth.py pk_growth_100k [runs]

The list page pages its ids first (customers.paging.ListPaginator): `SELECT id … WHERE NOT
lifecycle_status = 'closed' ORDER BY number, id LIMIT 25 OFFSET m`, for the whole company and for
a key account manager (manager1). Prints, per offset, the server-side execution time (EXPLAIN
ANALYZE with TIMING OFF: no network, no Python) as min and median of `runs`, the shared buffers
the query touched (independent of the machine's load) and the plan's top scan or sort node.
"""

import re
import statistics
import sys
from pathlib import Path

import psycopg

ALL = ("SELECT V0.id FROM customers_customer V0 WHERE NOT (V0.lifecycle_status = 'closed') "
       "ORDER BY V0.number ASC, 1 ASC LIMIT 25 OFFSET {offset}")
MANAGER = ("SELECT V0.id FROM customers_customer V0 WHERE (V0.primary_manager_id = {m} OR V0.secondary_manager_id = {m}) "
           "AND NOT (V0.lifecycle_status = 'closed') ORDER BY V0.number ASC, 1 ASC LIMIT 25 OFFSET {offset}")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    database = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as conn:
        manager = conn.execute("SELECT id FROM org_staff WHERE username = 'manager1'").fetchone()[0]
        mine = conn.execute("SELECT count(*) FROM customers_customer WHERE (primary_manager_id = %s OR "
                            "secondary_manager_id = %s) AND lifecycle_status <> 'closed'", [manager, manager]).fetchone()[0]
        cases = [("all", o, ALL.format(offset=o)) for o in (0, 25000, 50000, 100000, 190000)]
        cases += [("manager1", o, MANAGER.format(m=manager, offset=o)) for o in (0, mine // 2, max(0, mine - 25))]
        print(f"{database}, load {loadavg()}; manager1 sees {mine} open customers")
        for kind, offset, sql in cases:
            times, buffers, node = [], "", ""
            for _ in range(runs):
                plan = [row[0] for row in conn.execute("EXPLAIN (ANALYZE, TIMING OFF, BUFFERS) " + sql).fetchall()]
                times.append(float(re.search(r"Execution Time: ([\d.]+)", plan[-1]).group(1)))
                buffers = re.search(r"Buffers: (.*)", "\n".join(plan)).group(1)
                node = next((line.strip().split("  (")[0] for line in plan[1:] if "Scan" in line or "Sort" in line), "")
            print(f"  {kind:9} offset {offset:>6}: min {min(times):7.2f} ms, median {statistics.median(times):7.2f} ms; "
                  f"{buffers}; {node[:80]}")
    print(f"load after {loadavg()}")


if __name__ == "__main__":
    main()
