"""The one service for tasks (issue #4 §1: "Tasks have one model and one service that all
modules use"). Modules call these functions; views and the API only read and close tasks.

    from powerkam.core import workqueue
    workqueue.open_task(kind=Task.Kind.LADDER_STEP, assignee=manager, customer=bill.customer,
                        title=..., due_at=..., key=f"ladder:bill:{bill.pk}:overdue_7",
                        link=reverse(...))
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Task


def _aware(due) -> datetime | None:
    """A due date (end of that day, local time) or a datetime, as an aware datetime."""
    if due is None:
        return None
    if isinstance(due, datetime):
        return due if timezone.is_aware(due) else timezone.make_aware(due)
    if isinstance(due, date):
        return timezone.make_aware(datetime.combine(due, time(23, 59, 59)))
    raise TypeError(f"due_at must be a date or datetime, not {type(due).__name__}")


def _audited(task: Task, actor) -> None:
    if actor is not None and getattr(actor, "pk", None):
        task._history_user = actor


def open_task(*, kind: str, assignee, title: str, due_at=None, customer=None, org_unit=None,
              key: str | None = None, link: str = "", detail: str = "",
              priority: int = Task.Priority.NORMAL, created_by=None) -> Task:
    """Create a task, or return the existing one with the same `key` (whatever its status).

    Idempotent by key: running a daily job twice creates nothing new, and a task someone has
    already closed is not reopened by a re-run.
    """
    if key:
        existing = Task.objects.filter(key=key).first()
        if existing is not None:
            return existing
    if org_unit is None:
        org_unit = customer.org_unit if customer is not None else getattr(assignee, "org_unit", None)
    task = Task(kind=kind, assignee=assignee, title=title[:200], detail=detail, customer=customer,
                org_unit=org_unit, due_at=_aware(due_at), key=key or None, link=link,
                priority=priority, created_by=created_by if getattr(created_by, "pk", None) else None)
    _audited(task, created_by)
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        if key:  # a concurrent run created it first
            return Task.objects.get(key=key)
        raise
    return task


def close_task(task: Task, *, by=None, result: str = "", status: str = Task.Status.DONE) -> Task:
    """Mark a task done (or cancelled). Closing a closed task changes nothing."""
    if task.status != Task.Status.OPEN:
        return task
    task.status = status
    task.closed_at = timezone.now()
    task.closed_by = by if getattr(by, "pk", None) else None
    task.result = result
    _audited(task, by)
    task.save(update_fields=["status", "closed_at", "closed_by", "result"])
    return task


def close_by_key(key: str, *, by=None, result: str = "", status: str = Task.Status.DONE) -> Task | None:
    task = Task.objects.filter(key=key).first()
    return close_task(task, by=by, result=result, status=status) if task else None


def close_by_prefix(prefix: str, *, by=None, result: str = "", status: str = Task.Status.CANCELLED) -> int:
    """Close every open task whose key starts with `prefix` (e.g. all ladder tasks of a bill
    once it is paid). Returns how many were closed."""
    n = 0
    for task in Task.objects.filter(key__startswith=prefix, status=Task.Status.OPEN):
        close_task(task, by=by, result=result, status=status)
        n += 1
    return n


def reassign_task(task: Task, to, *, by=None) -> Task:
    task.assignee = to
    _audited(task, by)
    task.save(update_fields=["assignee"])
    return task


def queue_for(user) -> QuerySet:
    """The user's own tasks, soonest due first (open first)."""
    return (Task.objects.filter(assignee=user)
            .select_related("customer", "org_unit")
            .order_by("status", "due_at", "id"))


def queue_counts(user) -> dict[str, int]:
    """Open and overdue counts for the navigation badge: one query."""
    if not user or not user.is_authenticated:
        return {"open": 0, "overdue": 0}
    now = timezone.now()
    row = Task.objects.filter(assignee=user, status=Task.Status.OPEN).aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    return {"open": row["open"] or 0, "overdue": row["overdue"] or 0}


def open_tasks_bulk(specs, *, created_by=None, batch_size: int = 1000) -> list[Task]:
    """`open_task` for many tasks at once (nightly jobs, imports). Each spec is a dict with
    open_task's keyword arguments (`kind`, `title`, `key` — required —, `due_at`, `detail`,
    `link`, `priority`) and either objects (`assignee`, `customer`, `org_unit`) or ids
    (`assignee_id`, `customer_id`, `org_unit_id`; org unit defaults to the customer's, which
    then must be an object). Keys that already exist, whatever their status, are skipped: a
    closed task is never reopened. A constant number of queries per `batch_size` tasks (the
    keys' look-up, the insert, the history insert). Returns the tasks created."""
    from simple_history.utils import bulk_create_with_history

    specs = [s for s in specs if s.get("key")]
    created: list[Task] = []
    actor = created_by if getattr(created_by, "pk", None) else None
    for start in range(0, len(specs), batch_size):
        chunk = {s["key"]: s for s in specs[start:start + batch_size]}  # one per key
        taken = set(Task.objects.filter(key__in=list(chunk)).values_list("key", flat=True))
        tasks = []
        for key, s in chunk.items():
            if key in taken:
                continue
            refs = {}
            for name in ("assignee", "customer", "org_unit"):
                if s.get(name) is not None:
                    refs[name] = s[name]
                elif s.get(f"{name}_id") is not None:
                    refs[f"{name}_id"] = s[f"{name}_id"]
            if "org_unit" not in refs and "org_unit_id" not in refs and s.get("customer") is not None:
                refs["org_unit_id"] = s["customer"].org_unit_id
            tasks.append(Task(kind=s["kind"], title=s["title"][:200], detail=s.get("detail", ""),
                              due_at=_aware(s.get("due_at")), key=key, link=s.get("link", ""),
                              priority=s.get("priority", Task.Priority.NORMAL), created_by=actor, **refs))
        if not tasks:
            continue
        try:
            with transaction.atomic():
                bulk_create_with_history(tasks, Task, batch_size=batch_size, default_user=actor)
            created.extend(tasks)
        except IntegrityError:  # a concurrent run took some of the keys: one by one
            for task in tasks:
                task.pk = None
                _audited(task, actor)
                try:
                    with transaction.atomic():
                        task.save()
                except IntegrityError:
                    continue
                created.append(task)
    return created


def close_tasks_bulk(keys, *, by=None, result: str = "", status: str = Task.Status.DONE,
                     batch_size: int = 1000) -> int:
    """`close_by_key` for many keys at once: closes the open ones (with their history rows) in a
    constant number of queries per `batch_size` keys. Returns how many were closed."""
    from simple_history.utils import bulk_update_with_history

    keys = sorted({k for k in keys if k})
    actor = by if getattr(by, "pk", None) else None
    now = timezone.now()
    closed = 0
    for start in range(0, len(keys), batch_size):
        tasks = list(Task.objects.filter(key__in=keys[start:start + batch_size], status=Task.Status.OPEN))
        for task in tasks:
            task.status, task.closed_at, task.closed_by, task.result = status, now, actor, result
        if tasks:
            with transaction.atomic():
                bulk_update_with_history(tasks, Task, ["status", "closed_at", "closed_by", "result"],
                                         batch_size=batch_size, default_user=actor)
            closed += len(tasks)
    return closed
