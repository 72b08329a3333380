"""An import job: one uploaded file, its dry run and its commit (issue #2 item 6)."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .registry import kind_choices


def import_upload_to(instance: "ImportJob", filename: str) -> str:
    # The user's file name is kept in `filename`; on disk a random name avoids collisions and tricks.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def report_upload_to(instance: "ImportJob", filename: str) -> str:
    return f"imports/reports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ImportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        VALIDATING = "validating", _("Validating")
        READY = "ready", _("Ready to commit")
        COMMITTING = "committing", _("Committing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    RUNNING = (Status.PENDING, Status.VALIDATING, Status.COMMITTING)

    kind = models.CharField(_("kind"), max_length=24, choices=kind_choices)  # registry.py
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=255, blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    dry_run = models.BooleanField(_("dry run"), default=True,
                                  help_text=_("A dry run validates only; the commit writes."))
    background = models.BooleanField(_("background job"), default=False)
    task_id = models.CharField(max_length=64, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    # Result of the last run: counts, the first errors and a preview (see services.ImportResult.summary).
    summary = models.JSONField(_("result"), default=dict, blank=True)
    error_report = models.FileField(_("error report"), upload_to=report_upload_to, max_length=255, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="import_jobs")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The data-quality pass of a large import's customers, run by a job right after the commit
    # (services.quality_inline_rows): its progress, so the page and the API can say when it is done.
    quality_total = models.PositiveIntegerField(_("customers to check"), default=0)
    quality_done = models.PositiveIntegerField(_("customers checked"), default=0)
    quality_finished_at = models.DateTimeField(_("data-quality checks finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_job_user_idx")]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def quality_running(self) -> bool:
        return bool(self.quality_total) and self.quality_finished_at is None

    @property
    def quality_percent(self) -> int:
        return min(100, self.quality_done * 100 // self.quality_total) if self.quality_total else 0

    @property
    def error_count(self) -> int:
        return int(self.summary.get("error_count", 0)) if self.summary else 0

    @property
    def can_commit(self) -> bool:
        return self.status == self.Status.READY and self.summary.get("ok") and self.dry_run

    @property
    def failed_after_clean_dry_run(self) -> bool:
        """Its commit failed without a row error (the worker died, the database refused): the
        clean dry run still stands, so the commit may be tried again."""
        return self.status == self.Status.FAILED and self.dry_run and bool(self.summary.get("ok"))

    @property
    def can_retry(self) -> bool:
        """Failed for a reason other than the rows (its worker died, the process crashed) and its
        upload is kept: it can be run again from the stored file."""
        return self.status == self.Status.FAILED and bool(self.file) and self.error_count == 0
