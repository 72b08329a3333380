"""Archive imports: customers, contacts, supply points, transformers and metering points from
.xlsx or .csv (issue #2 item 6; DESIGN "Quality bars": all-or-nothing with a row/column report).

How an import runs (`run_import`):
1. the file is checked as a whole (size, type, encoding, header, row count) — readers.py;
2. rows are streamed and validated in batches of BATCH_SIZE: every cell is parsed, and the
   references of a whole batch (customers, org units, managers, substations, lines, existing
   records) are looked up with one IN query each, never per row;
3. a dry run stops there. A commit writes each clean batch with bulk_create / bulk_update
   (and their simple-history records, by the actor) inside ONE transaction; if any row of the
   file has an error the transaction is rolled back, so nothing is written;
4. after the writes, one timeline event per touched customer and the data-quality rules for
   the touched customers (evaluated once, not per save): a customers import evaluates each
   batch's customers right after writing them, new ones from the values it holds
   (`quality.evaluate_new`); the other kinds evaluate every touched customer at the end (or in
   a job right after the commit when they are many: `quality_inline_rows`).
   A large customers import on PostgreSQL writes its batches in a thread on a connection of its
   own (`ImportWriter`, foreign keys checked as it writes) while its own thread checks the next
   batch, makes the new customers' ids and rows and hands them on; two more threads
   (`QualityWriter`) evaluate the new customers and write their findings, tasks and timeline
   events, taking the batches in turn. Nothing commits until the file is clean; the customers
   commit first, then the others side by side (docs/decisions/0024).
Upserts are idempotent: a row that changes nothing counts as unchanged and writes nothing.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path, PurePath
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from powerkam.core import leases
from powerkam.core.scoping import customer_scope_q, visible_customers
from powerkam.core.workqueue import (
    allocate_ids,
    copy_rows,
    insert_history_rows,
    insert_history_rows_many,
)
from powerkam.customers import quality
from powerkam.customers import services as customer_services
from powerkam.customers.models import (
    Contact,
    Customer,
    MeteringPoint,
    Substation,
    SupplyContract,
    SupplyLine,
    SupplyPoint,
    TimelineEvent,
    Transformer,
    ratio_factor,
)
from powerkam.customers.selectors import usable_substations
from powerkam.org.models import PORTFOLIO_ROLES, SUBTREE_ROLES, OrgUnit, Staff
from powerkam.org.selectors import manager_choices

from . import columns as cols
from .columns import (
    COLUMNS,
    CUSTOMER_NUMBER_REF,
    KIND_LABELS,
    KINDS,
    NOT_GIVEN,
    SUPPLY_CONTRACT_COLUMNS,
    ColumnSpec,
    cell_text,
    header_index,
    normalize_header,
)
from .models import ImportJob
from .readers import (
    FileRefused,
    FormulaCell,
    RowSource,
    check_size,
    estimate_rows,
    file_format,
    file_size,
    max_rows,
    open_source,
    too_many_rows,
)
from .registry import get_kind, is_kind, kind_names, register_kind

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
WRITE_BATCH_SIZE = 500
MAX_ERRORS_KEPT = 10_000  # errors counted beyond this are summarised, not listed
PREVIEW_ROWS = 20
TIMELINE_KIND = "archive.imported"

ProgressCallback = Callable[[int, int], None]

# Parsers whose result depends on the cell text only: a file repeats the same few values
# (大工业, 10kV, 是, dates…), so each distinct text is parsed once per column and file.
MEMO_PARSERS = frozenset((cols.parse_choice, cols.parse_bool, cols.parse_date, cols.parse_decimal,
                          cols.parse_positive_int))
MEMO_SIZE = 5000


@dataclass
class RowError:
    row: int  # spreadsheet row number (the header is row 1); 0 for the file as a whole
    column: str  # the column header as written in the file; "" for the file or the whole row
    message: str


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    headers: list[str] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    committed: bool = False  # True only when the rows were written
    # Large imports: the data-quality rules run in a background job right after the commit
    # (quality_inline_rows); these are the customers it evaluates.
    quality_deferred: bool = False
    quality_customer_ids: list[int] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and not self.errors

    def add_error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(row, str(column), str(message)))

    def summary(self, max_errors: int = 200) -> dict[str, Any]:
        """A JSON-able digest kept on the ImportJob and returned by the API."""
        return {
            "kind": self.kind, "dry_run": self.dry_run, "ok": self.ok, "committed": self.committed,
            "total_rows": self.total_rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "error_count": self.error_count,
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors[:max_errors]],
            "headers": self.headers, "preview": self.preview,
            "quality_deferred": self.quality_deferred,
        }


@dataclass
class Plan:
    """What one valid row will do."""

    row: int
    action: str  # "create" | "update" | "unchanged"
    obj: models.Model
    changed: list[str] = field(default_factory=list)
    customer_id: int | None = None


@dataclass(frozen=True)
class BoundColumn:
    index: int  # position in the file's rows
    header: str  # as written in the file
    spec: ColumnSpec


def map_headers(kind: str, headers: list[str]) -> list[BoundColumn]:
    """Match the file's header row to the kind's columns (Chinese or English headers).
    Raises FileRefused naming unknown, duplicated and missing columns."""
    index = header_index(kind)
    bound: list[BoundColumn] = []
    seen: dict[str, str] = {}
    unknown, twice = [], []
    for i, header in enumerate(headers):
        if not normalize_header(header):
            continue
        spec = index.get(normalize_header(header))
        if spec is None:
            unknown.append(header)
        elif spec.field in seen:
            twice.append(header)
        else:
            seen[spec.field] = header
            bound.append(BoundColumn(i, header, spec))
    problems = []
    if unknown:
        problems.append(_("Unknown columns: %(columns)s. Use the column names of the template (its second sheet "
                          "explains each column).") % {"columns": "、".join(unknown)})
    if twice:
        problems.append(_("Columns given more than once: %(columns)s.") % {"columns": "、".join(twice)})
    missing = [s.zh for s in get_kind(kind).columns if s.required and s.field not in seen]
    if missing:
        problems.append(_("Missing required columns: %(columns)s.") % {"columns": "、".join(missing)})
    if problems:
        raise FileRefused(" ".join(problems))
    return bound


# ---------------------------------------------------------------------------- importers

class Importer:
    """Validates batches of rows and writes the valid plans. One subclass per kind."""

    model: type[models.Model]

    def __init__(self, kind: str, *, actor: Staff | None, columns: list[BoundColumn], filename: str,
                 result: ImportResult):
        self.kind = kind
        self.actor = actor if actor is not None and actor.pk else None
        self.columns = columns
        self.filename = filename
        self.result = result
        self.headers = {col.spec.field: col.header for col in columns}
        self.touched: set[int] = set()
        self.timeline_done: set[int] = set()
        self._timeline: tuple | None = None
        self.change_reason = (_("Imported from %(file)s") % {"file": filename})[:100]
        # (index, header, field, parser, spec, required, plain text?, max length, memo or None) per column
        self._cell_plan = [
            (c.index, c.header, c.spec.field, c.spec.parse, c.spec, c.spec.required, c.spec.parse is cols.parse_text,
             c.spec.max_length, {} if c.spec.parse in MEMO_PARSERS else None)
            for c in columns]

    # -- helpers
    def header(self, field_name: str) -> str:
        if field_name in self.headers:
            return self.headers[field_name]
        for spec in get_kind(self.kind).columns:
            if spec.field == field_name:
                return spec.zh
        try:
            return str(self.model._meta.get_field(field_name).verbose_name)
        except Exception:  # noqa: BLE001
            return field_name

    def error(self, row: int, field_name: str, message: str) -> None:
        self.result.add_error(row, self.header(field_name) if field_name else "", message)

    def parse_row(self, row: int, values: list[Any]) -> tuple[dict[str, Any], bool]:
        """Parse every cell; returns ({field: value}, ok). Empty cells are left out (NOT_GIVEN).

        Runs once per cell of the file, so the per-column decisions are made once (`_cell_plan`):
        a text cell within its length is its stripped text without calling parse_text, and the
        parsers of repeated values (choices, yes/no, dates, numbers) are memoised per column."""
        parsed: dict[str, Any] = {}
        ok = True
        width = len(values)
        add_error = self.result.add_error
        for index, header, name, parse, spec, required, plain_text, max_length, memo in self._cell_plan:
            raw = values[index] if index < width else None
            if type(raw) is str:
                text = raw.strip()
                if not text:
                    if required:
                        add_error(row, header, _("This column is required."))
                        ok = False
                    continue
                if plain_text and (not max_length or len(text) <= max_length):
                    parsed[name] = text
                    continue
            elif raw is None:
                if required:
                    add_error(row, header, _("This column is required."))
                    ok = False
                continue
            elif isinstance(raw, FormulaCell):
                add_error(row, header, _("Formulas are not accepted (“%(formula)s”): paste the values only.")
                          % {"formula": raw.text[:50]})
                ok = False
                continue
            elif isinstance(raw, str) and not raw.strip():
                if required:
                    add_error(row, header, _("This column is required."))
                    ok = False
                continue
            if memo is not None and type(raw) is str:
                hit = memo.get(raw)
                if hit is None:
                    try:
                        hit = (parse(raw, spec), None)
                    except ValueError as exc:
                        hit = (None, str(exc))
                    if len(memo) < MEMO_SIZE:
                        memo[raw] = hit
                value, message = hit
            else:
                try:
                    value, message = parse(raw, spec), None
                except ValueError as exc:
                    value, message = None, str(exc)
            if message is None:
                parsed[name] = value
            else:
                add_error(row, header, message)
                ok = False
        return parsed, ok

    def visible(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset if self.actor is None else visible_customers(self.actor, queryset)

    def customers_by_number(self, numbers: Iterable[str], *, fields: Iterable[str] = ()) -> dict[str, Customer]:
        """{number: Customer} of the customers the actor may see, in one query (chunked by BATCH_SIZE).
        A number that is missing or outside the actor's scope is absent."""
        numbers = sorted({n for n in numbers if n})
        only = ("id", "number", "name", "lifecycle_status", "org_unit_id", *fields)
        found: dict[str, Customer] = {}
        for start in range(0, len(numbers), BATCH_SIZE):
            chunk = numbers[start:start + BATCH_SIZE]
            found.update((c.number, c) for c in self.visible(Customer.objects.filter(number__in=chunk)).only(*only))
        return found

    def parse_batch(self, batch) -> tuple[list[tuple[int, list[Any], dict[str, Any], bool]], dict[str, Customer]]:
        """Every row of a batch parsed — (row, cells, parsed, ok) — and the customers the rows name
        by number (customers_by_number: one query)."""
        rows = [(row, cells, *self.parse_row(row, cells)) for row, cells in batch]
        customers = self.customers_by_number(p[CUSTOMER_NUMBER_REF] for _r, _c, p, _ok in rows
                                             if CUSTOMER_NUMBER_REF in p)
        return rows, customers

    @staticmethod
    def apply(obj: models.Model, values: dict[str, Any], fields: Iterable[str]) -> list[str]:
        """Set values on obj; return the names of the fields that really changed."""
        changed = []
        for name in fields:
            if name not in values or values[name] is NOT_GIVEN:
                continue
            value = values[name]
            if isinstance(value, models.Model):
                if getattr(obj, f"{name}_id") != value.pk:
                    setattr(obj, name, value)
                    changed.append(name)
            elif getattr(obj, name) != value:
                setattr(obj, name, value)
                changed.append(name)
        return changed

    def preview(self, row: int, action: str, values: list[Any]) -> None:
        if len(self.result.preview) < PREVIEW_ROWS:
            width = len(values)
            self.result.preview.append({
                "row": row, "action": action,
                "cells": [cell_text(values[c.index]) if c.index < width else "" for c in self.columns],
            })

    # -- the two steps
    def validate(self, batch: list[tuple[int, list[Any]]]) -> list[Plan]:
        raise NotImplementedError

    def write(self, plans: list[Plan]) -> None:
        creates = [p.obj for p in plans if p.action == "create"]
        updates = [p for p in plans if p.action == "update"]
        audited = hasattr(self.model, "history")
        actor_id = self.actor.pk if self.actor else None
        if creates:
            self.model.objects.bulk_create(creates, batch_size=WRITE_BATCH_SIZE)
            if audited:
                self._history(creates, "+", actor_id)
        if updates:
            fields = sorted({f for p in updates for f in p.changed})
            objs = [p.obj for p in updates]
            self.model.objects.bulk_update(objs, fields, batch_size=WRITE_BATCH_SIZE)
            if audited:
                self._history(objs, "~", actor_id)
        for p in plans:  # created customers got their primary key from bulk_create
            if p.customer_id is None and isinstance(p.obj, Customer):
                p.customer_id = p.obj.pk
        touched = {p.customer_id for p in plans if p.action != "unchanged" and p.customer_id}
        self.touched |= touched
        self.add_timeline(touched - self.timeline_done)

    def _history(self, objs: list[models.Model], history_type: str, actor_id: int | None) -> None:
        """History rows of rows just written, copied by the database (workqueue.insert_history_rows),
        by the actor with the file name as the reason."""
        if objs and objs[0].pk is None:  # Django returns ids from bulk inserts on PostgreSQL and SQLite ≥ 3.35
            raise RuntimeError("The database returned no ids from a bulk insert (PostgreSQL or SQLite ≥ 3.35 needed).")
        insert_history_rows(self.model, [o.pk for o in objs], user_id=actor_id, reason=self.change_reason,
                            history_type=history_type)

    def add_timeline(self, customer_ids: set[int]) -> None:
        if not customer_ids:
            return
        self.write_timeline(sorted(customer_ids))
        self.timeline_done |= customer_ids

    def write_timeline(self, customer_ids: list[int]) -> None:
        """One "imported" timeline event per customer, on the calling thread's connection."""
        if not customer_ids:
            return
        if self._timeline is None:  # the texts in the import's language, made once
            who = self.actor.display_name if self.actor else _("the system")
            self._timeline = ((_("Imported by %(user)s from file %(file)s") % {"user": who, "file": self.filename})[:200],
                              str(get_kind(self.kind).label), self.actor.pk if self.actor else None)
        title, detail, actor_id = self._timeline
        now = timezone.now()
        copy_rows(TimelineEvent, ("customer_id", "kind", "occurred_at", "title", "detail", "actor_id"),
                  [(cid, TIMELINE_KIND, now, title, detail, actor_id) for cid in customer_ids])

    def start(self, source: RowSource, *, write: bool) -> None:
        """Called once before the first row, outside the import's transaction."""

    def before_commit(self) -> None:
        """Called in the import's transaction after the last row was written, before `finish`."""

    def close(self, *, committed: bool) -> None:
        """Called once the import's transaction is over, committed or not, whatever happened."""

    def finish(self) -> None:
        """Evaluate the data-quality rules once for every touched customer."""
        quality.evaluate_bulk(self.touched)

    def quality_after_commit(self) -> list[int] | None:
        """The customers whose data-quality rules may be evaluated by a background job right after
        the commit instead of inside it (more than quality_inline_rows() of them, and the
        standard `finish`); None: run `finish` in the import's transaction."""
        if type(self).finish is not Importer.finish or len(self.touched) <= quality_inline_rows():
            return None
        return sorted(self.touched)


