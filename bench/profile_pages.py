#!/usr/bin/env python
"""Where a page's time goes, in process (issue #11): each URL requested through Django's test
client as a user (the whole middleware stack), with every SQL query counted and timed
(`connection.execute_wrapper`) and, with --pyinstrument, a Python profile of the last request.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pk_mine python bench/profile_pages.py \\
        /customers/?q=科技 /api/v1/customers/123/ --repeat 10
    POWERKAM_VAR_DIR=bench/out/http-sqlite-100k python bench/profile_pages.py --api /api/v1/customers/123/
    python bench/profile_pages.py --pyinstrument /customers/?q=科技      # pip install pyinstrument

Prints, per URL: p50 / p95 of the whole request, the number of queries and their total time (of
the median request), and the slowest queries of the last request. Reads only (GET).

--cpu adds the CPU time each request costs (medians): this Python process's (time.process_time)
and, on a PostgreSQL server on the same machine, its backend's (/proc/<pid>/schedstat). On a
loaded machine wall-clock times vary with what else runs; CPU times hardly do, so a before/after
comparison of them holds where one of p50 does not (they are not what a user waits for).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_foundation as foundation  # noqa: E402  (bench/ is not a package)


class QueryLog:
    def __init__(self):
        self.queries: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - started) * 1000, sql))


def _backend_cpu(connection):
    """A function giving the CPU milliseconds the connection's PostgreSQL backend has used, or None
    (another database, or a server whose processes this machine does not show)."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    stat = Path(f"/proc/{connection.connection.info.backend_pid}/schedstat")
    if not stat.exists():
        return None
    return lambda: int(stat.read_text().split()[0]) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="*")
    parser.add_argument("--api", action="append", default=[], help="a URL requested with the user's API token")
    parser.add_argument("--user", default="supervisor1")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--top", type=int, default=5, help="slowest queries shown per URL")
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--cpu", action="store_true", help="CPU time per request: Python and the database backend")
    args = parser.parse_args()
    foundation.setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from powerkam.org.models import Staff

    settings.ALLOWED_HOSTS = ["*"]
    user = Staff.objects.get(username=args.user)
    Staff.objects.filter(pk=user.pk).update(two_step_due=None)
    session = Client()
    session.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    token = Token.objects.get_or_create(user=user)[0].key
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    print(f"{connection.vendor}, {args.user}, load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    for client, url in [(session, u) for u in args.urls] + [(api, u) for u in args.api]:
        client.get(url)  # warm-up
        backend = _backend_cpu(connection) if args.cpu else None
        runs, cpu = [], []
        for _ in range(args.repeat):
            log = QueryLog()
            with connection.execute_wrapper(log):
                db_started = backend() if backend else 0.0
                cpu_started = time.process_time()
                started = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
                cpu.append(((time.process_time() - cpu_started) * 1000, (backend() - db_started) if backend else 0.0))
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            runs.append((elapsed, log))
        times = sorted(ms for ms, _log in runs)
        median = sorted(runs, key=lambda r: r[0])[len(runs) // 2][1]
        p95 = statistics.quantiles(times, n=100, method="inclusive")[94] if len(times) > 1 else times[0]
        sql_ms = sum(ms for ms, _sql in median.queries)
        print(f"\n{url}\n  p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms; "
              f"{len(median.queries)} queries, {sql_ms:.1f} ms of SQL (median request)")
        if args.cpu:
            db = f" + database {statistics.median(c[1] for c in cpu):.1f} ms" if backend else ""
            print(f"  cpu: python {statistics.median(c[0] for c in cpu):.1f} ms{db} (medians)")
        for ms, sql in sorted(runs[-1][1].queries, reverse=True)[:args.top]:
            print(f"  {ms:7.2f} ms  {sql[:220]}")
        if args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
            client.get(url)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
