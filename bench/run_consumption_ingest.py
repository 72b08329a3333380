#!/usr/bin/env python
"""Consumption ingest benchmark (issue #14): key accounts × a year of 15-minute data, loaded from
wide CSV files (one row per meter and day, 96 values) through the real ingest
(`powerkam.consumption.services.start_ingest`: parse, validate, × multiplier, COPY into the monthly
partitions, daily aggregates with the TOU split, the batch record).

    python bench/run_consumption_ingest.py                       # 1,000 accounts × 365 days = 35 M values
    python bench/run_consumption_ingest.py --accounts 100        # a quick run (3.5 M values)
    python bench/run_consumption_ingest.py --accounts 100 --workers 0   # one file after another, one process
    python bench/run_consumption_ingest.py --database sqlite --accounts 20 --days 90

Builds a fresh database (PostgreSQL `powerkam_bench_consumption`, dropped and recreated, or SQLite
under bench/out/var-consumption-sqlite/), migrates, creates the accounts (one metering point each,
CT×PT multiplier 10 or 20, a two-part TOU catalogue tariff) and writes the files (`--accounts-per-file`
accounts a file, a whole year each: ~22 MB for 100 accounts) — not timed. Then submits every file
as a user would (`start_ingest`, one background job a file) and runs `--workers` job workers
(`manage.py db_worker --batch`, default one a core): the figure is the wall time of the whole set,
from the first upload to the last file done; each worker's peak RSS comes from its own rusage.
(`--workers 0`: the files one after another inside a fresh process, as before.) Then re-ingests the
first file unchanged (the upsert path: nothing changes). Targets: ≥ 150,000 values/s, peak RSS
under 500 MB. Prints a table and writes bench/out/consumption_ingest-<db>-<accounts>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_foundation import OUT, RESULT_MARK, ROOT, peak_rss_mb, percentiles, setup_django  # noqa: E402

PG_URL = "postgres://postgres@127.0.0.1:5432/powerkam_bench_consumption"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
TARGET_VALUES_PER_S = 150_000
TARGET_RSS_MB = 500
SLOTS = [f"{(s * 15) // 60:02d}:{(s * 15) % 60:02d}" for s in range(1, 97)]


def environment(args) -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "powerkam.settings"
    env["POWERKAM_MAX_UPLOAD_BYTES"] = str(1024 * 1024 * 1024)
    env.setdefault("LOG_LEVEL", "ERROR")
    var = OUT / f"var-consumption-{args.database}"
    var.mkdir(parents=True, exist_ok=True)
    env["POWERKAM_VAR_DIR"] = str(var)
    env["MEDIA_ROOT"] = str(var / "media")
    if args.database == "sqlite":
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = args.database_url or PG_URL
    return env


def fresh_database(args, env: dict) -> None:
    if args.database == "sqlite":
        for f in Path(env["POWERKAM_VAR_DIR"]).glob("powerkam.sqlite3*"):
            f.unlink()
        return
    import psycopg

    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def files_dir(args) -> Path:
    return OUT / f"consumption-files-{args.accounts}x{args.days}"


def phase_setup(args) -> dict:
    """Migrate, create the accounts and write the files (not timed against the target)."""
    import numpy as np

    setup_django()
    from decimal import Decimal

    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    from powerkam.billing.demo import load_catalogue
    from powerkam.customers.models import Customer, MeteringPoint
    from powerkam.org.models import OrgUnit, Staff

    load_catalogue()
    unit = OrgUnit.objects.create(code="BENCH", name="基准供电公司", kind=OrgUnit.Kind.COMPANY)
    Staff.objects.create_superuser("bench", password="bench-Passw0rd!", org_unit=unit, role="admin")
    customers = Customer.objects.bulk_create([
        Customer(number=f"39{i:08d}", name=f"基准大客户{i}", org_unit=unit, is_key_account=True,
                 contract_capacity_kva=Decimal("4000"), tariff_code="DGY-10", tou_enabled=True)
        for i in range(args.accounts)], batch_size=2000)
    MeteringPoint.objects.bulk_create([
        MeteringPoint(customer=c, number=f"MP{i:08d}", meter_no=f"ZB{i:08d}", ct_ratio="200/5" if i % 2 else "100/5",
                      pt_ratio="10000/100", multiplier=Decimal("4000") if i % 2 else Decimal("2000"))
        for i, c in enumerate(customers)], batch_size=2000)
    setup_s = time.perf_counter() - started

    started = time.perf_counter()
    folder = files_dir(args)
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*.csv"):
        f.unlink()
    rng = np.random.default_rng(args.seed)
    first = date.today().replace(day=1) - timedelta(days=args.days)
    days = [first + timedelta(days=d) for d in range(args.days)]
    shape = np.concatenate([np.full(28, 0.45), np.full(40, 1.0), np.full(20, 0.85), np.full(8, 0.5)])
    paths = []
    for start in range(0, args.accounts, args.accounts_per_file):
        path = folder / f"wide-{start:05d}.csv"
        with open(path, "w", encoding="utf-8") as out:
            out.write("电能表资产号,日期," + ",".join(SLOTS) + "\n")
            for i in range(start, min(start + args.accounts_per_file, args.accounts)):
                # raw meter values: kW / multiplier; 500–1,500 kW base load
                mult = 4000 if i % 2 else 2000
                base = rng.uniform(500, 1500) / mult
                noise = rng.normal(1.0, 0.05, size=(args.days, 96)).clip(0.5, 1.5)
                values = (base * shape * noise).round(4)
                meter = f"ZB{i:08d}"
                for d, day in enumerate(days):
                    out.write(f"{meter},{day.isoformat()},")
                    out.write(",".join(map(repr, values[d].tolist())))
                    out.write("\n")
        paths.append(str(path))
    files_s = time.perf_counter() - started
    return {"setup_s": round(setup_s, 1), "files_s": round(files_s, 1), "files": paths,
            "file_mb": round(sum(Path(p).stat().st_size for p in paths) / 1048576, 1)}


def run_workers(n: int) -> tuple[list[float], float]:
    """n job workers (`manage.py db_worker --batch`: they take the queued ingests one at a time and exit
    when none is left). Returns each worker's peak RSS (MB, from wait4) and the wall time they took."""
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "db_worker", "--queue-name", "*", "--batch",
                               "--no-startup-delay", "--interval", "0.2", "--worker-id", f"bench-ingest-{i}"],
                              cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL)
             for i in range(n)]
    rss = []
    for proc in procs:
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            print(f"worker {proc.pid} exited with {proc.returncode}", file=sys.stderr)
        rss.append(round(usage.ru_maxrss / 1024, 1))
    return rss, time.perf_counter() - started


