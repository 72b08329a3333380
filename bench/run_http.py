#!/usr/bin/env python
"""Speed as users feel it (issue #11): measured over HTTP through the server `make run` starts.

    python bench/run_http.py --database postgres --customers 100000
    python bench/run_http.py --database sqlite --customers 100000
    python bench/run_http.py --database postgres --customers 200000 --quick
    python bench/run_http.py --database postgres --reuse      # measure again, do not reload

The other benchmarks in bench/ call the views in-process through Django's test client; this one
starts the real server — gunicorn with gunicorn.conf.py and the workers and threads the
Makefile's `run` target gives it, plus the job worker (`manage.py db_worker`) — and measures
with an HTTP client (keep-alive, a session logged in through the login form, and an API token
from /api/v1/auth/token/), as a browser or an integration does. The scheduler of `make run` is
not started: it would run every nightly job at start, during the measurement.

The data: a base database loaded once with `load_demo --scale N` (bench/run_foundation.py's
load phase; PostgreSQL database `pk_speed_http_<N>`, or bench/out/http-sqlite-<N>/), then copied
for each run (PostgreSQL `CREATE DATABASE … TEMPLATE`, or a file copy), so that the payments,
outages and the 100,000-row import of one run never change the next run's data.

Measures (p50 / p95 in ms over --repeat requests after 3 warm-up requests; as the supervisor of
the company root, who sees every customer, unless said otherwise):

- search_2char_frequent / _rare: the list page /customers/?q=<2 Chinese characters> (HTML, with
  the count shown above the table); frequent = the commonest words in names (公司, 有限, 科技 …),
  rare = words that occur in 1–60 customers' names;
- search_34char_frequent / _rare: the same with 3–4-character terms;
- search_api_2char / _34char: /api/v1/customers/?q=… with the API token;
- api_detail: /api/v1/customers/<id>/ (token);
- detail_360: the customer page /customers/<id>/;
- list_page: /customers/?page=<random page>;
- count_filtered: /api/v1/customers/?org_unit=<station>&page_size=1, the count of one supply
  station's customers (~N/9), with a filter that selects the same rows but different SQL on every
  request (contract_capacity_kva__gte=-i), so the 30-second count cache never answers;
- work_queue: /queue/ as a key account manager (manager1, session);
- payment: POST /api/v1/payments/ (an advance payment of one customer, token);
- outage_notify: POST /api/v1/outages/<id>/notify/ for a planned outage of lines whose customers
  have ~150 contacts (the outage created over the API first, untimed);
- import: a 100,000-row customers csv POSTed to /api/v1/imports/ (dry_run=false), followed until
  the job is done and then until the data-quality job after it is done (rows/s both ways).

Records the load average (/proc/loadavg) before and after every measure: the machine is shared,
so take the quietest of repeated runs. Prints a table and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import run_foundation as foundation  # noqa: E402  (bench/ is not a package)

OUT = BENCH / "out"
RESULTS = BENCH / "results"
PG_ADMIN_URL = foundation.PG_ADMIN_URL
PG_BASE = "postgres://postgres@127.0.0.1:5432/"
RESULT_MARK = foundation.RESULT_MARK
PY = sys.executable

# Issue #11 targets: p95 through the real server on PostgreSQL; SQLite within 2x.
TARGETS_MS = {
    "search_2char_frequent": 60, "search_2char_rare": 60, "search_api_2char": 60,
    "search_34char_frequent": 40, "search_34char_rare": 40, "search_api_34char": 40,
    "api_detail": 40, "detail_360": 80, "list_page": 80, "count_filtered": 30,
    "payment": 1000, "outage_notify": 1000,
}
IMPORT_TARGET_ROWS_S = 5000


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def makefile_server_options() -> tuple[int, int]:
    """(workers, threads) as the Makefile's `run` target starts gunicorn."""
    text = (ROOT / "Makefile").read_text()
    workers = re.search(r"gunicorn .*--workers (\d+)", text)
    threads = re.search(r"gunicorn .*--threads (\d+)", text)
    return int(workers.group(1)) if workers else 1, int(threads.group(1)) if threads else 1