def parallel_quality_rows() -> int:
    """Customers imports of at least this many rows (PostgreSQL) run the data-quality pass of
    their new customers on a second connection, beside the import (QualityWriter)."""
    return int(getattr(settings, "POWERKAM_IMPORT_PARALLEL_QUALITY_ROWS", 2000))


def quality_writer_count() -> int:
    """How many data-quality writers (QualityWriter) a large customers import uses, at least one."""
    return max(1, int(getattr(settings, "POWERKAM_IMPORT_QUALITY_WRITERS", 2)))


def parallel_write_rows() -> int:
    """Customers imports of at least this many rows (PostgreSQL) write their batches on a
    connection of their own, in a thread (ImportWriter), while the import's thread reads and
    checks the next batch."""
    return int(getattr(settings, "POWERKAM_IMPORT_PARALLEL_WRITE_ROWS", 2000))


class ConnectionThread:
    """A thread with a database connection of its own and one transaction on it, fed items
    through a small queue and handling them in order (`handle`); the caller decides at the end
    whether that transaction commits (`finish`). An exception in `handle` stops the handling
    (later items are skipped) and is raised again to the caller by `submit` and `drain`."""

    name = "import-thread"
    queue_size = 4  # the caller waits when it is this many items ahead

    def __init__(self):
        from django.urls import get_script_prefix

        # The thread works as the import's own thread would: same language, time zone, URL prefix.
        self.language = translation.get_language()
        self.zone = timezone.get_current_timezone()
        self.script_prefix = get_script_prefix()
        self.batches: queue.Queue = queue.Queue(maxsize=self.queue_size)
        self.decided = threading.Event()
        self.commit = False
        self.committed = False
        self.error: BaseException | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()
        self.ready.wait(60)
        if self.error is not None or not self.ready.is_set():  # no second connection: the caller goes without
            self.finish(commit=False)
            raise RuntimeError(f"no second database connection for {self.name}: {self.error}")

    def handle(self, item) -> None:
        raise NotImplementedError

    def begin(self) -> None:
        """Called in the thread's transaction before the first item."""

    def _put(self, item) -> None:
        while True:
            if not self.thread.is_alive():
                raise self.error or RuntimeError(f"{self.name} stopped")
            try:
                self.batches.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def submit(self, item) -> None:
        if self.error is not None:
            raise self.error
        self._put(item)

    def drain(self) -> None:
        """Wait until every item submitted is handled (written, not committed); raise what failed."""
        done = threading.Event()
        self._put(done)
        while not done.wait(0.5) and self.thread.is_alive():
            pass
        if self.error is not None:
            raise self.error

    def finish(self, *, commit: bool) -> bool:
        """Commit or roll back; True if committed."""
        self.decide(commit=commit)
        return self.wait()

    def decide(self, *, commit: bool) -> None:
        """Tell the thread to commit or roll back, without waiting for it (`wait`); only the
        first decision counts."""
        if self.decided.is_set():
            return
        self.commit = commit
        if self.thread.is_alive():
            try:
                self._put(None)
            except BaseException:  # noqa: BLE001 - it stopped meanwhile: nothing to tell it
                pass
        self.decided.set()

    def wait(self) -> bool:
        """Wait until the thread has committed or rolled back; True if committed."""
        self.thread.join()
        return self.committed

    def _run(self) -> None:
        from django.db import connection
        from django.urls import set_script_prefix

        set_script_prefix(self.script_prefix)
        try:
            connection.ensure_connection()
            self.ready.set()
            with (translation.override(self.language), timezone.override(self.zone), quality.suspended(),
                  transaction.atomic()):
                self.begin()
                while (item := self.batches.get()) is not None:
                    if isinstance(item, threading.Event):
                        item.set()
                    elif self.error is None:
                        try:
                            self.handle(item)
                        except BaseException as exc:  # noqa: BLE001 - told to the caller (drain, submit)
                            self.error = exc
                self.decided.wait()
                if not self.commit or self.error is not None:
                    transaction.set_rollback(True)
            self.committed = self.commit and self.error is None
        except BaseException as exc:  # noqa: BLE001 - e.g. its commit refused: finish() says so
            if not isinstance(exc, IntegrityError):
                logger.exception("%s of an import failed", self.name)
            self.error = self.error or exc
            self.committed = False
        finally:
            self.ready.set()  # (when it failed before: the constructor stops waiting)
            connection.close()


