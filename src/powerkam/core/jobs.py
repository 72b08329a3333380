"""Periodic jobs: one table of named jobs run by `manage.py run_scheduler` (DESIGN.md "background jobs").

A job is a plain function taking the business day and returning counts. Later modules add
theirs here (the receivables ladder, visit-plan generation) with `register(...)`; each job is
also reachable as a Django task (`run_job_task.enqueue("quality_checks")`) so a worker can run
it, and `manage.py run_scheduler --once` runs them from cron if a site prefers that.
"""

from __future__ import annotations

import logging
import os
import re
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .leases import when_lost

log = logging.getLogger("powerkam.jobs")

_AT_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_at(value: str) -> time:
    """'02:00' → time(2, 0); anything else is a configuration error."""
    m = _AT_RE.match((value or "").strip())
    if not m:
        raise ImproperlyConfigured(f"Job time must be HH:MM (24 h), got {value!r}.")
    return time(int(m.group(1)), int(m.group(2)))


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[date], dict]
    description: str
    at_env: str = "POWERKAM_NIGHTLY_AT"  # environment variable holding the daily time
    default_at: str = "02:00"

    def at(self) -> time:
        return parse_at(os.environ.get(self.at_env) or self.default_at)

    def next_run(self, after: datetime) -> datetime:
        """The first scheduled moment strictly after `after` (local time zone)."""
        after = timezone.localtime(after)
        candidate = timezone.make_aware(datetime.combine(after.date(), self.at()))
        if candidate <= after:
            candidate = timezone.make_aware(datetime.combine(after.date() + timedelta(days=1), self.at()))
        return candidate


JOBS: dict[str, Job] = {}


def register(name: str, func: Callable[[date], dict], description: str, *,
             at_env: str = "POWERKAM_NIGHTLY_AT", default_at: str = "02:00") -> Job:
    job = Job(name, func, description, at_env, default_at)
    JOBS[name] = job
    return job


def run_job(name: str, day: date | None = None) -> dict:
    """Run one job now for `day` (default today). Jobs are idempotent: running twice is safe."""
    job = JOBS[name]
    day = day or timezone.localdate()
    started = _time.perf_counter()
    result = job.func(day)
    log.info("job %s for %s done in %.1f s: %s", name, day, _time.perf_counter() - started, result)
    return result


class Scheduler:
    """Keeps each job's next run; `tick(now)` runs whatever is due. The loop lives in the command."""

    def __init__(self, names: list[str] | None = None, now: datetime | None = None,
                 runner: Callable[[str, date], dict] = run_job, run_now: bool = False):
        """`run_now`: every job is due at once (the first tick runs them all for today), so a
        freshly started server does not wait until the night for its ladder and summaries."""
        now = now or timezone.now()
        self.jobs = [JOBS[n] for n in (names or list(JOBS))]
        self.runner = runner
        self.next_runs = {job.name: now if run_now else job.next_run(now) for job in self.jobs}

    def seconds_until_next(self, now: datetime) -> float:
        return max(0.0, min((when - now).total_seconds() for when in self.next_runs.values()))

    def tick(self, now: datetime | None = None) -> dict[str, dict]:
        now = now or timezone.now()
        results = {}
        for job in self.jobs:
            when = self.next_runs[job.name]
            if now >= when:
                try:
                    results[job.name] = self.runner(job.name, timezone.localtime(when).date())
                except Exception as exc:  # one failing job must not stop the others or the loop
                    log.exception("job %s failed", job.name)
                    results[job.name] = {"error": str(exc)}
                self.next_runs[job.name] = job.next_run(now)
        return results


# ---------------------------------------------------------------------------------------------
# The jobs
# ---------------------------------------------------------------------------------------------

def quality_checks(day: date) -> dict:
    """Nightly archive data-quality check for every customer (customers.quality.evaluate_all)."""
    from powerkam.customers import quality

    return quality.evaluate_all(today=day)


register("quality_checks", quality_checks, "Archive data-quality rules for every customer")


def refresh_statistics(day: date | None = None) -> dict:
    """The query planner's statistics, brought up to date on SQLite (`ANALYZE`).

    PostgreSQL keeps its own (autovacuum analyses a table once enough of it changed). SQLite
    never does: without `ANALYZE` its planner knows nothing of how many rows a table or an index
    value has, and some pages choose a plan that reads every row (the KPI scorecard's bills of the
    month: 193 ms of SQLite CPU without statistics, 18 with them; decision record 0018). The
    benchmarks in bench/ analyse after loading; this job makes an installation match them: nightly,
    at the scheduler's start, and after a large import. A full `ANALYZE` reads every index once
    (0.3–3.2 s for the 100,000-customer benchmark databases)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return {"skipped": "statistics are kept by the database (autovacuum)"}
    started = _time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"analysed_s": round(_time.perf_counter() - started, 2)}


def analyze_if_analyzed(cursor, table: str) -> bool:
    """`ANALYZE` one table on SQLite when the database keeps statistics already (after a bulk load,
    the nightly job above, the benchmarks): for a migration that adds indexes, so that the planner
    does not weigh the new ones by its defaults (it takes an index without statistics for a very
    selective one) until the next night. A database without statistics stays without."""
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    if cursor.fetchone() is None:
        return False
    cursor.execute(f'ANALYZE "{table}"')
    return True


register("database_statistics", refresh_statistics,
         "Query planner statistics on SQLite (ANALYZE); PostgreSQL keeps its own")


# Django Tasks entry points (arguments must be JSON-serialisable).
LOST_RETRIES = 1  # a periodic job whose worker died is enqueued again this many times


@task()
def run_job_task(name: str, day: str | None = None, attempt: int = 1) -> dict:
    return run_job(name, date.fromisoformat(day) if day else None)


@when_lost(run_job_task)
def _periodic_job_lost(args: list, kwargs: dict) -> None:
    """Periodic jobs are idempotent (the ladder, the summaries, the checks): one whose worker died
    is simply run again, once, as soon as the lost task is found."""
    name = args[0] if args else kwargs["name"]
    day = args[1] if len(args) > 1 else kwargs.get("day")
    attempt = args[2] if len(args) > 2 else kwargs.get("attempt", 1)
    if attempt > LOST_RETRIES:
        log.error("job %s for %s lost its worker again; not retried (run it by hand or wait for the "
                  "next scheduled run)", name, day)
        return
    transaction.on_commit(lambda: run_job_task.enqueue(name, day, attempt=attempt + 1))
    log.warning("job %s for %s lost its worker; enqueued again", name, day)


@task()
def quality_checks_task(day: str | None = None) -> dict:
    return run_job("quality_checks", date.fromisoformat(day) if day else None)
