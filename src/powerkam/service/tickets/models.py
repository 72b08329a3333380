"""Tickets and complaints with first-contact responsibility (首问负责制).

A ticket belongs to a customer and carries its org unit (denormalised at intake, for unit
analysis at scale). `first_contact_owner` is whoever took it in and never changes; `assignee`
is who holds the current stage. Each stage the ticket passes through is a `TicketStage`
with its own owner, deadline (from `SlaRule`) and escalation level; `TicketEvent` is the
ticket's own timeline. Workflow lives in services.py.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import constants as c


class SlaRule(models.Model):
    """One row of the SLA table: how long a stage of a ticket type may take (editable by admins)."""

    ticket_type = models.CharField(_("ticket type"), max_length=20, choices=c.TicketType.choices)
    stage = models.CharField(_("stage"), max_length=12, choices=c.Stage.choices)
    limit = models.DecimalField(_("limit"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])
    unit = models.CharField(_("unit"), max_length=16, choices=c.SlaUnit.choices, default=c.SlaUnit.WORKDAYS)
    warn_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("warn at % of time"), default=c.WARN_PERCENT,
        help_text=_("Escalate to the station supervisor when this share of the time has elapsed."))
    company_margin = models.DecimalField(
        _("company escalation margin"), max_digits=6, decimal_places=2, default=1, validators=[MinValueValidator(0)],
        help_text=_("Escalate to the company when overdue by this much more (in the same unit)."))
    history = HistoricalRecords()

    class Meta:
        ordering = ["ticket_type", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["ticket_type", "stage"], name="tickets_sla_type_stage_uniq"),
            models.CheckConstraint(condition=models.Q(warn_percent__gt=0, warn_percent__lte=100),
                                   name="tickets_sla_warn_percent_range"),
        ]
        verbose_name = _("SLA rule")
        verbose_name_plural = _("SLA table")

    def __str__(self) -> str:
        return f"{self.get_ticket_type_display()} · {self.get_stage_display()}: {self.limit} {self.get_unit_display()}"

    def clean(self) -> None:
        if self.stage and self.ticket_type and self.stage not in c.stages_for(self.ticket_type):
            raise ValidationError({"stage": _("This stage does not belong to this ticket type.")})


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=24, unique=True, null=True, blank=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="tickets")
    # The customer's station at intake: unit analysis without joining customers.
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    contact_name = models.CharField(_("contact name"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    channel = models.CharField(_("channel"), max_length=12, choices=c.Channel.choices)
    ticket_type = models.CharField(_("type"), max_length=20, choices=c.TicketType.choices)
    cause = models.CharField(_("cause"), max_length=24, choices=c.Cause.choices, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    about_staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("about staff member"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="complaints_about",
                                    help_text=_("A complaint about a staff member counts against that person."))
    first_contact_owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("first-contact owner"),
                                            on_delete=models.PROTECT, related_name="first_contact_tickets")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("current owner"),
                                 on_delete=models.PROTECT, related_name="assigned_tickets")
    status = models.CharField(_("status"), max_length=12, choices=c.Status.choices, default=c.Status.OPEN)
    stage = models.CharField(_("stage"), max_length=12, choices=c.Stage.choices, blank=True)
    current_stage = models.ForeignKey("TicketStage", verbose_name=_("current stage"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(_("stage deadline"), null=True, blank=True)
    # The current stage's deadline_provisional (kept beside due_at like due_at itself).
    due_provisional = models.BooleanField(_("stage deadline provisional"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    created_at = models.DateTimeField(_("taken in at"), default=timezone.now)
    # First day of the local month of created_at: monthly volumes group on a plain column.
    created_month = models.DateField(_("month"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    hours_to_close = models.DecimalField(_("hours to close"), max_digits=9, decimal_places=2, null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["current_stage"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "created_at"], name="ticket_cust_created_idx"),
            models.Index(fields=["org_unit", "created_at"], name="ticket_unit_created_idx"),
            models.Index(fields=["created_at"], name="ticket_created_idx"),
            models.Index(fields=["status", "due_at"], name="ticket_status_due_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_idx"),
            models.Index(fields=["first_contact_owner", "status"], name="ticket_fco_idx"),
            models.Index(fields=["ticket_type", "created_at"], name="ticket_type_created_idx"),
            models.Index(fields=["created_month", "ticket_type"], name="ticket_month_type_idx"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"{self.number or self.pk} {self.subject}"

    def save(self, *args, **kwargs):
        if self.created_at:
            self.created_month = timezone.localtime(self.created_at).date().replace(day=1) \
                if timezone.is_aware(self.created_at) else self.created_at.date().replace(day=1)
        super().save(*args, **kwargs)

    @property
    def is_complaint(self) -> bool:
        return self.ticket_type == c.TicketType.COMPLAINT

    @property
    def is_closed(self) -> bool:
        return self.status == c.Status.CLOSED

    @property
    def is_overdue(self) -> bool:
        return bool(not self.is_closed and self.due_at and self.due_at < timezone.now())


class TicketStage(models.Model):
    """One pass through one stage: who holds it, by when, and what came of it."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(_("stage"), max_length=12, choices=c.Stage.choices)
    round = models.PositiveSmallIntegerField(_("round"), default=1,
                                             help_text=_("2 and more when the ticket came back to this stage."))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="ticket_stages")
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("deadline"))
    warn_at = models.DateTimeField(_("escalate to station at"))
    company_at = models.DateTimeField(_("escalate to company at"))
    # The deadline (and warn_at) / the company escalation moment were computed over a year whose
    # holidays are not entered yet (sla.Deadlines); recomputed from started_at and the rule below
    # once they are.
    deadline_provisional = models.BooleanField(_("deadline provisional"), default=False)
    company_at_provisional = models.BooleanField(_("company escalation moment provisional"), default=False)
    # The SLA rule the deadlines were computed with (the SLA table may change later).
    sla_limit = models.DecimalField(_("SLA limit"), max_digits=6, decimal_places=2, null=True, blank=True)
    sla_unit = models.CharField(_("SLA unit"), max_length=16, choices=c.SlaUnit.choices, blank=True)
    sla_warn_percent = models.PositiveSmallIntegerField(_("SLA warn at % of time"), null=True, blank=True)
    sla_company_margin = models.DecimalField(_("SLA company escalation margin"), max_digits=6, decimal_places=2,
                                             null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("completed by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    result_note = models.TextField(_("result"), blank=True)
    outcome = models.CharField(_("revisit outcome"), max_length=12, choices=c.RevisitOutcome.choices, blank=True)
    # Filled on completion so that analysis aggregates plain integers at any scale.
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    sla_met = models.BooleanField(_("within SLA"), null=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "started_at"], name="tstage_ticket_idx"),
            models.Index(fields=["warn_at"], condition=models.Q(completed_at__isnull=True),
                         name="tstage_open_warn_idx"),
            models.Index(fields=["stage", "completed_at"], name="tstage_stage_done_idx"),
        ]
        verbose_name = _("ticket stage")
        verbose_name_plural = _("ticket stages")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.get_stage_display()}"

    @property
    def task_key(self) -> str:
        """The work-queue key of this stage's task; later rounds get their own task."""
        base = f"ticket:{self.ticket_id}:{self.stage}"
        return base if self.round == 1 else f"{base}:r{self.round}"

    @property
    def is_overdue(self) -> bool:
        end = self.completed_at or timezone.now()
        return end > self.due_at