class QualityWriter(ConnectionThread):
    """The data-quality pass of a customers import's new rows (`quality.evaluate_new`: findings,
    one task per customer, their history) and their timeline events, on a database connection of
    its own, in a thread, while the import goes on writing the next batches: on PostgreSQL the
    rules and those writes run beside the customers' own writes instead of after them. A large
    import has two of them (`quality_writer_count`), taking the batches in turn.

    Its transaction commits only once the customers are committed (`decide(commit=True)` from
    `CustomerImporter.before_commit`): the foreign keys of its rows, checked at commit, then find
    the customers; if the import rolls back, so does it — and a commit in the wrong order could
    not pass those checks anyway. Between the two commits the new customers have no findings or
    timeline yet; should its own commit fail, the importer writes what it held again
    (`CustomerImporter.close`)."""

    name = "import-quality"

    def __init__(self, importer: CustomerImporter):
        self.importer = importer
        self.customer_ids: list[int] = []  # what it was given: written again if its commit fails
        self.timeline_ids: list[int] = []
        super().__init__()

    def begin(self) -> None:
        """Its rows' foreign keys to anything but the customers (staff, org units) are checked as
        they are written (`SET CONSTRAINTS … IMMEDIATE`), while the import goes on, instead of in
        its commit: only the checks of the new customers — not visible to this transaction
        before the import commits — wait for the commit, which is after the last batch, when
        nothing else runs beside it (decision record 0025)."""
        from django.db import connection

        if connection.vendor != "postgresql":
            return
        from powerkam.core.models import Task
        from powerkam.customers.models import DataQualityFinding, TimelineEvent

        tables = [m._meta.db_table for m in (DataQualityFinding, Task, Task.history.model, TimelineEvent)]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT format('%%I.%%I', n.nspname, c.conname) FROM pg_constraint c "
                "JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND c.condeferrable "
                "AND c.conrelid = ANY(%s::regclass[]) AND c.confrelid <> %s::regclass ORDER BY 1",
                [tables, Customer._meta.db_table])
            names = [row[0] for row in cursor.fetchall()]
            if names:
                cursor.execute(f"SET CONSTRAINTS {', '.join(names)} IMMEDIATE")

    def give(self, customers: list[dict], timeline_ids: list[int]) -> None:
        """Called by the import's thread."""
        self.submit((customers, timeline_ids))
        self.customer_ids += [c["id"] for c in customers]
        self.timeline_ids += timeline_ids

    def handle(self, item: tuple[list[dict], list[int]]) -> None:
        """New customers just written by the import ({attname: value} with "id") and the ids of
        the customers whose "imported" timeline events it writes."""
        customers, timeline_ids = item
        quality.evaluate_new(customers)
        self.importer.write_timeline(timeline_ids)


