"""A job survives its worker dying (issue #9 item 5).

django-tasks-db marks a task RUNNING when a worker claims it and only the same worker ever marks
it finished: a worker killed mid-job (kill -9, OOM, a machine restart) leaves the task RUNNING for
ever, and the page of the import, billing run or report that waits for it shows its last progress
for ever. So every worker holds a lease (core.WorkerLease): `manage.py db_worker` (ours, in
core/management/commands) records its host and process when it starts, and a light thread renews
the lease's heartbeat every POWERKAM_JOB_HEARTBEAT_SECONDS, whatever the task is doing (one long
transaction, one long query). The heartbeat lives in its own row and its own connection, so it
never waits for the task's transaction on PostgreSQL; on SQLite (one machine) the process check
decides.

A worker is gone when
- it runs on this host (same host name and process namespace) and its process no longer exists
  (or is another process reusing the id): decided at once, without waiting for the lease;
- it runs elsewhere and its heartbeat is older than POWERKAM_JOB_LEASE_SECONDS;
- it stopped (its lease has `stopped_at`) while a task it claimed is still RUNNING.

`reap()` finds the RUNNING tasks whose worker is gone, marks each one FAILED (exception
`powerkam.core.leases.WorkerLost`) so that no one waits for it, and calls the handler its task
registered with `@when_lost(task)`: an import or billing run is marked failed with a message
saying what was and was not written, and its page offers to run it again; an idempotent periodic
job is enqueued again. It runs when a worker starts, every POWERKAM_JOB_REAP_SECONDS in every
worker, in the scheduler's loop, and for one task (`check_task`) when a user looks at a job that
is still "running".
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from .models import WorkerLease

log = logging.getLogger("powerkam.jobs")

LostHandler = Callable[[list, dict], None]
LOST_HANDLERS: dict[str, LostHandler] = {}


class WorkerLost(Exception):
    """Recorded as the failure of a task whose worker is gone."""


def lease_seconds() -> int:
    return int(getattr(settings, "POWERKAM_JOB_LEASE_SECONDS", 60))


def heartbeat_seconds() -> int:
    return int(getattr(settings, "POWERKAM_JOB_HEARTBEAT_SECONDS", 10))


def reap_seconds() -> int:
    return int(getattr(settings, "POWERKAM_JOB_REAP_SECONDS", 30))


def when_lost(task) -> Callable[[LostHandler], LostHandler]:
    """Register what to do when a task of this kind lost its worker: `handler(args, kwargs)` with
    the task's arguments, inside the transaction that marks the task failed."""

    def register(handler: LostHandler) -> LostHandler:
        LOST_HANDLERS[task.module_path] = handler
        return handler

    return register


# ---------------------------------------------------------------------------- this process

def host_id() -> str:
    """The host name plus the process namespace: two containers with the same host name do not
    see each other's processes, so they count as different hosts."""
    name = socket.gethostname()
    try:
        return f"{name}:{os.stat('/proc/self/ns/pid').st_ino}"[:255]
    except OSError:
        return name[:255]


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks) of a process from /proc, None if it does not exist
    or /proc is not there."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return (fields[0], fields[19]) if len(fields) > 19 else None


def process_start(pid: int) -> str:
    stat = _proc_stat(pid)
    return stat[1] if stat else ""


def process_alive(pid: int, started: str = "") -> bool:
    """Is process `pid` of this host running, and the same process (not a new one reusing the id)?"""
    if os.path.isdir("/proc"):
        stat = _proc_stat(pid)
        if stat is None or stat[0] in ("Z", "X"):  # gone, or killed and not yet waited for
            return False
        return not started or stat[1] == started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------------------- the lease

FORGET_AFTER = timedelta(days=7)  # leases of workers stopped this long ago are deleted when a worker starts


def register_worker(worker_id: str) -> WorkerLease:
    pid = os.getpid()
    now = timezone.now()
    WorkerLease.objects.filter(stopped_at__lt=now - FORGET_AFTER).delete()
    lease, _created = WorkerLease.objects.update_or_create(
        worker_id=worker_id[:64],
        defaults={"host": host_id(), "pid": pid, "pid_started": process_start(pid), "started_at": now,
                  "heartbeat_at": now, "stopped_at": None})
    return lease


def beat(worker_id: str) -> None:
    WorkerLease.objects.filter(worker_id=worker_id).update(heartbeat_at=timezone.now())


def stop_worker(worker_id: str) -> None:
    WorkerLease.objects.filter(worker_id=worker_id).update(stopped_at=timezone.now())