class TicketEvent(models.Model):
    """The ticket's own timeline: intake, assignments, stage changes, escalations, reopen, close."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events")
    stage = models.ForeignKey(TicketStage, verbose_name=_("stage"), null=True, blank=True, on_delete=models.CASCADE,
                              related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=c.EventKind.choices)
    level = models.PositiveSmallIntegerField(_("escalation level"), null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    target = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("to"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["ticket", "occurred_at"], name="tevent_ticket_idx")]
        constraints = [
            # One escalation event per level per stage pass: the job is safe to run concurrently.
            models.UniqueConstraint(fields=["stage", "level"], condition=models.Q(kind="escalated"),
                                    name="tevent_one_escalation_per_level"),
        ]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.get_kind_display()}"


def attachment_path(instance: TicketAttachment, filename: str) -> str:
    now = timezone.localdate()
    return f"tickets/{now:%Y/%m}/{instance.ticket_id}/{filename}"


class TicketAttachment(models.Model):
    """A file on a ticket. Served only by tickets:attachment (scoped), never by a public URL."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255,
                            validators=[FileExtensionValidator(list(c.ATTACHMENT_EXTENSIONS))])
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


# --- complaint analysis summary (issue #4 performance) ----------------------------------------------
#
# Rebuilt nightly by services.refresh_ticket_summary from tickets and stages, never edited. The
# analysis page of subtree and company-wide users reads these rows for the months of the period
# they cover and counts the rest live (selectors.complaint_analysis). No database constraints on the
# keys: the rows are derived data, and org units and staff are never deleted while tickets point
# at them (PROTECT on Ticket).