def ingest_parallel(args, user, paths: list[str]) -> dict:
    """Every file submitted as a user would (one background job each), then `--workers` job workers;
    timed from the first submission to the last file done: the wall time of the whole set."""
    from django_tasks_db.models import DBTaskResult

    from powerkam.consumption import services
    from powerkam.consumption.models import IngestBatch

    started = time.perf_counter()
    ids = []
    for path in paths:
        with open(path, "rb") as f:
            ids.append(services.start_ingest(f, Path(path).name, layout="wide", actor=user, background=True).pk)
    submitted = time.perf_counter() - started
    rss, workers_s = run_workers(args.workers)
    elapsed = time.perf_counter() - started
    batches = IngestBatch.objects.in_bulk(ids)
    tasks = {str(t.id): t for t in DBTaskResult.objects.filter(id__in=[b.task_id for b in batches.values()])}
    per_file, total_values, rejected = [], 0, 0
    for pk in ids:
        batch = batches[pk]
        task = tasks.get(batch.task_id)
        seconds = (task.finished_at - task.started_at).total_seconds() if task and task.finished_at else 0.0
        if batch.status != "done":
            rejected += 1
            print(f"{batch.filename}: {batch.status} {batch.message} {batch.errors[:3]}", file=sys.stderr)
        per_file.append({"file": batch.filename, "s": round(seconds, 2), "values": batch.values_written,
                         "values_per_s": round(batch.values_written / seconds) if seconds else 0,
                         "aggregates": batch.aggregates_written})
        total_values += batch.values_written
    return {"per_file": per_file, "values": total_values, "rejected": rejected, "seconds": elapsed,
            "submit_s": round(submitted, 1), "workers_s": round(workers_s, 1), "worker_peak_rss_mb": rss}


