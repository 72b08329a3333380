"""Consumption business operations (issue #14): ingest a file or an API batch, and its job.

`start_ingest` stores an upload as an IngestBatch and runs it inline when small or as a background
task (django_tasks) with progress when large; `ingest_records` runs an API batch inline. Every
ingest is one transaction: a file with any error is rejected whole and writes nothing; the batch
record (who, file, rows, result, data-quality report) is kept either way — the ingest audit trail.
"""

from __future__ import annotations

import json
import logging
from pathlib import PurePath

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from powerkam.imports.readers import FileRefused, check_size, estimate_rows, file_format, file_size
from powerkam.imports.services import progress_path, write_progress

from . import constants as c
from .ingest import Ingest, Rejected, open_file, source_from_records
from .models import IngestBatch

logger = logging.getLogger("powerkam.consumption")
PROGRESS = "consumption"
INLINE_ROWS = 2000  # wide rows (meter-days) or long rows ingested inside the request


def can_ingest(actor) -> bool:
    return bool(actor and actor.is_authenticated and getattr(actor, "can_import", False))


def _finish(batch: IngestBatch, ingest: Ingest | None, *, status: str, message: str = "") -> IngestBatch:
    out = ingest.out if ingest is not None else None
    batch.status = status
    batch.message = message
    batch.finished_at = timezone.now()
    if out is not None:
        batch.total_rows = max(batch.total_rows, out.rows) if status != IngestBatch.Status.DONE else out.rows
        batch.processed_rows = out.rows
        batch.errors = [p.as_dict() for p in out.errors]
        batch.error_count = out.error_count
        batch.encoding = out.encoding or batch.encoding
        batch.customer_count = len(out.customers)
        batch.day_from, batch.day_to = out.day_from, out.day_to
        batch.quality = out.quality
        if status == IngestBatch.Status.DONE:
            batch.values_written = out.values_written
            batch.values_changed = out.values_changed
            batch.aggregates_written = out.aggregates_written
        else:
            batch.values_written = batch.values_changed = batch.aggregates_written = 0
    batch.save()
    return batch


def _fast_commit() -> None:
    """PostgreSQL: the ingest transaction's commit does not wait for its WAL to reach the disk
    (synchronous_commit off, this transaction only). A crash in the next few hundred milliseconds
    can lose the whole ingest — never part of it, and the database stays consistent — and the file
    is kept with its batch to load again; every other transaction keeps the server's setting."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")


def run_batch(batch: IngestBatch, source_factory) -> IngestBatch:
    """Run one batch from its source (a callable returning ingest.Source). All-or-nothing."""
    batch.status = IngestBatch.Status.RUNNING
    batch.save(update_fields=["status"])
    ingest = None

    def progress(done: int) -> None:
        write_progress(batch.pk, done, batch.total_rows, namespace=PROGRESS)

    try:
        ingest = Ingest(layout=batch.layout if batch.layout != c.Layout.API else c.Layout.LONG,
                        quantity=batch.quantity, already_multiplied=batch.already_multiplied,
                        actor=batch.created_by, batch_id=batch.pk, progress=progress)
        with transaction.atomic():
            _fast_commit()
            ingest.run(source_factory())
    except FileRefused as exc:
        if ingest is not None:
            ingest.out.error(0, "", exc.message)
        return _finish(batch, ingest, status=IngestBatch.Status.REJECTED, message=exc.message)
    except Rejected:
        return _finish(batch, ingest, status=IngestBatch.Status.REJECTED,
                       message=_("The file has errors: nothing was written. Correct the rows listed and load it again."))
    except Exception as exc:  # noqa: BLE001 - a crashed ingest says so, never stays "running"
        logger.exception("consumption ingest %s failed", batch.pk)
        return _finish(batch, ingest, status=IngestBatch.Status.FAILED,
                       message=_("The ingest stopped unexpectedly: %(error)s") % {"error": exc})
    finally:
        try:
            progress_path(batch.pk, PROGRESS).unlink(missing_ok=True)
        except OSError:
            pass
    return _finish(batch, ingest, status=IngestBatch.Status.DONE)


def start_ingest(upload, filename: str, *, layout: str, actor, quantity: str = c.Quantity.POWER_KW,
                 already_multiplied: bool = False, background: bool | None = None) -> IngestBatch:
    """Store an uploaded file as a batch and ingest it: inline when small, else as a background job."""
    if not can_ingest(actor):
        raise PermissionDenied(_("You are not allowed to import data."))
    filename = PurePath(filename or "upload").name[:255]
    batch = IngestBatch(layout=layout, quantity=quantity, already_multiplied=already_multiplied,
                        filename=filename, created_by=actor)
    try:
        check_size(file_size(upload))
        file_format(filename)
    except FileRefused as exc:
        batch.save()
        return _finish(batch, None, status=IngestBatch.Status.REJECTED, message=exc.message)
    upload.seek(0)
    batch.file.save(filename, File(upload, name=filename), save=False)
    upload.seek(0)
    batch.total_rows = estimate_rows(upload, filename, stop_after=INLINE_ROWS)
    batch.save()
    if background is None:
        background = batch.total_rows > INLINE_ROWS
    if background:
        from .tasks import run_ingest_task

        write_progress(batch.pk, 0, batch.total_rows, namespace=PROGRESS)
        result = run_ingest_task.enqueue(batch.pk)
        IngestBatch.objects.filter(pk=batch.pk).update(task_id=str(result.id)[:64])
        batch.refresh_from_db()
        return batch
    return execute_batch(batch.pk)


def execute_batch(batch_id: int) -> IngestBatch:
    """Ingest a stored upload (inline or from the background task)."""
    batch = IngestBatch.objects.select_related("created_by").get(pk=batch_id)
    with batch.file.open("rb") as stored:
        return run_batch(batch, lambda: open_file(stored.file, batch.filename))


def ingest_records(records: list, *, layout: str, actor, quantity: str = c.Quantity.POWER_KW,
                   already_multiplied: bool = False) -> IngestBatch:
    """An API batch: records with the English headers as keys (see api.py)."""
    if not can_ingest(actor):
        raise PermissionDenied(_("You are not allowed to import data."))
    columns: list[str] = []
    for rec in records:
        if isinstance(rec, dict):
            columns.extend(k for k in rec if k not in columns)
    batch = IngestBatch.objects.create(layout=layout, quantity=quantity, already_multiplied=already_multiplied,
                                       filename="api", encoding="json", total_rows=len(records), created_by=actor)
    return run_batch(batch, lambda: source_from_records(records, columns))


def batch_progress(batch: IngestBatch) -> tuple[int, int]:
    """(rows processed, rows in total), live while the batch runs."""
    if batch.is_running:
        try:
            data = json.loads(progress_path(batch.pk, PROGRESS).read_text())
            return int(data["done"]), int(data["total"]) or batch.total_rows
        except (OSError, ValueError, KeyError):
            return 0, batch.total_rows
    return batch.processed_rows, batch.total_rows


def worker_lost(batch_id: int) -> None:
    IngestBatch.objects.filter(pk=batch_id, status__in=IngestBatch.RUNNING).update(
        status=IngestBatch.Status.FAILED, finished_at=timezone.now(),
        message=_("The background job stopped before the end: its worker process was interrupted. Nothing was "
                  "written. Load the file again."))
