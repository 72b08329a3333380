"""Cross-module records that every business area uses: the work queue's tasks and the
working-day calendar (DESIGN.md: core holds "audit trail, working-day calendar,
notifications, tasks, scoping, UI shell")."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class Task(models.Model):
    """One thing one person must do, from any module ("我的待办", issue #4 §1).

    Every module creates its tasks through `powerkam.core.workqueue` — never with
    `Task.objects.create` — so that idempotency keys, audit and timeline stay consistent.
    """

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit due")
        TICKET_STEP = "ticket_step", _("Ticket step")
        LADDER_STEP = "ladder_step", _("Collection step")
        DATA_QUALITY = "data_quality", _("Data-quality finding")
        OUTAGE_CALL = "outage_call", _("Outage call")
        FOLLOW_UP = "follow_up", _("Follow-up")
        APPROVAL = "approval", _("Approval")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("task status", "Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Priority(models.IntegerChoices):
        NORMAL = 0, _("Normal")
        HIGH = 1, _("High")
        URGENT = 2, _("Urgent")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    # `title` is the text as created (free text a user typed, or a generated title in the creating
    # process's language, kept for search and the admin). A generated title also stores its msgid
    # and parameters, so pages, the API and exports show it in the reader's language
    # (`display_title`; core/phrases.py).
    title = models.CharField(_("title"), max_length=200)
    title_msgid = models.CharField(_("title message"), max_length=200, blank=True, default="")
    title_params = models.JSONField(_("title parameters"), blank=True, default=dict)
    detail = models.TextField(_("detail"), blank=True)
    detail_msgid = models.TextField(_("detail message"), blank=True, default="")  # as title_msgid
    detail_params = models.JSONField(_("detail parameters"), blank=True, default=dict)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT, related_name="tasks")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    # Idempotency: a module that may run twice (the ladder, plan generation) gives each task a
    # stable key such as "ladder:bill:42:overdue_7"; asking again for that key returns the task.
    key = models.CharField(_("key"), max_length=120, unique=True, null=True, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True, help_text=_("Where the work is done (a page in PowerKAM)."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    result = models.TextField(_("result"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_queue_idx"),
            models.Index(fields=["org_unit", "status", "due_at"], name="task_unit_idx"),
            models.Index(fields=["customer", "status"], name="task_customer_idx"),
            # The unit queue of a company-wide supervisor: every open task, soonest due first
            # (issue #4 bench: 300,000 tasks; the page is an ordered index scan, not a sort).
            models.Index(fields=["status", "due_at", "id"], name="task_status_due_idx"),
        ]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """The title in the active language (a generated one), or as typed (free text)."""
        if self.title_msgid:
            from .phrases import render

            return render(self.title_msgid, self.title_params)
        return self.title

    @property
    def display_detail(self) -> str:
        if self.detail_msgid:
            from .phrases import render

            return render(self.detail_msgid, self.detail_params)
        return self.detail

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()


class Holiday(models.Model):
    """A calendar day that differs from the Monday–Friday default.

    `is_workday=False`: a public holiday (法定节假日) falling on a weekday or weekend;
    `is_workday=True`: an adjusted working day (调休上班) falling on a weekend.
    Seeded from the `chinesecalendar` package (State Council notices); admins add or correct
    years the package does not know.
    """

    class Source(models.TextChoices):
        PACKAGE = "package", _("chinesecalendar package")
        ADMIN = "admin", _("Entered by an administrator")

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"), default=False)
    name = models.CharField(_("name"), max_length=60, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.ADMIN)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday or adjusted working day")
        verbose_name_plural = _("holiday calendar")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
