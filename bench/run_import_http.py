#!/usr/bin/env python
"""Import end to end through the real server (issue #11 item 3): upload a customers file to the
import API, until the import is written AND its data-quality pass is done.

    python bench/run_import_http.py --database postgres --rows 100000           # csv and xlsx
    python bench/run_import_http.py --database sqlite --rows 20000 --formats csv
    python bench/run_import_http.py --base-url http://127.0.0.1:8000 --token … --rows 1000  # a running server

Without --base-url the bench starts the server as `make run` does — gunicorn with
gunicorn.conf.py, 2 workers × 4 threads, and `manage.py db_worker --queue-name '*'` — on the
database of --database-url (default: PostgreSQL `pk_speed_import`, or SQLite
`bench/out/import_http.sqlite3`), migrates it and, if it has no customers, loads the demo
company (`load_demo --scale --customers`). The file is generated with the demo generator (the
template's Chinese headers, new customer numbers each run) before the clock starts.

What is measured, per file:
- `upload_s`: the POST /api/v1/imports/ (multipart, dry_run=false) until the server answers
  (the file stored and the job queued);
- `import_s`, `import_rows_s`: from before the POST until the job's status is "done";
- `end_to_end_s`, `end_to_end_rows_s`: until the data-quality pass of the imported customers is
  done (`quality.finished_at` of the job in the API when a job after the commit runs it; a
  customers import runs it batch by batch with the import — beside it on a second connection on
  PostgreSQL — so it is done when the job is);
- `status_poll_ms`: p50 / p95 of the job-status requests made meanwhile (how the server answers
  while the worker imports);
- peak RSS (MB) of every server process — the gunicorn master and workers and the job worker —
  sampled from /proc every 50 ms (VmRSS), and the worker's VmHWM;
- the CPU seconds the server's processes used meanwhile (`server_cpu_s`; PostgreSQL's own
  backends not included), which a busy machine stretches less than wall time;
- the load average before and after (the machine is shared: say so beside every figure).

Prints a table and writes JSON to bench/out/import_http-<database>-<rows>-<time>.json.
`measure_import(base_url, token, rows, kind)` is the function another harness calls
(bench/run_http.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PY = sys.executable
PG_URL = "postgres://postgres@127.0.0.1:5432/pk_speed_import"
SQLITE_PATH = OUT / "import_http.sqlite3"
TARGET_ROWS_S = 5000
TARGET_RSS_MB = 500
CONTENT_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)
    if not samples:
        return {"n": 0}
    if len(samples) == 1:
        return {"n": 1, "p50": round(samples[0], 1), "p95": round(samples[0], 1), "max": round(samples[0], 1)}
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {"n": len(samples), "p50": round(q[49], 1), "p95": round(q[94], 1), "max": round(samples[-1], 1)}


# ---------------------------------------------------------------------------------------------
# Memory of the server processes (/proc, no dependency)
# ---------------------------------------------------------------------------------------------

def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += [int(x) for x in fh.read().split()]
    except OSError:
        pass
    return out


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def process_tree(pids: list[int]) -> list[int]:
    seen, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.append(pid)
            todo += _children(pid)
    return seen


class RssSampler:
    """Samples VmRSS of the given processes and their children every `every` seconds; `peaks`
    is the highest RSS (MB) seen per process, `peak_total_mb` the highest sum at one instant."""

    def __init__(self, pids: list[int], labels: dict[int, str] | None = None, every: float = 0.05):
        self.roots, self.labels, self.every = pids, labels or {}, every
        self.peaks: dict[int, float] = {}
        self.cpu_first: dict[int, float] = {}
        self.cpu_last: dict[int, float] = {}
        self.peak_total_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0.0
            for pid in process_tree(self.roots):
                mb = _status_kb(pid, "VmRSS") / 1024
                total += mb
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), mb)
                cpu = _cpu_s(pid)
                self.cpu_first.setdefault(pid, cpu)
                self.cpu_last[pid] = cpu
            self.peak_total_mb = max(self.peak_total_mb, total)
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def report(self) -> dict:
        per = {f"{self.labels.get(pid, 'process')}:{pid}": round(mb, 1) for pid, mb in sorted(self.peaks.items())}
        cpu = sum(self.cpu_last[pid] - self.cpu_first[pid] for pid in self.cpu_last)
        return {"server_cpu_s": round(cpu, 1),  # the server's own processes; PostgreSQL's backends not included
                "peak_rss_mb_max_process": round(max(self.peaks.values(), default=0.0), 1),
                "peak_rss_mb_sum": round(self.peak_total_mb, 1), "peak_rss_mb_per_process": per}


# ---------------------------------------------------------------------------------------------
# The file (demo generator; needs Django set up on the same database)
# ---------------------------------------------------------------------------------------------

def setup_django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerkam.settings")
    import django

    django.setup()


def make_file(rows: int, kind: str, path: Path | None = None, first_number: int | None = None, seed: int = 1) -> Path:
    """A customers file of `rows` rows (csv or xlsx, the template's Chinese headers) with new
    customer numbers, from the demo generator (bench/run_foundation.py `_import_rows`)."""
    import csv
    import io

    from bench.run_foundation import _import_rows
    from openpyxl import Workbook, load_workbook

    from powerkam.imports.columns import COLUMNS
    from powerkam.imports.services import template_xlsx

    headers = [c.value for c in next(load_workbook(io.BytesIO(template_xlsx("customers")),
                                                   read_only=True).active.iter_rows(max_row=1))]
    by_header = {spec.zh: spec.field for spec in COLUMNS["customers"]}
    fields = [by_header.get(h) for h in headers]
    if first_number is None:  # numbers never used before
        first_number = next_number()
    OUT.mkdir(parents=True, exist_ok=True)
    path = path or OUT / f"import-http-{rows}-{first_number}.{kind}"
    data = _import_rows(rows, seed + first_number % 997, first_number)
    if kind == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(headers)
            for row in data:
                writer.writerow([row.get(f, "") if f else "" for f in fields])
    else:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("数据")
        ws.append(headers)
        for row in data:
            ws.append([row.get(f, "") if f else "" for f in fields])
        wb.save(path)
    return path


def next_number(offset: int = 0) -> int:
    """The first unused customer number of the 4xxxxxxxxx range, plus `offset`."""
    from django.db.models import Max

    from powerkam.customers.models import Customer

    top = Customer.objects.filter(number__regex=r"^4[0-9]{9}$").aggregate(m=Max("number"))["m"]
    return (int(top) + 1 if top else 4_000_000_000) + offset


def api_token(username: str = "supervisor1") -> str:
    """A REST token of a demo user who may import (needs Django set up)."""
    from rest_framework.authtoken.models import Token

    from powerkam.org.models import Staff

    return Token.objects.get_or_create(user=Staff.objects.get(username=username))[0].key


# ---------------------------------------------------------------------------------------------
# The measure
# ---------------------------------------------------------------------------------------------

def measure_import(base_url: str, token: str, rows: int, kind: str = "csv", *, path: Path | None = None,
                   pids: list[int] | None = None, labels: dict[int, str] | None = None, poll_s: float = 0.25,
                   timeout_s: float = 3600) -> dict:
    """Upload a customers file of `rows` rows (`kind` csv or xlsx; generated here unless `path`
    is given — that needs Django set up) to `base_url`'s import API with `token`, commit it
    (dry_run=false), and follow the job until it is written and its data-quality pass is done.
    `pids`: the server's processes (gunicorn master, job worker) whose RSS is sampled, children
    included. Returns the figures as a dict (see the module docstring)."""
    import requests

    base_url = base_url.rstrip("/")
    path = Path(path) if path else make_file(rows, kind)
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"
    load_before = loadavg()
    polls: list[float] = []
    sampler = RssSampler(pids or [], labels)
    with sampler:
        started = time.perf_counter()
        with path.open("rb") as fh:
            resp = api.post(f"{base_url}/api/v1/imports/", data={"kind": "customers", "dry_run": "false"},
                            files={"file": (path.name, fh, CONTENT_TYPES[kind])}, timeout=timeout_s)
        upload_s = time.perf_counter() - started
        if resp.status_code != 201:
            raise RuntimeError(f"upload answered {resp.status_code}: {resp.text[:500]}")
        job = resp.json()
        import_s = None
        deadline = started + timeout_s
        while True:
            if job["status"] in ("done", "failed") and import_s is None:
                import_s = time.perf_counter() - started
            if job["status"] == "failed" or (import_s is not None and (
                    not job.get("quality") or job["quality"].get("finished_at"))):
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"import job {job['id']} not done after {timeout_s} s: {job['status']}")
            time.sleep(poll_s)
            t0 = time.perf_counter()
            r = api.get(f"{base_url}/api/v1/imports/{job['id']}/", timeout=60)
            polls.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
            job = r.json()
        end_s = time.perf_counter() - started
    summary = job.get("summary") or {}
    if job["status"] != "done":
        raise RuntimeError(f"import job {job['id']} {job['status']}: {summary.get('errors')} {job.get('message')}")
    done_rows = summary.get("total_rows") or job.get("total_rows") or rows
    return {
        "kind": kind, "rows": done_rows, "created": summary.get("created"), "updated": summary.get("updated"),
        "file_mb": round(path.stat().st_size / 1048576, 1), "job": job["id"],
        "upload_s": round(upload_s, 2), "import_s": round(import_s, 2), "import_rows_s": round(done_rows / import_s),
        "quality_after_import_s": round(end_s - import_s, 2), "quality": job.get("quality"),
        "end_to_end_s": round(end_s, 2), "end_to_end_rows_s": round(done_rows / end_s),
        "status_poll_ms": percentiles(polls), **sampler.report(),
        "load_before": load_before, "load_after": loadavg(),
    }


# ---------------------------------------------------------------------------------------------
# The two slow writes (issue #11): recording a payment, sending an outage's notices
# ---------------------------------------------------------------------------------------------

def writes_setup(contacts: int = 150) -> dict:
    """(Needs Django, and changes the database: run it on a copy.) A customer for the payments
    and a supply line whose customers have ~`contacts` contacts: the main supply points of the
    first customers of the smallest line move to a new line (as bench/run_http.py does)."""
    from django.db.models import Count

    from powerkam.customers.models import Contact, SupplyLine, SupplyPoint
    from powerkam.service.outages.services import affected_customers

    line = (SupplyPoint.objects.filter(supply_line__isnull=False).values("supply_line", "supply_line__substation")
            .annotate(n=Count("customer", distinct=True)).order_by("n").first())
    new_line, _ = SupplyLine.objects.get_or_create(substation_id=line["supply_line__substation"], name="导入基准测试线路")
    if not affected_customers([new_line.pk]).exists():
        total, moved = 0, []
        for row in affected_customers([line["supply_line"]]).order_by("pk").annotate(k=Count("contacts")).values("pk", "k"):
            if total >= contacts:
                break
            moved.append(row["pk"])
            total += row["k"]
        SupplyPoint.objects.filter(customer_id__in=moved, supply_line_id=line["supply_line"]).update(supply_line=new_line)
    affected = affected_customers([new_line.pk])
    payer = affected.order_by("pk").values_list("number", "pk").first()
    return {"substation": line["supply_line__substation"], "line": new_line.pk, "customers": affected.count(),
            "contacts": Contact.objects.filter(customer__in=affected.values("pk")).count(),
            "payer_number": payer[0], "payer_id": payer[1]}


def _login(base: str, username: str, password: str):
    import re

    import requests

    s = requests.Session()
    r = s.get(f"{base}/accounts/login/", timeout=60)
    token = s.cookies.get("csrftoken") or re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text).group(1)
    r = s.post(f"{base}/accounts/login/", data={"username": username, "password": password, "csrfmiddlewaretoken": token},
               headers={"Referer": f"{base}/accounts/login/"}, timeout=60, allow_redirects=False)
    if r.status_code != 302:
        raise RuntimeError(f"login of {username} answered {r.status_code}")
    return s


def measure_writes(base_url: str, token: str, setup: dict, *, repeat: int = 10, outages: int = 5,
                   username: str = "supervisor1", password: str = "PowerKAM-demo-2026") -> dict:
    """Through the server: recording a payment as the browser does it (GET the payments page,
    POST its form, follow the redirect to the payment: `payment_page_flow`, and the POST alone),
    by the API (`payment_api`), and an outage's notices to `setup`'s ~150 contacts by the API
    (`outage_notify`: create the outage untimed, then POST notify; the first is a warm-up)."""
    import re
    from datetime import UTC, datetime, timedelta

    import requests

    base = base_url.rstrip("/")
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"
    browser = _login(base, username, password)
    flow, posts, apis, notify = [], [], [], []
    load_before = loadavg()
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        page = browser.get(f"{base}/receivables/", timeout=120)
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
        t1 = time.perf_counter()
        r = browser.post(f"{base}/receivables/", data={
            "customer_number": setup["payer_number"], "amount": "100.00", "channel": "bank_transfer",
            "received_on": time.strftime("%Y-%m-%d"), "is_advance": "on", "idempotency_key": key,
            "csrfmiddlewaretoken": browser.cookies.get("csrftoken")},
            headers={"Referer": f"{base}/receivables/"}, timeout=120, allow_redirects=False)
        t2 = time.perf_counter()
        if r.status_code != 302:
            raise RuntimeError(f"payment form answered {r.status_code}")
        browser.get(base + r.headers["Location"], timeout=120).raise_for_status()
        t3 = time.perf_counter()
        r = api.post(f"{base}/api/v1/payments/", json={
            "customer": setup["payer_id"], "amount": "100.00", "channel": "bank_transfer",
            "received_on": time.strftime("%Y-%m-%d"), "is_advance": True}, timeout=120)
        t4 = time.perf_counter()
        if r.status_code != 201:
            raise RuntimeError(f"payment API answered {r.status_code}: {r.text[:300]}")
        if i:  # the first round warms the connections up
            flow.append((t3 - t0) * 1000)
            posts.append((t2 - t1) * 1000)
            apis.append((t4 - t3) * 1000)
    start = datetime.now(UTC) + timedelta(days=20)
    notified = []
    for i in range(outages + 1):
        created = api.post(f"{base}/api/v1/outages/", json={
            "substation": setup["substation"], "supply_lines": [str(setup["line"])], "kind": "planned",
            "starts_at": (start + timedelta(hours=i)).isoformat(), "ends_at": (start + timedelta(hours=i + 4)).isoformat(),
            "reason": "导入基准测试 benchmark"}, timeout=120)
        created.raise_for_status()
        t0 = time.perf_counter()
        r = api.post(f"{base}/api/v1/outages/{created.json()['id']}/notify/", json={}, timeout=300)
        ms = (time.perf_counter() - t0) * 1000
        r.raise_for_status()
        if i:
            notify.append(ms)
            notified.append(r.json())
    return {"payment_page_flow": percentiles(flow), "payment_page_post": percentiles(posts),
            "payment_api": percentiles(apis),
            "outage_notify": {**percentiles(notify), "customers": setup["customers"], "contacts": setup["contacts"],
                              "last_result": notified[-1] if notified else None},
            "load_before": load_before, "load_after": loadavg()}


# ---------------------------------------------------------------------------------------------
# The server, as `make run` starts it
# ---------------------------------------------------------------------------------------------

class Server:
    def __init__(self, env: dict, port: int, workers: int = 2, threads: int = 4):
        self.env, self.port, self.workers, self.threads = env, port, workers, threads
        self.procs: dict[str, subprocess.Popen] = {}
        self.log_dir = OUT / "import_http_logs"

    def start(self) -> None:
        import requests

        self.log_dir.mkdir(parents=True, exist_ok=True)
        venv_bin = Path(PY).parent
        commands = {
            "worker": [PY, "manage.py", "db_worker", "--queue-name", "*"],
            "gunicorn": [str(venv_bin / "gunicorn"), "-c", "gunicorn.conf.py", "powerkam.wsgi:application",
                         "--pythonpath", "src", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                         "--threads", str(self.threads), "--access-logfile", str(self.log_dir / "access.log")],
        }
        for name, cmd in commands.items():
            self.procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=self.env, start_new_session=True,
                                                stdout=open(self.log_dir / f"{name}.log", "ab"), stderr=subprocess.STDOUT)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/accounts/login/", timeout=60).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the server did not answer; see {self.log_dir}/gunicorn.log")

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs.values()]

    @property
    def labels(self) -> dict[int, str]:
        labels = {p.pid: name for name, p in self.procs.items()}
        for pid in _children(self.procs["gunicorn"].pid):
            labels[pid] = "gunicorn-worker"
        return labels

    def worker_hwm_mb(self) -> float:
        return round(_status_kb(self.procs["worker"].pid, "VmHWM") / 1024, 1)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def prepare(env: dict, customers: int) -> None:
    """Migrate the database and load the demo company if it has no customers."""
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PY, "manage.py", "load_demo", "--if-empty", "--scale", str(customers)], cwd=ROOT, env=env,
                   check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--database-url", help=f"default {PG_URL} or sqlite:///{SQLITE_PATH}")
    parser.add_argument("--rows", type=int, default=100_000, help="rows per file (default %(default)s)")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--customers", type=int, default=2000, help="demo scale when the database is empty")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--base-url", help="measure a server already running (then --token)")
    parser.add_argument("--token", help="API token for --base-url")
    parser.add_argument("--writes", action="store_true",
                        help="also measure recording a payment and a 150-contact outage notice (changes the data)")
    args = parser.parse_args()

    url = args.database_url or (PG_URL if args.database == "postgres" else f"sqlite:///{SQLITE_PATH}")
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="powerkam.settings",
               PYTHONPATH=str(ROOT / "src"), POWERKAM_MAX_UPLOAD_BYTES=str(500 * 1024 * 1024))
    env.setdefault("LOG_LEVEL", "ERROR")
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "POWERKAM_MAX_UPLOAD_BYTES")})
    OUT.mkdir(parents=True, exist_ok=True)
    server = None
    if not args.base_url:
        prepare(env, args.customers)
    setup_django()
    from django.db import connection

    from powerkam.customers.models import Customer

    token = args.token or api_token()
    before_customers = Customer.objects.count()
    connection.close()
    files = {}
    for kind in (k for k in args.formats.split(",") if k and args.rows):
        # each file its own new customers (the numbers after the previous file's), so each run creates
        files[kind] = make_file(args.rows, kind, first_number=next_number(len(files) * args.rows))
    setup = writes_setup() if args.writes else None
    connection.close()
    report = {"database": args.database, "rows": args.rows, "customers_before": before_customers,
              "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "load_start": loadavg(), "runs": {}}
    try:
        if not args.base_url:
            server = Server(env, args.port)
            server.start()
        base = args.base_url or f"http://127.0.0.1:{args.port}"
        for kind, path in files.items():
            report["runs"][kind] = measure_import(base, token, args.rows, kind, path=path,
                                                  pids=server.pids if server else None,
                                                  labels=server.labels if server else None)
            if server:
                report["runs"][kind]["worker_vmhwm_mb"] = server.worker_hwm_mb()
        if setup:
            report["writes"] = measure_writes(base, token, setup)
    finally:
        if server:
            server.stop()
    report["server"] = {"workers": 2, "threads": 4} if server else {"base_url": args.base_url}
    out = OUT / f"import_http-{args.database}-{args.rows}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"\nImport end to end over HTTP — {args.database}, {before_customers:,} customers before, "
          f"{report['when']}, load at start {report['load_start']}")
    print(f"{'file':<6} {'rows':>8} {'import s':>9} {'rows/s':>8} {'+quality s':>11} {'end-to-end rows/s':>18} "
          f"{'peak RSS MB':>12} {'poll p50/p95 ms':>16}  load before → after")
    for kind, r in report["runs"].items():
        met = "met" if r["end_to_end_rows_s"] >= TARGET_ROWS_S and r["peak_rss_mb_max_process"] < TARGET_RSS_MB \
            else "MISSED"
        print(f"{kind:<6} {r['rows']:>8,} {r['import_s']:>9.1f} {r['import_rows_s']:>8,} {r['quality_after_import_s']:>11.1f} "
              f"{r['end_to_end_rows_s']:>18,} {r['peak_rss_mb_max_process']:>12.1f} "
              f"{r['status_poll_ms'].get('p50', 0):>7} / {r['status_poll_ms'].get('p95', 0):<7} "
              f" {r['load_before']} → {r['load_after']}  target ≥ {TARGET_ROWS_S:,} rows/s, < {TARGET_RSS_MB} MB: {met}")
    if "writes" in report:
        w = report["writes"]
        for name in ("payment_page_flow", "payment_page_post", "payment_api", "outage_notify"):
            print(f"{name:<20} p50 {w[name].get('p50')} ms, p95 {w[name].get('p95')} ms (target < 1000 ms)")
        print(f"  outage: {w['outage_notify']['customers']} customers, {w['outage_notify']['contacts']} contacts; "
              f"load {w['load_before']} → {w['load_after']}")
    print(f"JSON: {out}")


if __name__ == "__main__":
    main()
