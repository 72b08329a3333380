"""The customer archive (客户档案, DOMAIN.md "Customer archive"; seed 003-篇9)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import constants as c
from .validators import RATIO_RE, mask_id_number, validate_id_number, validate_ratio, validate_uscc

NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


class Substation(models.Model):
    name = models.CharField(_("substation"), max_length=100, unique=True)
    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=c.VoltageLevel.choices, default=c.VoltageLevel.V110)
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), null=True, blank=True, on_delete=models.PROTECT)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("substation")
        verbose_name_plural = _("substations")

    def __str__(self) -> str:
        return self.name


class SupplyLine(models.Model):
    """A feeder (供电线路). Outage notices and line-loss statistics follow it."""

    substation = models.ForeignKey(Substation, verbose_name=_("substation"), on_delete=models.PROTECT, related_name="lines")
    name = models.CharField(_("supply line"), max_length=100)
    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=c.VoltageLevel.choices, default=c.VoltageLevel.V10)
    history = HistoricalRecords()

    class Meta:
        ordering = ["substation__name", "name"]
        constraints = [models.UniqueConstraint(fields=["substation", "name"], name="uniq_line_per_substation")]
        verbose_name = _("supply line")
        verbose_name_plural = _("supply lines")

    def __str__(self) -> str:
        return f"{self.substation.name} {self.name}"


class Customer(models.Model):
    number = models.CharField(_("customer number"), max_length=20, unique=True)
    # Indexed by cust_name_idx (Meta: the list's sort by name) — without PostgreSQL's second,
    # varchar_pattern_ops copy of db_index=True, which only a `name LIKE 'x%'` reads (customers 0012).
    name = models.CharField(_("customer name"), max_length=200)
    customer_type = models.CharField(_("customer type"), max_length=16, choices=c.CustomerType.choices, default=c.CustomerType.ENTERPRISE)
    # Identity
    # Indexed by cust_credit_code_idx (Meta; varchar_pattern_ops on PostgreSQL, customers 0012).
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True, validators=[validate_uscc])
    business_licence_no = models.CharField(_("business licence number"), max_length=32, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=60, blank=True)
    id_number = models.CharField(_("ID card number"), max_length=18, blank=True, validators=[validate_id_number])
    address = models.CharField(_("address"), max_length=255, blank=True)
    # Usage
    industry = models.CharField(_("industry (GB/T 4754)"), max_length=1, choices=c.Industry.choices, blank=True)
    usage_category = models.CharField(_("usage category"), max_length=24, choices=c.UsageCategory.choices, default=c.UsageCategory.GENERAL_COMMERCIAL)
    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=c.VoltageLevel.choices, default=c.VoltageLevel.V10)
    contract_capacity_kva = models.DecimalField(_("contract capacity (kVA)"), max_digits=12, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE)
    operating_capacity_kva = models.DecimalField(_("operating capacity (kVA)"), max_digits=12, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE)
    # Segmentation and status
    # Indexed by cust_status_idx (Meta; customers 0012)
    lifecycle_status = models.CharField(_("lifecycle status"), max_length=16, choices=c.LifecycleStatus.choices, default=c.LifecycleStatus.ACTIVE)
    importance_level = models.CharField(_("importance level"), max_length=16, choices=c.ImportanceLevel.choices, default=c.ImportanceLevel.NONE)
    scope = models.CharField(_("scope"), max_length=16, choices=c.Scope.choices, default=c.Scope.REGIONAL)
    cooperation_depth = models.CharField(_("cooperation depth"), max_length=24, choices=c.CooperationDepth.choices, blank=True)
    is_key_account = models.BooleanField(_("key account"), default=False, db_index=True)
    ka_tier = models.CharField(_("key account tier"), max_length=16, choices=c.KeyAccountTier.choices, blank=True)
    # Billing parameters (计费参数)
    tariff_code = models.CharField(_("tariff code"), max_length=32, blank=True)
    basic_charge_method = models.CharField(_("basic charge method"), max_length=16, choices=c.BasicChargeMethod.choices, default=c.BasicChargeMethod.NONE)
    pf_standard = models.CharField(_("power factor standard"), max_length=8, choices=c.PFStandard.choices, default=c.PFStandard.NONE)
    tou_enabled = models.BooleanField(_("time-of-use pricing"), default=False)
    # Organisation and portfolio (谁开发，谁维护; 1+1 dual managers)
    # No index of its own: org_unit_id leads cust_org_ka_idx (customers 0010).
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("supply station"), on_delete=models.PROTECT, related_name="customers",
                                 db_index=False)
    # indexed by cust_manager_status_idx (Meta), which leads with it
    primary_manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("primary manager"), null=True, blank=True, on_delete=models.PROTECT, related_name="primary_customers", db_index=False)
    secondary_manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("secondary manager"), null=True, blank=True, on_delete=models.PROTECT, related_name="secondary_customers")
    developed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("developed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="developed_customers")
    opened_on = models.DateField(_("supply opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The audit trail is read by customer (id) and by date: the copies of the customer's own
    # indexes on its history table only slowed every write (imports: one history row per customer).
    history = HistoricalRecords(no_db_index=["number", "name", "credit_code", "lifecycle_status", "is_key_account",
                                             "org_unit", "primary_manager", "secondary_manager", "developed_by"])

    class Meta:
        ordering = ["number"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            # (the secondary manager's index is its foreign key's; the primary manager's is the next one)
            # On PostgreSQL it also INCLUDEs the status, the contract capacity and the managers, so
            # that a filtered count of an org unit is an index-only scan (customers 0010).
            models.Index(fields=["org_unit", "is_key_account"], name="cust_org_ka_idx"),
            # Instead of the primary manager's foreign-key index (the same first column, so it serves
            # every lookup by manager that one did): the scorecard's portfolio sizes (customers not
            # closed per manager) read it alone — 11 → 1 ms for a 50-person unit's 9,916 customers
            # on PostgreSQL (decision record 0021).
            models.Index(fields=["primary_manager", "lifecycle_status"], name="cust_manager_status_idx"),
            # Segmentation counts and filters (seed 002: scope, cooperation depth; issue #15).
            models.Index(fields=["scope", "cooperation_depth"], name="cust_segment_idx"),
            # One index per column where db_index=True made two on PostgreSQL (customers 0012, decision
            # record 0023): the name's plain B-tree serves its sort; the credit code's is
            # varchar_pattern_ops on PostgreSQL, which serves its equality and its prefix search
            # (`credit_code__startswith`) under any collation; the status's plain B-tree serves the
            # counts of (not) closed customers and the closed customers' pages.
            models.Index(fields=["name"], name="cust_name_idx"),
            models.Index(fields=["credit_code"], name="cust_credit_code_idx"),
            models.Index(fields=["lifecycle_status"], name="cust_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def is_closed(self) -> bool:
        return self.lifecycle_status == c.LifecycleStatus.CLOSED


class CustomerChild(models.Model):
    """Every archive record hangs off one customer and carries customer_id (DESIGN "Data")."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE)

    class Meta:
        abstract = True


