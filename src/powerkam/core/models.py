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
        PROJECT_STEP = "project_step", _("Connection project stage")
        USAGE_ANOMALY = "usage_anomaly", _("Consumption anomaly")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("task status", "Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Priority(models.IntegerChoices):
        NORMAL = 0, _("Normal")
        HIGH = 1, _("High")
        URGENT = 2, _("Urgent")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)  # indexed: task_kind_idx
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
    # These three are indexed as the first column of task_queue_idx, task_customer_idx and
    # task_unit_idx (Meta): an index of their own would be a twin, paid by every task written.
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT, related_name="tasks", db_index=False)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.CASCADE, related_name="tasks", db_index=False)
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    # The due date was computed over a year whose holidays are not entered yet (core.workdays).
    due_provisional = models.BooleanField(_("due date provisional"), default=False)
    # A due date of `due_workdays` working days after `due_from` (workqueue.workday_due): kept so
    # that the date can be recomputed once the year's holidays are entered.
    due_from = models.DateField(_("due counted from"), null=True, blank=True)
    due_workdays = models.SmallIntegerField(_("due after working days"), null=True, blank=True)
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
    # The audit trail of a task is read by task (id) and date; no copies of the task's indexes.
    history = HistoricalRecords(no_db_index=["kind", "key", "assignee", "customer", "org_unit", "created_by", "closed_by"])

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["kind"], name="task_kind_idx"),  # (a plain index: no LIKE on kinds)
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
    def detail_items(self) -> list[str]:
        """A generated detail that lists several things (a customer's data-quality findings):
        each item in the active language, for pages that show them as a list; [] otherwise."""
        if self.detail_msgid:
            from .phrases import render_items

            return render_items(self.detail_params)
        return []

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    @property
    def due_is_provisional(self) -> bool:
        """The stored flag (a working-day count over a year not covered); and an open visit task
        while its day's year is not covered: a visit is planned on a day, which may turn out to
        be a holiday (derived, like the visit's own mark: docs/decisions/0003)."""
        if self.due_provisional:
            return True
        if self.kind != self.Kind.VISIT or not self.is_open or self.due_at is None:
            return False
        from . import workdays

        return not workdays.is_covered(timezone.localtime(self.due_at).year)


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


class WorkerLease(models.Model):
    """One running job worker (`manage.py db_worker`): where it runs and when it last said it was
    alive (issue #9 item 5). A task the worker claimed is "lost" when its worker is gone: on the
    same host, its process no longer exists; from another host, its heartbeat is older than the
    lease (POWERKAM_JOB_LEASE_SECONDS). See powerkam.core.leases."""

    worker_id = models.CharField(_("worker id"), max_length=64, unique=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    pid_started = models.CharField(_("process start"), max_length=32, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), default=timezone.now, db_index=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("job worker")
        verbose_name_plural = _("job workers")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host} pid {self.pid})"


class HolidayYear(models.Model):
    """A year whose holiday arrangement (国务院办公厅关于YYYY年部分节假日安排的通知) is complete in
    the `Holiday` table. Only a covered year's working days are final; for any other year the
    calendar assumes Monday–Friday and every deadline computed over it is provisional
    (core.workdays.tracking). Seeded for the years the `chinesecalendar` package knows; an
    administrator adds the next year by the xlsx import or by entering the days and then this row.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=10, choices=Holiday.Source.choices,
                              default=Holiday.Source.ADMIN)
    notice = models.CharField(_("State Council notice"), max_length=120, blank=True,
                              help_text=_("The notice the arrangement comes from, e.g. its document number."))
    covered_at = models.DateTimeField(_("entered at"), default=timezone.now)
    covered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("holiday arrangement year")
        verbose_name_plural = _("holiday arrangement years")

    def __str__(self) -> str:
        return str(self.year)
