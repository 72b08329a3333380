"""Prospects and pipeline (issue #13): government key projects (政府重点项目) with 1+1 managers and
weekly reports, opportunities (SFA), value-added service quotes.

Invariants live here (field ranges); the business rules (1+1 managers, approval dates, stage
moves, discount approval, conversion) are in services.py, called by pages, API and imports.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from powerkam.customers import constants as cc

from . import constants as c

NON_NEGATIVE = [MinValueValidator(Decimal("0"))]
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
STAFF = settings.AUTH_USER_MODEL


class PipelinePolicy(models.Model):
    """The one row of pipeline settings (pk=1)."""

    report_weekday = models.PositiveSmallIntegerField(
        _("weekly report due on"), choices=c.WEEKDAYS, default=c.DEFAULT_REPORT_WEEKDAY,
        help_text=_("The weekly progress report of an approved project is due on this weekday "
                    "(the previous working day when it is a holiday)."))
    report_escalate_workdays = models.PositiveSmallIntegerField(
        _("escalate a missing report after (working days)"), default=c.DEFAULT_REPORT_ESCALATE_WORKDAYS,
        validators=[MaxValueValidator(30)])
    discount_approval_pct = models.DecimalField(
        _("discount needing approval above (%)"), max_digits=5, decimal_places=2,
        default=Decimal(c.DEFAULT_DISCOUNT_APPROVAL_PCT), validators=PERCENT,
        help_text=_("A quote with a line discounted above this needs a supervisor's approval."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pipeline settings")
        verbose_name_plural = _("pipeline settings")

    def __str__(self) -> str:
        return str(_("pipeline settings"))


class Milestone(models.Model):
    """An approval milestone of a government project (立项, 用地, 规划许可, 环评, 施工许可 …)."""

    code = models.SlugField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("approval milestone")
        verbose_name_plural = _("approval milestones")

    def __str__(self) -> str:
        return self.name


class GovernmentProject(models.Model):
    """A government key construction project (seed 001): planned (未立项) or approved (已立项)."""

    number = models.CharField(_("project number"), max_length=24, unique=True)
    name = models.CharField(_("project name"), max_length=200, db_index=True)
    gov_status = models.CharField(_("government status"), max_length=12, choices=c.GovStatus.choices,
                                  default=c.GovStatus.PLANNED, db_index=True)
    approval_doc_no = models.CharField(_("approval document number"), max_length=60, blank=True)
    approval_date = models.DateField(_("approval date"), null=True, blank=True)
    approving_authority = models.CharField(_("approving authority"), max_length=100, blank=True)
    investor = models.CharField(_("investor"), max_length=200, blank=True)
    site_address = models.CharField(_("site"), max_length=255, blank=True)
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    industry = models.CharField(_("industry (GB/T 4754)"), max_length=1, choices=cc.Industry.choices, blank=True)
    expected_load_kw = models.DecimalField(_("expected load (kW)"), max_digits=12, decimal_places=2,
                                           default=Decimal("0"), validators=NON_NEGATIVE)
    expected_capacity_kva = models.DecimalField(_("expected capacity (kVA)"), max_digits=12, decimal_places=2,
                                                default=Decimal("0"), validators=NON_NEGATIVE)
    expected_annual_kwh = models.DecimalField(_("expected annual consumption (kWh)"), max_digits=16,
                                              decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE)
    reliability = models.CharField(_("required reliability"), max_length=8, choices=c.Reliability.choices,
                                   default=c.Reliability.SINGLE)
    expected_energisation_on = models.DateField(_("expected energisation"), null=True, blank=True)
    # Demand classified in advance (抓包跟进), mainly for planned projects.
    load_class = models.CharField(_("load class"), max_length=2, choices=c.LoadClass.choices, blank=True)
    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=cc.VoltageLevel.choices, blank=True)
    supply_mode = models.CharField(_("supply mode"), max_length=12, choices=c.SupplyMode.choices, blank=True)
    # 1+1 dual managers (双经理制) and who brought it in (谁开发，谁维护).
    primary_manager = models.ForeignKey(STAFF, verbose_name=_("primary manager"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    secondary_manager = models.ForeignKey(STAFF, verbose_name=_("secondary manager"), null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    developed_by = models.ForeignKey(STAFF, verbose_name=_("developed by"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 help_text=_("The customer it became or was linked to."))
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    is_closed = models.BooleanField(_("closed"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("government key project")
        verbose_name_plural = _("government key projects")
        indexes = [
            models.Index(fields=["org_unit", "gov_status"], name="gp_unit_status_idx"),
            models.Index(fields=["primary_manager"], name="gp_pm_idx"),
            models.Index(fields=["secondary_manager"], name="gp_sm_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_approved(self) -> bool:
        return self.gov_status == c.GovStatus.APPROVED


class ProjectMilestone(models.Model):
    project = models.ForeignKey(GovernmentProject, verbose_name=_("project"), on_delete=models.CASCADE,
                                related_name="milestones")
    milestone = models.ForeignKey(Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="+")
    planned_on = models.DateField(_("planned"), null=True, blank=True)
    actual_on = models.DateField(_("actual"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["milestone__order", "milestone_id"]
        constraints = [models.UniqueConstraint(fields=["project", "milestone"], name="gp_milestone_once")]
        indexes = [models.Index(fields=["planned_on"], name="gp_ms_planned_idx")]
        verbose_name = _("project milestone")
        verbose_name_plural = _("project milestones")

    def __str__(self) -> str:
        return f"{self.project_id} {self.milestone}"

    def is_slipped(self, today) -> bool:
        return self.actual_on is None and self.planned_on is not None and self.planned_on < today


class ProjectContact(models.Model):
    """The investor's people (become the customer's contacts on conversion)."""

    project = models.ForeignKey(GovernmentProject, verbose_name=_("project"), on_delete=models.CASCADE,
                                related_name="contacts")
    name = models.CharField(_("name"), max_length=60)
    title = models.CharField(_("job title"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("project contact")
        verbose_name_plural = _("project contacts")

    def __str__(self) -> str:
        return self.name


class GovContactLog(models.Model):
    """A contact with a government department about a project (主动对接)."""

    project = models.ForeignKey(GovernmentProject, verbose_name=_("project"), on_delete=models.CASCADE,
                                related_name="contact_logs")
    contacted_on = models.DateField(_("date"))
    department = models.CharField(_("government department"), max_length=100)
    person = models.CharField(_("person met"), max_length=60, blank=True)
    summary = models.TextField(_("summary"))
    by = models.ForeignKey(STAFF, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-contacted_on", "-id"]
        verbose_name = _("government contact")
        verbose_name_plural = _("government contacts")

    def __str__(self) -> str:
        return f"{self.contacted_on} {self.department}"


class WeeklyReport(models.Model):
    """周报: the primary manager's weekly progress report on an approved project."""

    project = models.ForeignKey(GovernmentProject, verbose_name=_("project"), on_delete=models.CASCADE,
                                related_name="weekly_reports")
    week_start = models.DateField(_("week (Monday)"))
    milestone_progress = models.JSONField(_("progress per milestone"), default=dict, blank=True)
    problems = models.TextField(_("problems"), blank=True)
    help_needed = models.TextField(_("help needed from the company"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    by = models.ForeignKey(STAFF, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-week_start", "-id"]
        constraints = [models.UniqueConstraint(fields=["project", "week_start"], name="gp_report_once_a_week")]
        indexes = [models.Index(fields=["week_start", "project"], name="gp_report_week_idx")]
        verbose_name = _("weekly report")
        verbose_name_plural = _("weekly reports")

    def __str__(self) -> str:
        return f"{self.project_id} {self.week_start}"


class OpportunityKind(models.Model):
    code = models.SlugField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=60)
    is_value_added = models.BooleanField(_("value-added service"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("opportunity kind")
        verbose_name_plural = _("opportunity kinds")

    def __str__(self) -> str:
        return self.name


class OpportunityStage(models.Model):
    code = models.SlugField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=60)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=0, validators=[MaxValueValidator(100)])
    outcome = models.CharField(_("outcome"), max_length=8, choices=c.StageOutcome.choices, default=c.StageOutcome.OPEN)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("opportunity stage")
        verbose_name_plural = _("opportunity stages")

    def __str__(self) -> str:
        return self.name


class Competitor(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=c.CompetitorKind.choices, default=c.CompetitorKind.OTHER)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")

    def __str__(self) -> str:
        return self.name


class Opportunity(models.Model):
    """A sales opportunity (SFA, seed 003-篇12) for an existing customer or a prospect."""

    number = models.CharField(_("opportunity number"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=200, db_index=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    prospect_name = models.CharField(_("prospect"), max_length=200, blank=True,
                                     help_text=_("The future customer's name when it is not a customer yet."))
    site_address = models.CharField(_("site"), max_length=255, blank=True,
                                    help_text=_("Where supply is needed (the connection project's site)."))
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    contact_mobile = models.CharField(_("contact mobile"), max_length=20, blank=True)
    government_project = models.ForeignKey(GovernmentProject, verbose_name=_("government key project"), null=True,
                                           blank=True, on_delete=models.SET_NULL, related_name="opportunities")
    kind = models.ForeignKey(OpportunityKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="+")
    stage = models.ForeignKey(OpportunityStage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+")
    probability = models.PositiveSmallIntegerField(_("probability (%)"), validators=[MaxValueValidator(100)])
    expected_kva = models.DecimalField(_("expected capacity (kVA)"), max_digits=12, decimal_places=2,
                                       default=Decimal("0"), validators=NON_NEGATIVE)
    expected_annual_kwh = models.DecimalField(_("expected annual consumption (kWh)"), max_digits=16,
                                              decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE)
    expected_annual_revenue_yuan = models.DecimalField(_("expected annual revenue (yuan)"), max_digits=14,
                                                       decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE)
    close_on = models.DateField(_("expected close"), db_index=True)
    owner = models.ForeignKey(STAFF, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step on"), null=True, blank=True)
    competitors = models.ManyToManyField(Competitor, verbose_name=_("competitors"), blank=True, related_name="+")
    loss_reason = models.CharField(_("loss reason"), max_length=16, choices=c.LossReason.choices, blank=True)
    loss_note = models.CharField(_("loss note"), max_length=255, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Days from creation to won/lost, kept when it closes (the forecast's average cycle).
    cycle_days = models.PositiveIntegerField(_("cycle (days)"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    created_on = models.DateField(_("created on"), default=timezone.localdate)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[competitors])

    class Meta:
        ordering = ["close_on", "id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=["stage", "close_on"], name="opp_stage_close_idx"),
            # the board's won and lost columns: the latest closed first, read in order (no sort)
            models.Index(fields=["stage", "closed_on"], name="opp_stage_closed_idx"),
            models.Index(fields=["org_unit", "stage"], name="opp_unit_stage_idx"),
            models.Index(fields=["owner", "stage"], name="opp_owner_stage_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def party_name(self) -> str:
        return self.customer.name if self.customer_id else self.prospect_name

    @property
    def weighted_revenue_yuan(self) -> Decimal:
        return (self.expected_annual_revenue_yuan * self.probability / Decimal(100)).quantize(Decimal("0.01"))


class ServiceItem(models.Model):
    """The value-added service catalogue (admin)."""

    code = models.CharField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=16)
    unit_price_yuan = models.DecimalField(_("unit price (yuan)"), max_digits=14, decimal_places=2, validators=NON_NEGATIVE)
    kind = models.ForeignKey(OpportunityKind, verbose_name=_("kind"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("catalogue service")
        verbose_name_plural = _("service catalogue")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Quote(models.Model):
    opportunity = models.ForeignKey(Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE,
                                    related_name="quotes")
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=c.QuoteStatus.choices, default=c.QuoteStatus.DRAFT)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    subtotal_yuan = models.DecimalField(_("subtotal (yuan)"), max_digits=14, decimal_places=2, default=Decimal("0"))
    discount_yuan = models.DecimalField(_("discount (yuan)"), max_digits=14, decimal_places=2, default=Decimal("0"))
    total_yuan = models.DecimalField(_("total (yuan)"), max_digits=14, decimal_places=2, default=Decimal("0"))
    max_discount_pct = models.DecimalField(_("largest discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0"))
    created_by = models.ForeignKey(STAFF, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    approved_by = models.ForeignKey(STAFF, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["opportunity", "-version"]
        constraints = [models.UniqueConstraint(fields=["opportunity", "version"], name="quote_version_once")]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def __str__(self) -> str:
        return f"{self.opportunity.number} v{self.version}"


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(ServiceItem, verbose_name=_("service"), on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, validators=NON_NEGATIVE)
    unit_price_yuan = models.DecimalField(_("unit price (yuan)"), max_digits=14, decimal_places=2, validators=NON_NEGATIVE)
    discount_pct = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0"),
                                       validators=PERCENT)
    amount_yuan = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["quote", "pk"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"