def phase_ingest(args) -> dict:
    setup_django()
    from powerkam.consumption import services
    from powerkam.org.models import Staff

    user = Staff.objects.get(username="bench")
    paths = sorted(str(p) for p in files_dir(args).glob("*.csv"))
    if args.workers:
        result = ingest_parallel(args, user, paths)
        per_file, total_values, rejected, elapsed = (result.pop(k) for k in ("per_file", "values", "rejected", "seconds"))
        extra = {**result, "workers": args.workers}
        peak = max(result["worker_peak_rss_mb"])
    else:
        per_file, total_values, rejected, elapsed = ingest_inline(user, paths)
        extra = {"workers": 0}
        peak = None
    # The same file again: every value is compared and left alone (idempotent upsert).
    t0 = time.perf_counter()
    with open(paths[0], "rb") as f:
        again = services.start_ingest(f, Path(paths[0]).name, layout="wide", actor=user, background=False)
    again_s = time.perf_counter() - t0
    return {
        "files": len(paths), "values": total_values, "seconds": round(elapsed, 1),
        "values_per_s": round(total_values / elapsed) if elapsed else 0,
        "per_file_s": percentiles([p["s"] for p in per_file]), "per_file": per_file, "rejected": rejected,
        "reimport": {"values": again.values_written, "changed": again.values_changed,
                     "aggregates_changed": again.aggregates_written, "s": round(again_s, 1),
                     "values_per_s": round(again.values_written / again_s) if again_s else 0},
        # with workers: the largest worker's peak (each worker ingests one file at a time); inline: this process
        "peak_rss_mb": peak if peak is not None else round(peak_rss_mb(), 1),
        **extra,
    }


def ingest_inline(user, paths: list[str]) -> tuple[list, int, int, float]:
    """One file after another inside this process (no job workers)."""
    from powerkam.consumption import services

    per_file, total_values, rejected = [], 0, 0
    started = time.perf_counter()
    for path in paths:
        t0 = time.perf_counter()
        with open(path, "rb") as f:
            batch = services.start_ingest(f, Path(path).name, layout="wide", actor=user, background=False)
        seconds = time.perf_counter() - t0
        if batch.status != "done":
            rejected += 1
            print(f"{path}: {batch.status} {batch.message} {batch.errors[:3]}", file=sys.stderr)
        per_file.append({"file": Path(path).name, "s": round(seconds, 2), "values": batch.values_written,
                         "values_per_s": round(batch.values_written / seconds), "aggregates": batch.aggregates_written})
        total_values += batch.values_written
        print(f"  {Path(path).name}: {batch.values_written:,} values in {seconds:.1f} s "
              f"({batch.values_written / seconds:,.0f}/s)", file=sys.stderr, flush=True)
    return per_file, total_values, rejected, time.perf_counter() - started