class TicketMonthlySummary(models.Model):
    """The tickets of one month per (customer's unit, ticket's unit, type, cause, about_staff)."""

    month = models.DateField(_("month"))
    # The customer's org unit at refresh time: the visibility scope of supervisors and clerks.
    customer_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("customer's org unit"), null=True,
                                      on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    # The ticket's own org unit (Ticket.org_unit): the unit breakdown and the unit filter.
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), null=True, on_delete=models.DO_NOTHING,
                                 db_constraint=False, related_name="+")
    ticket_type = models.CharField(_("type"), max_length=20, choices=c.TicketType.choices)
    cause = models.CharField(_("cause"), max_length=24, blank=True)
    about_staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("about staff member"), null=True,
                                    on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    n = models.PositiveIntegerField(_("tickets"), default=0)
    closed = models.PositiveIntegerField(_("closed"), default=0)
    reopened = models.PositiveIntegerField(_("reopened"), default=0)
    close_n = models.PositiveIntegerField(_("closed with hours to close"), default=0)
    close_sum = models.DecimalField(_("sum of hours to close"), max_digits=16, decimal_places=2, default=0)

    class Meta:
        indexes = [models.Index(fields=["month", "customer_unit"], name="tsum_month_unit_idx")]
        verbose_name = _("monthly ticket summary")
        verbose_name_plural = _("monthly ticket summaries")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.org_unit_id} {self.ticket_type}: {self.n}"


class ComplaintStageSummary(models.Model):
    """The stages of one month's complaints per (customer's unit, ticket's unit, stage, coarse
    duration bucket of 10 hours): counts and sums for the stage table, and the coarse histogram
    that finds which 10 hours hold the 90th percentile (`ComplaintStageBucket` then gives it to
    the 6 minutes). `coarse` is NULL for stages without a duration."""

    month = models.DateField(_("month"))
    customer_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("customer's org unit"), null=True,
                                      on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), null=True, on_delete=models.DO_NOTHING,
                                 db_constraint=False, related_name="+")
    stage = models.CharField(_("stage"), max_length=12, choices=c.Stage.choices)
    coarse = models.PositiveIntegerField(_("duration bucket (10 h)"), null=True)
    timed = models.PositiveIntegerField(_("stages with a duration"), default=0)
    completed = models.PositiveIntegerField(_("completed"), default=0)
    met = models.PositiveIntegerField(_("completed within SLA"), default=0)
    done_timed = models.PositiveIntegerField(_("completed with a duration"), default=0)
    done_seconds = models.BigIntegerField(_("sum of durations of completed stages (s)"), default=0)
    done_longest = models.PositiveIntegerField(_("longest completed duration (s)"), null=True)

    class Meta:
        indexes = [models.Index(fields=["month", "customer_unit"], name="tstagesum_month_unit_idx")]
        verbose_name = _("complaint stage summary")
        verbose_name_plural = _("complaint stage summaries")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.org_unit_id} {self.stage} {self.coarse}: {self.timed}"


class ComplaintStageBucket(models.Model):
    """How many of one month's complaint stages (per customer's unit, ticket's unit, stage) took
    a duration in one 6-minute bucket: `bucket` = (duration_seconds + 180) // 360, so every
    duration in a bucket shows as the same hours with one decimal (ROUND_HALF_UP) and the 90th
    percentile read from these counts is exactly the one the live computation shows."""

    month = models.DateField(_("month"))
    customer_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("customer's org unit"), null=True,
                                      on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), null=True, on_delete=models.DO_NOTHING,
                                 db_constraint=False, related_name="+")
    stage = models.CharField(_("stage"), max_length=12, choices=c.Stage.choices)
    bucket = models.PositiveIntegerField(_("duration bucket (6 min)"))
    timed = models.PositiveIntegerField(_("stages"), default=0)

    class Meta:
        # The percentile query reads one 10-hour slice of buckets per stage.
        indexes = [models.Index(fields=["stage", "bucket", "month"], name="tstagebucket_stage_idx")]
        verbose_name = _("complaint stage duration bucket")
        verbose_name_plural = _("complaint stage duration buckets")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.org_unit_id} {self.stage} {self.bucket}: {self.timed}"


class TicketSummaryRefresh(models.Model):
    """When the summaries were last rebuilt, and the first day they do not cover (one row): they
    hold the tickets taken in before that local day (the refresh day: today's tickets are live)."""

    refreshed_at = models.DateTimeField(_("refreshed at"))
    covered_until = models.DateField(_("covers tickets taken in before"))

    class Meta:
        verbose_name = _("ticket summary refresh")
        verbose_name_plural = _("ticket summary refreshes")

    def __str__(self) -> str:
        return f"{self.refreshed_at:%Y-%m-%d %H:%M} (tickets before {self.covered_until})"
