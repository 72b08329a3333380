"""The one service for tasks (issue #4 §1: "Tasks have one model and one service that all
modules use"). Modules call these functions; views and the API only read and close tasks.

    from powerkam.core import workqueue
    workqueue.open_task(kind=Task.Kind.LADDER_STEP, assignee=manager, customer=bill.customer,
                        title=..., due_at=..., key=f"ladder:bill:{bill.pk}:overdue_7",
                        link=reverse(...))
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from operator import methodcaller

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Task
from .phrases import Phrase


def _aware(due) -> datetime | None:
    """A due date (end of that day, local time) or a datetime, as an aware datetime."""
    if due is None:
        return None
    if isinstance(due, datetime):
        return due if timezone.is_aware(due) else timezone.make_aware(due)
    if isinstance(due, date):
        return timezone.make_aware(datetime.combine(due, time(23, 59, 59)))
    raise TypeError(f"due_at must be a date or datetime, not {type(due).__name__}")


def workday_due(start: date, workdays_after: int) -> dict:
    """A task's due date `workdays_after` working days after `start` (end of that day), as the
    keyword arguments of `open_task` / a spec of `open_tasks_bulk`: the date, whether it is
    provisional (computed over a year whose holidays are not entered), and the rule, so that
    `recompute_provisional_tasks` can compute it again once they are."""
    from . import workdays

    with workdays.tracking() as calc:
        day = workdays.add_workdays(start, workdays_after)
    return {"due_at": day, "due_provisional": calc.provisional, "due_from": start, "due_workdays": workdays_after}


def _audited(task: Task, actor) -> None:
    if actor is not None and getattr(actor, "pk", None):
        task._history_user = actor


def title_fields(title: str | Phrase, detail: str | Phrase = "") -> dict:
    """A task's title and detail with their msgids and parameters: a Phrase is shown in the
    reader's language (Task.display_title, display_detail); a plain string (free text a user
    typed) is shown as is. For code that builds Task rows itself (bulk paths):
    `Task(**title_fields(phrase(...), phrase(...)), ...)`."""
    fields = {"title": str(title)[:200], "title_msgid": "", "title_params": {},
              "detail": str(detail), "detail_msgid": "", "detail_params": {}}
    if isinstance(title, Phrase):
        fields.update(title_msgid=title.msgid[:200], title_params=title.stored_params())
    if isinstance(detail, Phrase):
        fields.update(detail_msgid=detail.msgid, detail_params=detail.stored_params())
    return fields


def open_task(*, kind: str, assignee, title: str | Phrase, due_at=None, customer=None, org_unit=None,
              key: str | None = None, link: str = "", detail: str | Phrase = "",
              priority: int = Task.Priority.NORMAL, created_by=None, due_provisional: bool = False,
              due_from: date | None = None, due_workdays: int | None = None) -> Task:
    """Create a task, or return the existing one with the same `key` (whatever its status).

    Idempotent by key: running a daily job twice creates nothing new, and a task someone has
    already closed is not reopened by a re-run. A generated title is a `phrases.phrase(...)`, so
    that every reader sees it in their own language. A due date counted in working days comes
    from `workday_due(start, n)` (pass its keywords); a due date another record owns (a ticket
    stage's deadline) passes that record's `due_provisional`.
    """
    if key:
        existing = Task.objects.filter(key=key).first()
        if existing is not None:
            return existing
    if org_unit is None:
        org_unit = customer.org_unit if customer is not None else getattr(assignee, "org_unit", None)
    task = Task(kind=kind, assignee=assignee, **title_fields(title, detail), customer=customer,
                org_unit=org_unit, due_at=_aware(due_at), key=key or None, link=link,
                priority=priority, created_by=created_by if getattr(created_by, "pk", None) else None,
                due_provisional=bool(due_provisional and due_at is not None), due_from=due_from,
                due_workdays=due_workdays)
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


def set_due(task: Task, due_at, *, provisional: bool, by=None) -> Task:
    """Move an open task's due date (its owner recomputed it, e.g. once a year's holidays are
    entered). Audited; a closed task is left as it was."""
    if task.status != Task.Status.OPEN:
        return task
    task.due_at = _aware(due_at)
    task.due_provisional = bool(provisional and due_at is not None)
    _audited(task, by)
    task.save(update_fields=["due_at", "due_provisional"])
    return task


def recompute_provisional_tasks(*, by=None) -> int:
    """Every open task whose due date was counted in working days (`workday_due`) over a year not
    covered then: computed again from its stored start and count. Returns how many changed
    (date or flag). Tasks whose due date belongs to another record are recomputed by its app."""
    pks = list(_provisional_tasks().order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(pks), 1000):
        for task in Task.objects.filter(pk__in=pks[start:start + 1000], status=Task.Status.OPEN):
            due = workday_due(task.due_from, task.due_workdays)
            set_due(task, due["due_at"], provisional=due["due_provisional"], by=by)
            changed += 1
    return changed


def _provisional_tasks() -> QuerySet:
    return Task.objects.filter(status=Task.Status.OPEN, due_provisional=True, due_from__isnull=False,
                               due_workdays__isnull=False)


def count_provisional_tasks() -> int:
    return _provisional_tasks().count()


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


HISTORY_FIELDS = ("history_id", "history_date", "history_change_reason", "history_type", "history_user")


def _history_columns(model) -> tuple:
    """(history model, its quoted columns, the model's quoted columns to SELECT into them): the
    column lists of an `INSERT INTO <history> (…) SELECT …, date, type, user, reason FROM <model>`."""
    from django.db import connection

    history = model.history.model
    qn = connection.ops.quote_name
    base_columns = {f.column for f in model._meta.concrete_fields}
    columns, select = [], []
    for f in history._meta.concrete_fields:
        if f.name in HISTORY_FIELDS:
            continue
        if f.column not in base_columns:
            raise ValueError(f"{history.__name__}.{f.name} has no column in {model.__name__}")
        columns.append(qn(f.column))
        select.append(qn(f.column))
    columns += [qn("history_date"), qn("history_type"), qn("history_user_id"), qn("history_change_reason")]
    return history, columns, select


def insert_history_rows(model, pks, *, user_id: int | None = None, reason: str | None = None,
                        history_type: str = "+", when: datetime | None = None, batch_size: int = 1000) -> int:
    """simple-history rows for rows already written in bulk, copied by the database itself:
    `INSERT INTO <history table> SELECT <columns>, now, type, user, reason FROM <table> WHERE
    id IN (…)`. The same rows `bulk_history_create` writes (every field as saved, "+" created or
    "~" changed, by `user_id`, with `reason`), without building a model instance per row —
    the set-based path for imports and nightly jobs. Returns the number of rows inserted."""
    from django.db import connection

    history, columns, select = _history_columns(model)
    qn = connection.ops.quote_name
    stamp = connection.ops.adapt_datetimefield_value(when or timezone.now())
    pks = list(pks)
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(pks), batch_size):
            chunk = pks[start:start + batch_size]
            cursor.execute(
                f"INSERT INTO {qn(history._meta.db_table)} ({', '.join(columns)}) "
                f"SELECT {', '.join(select)}, %s, %s, %s, %s FROM {qn(model._meta.db_table)} "
                f"WHERE {qn(model._meta.pk.column)} IN ({', '.join(['%s'] * len(chunk))})",
                [stamp, history_type, user_id, reason, *chunk])
            written += cursor.rowcount
    return written


_JSON_TEXT = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(…, ensure_ascii=False), one encoder


def json_text(params) -> str:
    """A task's title or detail params as the row stores them: `json.dumps(params,
    ensure_ascii=False)`, or the same text made before where the params carry it (`JSONText`)."""
    text = getattr(params, "json", None)
    return text if text is not None else _JSON_TEXT(params)


class JSONText(dict):
    """Params (a dict) with their JSON text already made (`json`, what `json.dumps(self,
    ensure_ascii=False)` gives): a bulk caller composes it from pieces it encoded once for many
    tasks (customers.quality.TaskTexts)."""

    __slots__ = ("json",)

    def __init__(self, value: dict, text: str):
        super().__init__(value)
        self.json = text


TASK_ROW = ("kind", "title", "detail", "assignee_id", "customer_id", "org_unit_id", "due_at", "priority",
            "status", "key", "link", "created_at", "created_by_id", "result", "due_provisional", "due_from",
            "due_workdays", "title_msgid", "title_params", "detail_msgid", "detail_params")


def tasks_with_keys(keys) -> QuerySet:
    """The tasks whose key is one of `keys` (a list, a set, dict keys…), unordered. Task's default
    ordering is left off on purpose: with an ORDER BY and a long IN list SQLite's planner scans
    the whole task table instead of looking each key up in its index (18 ms per 1,000 keys at
    34,000 tasks, growing with the table), which every bulk writer and nightly job paid."""
    return Task.objects.filter(key__in=list(keys)).order_by()


def _task_row(spec: dict, key: str, now: datetime, actor_id) -> list:
    """The TASK_ROW values of a new open task from an `open_tasks_bulk` spec (ids or objects;
    the org unit defaults to the customer's)."""
    customer, org_unit = spec.get("customer"), spec.get("org_unit")
    org_unit_id = spec.get("org_unit_id") or getattr(org_unit, "pk", None) or getattr(customer, "org_unit_id", None)
    # A bulk caller may give the six title/detail fields already made (`title_fields`' result),
    # e.g. from texts it translated once for many tasks.
    title = spec.get("title_fields") or title_fields(spec["title"], spec.get("detail", ""))
    return [spec["kind"], title["title"], title["detail"], spec.get("assignee_id") or spec["assignee"].pk,
            spec.get("customer_id") or getattr(customer, "pk", None), org_unit_id, _aware(spec.get("due_at")),
            int(spec.get("priority", Task.Priority.NORMAL)), Task.Status.OPEN.value, key, spec.get("link", ""),
            now, actor_id, "", bool(spec.get("due_provisional") and spec.get("due_at") is not None),
            spec.get("due_from"), spec.get("due_workdays"), title["title_msgid"],
            json_text(title["title_params"]), title["detail_msgid"], json_text(title["detail_params"])]


def open_tasks_bulk(specs, *, created_by=None, batch_size: int = 1000) -> int:
    """`open_task` for many tasks at once (nightly jobs, imports). Each spec is a dict with
    open_task's keyword arguments (`kind`, `title`, `key` — required —, `due_at`, `detail`,
    `link`, `priority`, and `due_provisional` / `due_from` / `due_workdays` — `**workday_due(…)`) and ids `assignee_id`, `customer_id`, `org_unit_id` (or objects
    `assignee`, `customer`, `org_unit`; the org unit defaults to the customer's). Keys that
    already exist, whatever their status, are skipped: a closed task is never reopened. Rows go
    in with one multi-row INSERT per `batch_size` tasks and their history rows with one
    INSERT … SELECT: a constant number of queries, no model instance per task. Returns how many
    tasks were created."""
    from django.db import connection

    actor_id = getattr(created_by, "pk", None)
    specs = [s for s in specs if s.get("key")]
    qn = connection.ops.quote_name
    names = TASK_ROW
    table = qn(Task._meta.db_table)
    created = 0
    for start in range(0, len(specs), batch_size):
        chunk = {s["key"]: s for s in specs[start:start + batch_size]}  # one per key
        taken = set(tasks_with_keys(chunk).values_list("key", flat=True))
        now = timezone.now()
        rows = []
        for key, s in chunk.items():
            if key in taken:
                continue
            row = _task_row(s, key, now, actor_id)
            row[6] = connection.ops.adapt_datetimefield_value(row[6]) if row[6] else None  # due_at
            row[11] = connection.ops.adapt_datetimefield_value(now)  # created_at
            row[15] = connection.ops.adapt_datefield_value(row[15])  # due_from
            rows.append(tuple(row))
        if not rows:
            continue
        placeholders = "(" + ", ".join(["%s"] * len(names)) + ")"
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO {table} ({', '.join(qn(n) for n in names)}) VALUES "
                               + ", ".join([placeholders] * len(rows)), [v for row in rows for v in row])
        except IntegrityError:  # a concurrent run took some of the keys: one by one
            for row in rows:
                try:
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute(f"INSERT INTO {table} ({', '.join(qn(n) for n in names)}) VALUES "
                                       + placeholders, list(row))
                except IntegrityError:
                    rows = [r for r in rows if r is not row]
        new_pks = list(tasks_with_keys(r[9] for r in rows).values_list("pk", flat=True))
        insert_history_rows(Task, new_pks, user_id=actor_id, when=now, batch_size=batch_size)
        created += len(new_pks)
    return created


def close_tasks_bulk(keys, *, by=None, result: str = "", status: str = Task.Status.DONE,
                     batch_size: int = 1000) -> int:
    """`close_by_key` for many keys at once: closes the open ones with one UPDATE and their
    history rows with one INSERT … SELECT per `batch_size` keys. Returns how many were closed."""
    keys = sorted({k for k in keys if k})
    actor_id = getattr(by, "pk", None)
    now = timezone.now()
    closed = 0
    for start in range(0, len(keys), batch_size):
        pks = list(tasks_with_keys(keys[start:start + batch_size]).filter(status=Task.Status.OPEN)
                   .values_list("pk", flat=True))
        if pks:
            with transaction.atomic():
                Task.objects.filter(pk__in=pks).update(status=status, closed_at=now, closed_by_id=actor_id,
                                                       result=result)
                insert_history_rows(Task, pks, user_id=actor_id, history_type="~", when=now)
            closed += len(pks)
    return closed


# ---------------------------------------------------------------------------- bulk writers (imports)

def copy_rows(model, columns, rows, *, batch_size: int = 10_000) -> int:
    """Insert plain tuples into `model`'s table, one value per name in `columns` (column names
    as in the database, e.g. "customer_id"), without model instances or per-field preparation:
    PostgreSQL `COPY … FROM STDIN` (psycopg 3 `cursor.copy`), other databases `executemany`.
    Values must already be database-ready (str, int, Decimal, bool, date, aware datetime, None;
    JSON as text). No ids come back: read them by a natural key afterwards. Returns the number
    of rows written. Nothing is validated here: callers insert rows they have validated."""
    from django.db import connection

    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = ", ".join(qn(c) for c in columns)
    fields = {f.column: f for f in model._meta.concrete_fields}
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's error classes (IntegrityError …), as for any query, though the COPY goes
            # to psycopg's own cursor.
            temporal = [i for i, c in enumerate(columns)
                        if c in fields and fields[c].get_internal_type() in ("DateTimeField", "DateField")]
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                if temporal:
                    rows = _converted_once(rows, temporal, date, methodcaller("isoformat"))
                for row in rows:
                    copy.write_row(row)
                    written += 1
            return written
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        # Datetimes go in as the backend writes them, only in the columns that can hold one:
        # adapting every value of every row cost ~2 s per 100,000-row import on SQLite.
        moments = [i for i, c in enumerate(columns) if c not in fields or fields[c].get_internal_type() == "DateTimeField"]
        if moments:
            rows = _converted_once(rows, moments, datetime, connection.ops.adapt_datetimefield_value)
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def _converted_once(rows, positions: list[int], kind: type, convert):
    """`rows` as lists, with the values of type `kind` at `positions` replaced by `convert(value)`,
    each distinct value converted once: an import's rows share a few (the moment of the import, a
    due date), and converting each cost ~1 µs, ~1 million times per 100,000-row import. Equal
    datetimes are the same instant whatever their time zone; both conversions keep the instant.

    - PostgreSQL's COPY (`kind` date, datetimes included; `convert` isoformat): ISO 8601 text,
      which COPY reads as it reads psycopg's own text for them (an aware datetime keeps its UTC
      offset; a naive one or a date is read in the session's time zone, as before) — psycopg
      formats a datetime in Python-level code.
    - SQLite (`kind` datetime; `convert` the backend's `adapt_datetimefield_value`): naive UTC
      text, as Django writes it."""
    done: dict = {}
    for row in rows:
        row = list(row)
        for i in positions:
            value = row[i]
            if isinstance(value, kind):
                text = done.get(value)
                if text is None:
                    text = convert(value)
                    if len(done) < 10_000:
                        done[value] = text
                row[i] = text
        yield row


def allocate_ids(model, count: int) -> list[int] | None:
    """`count` new primary keys for `model`, so rows written by `copy_rows` with an "id" column
    need no read-back: from its sequence on PostgreSQL (one query); on SQLite by moving the
    table's AUTOINCREMENT counter (`sqlite_sequence`) past them — an UPDATE, so the ids are
    reserved under SQLite's write lock and never handed out twice, and no later row reuses them.
    None on other databases."""
    from django.db import connection

    if connection.vendor not in ("postgresql", "sqlite"):
        return None
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence is looked up once (a MATERIALIZED CTE), not once per id: pg_get_serial_sequence
            # is STABLE, so written inside nextval(...) it ran its catalogue look-up for every row
            # (1.27 s against 0.16 s for 100,000 ids).
            cursor.execute("WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
                           "SELECT nextval(s.seq) FROM s, generate_series(1, %s)",
                           [connection.ops.quote_name(table), model._meta.pk.column, count])
            return [row[0] for row in cursor.fetchall()]
        qn = connection.ops.quote_name
        pk, name = qn(model._meta.pk.column), qn(table)
        # A table that never had a row has no counter yet: start it at the highest id there is.
        # MAX(id) stands alone in its subquery: `SELECT MAX(x) FROM t` reads the last entry of the
        # table's B-tree; with a WHERE beside it SQLite scans every row (13 ms at 100,000 rows,
        # three times per batch of an import).
        cursor.execute(f"INSERT INTO sqlite_sequence (name, seq) SELECT %s, COALESCE((SELECT MAX({pk}) FROM {name}), 0) "
                       "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)", [table, table])
        cursor.execute(f"UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT MAX({pk}) FROM {name}), 0)) + %s "
                       "WHERE name = %s RETURNING seq", [count, table])
        last = cursor.fetchone()[0]
    return list(range(last - count + 1, last + 1))


def insert_history_rows_many(model, pks, *, user_id: int | None = None, reason: str | None = None,
                             history_type: str = "+", when: datetime | None = None,
                             batch_size: int = 20_000) -> int:
    """`insert_history_rows` for many rows: on PostgreSQL one `INSERT … SELECT … WHERE id = ANY(%s)`
    per `batch_size` ids (one array parameter instead of thousands of placeholders, which psycopg
    would otherwise parse on the client); elsewhere `insert_history_rows` itself. Same rows."""
    from django.db import connection

    pks = list(pks)
    if connection.vendor != "postgresql":
        return insert_history_rows(model, pks, user_id=user_id, reason=reason, history_type=history_type,
                                   when=when)
    history, columns, select = _history_columns(model)
    qn = connection.ops.quote_name
    stamp = when or timezone.now()
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(pks), batch_size):
            cursor.execute(
                f"INSERT INTO {qn(history._meta.db_table)} ({', '.join(columns)}) "
                f"SELECT {', '.join(select)}, %s, %s, %s, %s FROM {qn(model._meta.db_table)} "
                f"WHERE {qn(model._meta.pk.column)} = ANY(%s)",
                [stamp, history_type, user_id, reason, pks[start:start + batch_size]])
            written += cursor.rowcount
    return written


def open_tasks_copy(specs, *, created_by=None, batch_size: int = 10_000) -> int:
    """`open_tasks_bulk` for large batches (imports): the same tasks and history rows, but the
    rows go in by `copy_rows` (COPY on PostgreSQL) and the taken keys and new ids are read with
    one `key = ANY(%s)` query each per `batch_size` tasks (SQLite: executemany, `key IN (…)`,
    ids reserved by `allocate_ids`). Keys that exist are skipped. If a concurrent run takes a
    key between the check and the COPY, the batch falls back to `open_tasks_bulk` (row by row
    on conflict). Returns how many tasks were created."""
    from django.db import connection

    if connection.vendor not in ("postgresql", "sqlite"):
        return open_tasks_bulk(specs, created_by=created_by)
    actor_id = getattr(created_by, "pk", None)
    specs = [s for s in specs if s.get("key")]
    names = TASK_ROW
    qn = connection.ops.quote_name
    table = qn(Task._meta.db_table)
    created = 0
    for start in range(0, len(specs), batch_size):
        chunk = {s["key"]: s for s in specs[start:start + batch_size]}  # one per key
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {qn('key')} FROM {table} WHERE {qn('key')} = ANY(%s)", [list(chunk)])
                taken = {row[0] for row in cursor.fetchall()}
        else:
            taken = set(tasks_with_keys(chunk).values_list("key", flat=True))
        now = timezone.now()
        rows = []
        for key, s in chunk.items():
            if key in taken:
                continue
            rows.append(tuple(_task_row(s, key, now, actor_id)))
        if not rows:
            continue
        new_pks = allocate_ids(Task, len(rows))
        try:
            with transaction.atomic():
                copy_rows(Task, ("id", *names), [(pk, *row) for pk, row in zip(new_pks, rows, strict=True)])
        except IntegrityError:  # a concurrent run took some of the keys
            created += open_tasks_bulk([chunk[r[9]] for r in rows], created_by=created_by)
            continue
        insert_history_rows_many(Task, new_pks, user_id=actor_id, when=now)
        created += len(new_pks)
    return created