class Contact(CustomerChild):
    name = models.CharField(_("name"), max_length=60)
    role = models.CharField(_("role"), max_length=16, choices=c.ContactRole.choices, default=c.ContactRole.OTHER)
    title = models.CharField(_("job title"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_primary", "name"]
        default_related_name = "contacts"
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class SupplyPoint(CustomerChild):
    name = models.CharField(_("supply point"), max_length=100)
    substation = models.ForeignKey(Substation, verbose_name=_("substation"), null=True, blank=True, on_delete=models.PROTECT)
    supply_line = models.ForeignKey(SupplyLine, verbose_name=_("supply line"), null=True, blank=True, on_delete=models.PROTECT, related_name="supply_points")
    source_type = models.CharField(_("source type"), max_length=8, choices=c.SourceType.choices, default=c.SourceType.MAIN)
    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=c.VoltageLevel.choices, default=c.VoltageLevel.V10)
    capacity_kva = models.DecimalField(_("capacity (kVA)"), max_digits=12, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["source_type", "name"]
        default_related_name = "supply_points"
        verbose_name = _("supply point")
        verbose_name_plural = _("supply points")

    def __str__(self) -> str:
        return self.name


class Transformer(CustomerChild):
    supply_point = models.ForeignKey(SupplyPoint, verbose_name=_("supply point"), null=True, blank=True, on_delete=models.SET_NULL, related_name="transformers")
    model_no = models.CharField(_("model"), max_length=60, blank=True)
    serial_no = models.CharField(_("serial number"), max_length=60, blank=True)
    capacity_kva = models.DecimalField(_("capacity (kVA)"), max_digits=12, decimal_places=2, validators=NON_NEGATIVE)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    in_service = models.BooleanField(_("in service"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-in_service", "id"]
        default_related_name = "transformers"
        verbose_name = _("transformer")
        verbose_name_plural = _("transformers")

    def __str__(self) -> str:
        return f"{self.model_no} {self.capacity_kva} kVA × {self.quantity}"

    @property
    def total_kva(self) -> Decimal:
        return self.capacity_kva * self.quantity


def ratio_factor(ratio: str) -> Decimal | None:
    m = RATIO_RE.match(ratio or "")
    if not m:
        return None
    return Decimal(m.group(1)) / Decimal(m.group(2))


class MeteringPoint(CustomerChild):
    supply_point = models.ForeignKey(SupplyPoint, verbose_name=_("supply point"), null=True, blank=True, on_delete=models.SET_NULL, related_name="metering_points")
    number = models.CharField(_("metering point number"), max_length=32)
    meter_no = models.CharField(_("meter number"), max_length=32, blank=True)
    ct_ratio = models.CharField(_("CT ratio"), max_length=20, default="1/1", validators=[validate_ratio])
    pt_ratio = models.CharField(_("PT ratio"), max_length=20, default="1/1", validators=[validate_ratio])
    multiplier = models.DecimalField(_("multiplier"), max_digits=12, decimal_places=2, validators=NON_NEGATIVE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["number"]
        default_related_name = "metering_points"
        verbose_name = _("metering point")
        verbose_name_plural = _("metering points")
        constraints = [models.UniqueConstraint(fields=["customer", "number"], name="uniq_mp_per_customer")]

    def __str__(self) -> str:
        return self.number

    @property
    def expected_multiplier(self) -> Decimal | None:
        ct, pt = ratio_factor(self.ct_ratio), ratio_factor(self.pt_ratio)
        return None if ct is None or pt is None else ct * pt


def contract_upload_to(instance: "SupplyContract", filename: str) -> str:
    return f"contracts/{instance.customer_id}/{filename}"


class SupplyContract(CustomerChild):
    number = models.CharField(_("contract number"), max_length=40, unique=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    property_boundary = models.CharField(_("property boundary"), max_length=255, blank=True)
    scan = models.FileField(_("signed copy"), upload_to=contract_upload_to, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-valid_to"]
        default_related_name = "contracts"
        verbose_name = _("supply contract")
        verbose_name_plural = _("supply contracts")

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The contract cannot end before it starts.")})


class TimelineEvent(CustomerChild):
    """One entry on a customer's 360 timeline. Later modules (bills, visits, complaints) add theirs."""

    # No index on the customer or the kind of their own (customers 0012): every read is one customer's
    # events, newest first, or their delete, which timeline_cust_time_idx (customer, -occurred_at)
    # serves; nothing reads events by kind across customers.
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, db_index=False)
    kind = models.CharField(_("kind"), max_length=32)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    title = models.CharField(_("title"), max_length=200)
    # A generated title also stores its msgid and parameters, so that it is shown in the reader's
    # language (`display_title`; core/phrases.py), whatever language wrote it.
    # (Database defaults: bulk writers insert timeline rows with raw column lists.)
    title_msgid = models.CharField(_("title message"), max_length=200, blank=True, default="", db_default="")
    title_params = models.JSONField(_("title parameters"), null=True, blank=True, default=dict)
    detail = models.TextField(_("detail"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        default_related_name = "timeline"
        indexes = [models.Index(fields=["customer", "-occurred_at"], name="timeline_cust_time_idx")]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """The title in the active language (a generated one), or as written (free text)."""
        if self.title_msgid:
            from powerkam.core.phrases import render

            return render(self.title_msgid, self.title_params)
        return self.title


class DataQualityFinding(CustomerChild):
    """An open or resolved archive inconsistency. Findings flag; they never change the data."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    # No index on rule or status of their own: the open findings — what every page reads — are in
    # the partial unique index (customer, rule) WHERE status = 'open'; each index more is paid
    # by every import (≈ 4 findings per imported customer).
    rule = models.CharField(_("rule"), max_length=40)
    params = models.JSONField(_("details"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    detected_at = models.DateTimeField(_("detected at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-detected_at"]
        default_related_name = "findings"
        # (customer, status) is not indexed either: the partial unique index below serves one
        # customer's open findings, and the customer's own index all of them.
        constraints = [
            models.UniqueConstraint(fields=["customer", "rule"], condition=models.Q(status="open"), name="uniq_open_finding_per_rule"),
        ]
        verbose_name = _("data-quality finding")
        verbose_name_plural = _("data-quality findings")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        from .quality import finding_text

        return finding_text(self.rule, self.params)

    @property
    def rule_label(self) -> str:
        from .quality import rule_label

        return rule_label(self.rule)