def worker_gone(lease: WorkerLease | None, now: datetime | None = None) -> bool:
    """See the module docstring. A task claimed by a worker without a lease (one started with
    another command) is never declared lost: nothing tells whether it is alive."""
    if lease is None:
        return False
    if lease.stopped_at is not None:
        return True
    if lease.host == host_id():
        return not process_alive(lease.pid, lease.pid_started)
    now = now or timezone.now()
    return lease.heartbeat_at < now - timedelta(seconds=lease_seconds())


class Heartbeat(threading.Thread):
    """Renews a worker's lease and reaps lost tasks, beside the task the worker runs."""

    def __init__(self, worker_id: str):
        super().__init__(name=f"lease-{worker_id[:8]}", daemon=True)
        self.worker_id = worker_id
        self.stopping = threading.Event()

    def run(self) -> None:
        next_reap = timezone.now() + timedelta(seconds=reap_seconds())
        while not self.stopping.wait(heartbeat_seconds()):
            try:
                beat(self.worker_id)
                if timezone.now() >= next_reap:
                    reap()
                    next_reap = timezone.now() + timedelta(seconds=reap_seconds())
            except DatabaseError as exc:  # SQLite busy with the task's transaction: next time
                log.info("lease heartbeat of %s skipped: %s", self.worker_id, exc)
            except Exception:  # noqa: BLE001 - the heartbeat must outlive any one failure
                log.exception("lease heartbeat of %s failed", self.worker_id)
            finally:
                connections.close_all()  # this thread's connections only

    def stop(self) -> None:
        self.stopping.set()


# ---------------------------------------------------------------------------- the reaper

def _running_results():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.running()


def _lost(result, leases: dict[str, WorkerLease], now: datetime) -> bool:
    worker_ids = result.worker_ids or []
    return bool(worker_ids) and worker_gone(leases.get(worker_ids[-1]), now)


def _leases_of(results) -> dict[str, WorkerLease]:
    ids = {r.worker_ids[-1] for r in results if r.worker_ids}
    return {lease.worker_id: lease for lease in WorkerLease.objects.filter(worker_id__in=ids)} if ids else {}


def reap(now: datetime | None = None) -> int:
    """Mark every RUNNING task whose worker is gone as failed and let its kind recover. Returns
    how many were reaped."""
    now = now or timezone.now()
    running = list(_running_results())
    if not running:
        return 0
    leases = _leases_of(running)
    return sum(_mark_lost(result, leases.get(result.worker_ids[-1])) for result in running
               if _lost(result, leases, now))


def check_task(task_id: str | None) -> bool:
    """The lazy check of a page that shows a running job: True if its task was lost (and is now
    marked failed). Costs one query while the task's worker is alive."""
    if not task_id:
        return False
    try:
        uuid.UUID(str(task_id))
    except ValueError:  # a task of another backend (immediate, Redis): not ours to judge
        return False
    result = _running_results().filter(pk=task_id).first()
    if result is None:
        return False
    leases = _leases_of([result])
    return _lost(result, leases, timezone.now()) and _mark_lost(result, leases.get(result.worker_ids[-1]))


def _mark_lost(result, lease: WorkerLease | None) -> bool:
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    where = f"{lease.host} pid {lease.pid}" if lease else "unknown host"
    reason = (f"{WorkerLost.__module__}.{WorkerLost.__qualname__}: worker {result.worker_ids[-1]} ({where}) "
              f"stopped while running this task; detected {timezone.now():%Y-%m-%d %H:%M:%S %Z}.\n")
    with transaction.atomic():
        taken = DBTaskResult.objects.filter(pk=result.pk, status=result.status).update(
            status=TaskResultStatus.FAILED, finished_at=timezone.now(), return_value=None,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}", traceback=reason)
        if not taken:  # another reaper was first
            return False
        handler = _handler_of(result.task_path)
        args = result.args_kwargs or {}
        if handler is not None:
            handler(list(args.get("args", [])), dict(args.get("kwargs", {})))
    log.warning("task %s (%s) lost its worker: %s", result.pk, result.task_path, reason.strip())
    return True


def _handler_of(task_path: str) -> LostHandler | None:
    if task_path not in LOST_HANDLERS:
        try:  # the task's module registers its handler when it is imported
            from django.utils.module_loading import import_string

            import_string(task_path)
        except ImportError:
            return None
    return LOST_HANDLERS.get(task_path)