def phase_storage(args) -> dict:
    setup_django()
    from django.db import connection

    from powerkam.consumption import partitions
    from powerkam.consumption.models import DailyAggregate, IntervalReading

    out = {"interval_rows": IntervalReading.objects.count(), "daily_aggregates": DailyAggregate.objects.count(),
           "partitions": len(partitions.list_partitions())}
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_total_relation_size(c.oid) FROM pg_class c WHERE relname = %s", ["consumption_dailyaggregate"])
            out["aggregate_mb"] = round(cur.fetchone()[0] / 1048576, 1)
            cur.execute("SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits "
                        "WHERE inhparent = 'consumption_intervalreading'::regclass")
            out["interval_mb"] = round(cur.fetchone()[0] / 1048576, 1)
    return out


PHASES = {"setup": phase_setup, "ingest": phase_ingest, "storage": phase_storage}


def run_phase(name: str, args, env: dict) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "--accounts", str(args.accounts), "--days", str(args.days),
           "--accounts-per-file", str(args.accounts_per_file), "--seed", str(args.seed), "--database", args.database,
           "--workers", str(args.workers)]
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    raise SystemExit(f"phase {name} failed (exit {proc.returncode})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--accounts-per-file", type=int, default=100)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--database-url", help=f"PostgreSQL URL (default {PG_URL}); the database is dropped!")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int,
                        help="job workers ingesting the files in parallel, one file each at a time (default on "
                             "PostgreSQL: one a core; on SQLite 0); 0: one file after another inside the bench process")
    parser.add_argument("--reuse", action="store_true", help="keep the database and files (ingest again)")
    parser.add_argument("--phase", choices=tuple(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.workers is None:
        args.workers = (os.cpu_count() or 1) if args.database == "postgres" else 0
    if args.phase:
        result = PHASES[args.phase](args)
        print(RESULT_MARK + json.dumps(result, ensure_ascii=False, default=str), flush=True)
        return
    env = environment(args)
    report = {"accounts": args.accounts, "days": args.days, "database": args.database,
              "values_expected": args.accounts * args.days * 96, "cpu_count": os.cpu_count(),
              "loadavg_start": list(os.getloadavg())}
    if not args.reuse:
        fresh_database(args, env)
        report["setup"] = run_phase("setup", args, env)
    report["ingest"] = run_phase("ingest", args, env)
    report["storage"] = run_phase("storage", args, env)
    report["loadavg_end"] = list(os.getloadavg())
    ing = report["ingest"]
    ok_rate = ing["values_per_s"] >= TARGET_VALUES_PER_S
    ok_rss = ing["peak_rss_mb"] < TARGET_RSS_MB
    print(f"\nConsumption ingest — {args.database}, {args.accounts} accounts × {args.days} days "
          f"({report['values_expected']:,} values)")
    print(f"  ingest: {ing['values']:,} values in {ing['seconds']} s = {ing['values_per_s']:,} values/s "
          f"(target ≥ {TARGET_VALUES_PER_S:,}: {'OK' if ok_rate else 'MISSED'})")
    if ing["workers"]:
        print(f"  {ing['workers']} job workers, wall time of the whole set from the first upload "
              f"(uploads {ing['submit_s']} s, then the workers {ing['workers_s']} s)")
    else:
        print("  one file after another in one process (no job workers)")
    print(f"  per file ({ing['files']} files): p50 {ing['per_file_s']['p50']:.1f} s, p95 {ing['per_file_s']['p95']:.1f} s")
    rss_note = f" (per worker: {ing['worker_peak_rss_mb']} MB)" if ing["workers"] else ""
    print(f"  peak RSS {ing['peak_rss_mb']} MB{rss_note} (target < {TARGET_RSS_MB}: {'OK' if ok_rss else 'MISSED'})")
    print(f"  re-import of one file: {ing['reimport']['values']:,} values, {ing['reimport']['changed']} changed, "
          f"{ing['reimport']['s']} s ({ing['reimport']['values_per_s']:,}/s)")
    print(f"  storage: {json.dumps(report['storage'])}")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"consumption_ingest-{args.database}-{args.accounts}x{args.days}-w{args.workers}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"  → {path}")


if __name__ == "__main__":
    main()
