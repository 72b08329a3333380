"""Connection projects (业扩报装, DOMAIN.md "Connection projects"; issue #12).

A project runs from the accepted application to energisation through stages (`StageRecord`),
each with an owner, a start, an end and a deadline in working days from the `TimingRule`
table. Time waiting for the customer is a `Pause`: grid-side and customer-side time are two
clocks, and only grid-side time counts against the commitments. Energisation writes the
archive from the project's `ProjectSupplyPoint` / `ProjectTransformer` / `ProjectMeteringPoint`
rows and its contract fields.

All writes go through `projects.services`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from powerkam.customers import constants as cc
from powerkam.customers.validators import validate_ratio

from . import constants as c

POSITIVE_KVA = [MinValueValidator(Decimal("0.01"))]


# --- configuration (rules as data) --------------------------------------------------------------


class TimingRule(models.Model):
    """A stage's time limit in working days by application type, voltage level, supply mode and
    green channel; `stage` empty is the grid-side total commitment. `workdays` empty: the stage
    has no deadline (customer side). Seeded with the State Grid defaults (constants)."""

    application_type = models.CharField(_("application type"), max_length=12, choices=c.ApplicationType.choices)
    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=cc.VoltageLevel.choices)
    supply_mode = models.CharField(_("supply mode"), max_length=8, choices=c.SupplyMode.choices)
    green_channel = models.BooleanField(_("green channel"), default=False)
    stage = models.CharField(_("stage"), max_length=20, choices=c.Stage.choices, blank=True,
                             help_text=_("Empty: the grid-side total commitment."))
    workdays = models.PositiveSmallIntegerField(_("working days"), null=True, blank=True,
                                                validators=[MinValueValidator(1)])
    warn_percent = models.PositiveSmallIntegerField(_("stall warning at (% of the time)"),
                                                    default=c.DEFAULT_WARN_PERCENT,
                                                    validators=[MinValueValidator(1), MaxValueValidator(100)])
    history = HistoricalRecords()

    class Meta:
        ordering = ["application_type", "voltage_level", "supply_mode", "green_channel", "stage"]
        constraints = [models.UniqueConstraint(
            fields=["application_type", "voltage_level", "supply_mode", "green_channel", "stage"],
            name="uniq_project_timing_rule")]
        verbose_name = _("timing rule")
        verbose_name_plural = _("timing table")

    def __str__(self) -> str:
        return f"{self.application_type} {self.voltage_level} {self.supply_mode} {self.stage or 'total'}"


class DocumentRequirement(models.Model):
    """One line of the one-time notice (一次性告知书): a document the applicant brings, for the
    application types, applicant type and voltage group it applies to (empty: all)."""

    class VoltageGroup(models.TextChoices):
        HIGH = "high", _("High voltage")
        LOW = "low", _("Low voltage")

    name = models.CharField(_("document"), max_length=200)
    application_types = models.JSONField(_("application types"), default=list, blank=True,
                                         help_text=_("Empty: every application type."))
    applicant_type = models.CharField(_("applicant type"), max_length=10, choices=c.ApplicantType.choices,
                                      blank=True)
    voltage_group = models.CharField(_("voltage group"), max_length=4, choices=VoltageGroup.choices, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("required document")
        verbose_name_plural = _("one-time notice documents")

    def __str__(self) -> str:
        return self.name

    def applies_to(self, application_type: str, applicant_type: str, voltage_level: str) -> bool:
        if not self.is_active:
            return False
        if self.application_types and application_type not in self.application_types:
            return False
        if self.applicant_type and self.applicant_type != applicant_type:
            return False
        high = voltage_level in cc.HIGH_VOLTAGE_LEVELS
        if self.voltage_group == self.VoltageGroup.HIGH and not high:
            return False
        return not (self.voltage_group == self.VoltageGroup.LOW and high)


# --- the project ---------------------------------------------------------------------------------


class Project(models.Model):
    """One connection application (业扩报装), from acceptance to energisation."""

    number = models.CharField(_("project number"), max_length=24, unique=True)
    application_type = models.CharField(_("application type"), max_length=12, choices=c.ApplicationType.choices,
                                        db_index=True)
    applicant_type = models.CharField(_("applicant type"), max_length=10, choices=c.ApplicantType.choices)
    # An existing customer (or a prospect in the archive); empty for a new applicant until the
    # energisation creates the customer.
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="projects")
    applicant_name = models.CharField(_("applicant"), max_length=200)
    applicant_credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    applicant_contact = models.CharField(_("contact person"), max_length=60, blank=True)
    applicant_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    site_address = models.CharField(_("site address"), max_length=255)
    requested_capacity_kva = models.DecimalField(_("requested capacity (kVA)"), max_digits=12, decimal_places=2,
                                                 validators=POSITIVE_KVA)
    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=cc.VoltageLevel.choices)
    supply_mode = models.CharField(_("supply mode"), max_length=8, choices=c.SupplyMode.choices,
                                   default=c.SupplyMode.SINGLE)
    industry = models.CharField(_("industry (GB/T 4754)"), max_length=1, choices=cc.Industry.choices, blank=True)
    usage_category = models.CharField(_("usage category"), max_length=24, choices=cc.UsageCategory.choices,
                                      default=cc.UsageCategory.GENERAL_COMMERCIAL)
    expected_energisation_on = models.DateField(_("expected energisation"), null=True, blank=True)
    is_key_project = models.BooleanField(_("key project"), default=False)
    green_channel = models.BooleanField(_("green channel"), default=False, db_index=True)
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("supply station"), on_delete=models.PROTECT,
                                 related_name="+")
    # 首问负责制: whoever accepted the application owns it for its whole life.
    first_contact_owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("first-contact owner"),
                                            on_delete=models.PROTECT, related_name="+")
    # 专人全程跟踪: the dedicated tracker who gets the stall warnings.
    tracker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tracker"), on_delete=models.PROTECT,
                                related_name="tracked_projects")
    status = models.CharField(_("status"), max_length=12, choices=c.Status.choices, default=c.Status.OPEN,
                              db_index=True)
    stage = models.CharField(_("current stage"), max_length=20, choices=c.Stage.choices, blank=True)
    current_stage = models.ForeignKey("StageRecord", verbose_name=_("current stage record"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    # The current stage's deadline and escalation, kept here for the board and the list.
    due_on = models.DateField(_("due"), null=True, blank=True)
    due_provisional = models.BooleanField(_("due date provisional"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    is_paused = models.BooleanField(_("paused for the customer"), default=False)
    accepted_on = models.DateField(_("accepted on"))
    energised_on = models.DateField(_("energised on"), null=True, blank=True)
    # The grid-side total commitment (TimingRule with no stage) when the project was accepted.
    commitment_workdays = models.PositiveSmallIntegerField(_("grid-side commitment (working days)"), null=True,
                                                           blank=True)
    # Both clocks over the whole project, in working days (refreshed at each stage end).
    grid_workdays = models.PositiveIntegerField(_("grid-side working days"), default=0)
    customer_workdays = models.PositiveIntegerField(_("customer-side working days"), default=0)
    # The contract the energisation writes to the archive (签订合同).
    contract_number = models.CharField(_("contract number"), max_length=40, blank=True)
    contract_signed_on = models.DateField(_("contract signed on"), null=True, blank=True)
    contract_valid_from = models.DateField(_("contract valid from"), null=True, blank=True)
    contract_valid_to = models.DateField(_("contract valid to"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    legacy_number = models.CharField(_("legacy system number"), max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        # Green channel first everywhere (issue #12 §3), then the soonest deadline.
        ordering = ["-green_channel", "due_on", "id"]
        indexes = [
            models.Index(fields=["status", "stage"], name="proj_status_stage_idx"),
            models.Index(fields=["org_unit", "status"], name="proj_unit_status_idx"),
            models.Index(fields=["tracker", "status"], name="proj_tracker_status_idx"),
            models.Index(fields=["status", "-green_channel", "due_on", "id"], name="proj_board_idx"),
            models.Index(fields=["customer", "status"], name="proj_customer_idx"),
            # Cycle-time analysis: the energised projects of a period by month, unit, voltage and
            # type, read from this index alone — the scope's and the filters' columns included
            # (selectors.cycle_time_report; decision record 0017).
            models.Index(fields=["status", "energised_on", "org_unit", "voltage_level", "application_type",
                                 "green_channel", "tracker", "first_contact_owner", "grid_workdays",
                                 "commitment_workdays", "customer_workdays"], name="proj_cycle_cover_idx"),
        ]
        verbose_name = _("connection project")
        verbose_name_plural = _("connection projects")

    def __str__(self) -> str:
        return f"{self.number} {self.applicant_name}"

    @property
    def is_open(self) -> bool:
        return self.status == c.Status.OPEN

    @property
    def is_high_voltage(self) -> bool:
        return self.voltage_level in cc.HIGH_VOLTAGE_LEVELS

    @property
    def flow(self) -> tuple[str, ...]:
        return c.stages_for(self.application_type, self.voltage_level)

    @property
    def is_overdue(self) -> bool:
        return self.is_open and not self.is_paused and self.due_on is not None and self.due_on < timezone.localdate()


class StageRecord(models.Model):
    """One stage of one project: owner, start, end, deadline (working days from the timing rule
    it was started with, moved by exactly the paused working days), the two clocks, the stall
    warning and escalation state. Dates are local calendar days."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE,
                                related_name="stages")
    stage = models.CharField(_("stage"), max_length=20, choices=c.Stage.choices)
    side = models.CharField(_("side"), max_length=10, choices=c.Side.choices, default=c.Side.GRID)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="+")
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    # The rule it was computed with (the table may be edited afterwards; the recompute needs it).
    limit_workdays = models.PositiveSmallIntegerField(_("time limit (working days)"), null=True, blank=True)
    warn_percent = models.PositiveSmallIntegerField(_("stall warning at (%)"), default=c.DEFAULT_WARN_PERCENT)
    paused_workdays = models.PositiveIntegerField(_("paused working days"), default=0)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    warn_on = models.DateField(_("stall warning on"), null=True, blank=True)
    escalate_next_on = models.DateField(_("next-level escalation after"), null=True, blank=True)
    deadline_provisional = models.BooleanField(_("deadline provisional"), default=False)
    is_paused = models.BooleanField(_("paused"), default=False)
    warned = models.BooleanField(_("stall warning sent"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # Filled when the stage ends: both clocks and whether the commitment was kept.
    grid_workdays = models.PositiveIntegerField(_("grid-side working days"), null=True, blank=True)
    customer_workdays = models.PositiveIntegerField(_("customer-side working days"), null=True, blank=True)
    within_commitment = models.BooleanField(_("within commitment"), null=True, blank=True)
    note = models.TextField(_("result"), blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("completed by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "started_on", "id"]
        indexes = [
            # The nightly stall scan: open stages by warning day / deadline (set-based).
            models.Index(fields=["ended_on", "warned", "warn_on"], name="stage_warn_scan_idx"),
            models.Index(fields=["ended_on", "escalation_level", "deadline"], name="stage_esc_scan_idx"),
            # Cycle-time analysis: selectors.stage_groups groups the period's finished stages by
            # this index's leading columns, in order, and reads only columns it holds (decision
            # record 0017); `project` for a scoped report.
            models.Index(fields=["stage", "grid_workdays", "within_commitment", "ended_on", "customer_workdays",
                                 "limit_workdays", "project"], name="stage_cycle_cover_idx"),
        ]
        verbose_name = _("stage record")
        verbose_name_plural = _("stage records")

    def __str__(self) -> str:
        return f"{self.project_id} {self.stage}"

    @property
    def task_key(self) -> str:
        return f"project:stage:{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.ended_on is None


class Pause(models.Model):
    """Time waiting for the customer (documents, customer-side construction): the stage's
    grid-side clock stops and its deadline moves by exactly the paused working days."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="pauses")
    stage_record = models.ForeignKey(StageRecord, verbose_name=_("stage"), on_delete=models.CASCADE,
                                     related_name="pauses")
    reason = models.CharField(_("reason"), max_length=24, choices=c.PauseReason.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    started_on = models.DateField(_("paused on"))
    ended_on = models.DateField(_("resumed on"), null=True, blank=True)
    workdays = models.PositiveIntegerField(_("working days paused"), null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("paused by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["started_on", "id"]
        constraints = [models.UniqueConstraint(fields=["stage_record"], condition=models.Q(ended_on__isnull=True),
                                               name="uniq_open_pause_per_stage")]
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")

    def __str__(self) -> str:
        return f"{self.project_id} {self.reason} {self.started_on}"


class ProjectDocument(models.Model):
    """One document of the project's one-time notice, ticked off when it arrives."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE,
                                related_name="documents")
    requirement = models.ForeignKey(DocumentRequirement, verbose_name=_("requirement"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("document"), max_length=200)  # as printed on the notice
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("received by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")

    def __str__(self) -> str:
        return self.name


class Contractor(models.Model):
    """The designer, builder or equipment supplier — always the customer's own choice (三不指定):
    free text plus the licence data; nothing proposes or ranks one. The builder's
    承装（修、试）电力设施许可证 is checked against the voltage and the stage date; a supervisor
    may record an override with a reason."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE,
                                related_name="contractors")
    role = models.CharField(_("role"), max_length=10, choices=c.ContractorRole.choices)
    name = models.CharField(_("name (customer's choice)"), max_length=200)
    licence_number = models.CharField(_("licence number"), max_length=60, blank=True)
    licence_class = models.CharField(_("licence class"), max_length=1, choices=c.LicenceClass.choices, blank=True)
    licence_valid_from = models.DateField(_("licence valid from"), null=True, blank=True)
    licence_valid_to = models.DateField(_("licence valid to"), null=True, blank=True)
    override_reason = models.TextField(_("override reason"), blank=True)
    override_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("override by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    override_at = models.DateTimeField(_("override at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "role"]
        constraints = [models.UniqueConstraint(fields=["project", "role"], name="uniq_contractor_role")]
        verbose_name = _("contractor")
        verbose_name_plural = _("contractors")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"


class Defect(models.Model):
    """A defect found at completion acceptance (or intermediate inspection); energisation is
    refused while any is open. Cleared once, at re-inspection."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="defects")
    stage_record = models.ForeignKey(StageRecord, verbose_name=_("found at"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="defects")
    item = models.CharField(_("item"), max_length=200)
    severity = models.CharField(_("severity"), max_length=10, choices=c.DefectSeverity.choices,
                                default=c.DefectSeverity.MAJOR)
    photo = models.FileField(_("photo"), upload_to="projects/defects/%Y/%m/", blank=True)  # jpg/png, checked by the service
    responsible_party = models.CharField(_("responsible party"), max_length=10, choices=c.ResponsibleParty.choices,
                                         default=c.ResponsibleParty.BUILDER)
    deadline = models.DateField(_("rectify by"), null=True, blank=True)
    found_on = models.DateField(_("found on"), default=timezone.localdate)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("cleared by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    clear_note = models.CharField(_("re-inspection note"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "id"]
        indexes = [models.Index(fields=["project", "cleared_at"], name="defect_open_idx")]
        verbose_name = _("acceptance defect")
        verbose_name_plural = _("acceptance defects")

    def __str__(self) -> str:
        return self.item

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class ProjectEvent(models.Model):
    """The project's own history (stage changes, pauses, warnings, escalations, overrides)."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=24, choices=c.EventKind.choices)
    stage_record = models.ForeignKey(StageRecord, verbose_name=_("stage"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    target = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("to"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("project event")
        verbose_name_plural = _("project events")

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind}"


# --- what the energisation writes to the archive ---------------------------------------------------


class ProjectSupplyPoint(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE,
                                related_name="supply_points")
    name = models.CharField(_("supply point"), max_length=100)
    substation = models.ForeignKey("customers.Substation", verbose_name=_("substation"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    supply_line = models.ForeignKey("customers.SupplyLine", verbose_name=_("supply line"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    source_type = models.CharField(_("source type"), max_length=8, choices=cc.SourceType.choices,
                                   default=cc.SourceType.MAIN)
    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=cc.VoltageLevel.choices)
    capacity_kva = models.DecimalField(_("capacity (kVA)"), max_digits=12, decimal_places=2, validators=POSITIVE_KVA)
    # The archive record written (or updated) at energisation.
    archived = models.ForeignKey("customers.SupplyPoint", verbose_name=_("archive record"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "source_type", "id"]
        verbose_name = _("planned supply point")
        verbose_name_plural = _("planned supply points")

    def __str__(self) -> str:
        return self.name


class ProjectTransformer(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE,
                                related_name="transformers")
    action = models.CharField(_("action"), max_length=8, choices=c.TransformerAction.choices,
                              default=c.TransformerAction.ADD)
    supply_point = models.ForeignKey(ProjectSupplyPoint, verbose_name=_("supply point"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="transformers")
    # A capacity reduction takes an existing transformer out of service.
    existing = models.ForeignKey("customers.Transformer", verbose_name=_("existing transformer"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    model_no = models.CharField(_("model"), max_length=60, blank=True)
    serial_no = models.CharField(_("serial number"), max_length=60, blank=True)
    capacity_kva = models.DecimalField(_("capacity (kVA)"), max_digits=12, decimal_places=2, null=True, blank=True,
                                       validators=POSITIVE_KVA)
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    archived = models.ForeignKey("customers.Transformer", verbose_name=_("archive record"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "id"]
        verbose_name = _("planned transformer")
        verbose_name_plural = _("planned transformers")

    def __str__(self) -> str:
        return f"{self.model_no} {self.capacity_kva} kVA × {self.quantity}"

    @property
    def total_kva(self) -> Decimal:
        return (self.capacity_kva or Decimal("0")) * self.quantity


class ProjectMeteringPoint(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE,
                                related_name="metering_points")
    supply_point = models.ForeignKey(ProjectSupplyPoint, verbose_name=_("supply point"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="metering_points")
    number = models.CharField(_("metering point number"), max_length=32)
    meter_no = models.CharField(_("meter number"), max_length=32, blank=True)
    ct_ratio = models.CharField(_("CT ratio"), max_length=20, default="1/1", validators=[validate_ratio])
    pt_ratio = models.CharField(_("PT ratio"), max_length=20, default="1/1", validators=[validate_ratio])
    archived = models.ForeignKey("customers.MeteringPoint", verbose_name=_("archive record"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "number"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="uniq_project_mp")]
        verbose_name = _("planned metering point")
        verbose_name_plural = _("planned metering points")

    def __str__(self) -> str:
        return self.number
