#!/usr/bin/env python
"""Foundation benchmark at production scale (issue #2): search, 360, API list, export, import.

    python bench/run_foundation.py --customers 100000 --database sqlite
    python bench/run_foundation.py --customers 100000 --database postgres
    make bench BENCH_ARGS="--customers 100000 --database postgres"

Creates a fresh database (SQLite under bench/out/, or PostgreSQL `powerkam_bench`, dropped and
recreated), migrates it, loads the demo company with `load_demo --scale N`, then measures with
Django's test Client (the whole middleware stack, no network) as the company-root supervisor
and as a key account manager (portfolio scope):

- customer search by name fragment: /customers/?q=… and /api/v1/customers/?q=…;
- the customer 360 page /customers/<id>/;
- the API list /api/v1/customers/?page=N (random pages), also with Django's cache emptied
  before each request (the count of a large list is remembered for 30 s);
- export of ~10,000 rows to xlsx (/customers/export/ filtered to one supply station);
- import throughput and peak memory for a 100,000-row customers file (csv and xlsx) through
  powerkam.imports.services.run_import, the template's Chinese headers as the header row.

Each phase runs in its own process so its peak RSS (getrusage) is its own. Prints a table and
writes everything as JSON to bench/out/. Never part of the unit suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_URL = "postgres://postgres@127.0.0.1:5432/powerkam_bench"
RESULT_MARK = "BENCH_RESULT "

# Targets from issue #2 (PostgreSQL) and the Odoo 19 reference figures it quotes.
TARGETS_MS = {"search_ui": 30, "search_api": 30, "search_ui_2char": 30, "search_api_2char": 30,
              "api_list": 30, "api_list_uncached": 30, "detail_360": 80}
TARGET_IMPORT_ROWS_S = 5000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)
    if len(samples) == 1:
        return {"n": 1, "p50": samples[0], "p95": samples[0], "max": samples[0]}
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {"n": len(samples), "p50": round(q[49], 2), "p95": round(q[94], 2), "max": round(samples[-1], 2)}


def setup_django():
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerkam.settings")
    import django

    django.setup()


# ---------------------------------------------------------------------------------------------
# Phases (each in its own process)
# ---------------------------------------------------------------------------------------------

def phase_load(args) -> dict:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started
    from powerkam.customers.demo import load_demo

    started = time.perf_counter()
    counts = load_demo(scale=args.customers, seed=args.seed, evaluate=False)
    generate_s = time.perf_counter() - started
    from powerkam.customers import quality

    started = time.perf_counter()
    counts["quality"] = quality.evaluate_all()
    quality_s = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    rows = sum(v for k, v in counts.items() if isinstance(v, int) and k != "staff")
    return {"migrate_s": round(migrate_s, 1), "generate_s": round(generate_s, 1), "quality_s": round(quality_s, 1),
            "rows_written": rows, "generate_rows_s": round(rows / generate_s), "counts": counts,
            "quality_customers_s": round(counts["quality"]["customers"] / quality_s),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def _timed(client, url: str, expect=200) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(url)
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != expect:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {body[:300]!r}")
    return elapsed, len(body)


def _measure(client, urls: list[str], warmup: int = 3, before=None) -> dict:
    """p50/p95 of GET `urls` (after `warmup` requests) and the SQL queries of one request;
    `before()` runs before every request, outside the timing."""
    from django.db import connection

    before = before or (lambda: None)
    for url in urls[:warmup]:
        before()
        _timed(client, url)
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    before()
    with connection.execute_wrapper(counter):
        _timed(client, urls[0])
    samples = []
    for url in urls:
        before()
        samples.append(_timed(client, url)[0])
    result = percentiles(samples)
    result["queries"] = count[0]
    return result


def _fragments(rng: random.Random, names: list[str], count: int) -> list[str]:
    """Name fragments as users type them: 4 characters from inside a real customer name (the
    brand and the start of the business word, e.g. 恒通纺织), which match tens of customers."""
    out = []
    for name in rng.sample(names, min(count * 2, len(names))):
        if len(name) >= 8:
            out.append(name[2:6])
        if len(out) == count:
            break
    return out


def phase_web(args) -> dict:
    setup_django()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from powerkam.core.scoping import visible_customers
    from powerkam.customers.filters import search_customers
    from powerkam.customers.models import Customer
    from powerkam.org.models import OrgUnit, Staff

    rng = random.Random(args.seed)
    n = args.repeat
    names = list(Customer.objects.order_by("?").values_list("name", flat=True)[:5000]) if connection.vendor == "sqlite" \
        else list(Customer.objects.order_by("pk").values_list("name", flat=True)[::max(1, args.customers // 5000)])
    fragments = _fragments(rng, names, n)
    users = {"supervisor": Staff.objects.get(username="supervisor1"), "manager": Staff.objects.get(username="manager1")}
    station = OrgUnit.objects.filter(kind=OrgUnit.Kind.STATION).order_by("code").first()
    results: dict = {"fragments_sample": fragments[:8]}
    for label, user in users.items():
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        visible = visible_customers(user)
        total = visible.count()
        matches = [search_customers(visible, f).count() for f in fragments[:20]]
        ids = list(visible.values_list("pk", flat=True).order_by("?")[:n]) if connection.vendor == "sqlite" \
            else rng.sample(list(visible.values_list("pk", flat=True)), min(n, total))
        pages = max(1, (total + 49) // 50)
        r = {"visible_customers": total, "search_matches_median": statistics.median(matches) if matches else 0}
        r["search_ui"] = _measure(client, [f"/customers/?q={f}" for f in fragments])
        r["search_api"] = _measure(client, [f"/api/v1/customers/?q={f}" for f in fragments])
        # Two-character fragments (纺织, 医院): too short for a trigram index, so a scan on PostgreSQL.
        short = [f[2:] for f in fragments]
        r["search_ui_2char"] = _measure(client, [f"/customers/?q={f}" for f in short])
        r["search_api_2char"] = _measure(client, [f"/api/v1/customers/?q={f}" for f in short])
        r["detail_360"] = _measure(client, [f"/customers/{pk}/" for pk in ids])
        list_urls = [f"/api/v1/customers/?page={rng.randint(1, pages)}" for _ in range(n)]
        r["api_list"] = _measure(client, list_urls)
        # The same pages with Django's cache emptied before each request: a list of 10,000+
        # rows remembers its count for 30 s (customers.paging), so this is the first page a
        # client asks for, which counts every visible customer.
        r["api_list_uncached"] = _measure(client, list_urls, before=cache.clear)
        r["api_detail"] = _measure(client, [f"/api/v1/customers/{pk}/" for pk in ids])
        # Export: one supply station (~N/9 rows) for the supervisor, the whole portfolio for a manager.
        export_url = f"/customers/export/?fmt=xlsx&org_unit={station.pk}" if label == "supervisor" \
            else "/customers/export/?fmt=xlsx"
        export_rows = visible.filter(org_unit__path__startswith=station.path).count() if label == "supervisor" else total
        _timed(client, export_url)  # warm-up
        samples, size = [], 0
        for _ in range(args.export_repeat):
            ms, size = _timed(client, export_url)
            samples.append(ms)
        r["export_xlsx"] = {**percentiles(samples), "rows": export_rows, "bytes": size,
                            "rows_s": round(export_rows / (statistics.median(samples) / 1000))}
        results[label] = r
    results["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return results


def _import_rows(count: int, seed: int, first_number: int):
    """Customers rows (dicts by model field) from the demo generator, for a file to import."""
    from django.utils import timezone

    from powerkam.customers.demo import DemoGenerator, _grid
    from powerkam.org.models import OrgUnit, Staff

    stations = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.STATION).order_by("code"))
    portfolio: dict[int, list[int]] = {}
    usernames = {}
    for s in Staff.objects.filter(role__in=("manager", "specialist")):
        portfolio.setdefault(s.org_unit_id, []).append(s.pk)
        usernames[s.pk] = s.username
    gen = DemoGenerator(seed, timezone.localdate(), stations, portfolio, _grid(stations))
    codes = {s.pk: s.code for s in stations}
    for i in range(count):
        cu = gen.customer(i).customer
        yield {
            "number": str(first_number + i), "name": cu.name + "（导入）", "customer_type": cu.customer_type,
            "credit_code": cu.credit_code, "business_licence_no": cu.business_licence_no,
            "legal_representative": cu.legal_representative, "id_number": cu.id_number, "address": cu.address,
            "usage_category": cu.usage_category, "industry": cu.industry, "voltage_level": cu.voltage_level,
            "contract_capacity_kva": str(cu.contract_capacity_kva), "operating_capacity_kva": str(cu.operating_capacity_kva),
            "lifecycle_status": cu.lifecycle_status if cu.lifecycle_status != "closed" else "active",
            "importance_level": cu.importance_level, "scope": cu.scope, "cooperation_depth": cu.cooperation_depth,
            "is_key_account": "是" if cu.is_key_account else "否", "ka_tier": cu.ka_tier,
            "tariff_code": cu.tariff_code, "basic_charge_method": cu.basic_charge_method,
            "pf_standard": cu.pf_standard, "tou_enabled": "是" if cu.tou_enabled else "否",
            "org_unit": codes[cu.org_unit_id], "primary_manager": usernames.get(cu.primary_manager_id, ""),
            "secondary_manager": usernames.get(cu.secondary_manager_id, ""),
            "opened_on": cu.opened_on.isoformat() if cu.opened_on else "", "notes": "",
        }


def phase_import(args) -> dict:
    setup_django()
    import csv
    import gc
    import io

    from openpyxl import Workbook, load_workbook

    try:
        from powerkam.imports.columns import COLUMNS
        from powerkam.imports.services import run_import, template_xlsx
    except ImportError as exc:  # the imports module is not there yet: say so, measure the rest
        return {"skipped": f"powerkam.imports.services not importable: {exc}"}
    from powerkam.org.models import Staff

    fmt = args.import_format
    headers = [c.value for c in next(load_workbook(io.BytesIO(template_xlsx("customers")), read_only=True).active.iter_rows(max_row=1))]
    by_header = {spec.zh: spec.field for spec in COLUMNS["customers"]}
    fields = [by_header.get(h) for h in headers]
    first_number = args.import_first_number or (3900000000 if fmt == "csv" else 3800000000)
    path = OUT / f"import-customers-{args.import_rows}.{fmt}"
    started = time.perf_counter()
    rows = _import_rows(args.import_rows, args.seed + (7 if fmt == "csv" else 11), first_number)
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(headers)
            for row in rows:
                writer.writerow([row.get(f, "") if f else "" for f in fields])
    else:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("数据")
        ws.append(headers)
        for row in rows:
            ws.append([row.get(f, "") if f else "" for f in fields])
        wb.save(path)
    write_s = time.perf_counter() - started
    gc.collect()
    rss_before = peak_rss_mb()
    actor = Staff.objects.get(username="supervisor1")
    import powerkam.imports.services as import_services

    # A large import evaluates the data-quality rules in a job that starts right after its commit
    # (services.quality_inline_rows). The bench runs that job's work itself, timed on its own,
    # instead of leaving it to a worker.
    deferred: list[list[int]] = []
    import_services._enqueue_quality = deferred.append
    started = time.perf_counter()
    with path.open("rb") as fh:
        result = run_import("customers", fh, path.name, actor=actor, dry_run=False)
    elapsed = time.perf_counter() - started
    rss_import = peak_rss_mb()
    quality = {"quality_in_import": not getattr(result, "quality_deferred", False)}
    if deferred:
        from powerkam.customers.quality import evaluate_bulk

        started = time.perf_counter()
        counts = evaluate_bulk(deferred[0])
        quality_s = time.perf_counter() - started
        quality.update({"quality_s": round(quality_s, 1), "quality_customers": counts["customers"],
                        "quality_opened": counts["opened"],
                        "quality_customers_s": round(counts["customers"] / quality_s) if quality_s else 0,
                        "import_and_quality_rows_s": round(result.total_rows / (elapsed + quality_s))})
    errors = [f"row {e.row} {e.column}: {e.message}" for e in result.errors[:5]]
    return {"format": fmt, "rows": result.total_rows, "created": result.created, "updated": result.updated,
            "ok": result.ok, "errors": errors, "error_count": getattr(result, "error_count", len(result.errors)),
            "file_mb": round(path.stat().st_size / 1048576, 1), "file_write_s": round(write_s, 1),
            "seconds": round(elapsed, 1), "rows_s": round(result.total_rows / elapsed) if elapsed else 0,
            "peak_rss_mb_before_import": round(rss_before, 1), "peak_rss_mb_import": round(rss_import, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1), "load_average": list(os.getloadavg()), **quality}


PHASES = {"load": phase_load, "web": phase_web, "import": phase_import}


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------

def fresh_database(args) -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "powerkam.settings"
    env["POWERKAM_MAX_UPLOAD_BYTES"] = str(500 * 1024 * 1024)  # the 100,000-row file is ~25 MB
    env.setdefault("LOG_LEVEL", "ERROR")
    if args.database == "sqlite":
        var = OUT / "var-sqlite"
        var.mkdir(parents=True, exist_ok=True)
        if not args.reuse:
            for f in var.glob("powerkam.sqlite3*"):
                f.unlink()
        env.pop("DATABASE_URL", None)
        env["POWERKAM_VAR_DIR"] = str(var)
    else:
        url = args.database_url or PG_BENCH_URL
        env["DATABASE_URL"] = url
        if not args.reuse:
            import psycopg

            name = url.rsplit("/", 1)[1]
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
    return env


def run_phase(name: str, args, env: dict, extra: list[str] | None = None) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "--customers", str(args.customers), "--seed", str(args.seed),
           "--repeat", str(args.repeat), "--export-repeat", str(args.export_repeat),
           "--import-rows", str(args.import_rows), "--import-first-number", str(args.import_first_number),
           *(extra or [])]
    print(f"… {name} {' '.join(extra or [])}", flush=True)
    return run_in_process(cmd, env)


def run_in_process(cmd: list[str], env: dict) -> dict:
    """Run one phase (`cmd`: this or another bench script with --phase) in its own process; its
    result line as a dict, or what failed. Every bench script runs its phases this way."""
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    return {"failed": True, "returncode": proc.returncode, "stderr": proc.stderr[-3000:]}


def print_table(report: dict) -> None:
    db = report["database"]
    print(f"\nPowerKAM foundation benchmark — {db}, {report['customers']:,} customers ({report['when']})")
    load = report.get("load", {})
    if "generate_s" in load:
        print(f"load_demo: {load['generate_s']} s for {load['rows_written']:,} rows ({load['generate_rows_s']:,} rows/s), "
              f"quality rules {load['quality_s']} s ({load['quality_customers_s']:,} customers/s), peak RSS {load['peak_rss_mb']} MB")
    web = report.get("web", {})
    print(f"\n{'measure':<22}{'scope':<12}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'target p95':>12}")
    for scope in ("supervisor", "manager"):
        r = web.get(scope)
        if not r:
            continue
        for key in ("search_ui", "search_api", "search_ui_2char", "search_api_2char", "detail_360", "api_list",
                    "api_list_uncached", "api_detail", "export_xlsx"):
            m = r.get(key)
            if not m:
                continue
            target = TARGETS_MS.get(key)
            extra = f"  ({m['rows']:,} rows, {m['rows_s']:,} rows/s)" if key == "export_xlsx" else ""
            print(f"{key:<22}{scope:<12}{m['p50']:>9.1f}{m['p95']:>9.1f}{m.get('queries', ''):>9}"
                  f"{(str(target) if target else '-'):>12}{extra}")
    for imp in report.get("import", []):
        if imp.get("skipped") or imp.get("failed"):
            print(f"\nimport: not measured — {imp.get('skipped') or imp.get('stderr', '')[-500:]}")
            continue
        print(f"\nimport {imp['format']}: {imp['rows']:,} rows in {imp['seconds']} s = {imp['rows_s']:,} rows/s "
              f"(target ≥ {TARGET_IMPORT_ROWS_S:,}); ok={imp['ok']} created={imp['created']:,}; file {imp['file_mb']} MB; "
              f"peak RSS {imp['peak_rss_mb']} MB (before import {imp['peak_rss_mb_before_import']} MB)")
        if "quality_s" in imp:
            print(f"  data-quality job after the commit: {imp['quality_customers']:,} customers in {imp['quality_s']} s "
                  f"= {imp['quality_customers_s']:,} customers/s ({imp['quality_opened']:,} findings); import + quality "
                  f"{imp['import_and_quality_rows_s']:,} rows/s")
        elif imp.get("quality_in_import"):
            print("  data-quality rules evaluated inside the import")
        if imp.get("errors"):
            print("  first errors:", *imp["errors"], sep="\n    ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--database-url", help=f"PostgreSQL URL (default {PG_BENCH_URL}); the database is dropped!")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=60, help="requests per measure")
    parser.add_argument("--export-repeat", type=int, default=5)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--import-formats", default="csv,xlsx", help="comma-separated; empty to skip the import")
    parser.add_argument("--import-first-number", type=int, default=0,
                        help="first customer number of the imported file (re-measuring on a reused database "
                             "needs numbers not imported yet)")
    parser.add_argument("--reuse", action="store_true", help="keep the database and skip loading (re-measure)")
    parser.add_argument("--phase", choices=tuple(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--import-format", default="csv", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        result = PHASES[args.phase](args)
        print(RESULT_MARK + json.dumps(result, ensure_ascii=False, default=str), flush=True)
        return

    OUT.mkdir(parents=True, exist_ok=True)
    env = fresh_database(args)
    report = {"database": args.database, "customers": args.customers, "when": time.strftime("%Y-%m-%d %H:%M"),
              "python": sys.version.split()[0], "cpus": os.cpu_count()}
    report["load"] = {} if args.reuse else run_phase("load", args, env)
    report["web"] = run_phase("web", args, env)
    report["import"] = [run_phase("import", args, env, ["--import-format", f])
                        for f in args.import_formats.split(",") if f]
    path = OUT / f"foundation-{args.database}-{args.customers}-{time.strftime('%Y%m%d-%H%M')}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    print_table(report)
    print(f"\nJSON: {path.relative_to(ROOT)}")
    failed = [k for k in ("load", "web") if report.get(k, {}).get("failed")]
    for k in failed:
        print(f"\nphase {k} failed:\n{report[k]['stderr']}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
