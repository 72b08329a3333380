"""Visit plans, visit records and care records (DOMAIN.md "Service"; seeds 001, 002, 003-篇6).

- `VisitInterval` / `VisitPolicy`: the admin-editable plan rules (defaults in constants.py);
- `MustVisitOccasion`: an admin declares a tariff change, severe weather or a holiday and which
  key accounts it concerns; each concerned customer gets a visit;
- `Visit`: one visit, planned (by the nightly plan, an occasion or by hand) and later recorded
  (participants, contacts met, findings, needs); `due_on` is the deadline the plan set and never
  moves, `planned_on` is the scheduled day and moves with every reschedule (`VisitReschedule`);
- `CareRecord`: 客户关怀记录 (birthday, anniversary, greetings, help given).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import constants as c


class VisitInterval(models.Model):
    category = models.CharField(_("applies to"), max_length=16, choices=c.IntervalCategory.choices, unique=True)
    months = models.PositiveSmallIntegerField(_("months between visits"),
                                              validators=[MinValueValidator(1), MaxValueValidator(24)])
    history = HistoricalRecords()

    class Meta:
        ordering = ["months", "category"]
        verbose_name = _("visit interval")
        verbose_name_plural = _("visit intervals")

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.months}"


class VisitPolicy(models.Model):
    """The one row of plan settings (pk=1)."""

    first_visit_within_days = models.PositiveSmallIntegerField(
        _("first visit within (days)"), default=c.DEFAULT_FIRST_VISIT_WITHIN_DAYS,
        validators=[MinValueValidator(0), MaxValueValidator(366)],
        help_text=_("A key account never visited gets its first visit this many days after the plan is made."))
    escalate_after_days = models.PositiveSmallIntegerField(
        _("escalate after (days overdue)"), default=c.DEFAULT_ESCALATE_AFTER_DAYS,
        validators=[MinValueValidator(0), MaxValueValidator(366)],
        help_text=_("A visit not done this many days after its planned date becomes a task for the unit supervisor."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit plan settings")
        verbose_name_plural = _("visit plan settings")

    def __str__(self) -> str:
        return str(_("visit plan settings"))


class MustVisitOccasion(models.Model):
    """必访: an event that makes the concerned key accounts worth a visit (seed 003-篇6)."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=c.OccasionKind.choices)
    starts_on = models.DateField(_("visit from"))
    ends_on = models.DateField(_("visit by"))
    all_key_accounts = models.BooleanField(_("all key accounts"), default=False)
    org_units = models.ManyToManyField("org.OrgUnit", verbose_name=_("org units"), blank=True, related_name="+",
                                       help_text=_("Customers of these units and their sub-units."))
    tiers = models.JSONField(_("key account tiers"), default=list, blank=True)
    usage_categories = models.JSONField(_("usage categories"), default=list, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("must-visit occasion")
        verbose_name_plural = _("must-visit occasions")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="visits_occasion_window")]

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="visits")
    # The customer's unit when the visit was planned: "one org unit, period" queries (DESIGN "Data").
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible"), on_delete=models.PROTECT,
                                 related_name="visits")
    source = models.CharField(_("source"), max_length=10, choices=c.VisitSource.choices, default=c.VisitSource.MANUAL)
    occasion = models.ForeignKey(MustVisitOccasion, verbose_name=_("occasion"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="visits")
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    due_on = models.DateField(_("due"), help_text=_("The deadline set by the plan; rescheduling does not move it."))
    planned_on = models.DateField(_("planned for"))
    status = models.CharField(_("status"), max_length=10, choices=c.VisitStatus.choices, default=c.VisitStatus.PLANNED)
    # The record (filled when the visit is done)
    done_on = models.DateField(_("visited on"), null=True, blank=True)
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("participants"), blank=True,
                                          related_name="visits_joined")
    contacts_met = models.ManyToManyField("customers.Contact", verbose_name=_("contacts met"), blank=True,
                                          related_name="visits")
    findings = models.TextField(_("findings"), blank=True)
    customer_needs = models.TextField(_("customer needs"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["planned_on", "id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(fields=["customer", "status", "done_on"], name="visit_cust_status_idx"),
            models.Index(fields=["assignee", "planned_on"], name="visit_assignee_day_idx"),
            models.Index(fields=["org_unit", "due_on"], name="visit_unit_due_idx"),
            models.Index(fields=["status", "planned_on"], name="visit_status_day_idx"),
        ]
        constraints = [
            # The nightly plan keeps at most ONE open regular visit per customer (idempotence).
            models.UniqueConstraint(fields=["customer"], condition=Q(status="planned", source="cycle"),
                                    name="visits_one_open_cycle_visit"),
            # An occasion visits each concerned customer once.
            models.UniqueConstraint(fields=["occasion", "customer"], condition=Q(occasion__isnull=False),
                                    name="visits_one_per_occasion"),
            models.CheckConstraint(condition=Q(status="done", done_on__isnull=False) | ~Q(status="done"),
                                   name="visits_done_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.planned_on}"

    @property
    def task_key(self) -> str:
        return f"visit:{self.pk}"

    @property
    def escalation_key(self) -> str:
        return f"visit:{self.pk}:escalation"

    @property
    def is_open(self) -> bool:
        return self.status == c.VisitStatus.PLANNED

    def is_overdue(self, today=None) -> bool:
        return self.is_open and self.planned_on < (today or timezone.localdate())

    # A planned visit's days are provisional while their year's holidays are not entered: the
    # day may turn out to be a holiday (issue #9 item 8; derived, docs/decisions/0003).
    @property
    def planned_provisional(self) -> bool:
        from powerkam.core import workdays

        return self.is_open and self.planned_on is not None and not workdays.is_covered(self.planned_on.year)

    @property
    def due_provisional(self) -> bool:
        from powerkam.core import workdays

        return self.is_open and self.due_on is not None and not workdays.is_covered(self.due_on.year)

    def outcome(self, today=None) -> str:
        today = today or timezone.localdate()
        if self.status == c.VisitStatus.DONE:
            return c.Outcome.ON_TIME if self.done_on <= self.due_on else c.Outcome.LATE
        return c.Outcome.OVERDUE if self.due_on < today else c.Outcome.PENDING


class VisitReschedule(models.Model):
    """One date change of a visit, with the reason (audited in full by simple-history as well)."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="reschedules")
    from_date = models.DateField(_("from"))
    to_date = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("visit reschedule")
        verbose_name_plural = _("visit reschedules")

    def __str__(self) -> str:
        return f"{self.from_date} → {self.to_date}"


class CareRecord(models.Model):
    """客户关怀记录 (seed 002): birthdays, anniversaries, greetings, help given."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="care_records")
    kind = models.CharField(_("kind"), max_length=12, choices=c.CareKind.choices)
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="care_records")
    occurred_on = models.DateField(_("date"))
    summary = models.CharField(_("summary"), max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("care record")
        verbose_name_plural = _("care records")
        indexes = [models.Index(fields=["customer", "-occurred_on"], name="care_cust_day_idx")]

    def __str__(self) -> str:
        return self.summary