# ---------------------------------------------------------------------------------------------
# Phases that need Django (each in its own process, against the run's database)
# ---------------------------------------------------------------------------------------------

CJK = re.compile(r"^[\u4e00-\u9fff]+$")


def _grams(names: list[str], size: int):
    from collections import Counter

    counts: Counter = Counter()
    for name in names:
        seen = set()
        for i in range(len(name) - size + 1):
            gram = name[i:i + size]
            if CJK.match(gram) and gram not in seen:
                seen.add(gram)
                counts[gram] += 1
    return counts


def phase_setup(args) -> dict:
    """Token, search terms (by their real number of matches), ids, the outage's lines."""
    foundation.setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from powerkam.customers.filters import search_customers
    from powerkam.customers.models import Contact, Customer, SupplyLine, SupplyPoint
    from powerkam.org.models import OrgUnit, Staff
    from powerkam.service.outages.services import affected_customers

    call_command("collectstatic", interactive=False, verbosity=0)
    rng = random.Random(args.seed)
    supervisor = Staff.objects.get(username="supervisor1")
    Staff.objects.filter(username__in=LOCUST_USERS).update(two_step_due=None)
    token = Token.objects.get_or_create(user=supervisor)[0].key
    total = Customer.objects.count()
    step = max(1, total // 5000)
    names = list(Customer.objects.order_by("pk").values_list("name", flat=True)[::step]) if step > 1 \
        else list(Customer.objects.values_list("name", flat=True))
    everyone = Customer.objects.all()

    def matches(term):
        return search_customers(everyone, term).count()

    # Frequent terms: the commonest words of the names, leaving out the pieces of the legal
    # suffixes (有限公司, 股份有限公司, 集团有限公司, 有限责任公司: in 90 % of names, nobody
    # searches for them); rare terms: words in 1-60 names, counted exactly.
    suffixes = "股份有限公司 集团有限公司 有限责任公司"
    want = max(12, args.repeat)
    bigrams, trigrams, quads = _grams(names, 2), _grams(names, 3), _grams(names, 4)

    def frequent(counter, k):
        return [(g, matches(g)) for g, _n in counter.most_common(k * 3) if g not in suffixes][:k]

    terms: dict[str, list] = {}
    terms["2char_frequent"] = frequent(bigrams, want)
    terms["34char_frequent"] = frequent(trigrams, want // 2) + frequent(quads, want - want // 2)

    def rare(counter, k):
        pool = sorted(g for g, n in counter.items() if n == 1)
        rng.shuffle(pool)
        out = []
        for gram in pool[:k * 6]:
            n = matches(gram)
            if 1 <= n <= 60:
                out.append((gram, n))
            if len(out) == k:
                break
        return out

    terms["2char_rare"] = rare(bigrams, want)
    terms["34char_rare"] = rare(trigrams, want // 2) + rare(quads, want - want // 2)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[::max(1, total // 400)])
    rng.shuffle(ids)
    station = OrgUnit.objects.filter(kind=OrgUnit.Kind.STATION).order_by("code").first()
    station_count = Customer.objects.filter(org_unit__path__startswith=station.path).count()

    # A planned outage whose customers have ~150 contacts. The demo's lines feed hundreds of
    # customers each, so (in this run's copy of the database only) the main supply points of the
    # first customers of the smallest line move to a new line until their contacts reach 150.
    line = (SupplyPoint.objects.filter(supply_line__isnull=False).values("supply_line", "supply_line__substation")
            .annotate(n=Count("customer", distinct=True)).order_by("n").first())
    outage = None
    if line:
        new_line, _ = SupplyLine.objects.get_or_create(substation_id=line["supply_line__substation"],
                                                       name="基准测试线路")
        contacts, moved = 0, []
        for customer in affected_customers([line["supply_line"]]).order_by("pk").annotate(
                k=Count("contacts")).values("pk", "k"):
            if contacts >= 150:
                break
            moved.append(customer["pk"])
            contacts += customer["k"]
        SupplyPoint.objects.filter(customer_id__in=moved, supply_line_id=line["supply_line"]).update(supply_line=new_line)
        n = Contact.objects.filter(customer__in=affected_customers([new_line.pk]).values("pk")).count()
        outage = {"substation": line["supply_line__substation"], "lines": [new_line.pk], "contacts": n,
                  "customers": affected_customers([new_line.pk]).count()}
    # The list hides closed customers by default: its pages, and each user's visible ids (Locust).
    from powerkam.core.scoping import visible_customers

    listed = Customer.objects.exclude(lifecycle_status="closed").count()
    per_page = settings.PAGE_SIZE  # the HTML list's page size
    api_per_page = settings.REST_FRAMEWORK["PAGE_SIZE"]
    per_user = {}
    for staff in Staff.objects.filter(username__in=LOCUST_USERS):
        mine = visible_customers(staff).exclude(lifecycle_status="closed")
        n = mine.count()
        per_user[staff.username] = {"ids": list(mine.order_by("pk").values_list("pk", flat=True)[::max(1, n // 200)]),
                                    "pages": max(1, -(-n // per_page))}
    return {"token": token, "customers": total, "terms": terms, "ids": ids, "station": station.pk,
            "station_customers": station_count, "outage": outage, "pages": max(1, -(-listed // per_page)),
            "api_pages": max(1, -(-listed // api_per_page)),
            "per_user": per_user}


def phase_wait_jobs(args) -> dict:
    """Wait until the job queue has nothing ready or running; seconds waited."""
    foundation.setup_django()
    from django_tasks_db.models import DBTaskResult

    started = time.perf_counter()
    while DBTaskResult.objects.filter(status__in=("READY", "RUNNING")).exists():
        time.sleep(0.25)
    failed = DBTaskResult.objects.filter(status="FAILED").count()
    return {"waited_s": round(time.perf_counter() - started, 2), "failed_jobs": failed}


def phase_import_file(args) -> dict:
    """Write the 100,000-row customers csv (the template's Chinese headers) to bench/out/."""
    foundation.setup_django()
    import csv
    import io

    from openpyxl import load_workbook

    from powerkam.imports.columns import COLUMNS
    from powerkam.imports.services import template_xlsx

    headers = [c.value for c in next(load_workbook(io.BytesIO(template_xlsx("customers")),
                                                   read_only=True).active.iter_rows(max_row=1))]
    by_header = {spec.zh: spec.field for spec in COLUMNS["customers"]}
    fields = [by_header.get(h) for h in headers]
    path = OUT / f"http-import-customers-{args.import_rows}.csv"
    OUT.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for row in foundation._import_rows(args.import_rows, args.seed + 7, 3700000000):
            writer.writerow([row.get(f, "") if f else "" for f in fields])
    return {"path": str(path), "bytes": path.stat().st_size}


LOCUST_USERS = ("supervisor1", "manager1", "supervisor2", "manager2", "supervisor3", "manager3", "supervisor4",
                "manager4")


PHASES = {"setup": phase_setup, "wait_jobs": phase_wait_jobs, "import_file": phase_import_file}


# ---------------------------------------------------------------------------------------------
# Databases and the server
# ---------------------------------------------------------------------------------------------

def base_env(args) -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "powerkam.settings"
    env["PYTHONPATH"] = str(ROOT / "src")
    env["POWERKAM_MAX_UPLOAD_BYTES"] = str(500 * 1024 * 1024)
    env.setdefault("LOG_LEVEL", "ERROR")
    env.pop("DATABASE_URL", None)
    return env


def pg_name(args, run: bool) -> str:
    base = args.pg_name or f"pk_speed_http_{args.customers // 1000}k"
    return f"{base}_run" if run else base


def sqlite_dir(args, run: bool) -> Path:
    return OUT / f"http-sqlite-{args.customers // 1000}k{'-run' if run else ''}"


def db_env(args, *, run: bool) -> dict:
    env = base_env(args)
    if args.database == "postgres":
        env["DATABASE_URL"] = PG_BASE + pg_name(args, run)
        env["POWERKAM_VAR_DIR"] = str(OUT / f"http-pg-var{'-run' if run else ''}")
    else:
        env["POWERKAM_VAR_DIR"] = str(sqlite_dir(args, run))
    Path(env["POWERKAM_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    return env


def base_exists(args) -> bool:
    if args.database == "sqlite":
        return (sqlite_dir(args, False) / "powerkam.sqlite3").exists()
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [pg_name(args, False)]).fetchone() is not None


def load_base(args) -> dict:
    """Load the base database with load_demo --scale N (run_foundation's load phase)."""
    env = db_env(args, run=False)
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name(args, False)}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{pg_name(args, False)}"')
    else:
        for f in sqlite_dir(args, False).glob("powerkam.sqlite3*"):
            f.unlink()
    print(f"… loading {args.customers:,} customers into the base database", flush=True)
    cmd = [PY, str(BENCH / "run_foundation.py"), "--phase", "load", "--customers", str(args.customers),
           "--seed", str(args.seed)]
    return foundation.run_in_process(cmd, env)


def copy_base(args) -> None:
    """The run's database: a fresh copy of the base (so nothing measured changes the base)."""
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name(args, True)}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{pg_name(args, True)}" TEMPLATE "{pg_name(args, False)}"')
            with psycopg.connect(PG_BASE + pg_name(args, True), autocommit=True) as run:
                run.execute("ANALYZE")
    else:
        src, dst = sqlite_dir(args, False), sqlite_dir(args, True)
        dst.mkdir(parents=True, exist_ok=True)
        for f in dst.glob("powerkam.sqlite3*"):
            f.unlink()
        import sqlite3

        with sqlite3.connect(src / "powerkam.sqlite3") as a, sqlite3.connect(dst / "powerkam.sqlite3") as b:
            a.backup(b)
        for name in ("secret_key",):
            if (src / name).exists():
                shutil.copy(src / name, dst / name)


def run_phase(name: str, args, env: dict) -> dict:
    cmd = [PY, __file__, "--phase", name, "--customers", str(args.customers), "--seed", str(args.seed),
           "--import-rows", str(args.import_rows), "--database", args.database, "--repeat", str(args.repeat)]
    return foundation.run_in_process(cmd, env)


class Server:
    """gunicorn and the job worker, started as `make run` starts them; stopped by process group."""

    def __init__(self, env: dict, port: int, workers: int, threads: int, log_dir: Path):
        self.env, self.port, self.workers, self.threads = env, port, workers, threads
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        venv_bin = Path(PY).parent
        gunicorn = [str(venv_bin / "gunicorn"), "-c", "gunicorn.conf.py", "powerkam.wsgi:application",
                    "--pythonpath", "src", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                    "--threads", str(self.threads), "--access-logfile", str(self.log_dir / "access.log")]
        worker = [PY, "manage.py", "db_worker", "--queue-name", "*"]
        for cmd, log in ((worker, "worker.log"), (gunicorn, "gunicorn.log")):
            self.procs.append(subprocess.Popen(cmd, cwd=ROOT, env=self.env, start_new_session=True,
                                               stdout=open(self.log_dir / log, "ab"), stderr=subprocess.STDOUT))
        import requests

        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/accounts/login/", timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the server did not answer; see {self.log_dir}/gunicorn.log")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------
# HTTP measures
# ---------------------------------------------------------------------------------------------

def _demo_password() -> str:
    text = (ROOT / "src" / "powerkam" / "customers" / "demo.py").read_text()
    return re.search(r'DEMO_PASSWORD = "([^"]+)"', text).group(1)


def session_for(base: str, username: str):
    import requests

    s = requests.Session()
    r = s.get(f"{base}/accounts/login/", timeout=30)
    token = s.cookies.get("csrftoken") or re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text).group(1)
    r = s.post(f"{base}/accounts/login/", data={"username": username, "password": _demo_password(),
                                                "csrfmiddlewaretoken": token},
               headers={"Referer": f"{base}/accounts/login/"}, timeout=30, allow_redirects=False)
    if r.status_code != 302:
        raise RuntimeError(f"login of {username} answered {r.status_code}")
    return s


def token_session(base: str, token: str):
    import requests

    s = requests.Session()
    s.headers["Authorization"] = f"Token {token}"
    return s


def timed(session, method: str, url: str, expect=(200,), **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    r = session.request(method, url, timeout=600, **kwargs)
    body = r.content  # the whole body, as a browser waits for it
    elapsed = (time.perf_counter() - started) * 1000
    if r.status_code not in expect:
        raise RuntimeError(f"{method} {url} answered {r.status_code}: {body[:300]!r}")
    return elapsed, r


def measure(session, base: str, paths: list[str], *, warmup: int = 3, method: str = "GET", check=None) -> dict:
    before = loadavg()
    for path in paths[:warmup]:
        timed(session, method, base + path)
    samples = []
    for path in paths:
        ms, r = timed(session, method, base + path)
        samples.append(ms)
        if check:
            check(r)
    return {**foundation.percentiles(samples), "load_before": before, "load_after": loadavg()}


def cycle(items: list, n: int) -> list:
    return [items[i % len(items)] for i in range(n)] if items else []


def http_measures(args, info: dict, base: str) -> dict:
    from urllib.parse import quote

    n = args.repeat
    rng = random.Random(args.seed)
    sup = session_for(base, "supervisor1")
    mgr = session_for(base, "manager1")
    api = token_session(base, info["token"])
    terms = info["terms"]
    r: dict = {"terms": {k: v[:12] for k, v in terms.items()}}

    def q(kind):
        return [quote(t) for t, _n in cycle(terms[kind], n)]

    def shows_count(resp):
        if b"<table" not in resp.content and "共" not in resp.text:
            raise RuntimeError("the search page has no table")

    print("… search", flush=True)
    for kind in ("2char_frequent", "2char_rare", "34char_frequent", "34char_rare"):
        r[f"search_{kind}"] = measure(sup, base, [f"/customers/?q={t}" for t in q(kind)], check=shows_count)
    r["search_api_2char"] = measure(api, base, [f"/api/v1/customers/?q={t}"
                                                for t in q("2char_frequent")[: n // 2] + q("2char_rare")[: n - n // 2]])
    r["search_api_34char"] = measure(api, base, [f"/api/v1/customers/?q={t}"
                                                 for t in q("34char_frequent")[: n // 2] + q("34char_rare")[: n - n // 2]])
    ids = cycle(info["ids"], n)
    print("… customer, 360, list, count, queue", flush=True)
    r["api_detail"] = measure(api, base, [f"/api/v1/customers/{pk}/" for pk in ids])
    r["detail_360"] = measure(sup, base, [f"/customers/{pk}/" for pk in ids])
    r["list_page"] = measure(sup, base, [f"/customers/?page={rng.randint(1, info['pages'])}" for _ in range(n)])
    station = info["station"]
    counts = []
    r["count_filtered"] = measure(
        api, base, [f"/api/v1/customers/?org_unit={station}&contract_capacity_kva__gte=-{i + 1}&page_size=1"
                    for i in range(n)], check=lambda resp: counts.append(resp.json()["count"]))
    r["count_filtered"]["count"] = counts[-1] if counts else None
    r["count_filtered"]["expected"] = info["station_customers"]
    r["work_queue"] = measure(mgr, base, ["/queue/"] * n)

    print("… payment", flush=True)
    pay = []
    today = date.today().isoformat()
    before = loadavg()
    for i, pk in enumerate(cycle(info["ids"], n + 3)):
        ms, _ = timed(api, "POST", f"{base}/api/v1/payments/", expect=(201,),
                      json={"customer": pk, "amount": "100.00", "channel": "counter", "received_on": today,
                            "is_advance": True, "reference": f"BENCH-{os.getpid()}-{i}"})
        if i >= 3:
            pay.append(ms)
    r["payment"] = {**foundation.percentiles(pay), "load_before": before, "load_after": loadavg()}

    outage = info.get("outage")
    if outage and args.outages:
        print("… outage notices", flush=True)
        samples, notices = [], []
        before = loadavg()
        start = datetime.now(UTC) + timedelta(days=20)
        for i in range(args.outages + 1):
            _, created = timed(api, "POST", f"{base}/api/v1/outages/", expect=(201,), json={
                "substation": outage["substation"], "supply_lines": [str(x) for x in outage["lines"]],
                "kind": "planned", "starts_at": (start + timedelta(hours=i)).isoformat(),
                "ends_at": (start + timedelta(hours=i + 4)).isoformat(), "reason": "基准测试 benchmark"})
            ms, resp = timed(api, "POST", f"{base}/api/v1/outages/{created.json()['id']}/notify/", json={})
            if i:  # the first is a warm-up
                samples.append(ms)
                notices.append(resp.json().get("customers_notified"))
        r["outage_notify"] = {**foundation.percentiles(samples), "contacts": outage["contacts"],
                              "customers": outage["customers"], "load_before": before, "load_after": loadavg()}
    return r


def run_locust(args, info: dict, base: str) -> dict:
    """bench/locustfile.py headless: --users concurrent users for --locust-time; per page p50/p95
    and failures from Locust's CSV."""
    import csv

    OUT.mkdir(parents=True, exist_ok=True)
    info_path = OUT / "locust-info.json"
    info_path.write_text(json.dumps({**info, "password": _demo_password(), "usernames": list(LOCUST_USERS)},
                                    ensure_ascii=False))
    prefix = OUT / f"locust-{args.database}-{args.customers}"
    env = {**os.environ, "POWERKAM_LOCUST_INFO": str(info_path)}
    before = loadavg()
    cmd = [str(Path(PY).parent / "locust"), "-f", str(BENCH / "locustfile.py"), "--headless", "-u", str(args.users),
           "-r", "1", "-t", args.locust_time, "--host", base, "--csv", str(prefix),
           "--only-summary", "--stop-timeout", "10"]
    print(f"… locust: {args.users} users for {args.locust_time}", flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    pages = {}
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            pages[row["Name"]] = {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                                  "p50": float(row["50%"]), "p95": float(row["95%"]), "p99": float(row["99%"]),
                                  "max": float(row["Max Response Time"]), "rps": round(float(row["Requests/s"]), 2)}
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", newline="") as fh:
            failures = list(csv.DictReader(fh))[:20]
    return {"users": args.users, "duration": args.locust_time, "pages": pages, "failures": failures,
            "returncode": proc.returncode, "load_before": before, "load_after": loadavg()}


def http_import(args, env: dict, base: str, info: dict) -> dict:
    made = run_phase("import_file", args, env)
    if made.get("failed"):
        return made
    api = token_session(base, info["token"])
    before = loadavg()
    path = Path(made["path"])
    started = time.perf_counter()
    with path.open("rb") as fh:
        _, resp = timed(api, "POST", f"{base}/api/v1/imports/", expect=(201,),
                        data={"kind": "customers", "dry_run": "false"}, files={"file": (path.name, fh, "text/csv")})
    job = resp.json()
    while job["status"] not in ("done", "failed"):
        time.sleep(0.5)
        job = api.get(f"{base}/api/v1/imports/{job['id']}/", timeout=60).json()
    imported_s = time.perf_counter() - started
    waited = run_phase("wait_jobs", args, env)
    total_s = time.perf_counter() - started
    rows = args.import_rows
    return {"rows": rows, "status": job["status"], "bytes": made["bytes"], "import_s": round(imported_s, 1),
            "rows_s": round(rows / imported_s), "with_quality_s": round(total_s, 1),
            "rows_s_with_quality": round(rows / total_s), "quality_jobs": waited,
            "summary": {k: v for k, v in (job.get("summary") or {}).items() if not isinstance(v, (list, dict))},
            "load_before": before, "load_after": loadavg()}


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------

ORDER = ["search_2char_frequent", "search_2char_rare", "search_34char_frequent", "search_34char_rare",
         "search_api_2char", "search_api_34char", "api_detail", "detail_360", "list_page", "count_filtered",
         "work_queue", "payment", "outage_notify"]


def print_table(report: dict) -> None:
    factor = 2 if report["database"] == "sqlite" else 1
    print(f"\nPowerKAM over HTTP — {report['database']}, {report['customers']:,} customers, gunicorn "
          f"{report['server']['workers']}×{report['server']['threads']} ({report['when']}, load {report['load_start']})")
    print(f"{'measure':<24} {'p50':>9} {'p95':>9} {'target':>8}  load")
    m = report.get("measures", {})
    for key in ORDER:
        if key not in m:
            continue
        row = m[key]
        target = TARGETS_MS.get(key)
        flag = "" if target is None else ("met" if row["p95"] <= target * factor else "MISSED")
        print(f"{key:<24} {row['p50']:>9.1f} {row['p95']:>9.1f} {(target * factor if target else '–'):>8}  "
              f"{row.get('load_before', '')}  {flag}")
    loc = report.get("locust")
    if loc:
        print(f"{'page (Locust)':<24} {'p50':>9} {'p95':>9} {'max':>9} {'requests':>9} {'failures':>9}")
        for name, row in loc["pages"].items():
            print(f"{name:<24} {row['p50']:>9.0f} {row['p95']:>9.0f} {row['max']:>9.0f} {row['requests']:>9} "
                  f"{row['failures']:>9}")
    imp = report.get("import")
    if imp and "rows_s" in imp:
        print(f"import {imp['rows']:,} rows csv: {imp['rows_s']:,} rows/s ({imp['import_s']} s); "
              f"{imp['rows_s_with_quality']:,} rows/s until the data-quality pass is done ({imp['with_quality_s']} s)")
    elif imp:
        print(f"import: {imp}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--customers", type=int, default=100_000, help="100000 or 200000")
    parser.add_argument("--pg-name", help="base PostgreSQL database (default pk_speed_http_<N/1000>k)")
    parser.add_argument("--reuse", action="store_true", help="reuse the loaded base database (load only if missing)")
    parser.add_argument("--quick", action="store_true", help="15 requests per measure, 3 outages, no import")
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--outages", type=int, default=8)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the Makefile's)")
    parser.add_argument("--threads", type=int, help="gunicorn threads (default: the Makefile's)")
    parser.add_argument("--port", type=int, default=8711)
    parser.add_argument("--locust", action="store_true", help="run the Locust load test instead of the measures")
    parser.add_argument("--users", type=int, default=16, help="Locust users")
    parser.add_argument("--locust-time", default="2m")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phase", choices=tuple(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(RESULT_MARK + json.dumps(PHASES[args.phase](args), default=str), flush=True)
        return
    if args.quick:
        args.repeat, args.outages = 15, 3
        args.no_import = True
    workers, threads = makefile_server_options()
    workers, threads = args.workers or workers, args.threads or threads
    kind = "locust" if args.locust else "http"
    path = RESULTS / (f"{kind}-{args.database}-{args.customers}-{workers}x{threads}-{time.strftime('%Y%m%d-%H%M')}"
                      f"{'-quick' if args.quick else ''}.json")

    def save(report: dict) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        return path

    report: dict = {"database": args.database, "customers": args.customers, "when": time.strftime("%Y-%m-%d %H:%M"),
                    "load_start": loadavg(), "cpus": os.cpu_count(), "repeat": args.repeat,
                    "server": {"workers": workers, "threads": threads, "how": "gunicorn -c gunicorn.conf.py + db_worker"}}
    if not (args.reuse and base_exists(args)):
        report["load"] = load_base(args)
        if report["load"].get("failed"):
            print(report["load"]["stderr"])
            sys.exit(1)
    print("… copying the base database", flush=True)
    copy_base(args)
    env = db_env(args, run=True)
    # A base loaded by an older checkout lacks the newer migrations: bring the copy up to date
    # (untimed), so that --reuse measures the code as it is now.
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    info = run_phase("setup", args, env)
    if info.get("failed"):
        print(info["stderr"])
        sys.exit(1)
    report["data"] = {k: info[k] for k in ("customers", "station_customers", "outage")}
    server = Server(env, args.port, workers, threads, Path(env["POWERKAM_VAR_DIR"]) / "log")
    base = f"http://127.0.0.1:{args.port}"
    try:
        server.start()
        if args.locust:
            report["locust"] = run_locust(args, info, base)
        else:
            report["measures"] = http_measures(args, info, base)
            save(report)  # the measures are kept even if the long import is interrupted
        if not args.no_import and not args.locust:
            print("… import (100,000-row csv through the API, until the data-quality pass is done)", flush=True)
            report["import"] = http_import(args, env, base, info)
    finally:
        server.stop()
    report["load_end"] = loadavg()
    path = save(report)
    print_table(report)
    print(f"\nJSON: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