class ImportWriter(ConnectionThread):
    """A customers import's writes (`CustomerImporter.write_batch`: the customers by COPY, their
    history and timeline, the data-quality pass of changed ones) on a connection of their own,
    in a thread, while the import's thread parses, checks and looks up the next batch on its own
    connection: on PostgreSQL the COPY of one batch runs in the server while Python works on the
    next one (round 6 of docs/performance.md). All or nothing as before: every batch is written
    in this thread's one transaction, committed by the importer once the whole file is clean
    (`before_commit`), rolled back otherwise; what fails in it is raised in the import's thread.

    The import's thread reads on its own connection, so it does not see the rows this one has
    not committed yet: a customer number given twice in the file is an error all the same (the
    importer remembers the numbers it has seen), whichever batch the first one was in."""

    name = "import-writer"
    queue_size = 2

    def __init__(self, importer: CustomerImporter):
        self.importer = importer
        super().__init__()

    def begin(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def handle(self, item: tuple[list[Plan], list[tuple]]) -> None:
        plans, rows = item
        self.importer.write_batch(plans, rows)


class CustomerImporter(Importer):
    model = Customer
    FIELDS = tuple(s.field for s in COLUMNS["customers"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen_numbers: dict[str, int] = {}
        self.quality_writers: list[QualityWriter] = []
        self.quality_turn = 0
        self.import_writer: ImportWriter | None = None
        self.org_units: dict[str, OrgUnit | None] = {}
        self.staff: dict[str, Staff | None] = {}
        self.scope_path = self._scope_path()
        # What a new row is made of: every concrete column but the id, with the model's defaults.
        fields = [f for f in Customer._meta.concrete_fields if not f.primary_key]
        self.new_attnames = [f.attname for f in fields]
        self.new_columns = [f.column for f in fields]
        self.new_defaults = {f.attname: f.get_default() for f in fields}

    def _scope_path(self) -> str | None | bool:
        """None: any org unit; a path: that subtree; False: none (no subtree role)."""
        if self.actor is None or customer_scope_q(self.actor) is None:
            return None
        if self.actor.role in SUBTREE_ROLES and self.actor.org_unit_id:
            return self.actor.org_unit.path
        return False

    def _load(self, cache: dict, keys: set[str], fetch: Callable[[list[str]], Iterable[tuple[str, Any]]]) -> None:
        missing = [k for k in keys if k not in cache]
        for start in range(0, len(missing), BATCH_SIZE):
            chunk = missing[start:start + BATCH_SIZE]
            found = dict(fetch(chunk))
            for key in chunk:
                cache[key] = found.get(key)

    def validate(self, batch):
        rows = []
        for row, values in batch:
            parsed, ok = self.parse_row(row, values)
            rows.append((row, values, parsed, ok))
        numbers = {p["number"] for _r, _v, p, _ok in rows if "number" in p}
        codes = {p["org_unit"] for _r, _v, p, _ok in rows if "org_unit" in p}
        usernames = {p[f] for _r, _v, p, _ok in rows for f in ("primary_manager", "secondary_manager") if f in p}
        existing = {c.number: c for c in Customer.objects.filter(number__in=numbers)
                    .select_related("primary_manager", "secondary_manager")}
        visible = set(self.visible(Customer.objects.filter(number__in=list(existing))).values_list("pk", flat=True))
        self._load(self.org_units, codes, _org_units_by_code_or_name)
        self._load(self.staff, usernames,
                   lambda chunk: ((s.username, s) for s in Staff.objects.filter(username__in=chunk)))

        plans = []
        for row, values, parsed, ok in rows:
            number = parsed.get("number")
            if number is not None:
                first = self.seen_numbers.setdefault(number, row)
                if first != row:
                    self.error(row, "number", _("Customer number %(number)s appears more than once in the file "
                                                "(first on row %(row)s).") % {"number": number, "row": first})
                    ok = False
            current = existing.get(number) if number else None
            ok = self._resolve_references(row, parsed, current) and ok
            if current is not None and current.pk not in visible:
                self.error(row, "number", _("Customer %(number)s exists but is outside your scope; you cannot "
                                            "change it.") % {"number": number})
                ok = False
            if not ok:
                continue
            plan = self._plan(row, parsed, current)
            if plan is not None:
                plans.append(plan)
                self.preview(row, plan.action, values)
        return plans

    def _manager_ids(self) -> set[int] | None:
        """Who the actor may make a manager: the edit page's choices (org.selectors.manager_choices)."""
        if self.actor is None:
            return None
        if not hasattr(self, "_managers"):
            self._managers = set(manager_choices(self.actor).values_list("pk", flat=True))
        return self._managers

    def _resolve_references(self, row: int, parsed: dict[str, Any], current: Customer | None = None) -> bool:
        ok = True
        if "org_unit" in parsed:
            code = parsed["org_unit"]
            unit = self.org_units.get(code)
            if unit is None:
                self.error(row, "org_unit", _("Unknown org unit “%(code)s”: give its code or its name (the codes are "
                                              "listed on the template's sheet “%(sheet)s”).") % {
                    "code": code, "sheet": ORG_UNIT_SHEET})
                ok = False
            elif unit is AMBIGUOUS:
                self.error(row, "org_unit", _("More than one org unit is named “%(code)s”: give its code instead.") % {
                    "code": code})
                ok = False
            elif self.scope_path is False or (self.scope_path and not unit.path.startswith(self.scope_path)):
                self.error(row, "org_unit", _("Org unit %(code)s is outside your unit; you cannot import customers "
                                              "into it.") % {"code": code})
                ok = False
            else:
                parsed["org_unit"] = unit
        for name in ("primary_manager", "secondary_manager"):
            if name not in parsed:
                continue
            username = parsed[name]
            person = self.staff.get(username)
            allowed = self._manager_ids()
            kept = current is not None and person is not None and person.pk in (
                current.primary_manager_id, current.secondary_manager_id)
            if (person is not None and person.role in PORTFOLIO_ROLES and allowed is not None
                    and person.pk not in allowed and not kept):
                person = None  # out of the actor's scope: "unknown", as for a name that does not exist
            if person is None or not person.is_active:
                self.error(row, name, _("Unknown user “%(username)s”.") % {"username": username})
                ok = False
            elif person.role not in PORTFOLIO_ROLES:
                self.error(row, name, _("%(username)s is not a key account manager or specialist.")
                           % {"username": username})
                ok = False
            else:
                parsed[name] = person
        return ok

    def _plan(self, row: int, parsed: dict[str, Any], current: Customer | None) -> Plan | None:
        if current is None:
            return self._plan_create(row, parsed)
        obj = current
        changed = self.apply(obj, parsed, self.FIELDS)
        if not changed:
            self.result.unchanged += 1
            return Plan(row, "unchanged", obj, customer_id=obj.pk)
        if current.is_closed and obj.is_closed:
            self.error(row, "number", _("Customer %(number)s is closed; reopen it before changing it.")
                       % {"number": current.number})
            return None
        obj.updated_at = timezone.now()
        changed.append("updated_at")
        if not self._portfolio_ok(row, obj):
            return None
        self.result.updated += 1
        return Plan(row, "update", obj, changed, customer_id=obj.pk)

    def _plan_create(self, row: int, parsed: dict[str, Any]) -> Plan | None:
        """A new customer as {attname: value} (the model's defaults, then the file's cells), written
        by `write` with COPY: no model instance per row."""
        values = dict(self.new_defaults)
        objects = {}
        for name, value in parsed.items():
            if isinstance(value, models.Model):
                values[f"{name}_id"] = value.pk
                objects[name] = value
            else:
                values[name] = value
        # 谁开发，谁维护: the importing user developed the new customer.
        if self.actor is not None:
            values["developed_by_id"] = self.actor.pk
            if "primary_manager" not in parsed and self.actor.role in PORTFOLIO_ROLES:
                values["primary_manager_id"] = self.actor.pk
                objects["primary_manager"] = self.actor
        checked = SimpleNamespace(**values, primary_manager=objects.get("primary_manager"),
                                  secondary_manager=objects.get("secondary_manager"))
        if not self._portfolio_ok(row, checked):
            return None
        self.result.created += 1
        return Plan(row, "create", values)

    def _portfolio_ok(self, row: int, customer) -> bool:
        """The portfolio rules of the customer form (customers.services._check_portfolio)."""
        try:
            customer_services._check_portfolio(customer)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    self.error(row, name if name != "__all__" else "", message)
            return False
        return True

    def write(self, plans: list[Plan]) -> None:
        """The batch's writes: handed to the import's writer thread when it has one (ImportWriter:
        the next batch is read and checked meanwhile), else made here.

        With a writer thread, the writer's connection is the import's critical path (round 8 of
        docs/performance.md): what needs no row it has written is done here, in the import's own
        thread and connection, which would otherwise wait for it — the new customers' ids and
        COPY rows, their timeline events (their foreign keys are checked when this transaction
        commits, after the writer's), and handing them to the data-quality writers."""
        if self.import_writer is None:
            self.write_batch(plans)
            return
        creates = [p for p in plans if p.action == "create"]
        rows = self._new_rows(creates)
        self.import_writer.submit((plans, rows))
        self._after_write(plans, creates)

    def write_batch(self, plans: list[Plan], rows: list[tuple] | None = None) -> None:
        """New customers by COPY (PostgreSQL; executemany on SQLite) with their ids reserved
        beforehand (`workqueue.allocate_ids`: nothing read back); changed ones by bulk_update;
        history rows by INSERT … SELECT; one timeline event each; then the data-quality rules of
        the batch's customers (findings and one task per customer, written in bulk).
        `rows`: the writer thread's call, with the new customers' rows made by `write`, which
        also writes their timeline and hands them to the data-quality pass."""
        in_writer = rows is not None
        creates = [p for p in plans if p.action == "create"]
        updates = [p for p in plans if p.action == "update"]
        actor_id = self.actor.pk if self.actor else None
        if creates:
            if not in_writer:
                rows = self._new_rows(creates)
            if creates[0].customer_id is not None:
                copy_rows(Customer, ["id", *self.new_columns], rows)
            else:  # a database without allocate_ids: the ids are read back by number
                copy_rows(Customer, self.new_columns, rows)
                ids = dict(Customer.objects.filter(number__in=[p.obj["number"] for p in creates])
                           .values_list("number", "pk"))
                for p in creates:
                    p.customer_id = p.obj["id"] = ids[p.obj["number"]]
            insert_history_rows_many(Customer, [p.customer_id for p in creates], user_id=actor_id,
                                     reason=self.change_reason, history_type="+", when=creates[0].obj["created_at"])
        if updates:
            fields = sorted({f for p in updates for f in p.changed})
            objs = [p.obj for p in updates]
            Customer.objects.bulk_update(objs, fields, batch_size=WRITE_BATCH_SIZE)
            self._history(objs, "~", actor_id)
        if not in_writer:
            self._after_write(plans, creates)
        if updates:  # read back from the database: on the connection that changed them
            quality.evaluate_bulk(p.customer_id for p in updates)

    def _new_rows(self, creates: list[Plan]) -> list[tuple]:
        """The COPY rows of the batch's new customers, with ids reserved for them when the
        database can (then each plan's customer_id is set)."""
        if not creates:
            return []
        now = timezone.now()
        attnames = self.new_attnames
        for p in creates:
            p.obj["created_at"] = p.obj["updated_at"] = now
        given = allocate_ids(Customer, len(creates))
        if given is None:
            return [tuple([p.obj[a] for a in attnames]) for p in creates]
        for pk, p in zip(given, creates, strict=True):
            p.customer_id = p.obj["id"] = pk
        return [(p.customer_id, *[p.obj[a] for a in attnames]) for p in creates]

    def _after_write(self, plans: list[Plan], creates: list[Plan]) -> None:
        """The batch's timeline events, then the data-quality rules of its new customers.

        The data-quality rules run batch by batch inside the import's transaction: a row of the
        file is its customer's only change in this import (a number given twice is an error), so
        the customer's findings are final once its batch is written. New customers are evaluated
        from the values just written (nothing read back), changed ones from the database
        (`write_batch`). With data-quality writers, a new customer's timeline event goes with its
        findings (the writer that takes the batch writes both)."""
        touched = {p.customer_id for p in plans if p.action != "unchanged" and p.customer_id}
        self.touched |= touched
        if creates and self.quality_writers:
            timeline = sorted({p.customer_id for p in creates} - self.timeline_done)
            self.timeline_done.update(timeline)
            self.quality_turn += 1
            self.quality_writers[self.quality_turn % len(self.quality_writers)].give([p.obj for p in creates], timeline)
        self.add_timeline(touched - self.timeline_done)
        if creates and not self.quality_writers:
            quality.evaluate_new(p.obj for p in creates)

    def start(self, source: RowSource, *, write: bool) -> None:
        from django.db import connection

        if (write and connection.vendor == "postgresql" and not connection.in_atomic_block
                and source.total >= parallel_quality_rows()):
            try:
                for _n in range(quality_writer_count()):
                    self.quality_writers.append(QualityWriter(self))
            except RuntimeError:  # e.g. no connection left: the pass runs in the import's own
                logger.warning("import %s: data-quality pass inside the import", self.filename, exc_info=True)
        if (write and connection.vendor == "postgresql" and not connection.in_atomic_block
                and source.total >= parallel_write_rows()):
            try:
                self.import_writer = ImportWriter(self)
            except RuntimeError:  # e.g. no connection left: the import writes on its own connection
                logger.warning("import %s: writes on the import's own connection", self.filename, exc_info=True)

    def before_commit(self) -> None:
        """Every batch written; the writer thread's transaction (the customers) commits now, before
        the data-quality writer's (whose foreign keys need the customers). Its failure (e.g. a
        customer number inserted meanwhile by someone else: IntegrityError) is raised here, in the
        import's transaction, as if that transaction had failed itself."""
        if self.import_writer is not None:
            self.import_writer.drain()
        for writer in self.quality_writers:
            writer.drain()
        if self.import_writer is not None:
            writer, self.import_writer = self.import_writer, None
            if not writer.finish(commit=True):
                raise writer.error or RuntimeError("the import's writes did not commit")
            # The customers are in: the data-quality writers commit now, beside this transaction's
            # own commit (its timeline events), not after it.
            for quality_writer in self.quality_writers:
                quality_writer.decide(commit=True)

    def close(self, *, committed: bool) -> None:
        import_writer, self.import_writer = self.import_writer, None
        if import_writer is not None:  # the file had an error, or the import failed: nothing is written
            import_writer.finish(commit=False)
        writers, self.quality_writers = self.quality_writers, []
        for writer in writers:  # their commits (each checking its rows' foreign keys) run side by side
            writer.decide(commit=committed)  # (no-op for those told to commit by before_commit)
        failed = [writer for writer in writers if not writer.wait()]
        if failed and committed:
            # The import is in, what these writers held is not: their new customers' findings
            # and timeline events are written again, now.
            logger.error("the data-quality pass of import %s did not commit; evaluating again", self.filename)
            for writer in failed:
                quality.evaluate_bulk(writer.customer_ids)
                self.write_timeline(writer.timeline_ids)

    def finish(self) -> None:
        """Nothing left: `write` evaluated the data-quality rules of each batch's customers."""


class ChildImporter(Importer):
    """Records that hang off a customer, matched to existing ones by a natural key."""

    FIELDS: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen_keys: dict[tuple, int] = {}
        if not type(self).FIELDS:
            self.FIELDS = tuple(s.field for s in get_kind(self.kind).columns if s.field != CUSTOMER_NUMBER_REF)

    # The natural key within a customer, as plain fields (("number",), ("name", "mobile")); a kind
    # whose key is not plain fields (a transformer: its supply point and name) overrides the three
    # methods below instead.
    KEY_FIELDS: tuple[str, ...] = ()

    def key_of_values(self, customer_id: int, values: dict[str, Any]) -> tuple:
        if not self.KEY_FIELDS:
            raise NotImplementedError
        return (customer_id, *(values.get(f, "") for f in self.KEY_FIELDS))

    def key_of_record(self, record: models.Model) -> tuple:
        if not self.KEY_FIELDS:
            raise NotImplementedError
        return (record.customer_id, *(getattr(record, f) for f in self.KEY_FIELDS))

    def describe_key(self, values: dict[str, Any]) -> str:
        if not self.KEY_FIELDS:
            raise NotImplementedError
        return " ".join(str(values.get(f, "")) for f in self.KEY_FIELDS).strip()

    def load_references(self, customer_ids: set[int], rows) -> None:
        """Batch look-ups a kind needs besides customers and existing records."""

    def resolve(self, row: int, customer: Customer, values: dict[str, Any]) -> bool:
        """Turn reference columns into objects; report errors. Returns ok."""
        return True

    def existing_queryset(self, customer_ids: set[int], rows) -> models.QuerySet:
        """The records a row of the batch may update (narrow it, e.g. by number, when customers have many)."""
        return self.model.objects.filter(customer_id__in=customer_ids)

    def new_record(self, customer: Customer, values: dict[str, Any]) -> models.Model:
        obj = self.model(customer=customer)
        self.apply(obj, values, self.FIELDS)
        return obj

    def validate(self, batch):
        rows, customers = self.parse_batch(batch)
        ids = {c.pk for c in customers.values()}
        existing: dict[tuple, models.Model] = {}
        for record in self.existing_queryset(ids, rows).order_by("pk"):
            existing.setdefault(self.key_of_record(record), record)
        self.load_references(ids, rows)

        plans = []
        for row, values, parsed, ok in rows:
            number = parsed.get(CUSTOMER_NUMBER_REF)
            customer = customers.get(number) if number else None
            if number and customer is None:
                self.error(row, CUSTOMER_NUMBER_REF, _("Customer %(number)s does not exist or is outside your "
                                                       "scope.") % {"number": number})
                ok = False
            if customer is None or not ok:
                continue
            if customer.is_closed:
                self.error(row, CUSTOMER_NUMBER_REF, _("Customer %(number)s is closed; reopen it before changing "
                                                       "its archive.") % {"number": number})
                continue
            if not self.resolve(row, customer, parsed):
                continue
            key = self.key_of_values(customer.pk, parsed)
            first = self.seen_keys.setdefault(key, row)
            if first != row:
                self.error(row, "", _("%(record)s of customer %(number)s appears more than once in the file "
                                      "(first on row %(row)s).") % {"record": self.describe_key(parsed),
                                                                    "number": number, "row": first})
                continue
            current = existing.get(key)
            if current is None:
                obj = self.new_record(customer, parsed)
                action, changed = "create", []
                self.result.created += 1
            else:
                obj = current
                changed = self.apply(obj, parsed, self.FIELDS)
                action = "update" if changed else "unchanged"
                if changed:
                    self.result.updated += 1
                else:
                    self.result.unchanged += 1
            plans.append(Plan(row, action, obj, changed, customer_id=customer.pk))
            self.preview(row, action, values)
        return plans


class ContactImporter(ChildImporter):
    model = Contact
    KEY_FIELDS = ("name", "mobile")


class SupplyPointRefs:
    """Supply points of the batch's customers, by name (transformers and metering points)."""

    def load_supply_points(self, customer_ids: set[int]) -> None:
        self.supply_points = {
            (cid, name): pk for cid, name, pk in
            SupplyPoint.objects.filter(customer_id__in=customer_ids).values_list("customer_id", "name", "pk")
        }

    def resolve_supply_point(self, row: int, customer: Customer, values: dict[str, Any]) -> bool:
        if "supply_point" not in values:
            return True
        pk = self.supply_points.get((customer.pk, values["supply_point"]))
        if pk is None:
            self.error(row, "supply_point", _("Customer %(number)s has no supply point “%(name)s”.")
                       % {"number": customer.number, "name": values["supply_point"]})
            return False
        values["supply_point_id"] = pk
        del values["supply_point"]
        return True


class SupplyPointImporter(ChildImporter):
    model = SupplyPoint
    KEY_FIELDS = ("name",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.FIELDS = ("name", "substation_id", "supply_line_id", "source_type", "voltage_level", "capacity_kva")
        self.substations: dict[str, int | None] = {}
        self.lines: dict[tuple[str, str], int | None] = {}

    def load_references(self, customer_ids, rows):
        names = {p["substation"] for _r, _v, p, _ok in rows if "substation" in p} - set(self.substations)
        if names:
            # The substations the supply-point form offers (customers.selectors.usable_substations).
            pickable = Substation.objects.all() if self.actor is None else usable_substations(self.actor)
            found = dict(pickable.filter(name__in=names).values_list("name", "pk"))
            self.substations.update({n: found.get(n) for n in names})
        pairs = {(p["substation"], p["supply_line"]) for _r, _v, p, _ok in rows
                 if "substation" in p and "supply_line" in p} - set(self.lines)
        if pairs:
            found_lines = {
                (sub, name): pk for sub, name, pk in SupplyLine.objects.filter(
                    substation__name__in={s for s, _n in pairs}, name__in={n for _s, n in pairs},
                ).values_list("substation__name", "name", "pk")
            }
            self.lines.update({pair: found_lines.get(pair) for pair in pairs})

    def resolve(self, row, customer, values):
        ok = True
        if "substation" in values:
            sub = values.pop("substation")
            pk = self.substations.get(sub)
            if pk is None:
                self.error(row, "substation", _("Unknown substation “%(name)s”.") % {"name": sub})
                ok = False
            else:
                values["substation_id"] = pk
            if "supply_line" in values:
                line = values.pop("supply_line")
                line_pk = self.lines.get((sub, line))
                if pk is not None and line_pk is None:
                    self.error(row, "supply_line", _("Substation %(substation)s has no supply line “%(line)s”.")
                               % {"substation": sub, "line": line})
                    ok = False
                elif line_pk is not None:
                    values["supply_line_id"] = line_pk
        elif "supply_line" in values:
            self.error(row, "supply_line", _("Give the substation of supply line “%(line)s”.")
                       % {"line": values["supply_line"]})
            ok = False
        return ok


class TransformerImporter(SupplyPointRefs, ChildImporter):
    model = Transformer

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.FIELDS = ("supply_point_id", "model_no", "serial_no", "capacity_kva", "quantity", "in_service")

    def load_references(self, customer_ids, rows):
        self.load_supply_points(customer_ids)

    def resolve(self, row, customer, values):
        return self.resolve_supply_point(row, customer, values)

    def key_of_values(self, customer_id, values):
        # A serial number identifies a transformer; without one, model and capacity do.
        if values.get("serial_no"):
            return customer_id, "serial", values["serial_no"]
        return customer_id, "model", values.get("model_no", ""), values.get("capacity_kva")

    def key_of_record(self, record):
        if record.serial_no:
            return record.customer_id, "serial", record.serial_no
        return record.customer_id, "model", record.model_no, record.capacity_kva

    def describe_key(self, values):
        return values.get("serial_no") or f"{values.get('model_no', '')} {values.get('capacity_kva', '')} kVA"


class MeteringPointImporter(SupplyPointRefs, ChildImporter):
    model = MeteringPoint
    KEY_FIELDS = ("number",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.FIELDS = ("number", "meter_no", "ct_ratio", "pt_ratio", "multiplier", "supply_point_id")

    def load_references(self, customer_ids, rows):
        self.load_supply_points(customer_ids)

    def resolve(self, row, customer, values):
        return self.resolve_supply_point(row, customer, values)

    def new_record(self, customer, values):
        obj = super().new_record(customer, values)
        if obj.multiplier is None:  # multiplier = CT × PT when not given
            ct, pt = ratio_factor(obj.ct_ratio), ratio_factor(obj.pt_ratio)
            obj.multiplier = (ct * pt).quantize(Decimal("0.01")) if ct is not None and pt is not None else Decimal("1")
        return obj


class SupplyContractImporter(ChildImporter):
    """供用电合同: upserted by contract number (unique across customers)."""

    model = SupplyContract
    KEY_FIELDS = ("number",)

    def existing_queryset(self, customer_ids, rows):
        numbers = {p["number"] for _r, _v, p, _ok in rows if "number" in p}
        return SupplyContract.objects.filter(customer_id__in=customer_ids, number__in=numbers)

    def load_references(self, customer_ids, rows):
        numbers = {p["number"] for _r, _v, p, _ok in rows if "number" in p}
        self.owners = dict(SupplyContract.objects.filter(number__in=numbers).values_list("number", "customer_id"))

    def resolve(self, row, customer, values):
        ok = True
        owner = self.owners.get(values.get("number"))
        if owner is not None and owner != customer.pk:
            self.error(row, "number", _("Contract number %(n)s belongs to another customer.") % {"n": values["number"]})
            ok = False
        start, end = values.get("valid_from"), values.get("valid_to")
        if start and end and end < start:
            self.error(row, "valid_to", _("The contract cannot end before it starts."))
            ok = False
        return ok


IMPORTERS: dict[str, type[Importer]] = {
    "customers": CustomerImporter,
    "contacts": ContactImporter,
    "supply_points": SupplyPointImporter,
    "transformers": TransformerImporter,
    "metering_points": MeteringPointImporter,
}
for _kind in KINDS:  # the archive kinds go through the same registry as every other app's
    register_kind(_kind, KIND_LABELS[_kind], COLUMNS[_kind], IMPORTERS[_kind])
register_kind("supply_contracts", gettext_lazy("Supply contracts"), SUPPLY_CONTRACT_COLUMNS, SupplyContractImporter,
              help_text=gettext_lazy("Supply contracts: number, term and property boundary, upserted by "
                                     "contract number."))


# ---------------------------------------------------------------------------- the import

def _process(importer: Importer, source: RowSource, result: ImportResult, *, write: bool,
             progress: ProgressCallback | None) -> None:
    limit = max_rows()

    def handle(batch: list[tuple[int, list[Any]]]) -> bool:
        if result.total_rows + len(batch) > limit:
            result.add_error(0, "", too_many_rows(limit))
            return False
        plans = importer.validate(batch)
        result.total_rows += len(batch)
        if write and result.ok:
            importer.write(plans)
        if progress is not None:
            progress(result.total_rows, max(source.total, result.total_rows))
        return True

    batch: list[tuple[int, list[Any]]] = []
    for item in source.rows:
        batch.append(item)
        if len(batch) >= BATCH_SIZE:
            if not handle(batch):
                return
            batch = []
    if batch and not handle(batch):
        return
    if result.total_rows == 0:
        result.add_error(0, "", _("The file has a header row but no data rows."))


GC_THRESHOLD = 100_000  # container allocations between two young collections, while an import runs
_gc_lock = threading.Lock()
_gc_state = {"imports": 0, "thresholds": None}


@contextmanager
def fewer_collections():
    """Python's cyclic garbage collector, quieter while an import runs: the objects alive before
    it (the whole application, its URLconf, pandas…) are frozen out of the collections (gc.freeze)
    and the young generation is collected every GC_THRESHOLD allocations instead of 700. An
    import allocates millions of short-lived containers (cells, plans, findings); with the
    defaults the collector ran over a thousand times per 20,000 rows, for 4 s of 4.6 s of Python
    CPU (load ~5). Process-wide settings: the first import of a process to enter sets them, the
    last to leave restores them (web threads may run small imports at the same time)."""
    with _gc_lock:
        if _gc_state["imports"] == 0:
            _gc_state["thresholds"] = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(max(_gc_state["thresholds"][0], GC_THRESHOLD), *_gc_state["thresholds"][1:])
        _gc_state["imports"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["imports"] -= 1
            if _gc_state["imports"] == 0:
                gc.set_threshold(*_gc_state["thresholds"])
                gc.unfreeze()


def run_import(kind: str, fileobj, filename: str, *, actor: Staff | None, dry_run: bool,
               progress: ProgressCallback | None = None, job_id: int | None = None) -> ImportResult:
    """Validate (dry_run=True) or validate and write (dry_run=False) one file, all or nothing.
    `job_id`: the ImportJob whose data-quality progress a deferred quality pass reports."""
    if not is_kind(kind):
        raise ValueError(f"Unknown import kind {kind!r}; expected one of {', '.join(kind_names())}.")
    result = ImportResult(kind=kind, dry_run=dry_run)
    try:
        source = open_source(fileobj, filename)
    except FileRefused as exc:
        result.add_error(0, "", exc.message)
        return result
    with fewer_collections():
        result = _run_import(kind, source, filename, result, actor=actor, dry_run=dry_run, progress=progress,
                             job_id=job_id)
    if result.committed and result.created + result.updated > quality_inline_rows():
        _enqueue_statistics()
    return result


def _enqueue_statistics() -> None:
    """After a large import, SQLite's planner statistics are refreshed in the background
    (core.jobs.refresh_statistics; PostgreSQL's autovacuum does it there)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    from powerkam.core.jobs import run_job_task

    try:
        run_job_task.enqueue("database_statistics")
    except Exception:  # noqa: BLE001 - the import is committed; the nightly job analyses anyway
        logger.exception("could not enqueue the statistics refresh after an import")


def _run_import(kind: str, source: RowSource, filename: str, result: ImportResult, *, actor: Staff | None,
                dry_run: bool, progress: ProgressCallback | None, job_id: int | None) -> ImportResult:
    importer: Importer | None = None
    try:
        columns = map_headers(kind, source.headers)
        result.headers = [c.header for c in columns]
        importer = get_kind(kind).importer_class(kind, actor=actor, columns=columns, filename=filename, result=result)
        importer.start(source, write=not dry_run)
        if dry_run:
            _process(importer, source, result, write=False, progress=progress)
        else:
            with transaction.atomic(), quality.suspended():
                _process(importer, source, result, write=True, progress=progress)
                if result.ok:
                    importer.before_commit()
                    later = importer.quality_after_commit()
                    if later is None:
                        importer.finish()
                    else:
                        result.quality_deferred = True
                        result.quality_customer_ids = later
                        if job_id:
                            ImportJob.objects.filter(pk=job_id).update(quality_total=len(later), quality_done=0,
                                                                       quality_finished_at=None)
                        transaction.on_commit(lambda: _enqueue_quality(later, job_id))
                    result.committed = True
                else:
                    transaction.set_rollback(True)
    except FileRefused as exc:
        result.add_error(0, "", exc.message)
    except IntegrityError as exc:
        logger.warning("import %s of %s refused by the database: %s", kind, filename, exc)
        result.committed = False
        result.add_error(0, "", _("The database refused the data (was the same data changed at the same time?). "
                                  "Nothing was imported; try again."))
    finally:
        try:
            if importer is not None:
                importer.close(committed=result.committed)
        finally:
            source.close()
    return result


# ---------------------------------------------------------------------------- spreadsheets

REPORT_HEADERS = ("行号", "列", "错误信息")  # row / column / message (spreadsheet text, issue #2 item 6)


def error_report_xlsx(result: ImportResult) -> bytes:
    """The errors as a workbook: row number, column, message."""
    from .exports import Column, write_xlsx

    rows: list[RowError] = list(result.errors)
    if result.error_count > len(rows):
        rows.append(RowError(0, "", _("… and %(n)s more errors.") % {"n": result.error_count - len(rows)}))
    columns = [
        Column(REPORT_HEADERS[0], lambda e: e.row or ""),
        Column(REPORT_HEADERS[1], lambda e: e.column),
        Column(REPORT_HEADERS[2], lambda e: e.message),
    ]
    out = write_xlsx(rows, columns, sheet_title="错误报告")
    try:
        return out.read()
    finally:
        out.close()


HELP_HEADERS = ("列名", "英文列名", "必填", "格式", "允许的值", "说明", "示例")


def _format_text(spec: ColumnSpec) -> str:
    from . import columns as cols

    if spec.choices is not None:
        return _("One of the allowed values (Chinese name or code)")
    return {
        cols.parse_decimal: _("Number ≥ 0, at most 2 decimal places"),
        cols.parse_positive_int: _("Whole number ≥ 1"),
        cols.parse_bool: _("是 / 否"),
        cols.parse_date: _("Date, e.g. 2024-05-31"),
        cols.parse_uscc: _("18-character credit code"),
        cols.parse_id_number: _("18-character ID number"),
        cols.parse_ratio: _("Ratio, e.g. 200/5"),
        cols.parse_email: _("Email address"),
        cols.parse_phone: _("Phone number"),
    }.get(spec.parse, _("Text, at most %(n)s characters") % {"n": spec.max_length} if spec.max_length else _("Text"))


AMBIGUOUS = object()  # an org unit name shared by several units
ORG_UNIT_SHEET = "供电单位"


def _org_units_by_code_or_name(keys: list[str]) -> Iterable[tuple[str, Any]]:
    """Org units by code, else by name (one query each): a name shared by several units maps to
    AMBIGUOUS."""
    found = {o.code: o for o in OrgUnit.objects.filter(code__in=keys)}
    yield from found.items()
    names = [k for k in keys if k not in found]
    if names:
        by_name: dict[str, list[OrgUnit]] = {}
        for unit in OrgUnit.objects.filter(name__in=names):
            by_name.setdefault(unit.name, []).append(unit)
        for name, units in by_name.items():
            yield name, units[0] if len(units) == 1 else AMBIGUOUS


def template_xlsx(kind: str) -> bytes:
    """The import template: sheet 1 has the headers to fill in, sheet 2 explains every column."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    if not is_kind(kind):
        raise ValueError(f"Unknown import kind {kind!r}")
    specs = get_kind(kind).columns
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for i, spec in enumerate(specs, start=1):
        cell = ws.cell(row=1, column=i, value=spec.zh)
        cell.font = Font(bold=True, color="C00000" if spec.required else "000000")
        if spec.required:
            cell.fill = required_fill
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(12, len(spec.zh) * 2 + 4)
        if spec.parse.__name__ in ("parse_text", "parse_uscc", "parse_id_number", "parse_phone"):
            ws.column_dimensions[letter].number_format = "@"  # keep leading zeros of numbers and codes
    ws.freeze_panes = "A2"

    help_ws = wb.create_sheet("说明")
    help_ws.append(list(HELP_HEADERS))
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
    for spec in specs:
        help_ws.append([spec.zh, spec.en, "是" if spec.required else "否", _format_text(spec),
                        spec.allowed_values_text(), str(spec.help or ""), spec.example])
    help_ws.append([])
    notes = [
        _("Fill in the first sheet from row 2; do not change the header row. English headers are accepted too."),
        _("Required columns are marked in red. An empty cell keeps the current value of an existing record."),
        _("The import is all or nothing: if any row has an error, nothing is written and an error report "
          "lists every row and column to fix."),
        _("Formulas are not accepted: paste values only. CSV files may be UTF-8 or GBK."),
    ]
    for note in notes:
        help_ws.append([note])
    for i, width in enumerate((22, 28, 6, 30, 60, 60, 20), start=1):
        help_ws.column_dimensions[get_column_letter(i)].width = width
    for row in help_ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if any(spec.field == "org_unit" for spec in specs):
        # The codes a unit column takes (a name works too): every org unit, in tree order.
        units_ws = wb.create_sheet(ORG_UNIT_SHEET)
        units_ws.append(["编码", "名称", "类型", "上级单位"])
        for cell in units_ws[1]:
            cell.font = Font(bold=True)
        kinds = dict(OrgUnit.Kind.choices)
        for unit in OrgUnit.objects.select_related("parent").order_by("path"):
            units_ws.append([unit.code, unit.name, str(kinds.get(unit.kind, unit.kind)),
                             unit.parent.name if unit.parent_id else ""])
        for i, width in enumerate((14, 30, 12, 30), start=1):
            units_ws.column_dimensions[get_column_letter(i)].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------- jobs

def inline_rows() -> int:
    return int(getattr(settings, "POWERKAM_IMPORT_INLINE_ROWS", 3000))


def quality_inline_rows() -> int:
    """Imports touching more customers than this evaluate the data-quality rules (findings and
    their work-queue tasks: about four rows each for a bare customer) in a background job that
    starts right after the commit, so that the import's own transaction stays short."""
    return int(getattr(settings, "POWERKAM_IMPORT_QUALITY_INLINE_ROWS", 10_000))


def _enqueue_quality(customer_ids: list[int], job_id: int | None = None) -> None:
    from .tasks import evaluate_imported_quality

    try:
        evaluate_imported_quality.enqueue(customer_ids, job_id)
    except Exception:  # noqa: BLE001 - the import is committed; the nightly run evaluates everybody
        logger.exception("could not enqueue the data-quality pass of %s imported customers", len(customer_ids))


def _progress_path(job_id: int, namespace: str = "imports") -> Path:
    return Path(settings.MEDIA_ROOT) / namespace / "progress" / f"{job_id}.json"


def _write_progress(job_id: int, done: int, total: int, namespace: str = "imports") -> None:
    """Progress goes to a small file beside the upload, not to the database: a commit runs in one
    transaction, so rows it writes (the job's too) are invisible to the polling page until the end.
    MEDIA_ROOT is shared by web and worker processes anyway (the worker reads the upload there).
    `namespace`: the app whose jobs these are (consumption ingests use the same files)."""
    path = _progress_path(job_id, namespace)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"done": done, "total": total}))
    os.replace(tmp, path)


def job_progress(job: ImportJob) -> tuple[int, int]:
    """(rows processed, rows in total) of a job, live while it runs."""
    if job.is_running:
        try:
            data = json.loads(_progress_path(job.pk).read_text())
            return int(data["done"]), int(data["total"]) or job.total_rows
        except (OSError, ValueError, KeyError):
            return 0, job.total_rows
    return job.processed_rows, job.total_rows


def _failed_job_result(kind: str, dry_run: bool, message: str) -> ImportResult:
    result = ImportResult(kind=kind, dry_run=dry_run)
    result.add_error(0, "", message)
    return result


def _save_result(job: ImportJob, result: ImportResult, *, dry_run: bool) -> None:
    if not result.ok:
        job.status = ImportJob.Status.FAILED
    else:
        job.status = ImportJob.Status.READY if dry_run else ImportJob.Status.DONE
    job.dry_run = dry_run
    job.summary = result.summary()
    job.total_rows = result.total_rows
    job.processed_rows = result.total_rows
    job.finished_at = timezone.now()
    if result.errors:
        job.error_report.save("errors.xlsx", ContentFile(error_report_xlsx(result)), save=False)
    if job.pk is None:
        job.save()
    else:  # not the quality_* fields: the data-quality job, started at the commit, owns them
        job.save(update_fields=["status", "dry_run", "summary", "total_rows", "processed_rows", "finished_at",
                                "error_report", "updated_at"])


def start_import(kind: str, upload, filename: str, *, actor: Staff, dry_run: bool = True) -> ImportJob:
    """Store the upload as an ImportJob and run it: inline when small, as a background task when
    it has more than POWERKAM_IMPORT_INLINE_ROWS rows. A file over the size limit is refused from
    its size, before it is stored or parsed."""
    if not actor.can_import:
        raise PermissionDenied(_("You are not allowed to import data."))
    if not is_kind(kind):
        raise ValidationError({"kind": _("Choose what to import.")})
    filename = PurePath(filename or "upload").name[:255]
    job = ImportJob(kind=kind, filename=filename, created_by=actor, dry_run=dry_run)
    try:
        check_size(file_size(upload))
        file_format(filename)
    except FileRefused as exc:
        _save_result(job, _failed_job_result(kind, dry_run, exc.message), dry_run=dry_run)
        return job
    upload.seek(0)
    job.file.save(filename, File(upload, name=filename), save=False)
    upload.seek(0)
    job.total_rows = estimate_rows(upload, filename, stop_after=inline_rows())  # bounded work, whatever the file
    job.save()
    return _dispatch(job, dry_run=dry_run)


def commit_import(job: ImportJob, *, actor: Staff) -> ImportJob:
    """Write a job whose dry run was clean. The rows are validated again against today's data.
    A commit that failed without a row error (its worker died) may be tried again; a job that
    was written (done) or is being written is never committed twice: the claim is one UPDATE."""
    retry_of_failed = models.Q(status=ImportJob.Status.FAILED, dry_run=True, summary__ok=True)
    claimed = ImportJob.objects.filter(models.Q(status=ImportJob.Status.READY) | retry_of_failed,
                                       pk=job.pk, created_by=actor).update(
        status=ImportJob.Status.PENDING, processed_rows=0, message="", finished_at=None,
        updated_at=timezone.now())
    if not claimed:
        raise ValidationError(_("This import cannot be committed: only a clean dry run can be committed, once."))
    job.refresh_from_db()
    return _dispatch(job, dry_run=False)


def retry_import(job: ImportJob, *, actor: Staff) -> ImportJob:
    """Run a failed job again from its stored upload, as a new job (the failed one stays, with its
    message): its commit again if the dry run had been clean, else its dry run."""
    if job.created_by_id != actor.pk or not actor.can_import:
        raise PermissionDenied(_("You are not allowed to import data."))
    if not job.can_retry:
        raise ValidationError(_("Only an import that failed without row errors, whose file is kept, can be "
                                "run again. Fix the file and upload it again."))
    dry_run = not job.failed_after_clean_dry_run
    again = ImportJob(kind=job.kind, filename=job.filename, created_by=actor, dry_run=dry_run,
                      total_rows=job.total_rows)
    again.file.name = job.file.name  # the same stored upload; uploads are never deleted by a job
    again.save()
    return _dispatch(again, dry_run=dry_run)


def worker_lost(job_id: int) -> None:
    """The worker running this job is gone (powerkam.core.leases): the job failed. A commit is
    one transaction, so the database rolled it back: nothing was written."""
    ImportJob.objects.filter(pk=job_id, status__in=ImportJob.RUNNING).update(
        status=ImportJob.Status.FAILED, finished_at=timezone.now(), updated_at=timezone.now(),
        message=_("The background job stopped before the end: its worker process was interrupted (killed or "
                  "restarted). Nothing was written. Run it again."))
    try:
        _progress_path(job_id).unlink(missing_ok=True)
    except OSError:
        pass


def recover_if_lost(job: ImportJob) -> ImportJob:
    """The lazy check of the job's page and API: a job still "running" whose worker is gone is
    marked failed now. An inline job runs inside its web request, which never lasts as long as
    a lease; one still running after that was cut off."""
    if not job.is_running:
        return job
    if job.background:
        lost = job.task_id and leases.check_task(job.task_id)
    else:
        lost = job.updated_at < timezone.now() - timedelta(seconds=leases.lease_seconds())
        if lost:
            worker_lost(job.pk)
    if lost:
        job.refresh_from_db()
    return job


def _dispatch(job: ImportJob, *, dry_run: bool) -> ImportJob:
    if job.total_rows > inline_rows():
        from .tasks import run_import_job

        job.background = True
        job.status = ImportJob.Status.VALIDATING if dry_run else ImportJob.Status.COMMITTING
        job.save(update_fields=["background", "status", "updated_at"])
        _write_progress(job.pk, 0, job.total_rows)
        task_result = run_import_job.enqueue(job.pk, dry_run)
        ImportJob.objects.filter(pk=job.pk).update(task_id=str(task_result.id)[:64])
    else:
        execute_job(job.pk, dry_run=dry_run)
    job.refresh_from_db()
    return job


def execute_job(job_id: int, *, dry_run: bool) -> None:
    """Run one job's dry run or commit; called inline or by the background task."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    job.status = ImportJob.Status.VALIDATING if dry_run else ImportJob.Status.COMMITTING
    job.save(update_fields=["status", "updated_at"])

    def progress(done: int, total: int) -> None:
        _write_progress(job_id, done, total)

    try:
        with job.file.open("rb") as stored:
            result = run_import(job.kind, stored.file, job.filename, actor=job.created_by, dry_run=dry_run,
                                progress=progress, job_id=job_id)
        _save_result(job, result, dry_run=dry_run)
    except Exception as exc:  # noqa: BLE001 - a crashed job must say so, not stay "running"
        logger.exception("import job %s failed", job_id)
        job.status = ImportJob.Status.FAILED
        job.message = _("The import stopped unexpectedly: %(error)s") % {"error": exc}
        job.finished_at = timezone.now()
        job.save()
    finally:
        try:
            _progress_path(job_id).unlink(missing_ok=True)
        except OSError:
            pass


# Shared with other apps' long jobs (consumption ingests): the same progress files, by namespace.
write_progress = _write_progress
progress_path = _progress_path
