"""Tariffs, bills and billing runs (issue #3). The Bill is the record every later module reads:
receivables allocate payments to it, the ladder walks it, analytics sum it."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from . import constants as c

ZERO = Decimal("0.00")


class Bill(models.Model):
    """One customer's electricity bill for one month, itemised in `lines`."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("bill status", "Open")
        PAID = "paid", _("Paid")
        VOID = "void", _("Void")

    class Source(models.TextChoices):
        IMPORT = "import", _("Imported from the billing system")
        RUN = "run", _("Computed by a billing run")
        MANUAL = "manual", _("Entered by hand")

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="bills")
    number = models.CharField(_("bill number"), max_length=40, unique=True)
    period = models.DateField(_("billing month"), help_text=_("The first day of the billed month."))
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    tariff_code = models.CharField(_("tariff code"), max_length=32, blank=True)
    kwh = models.DecimalField(_("active energy (kWh)"), max_digits=16, decimal_places=2, default=ZERO)
    kvarh = models.DecimalField(_("reactive energy (kvarh)"), max_digits=16, decimal_places=2, default=ZERO)
    max_demand_kw = models.DecimalField(_("maximum demand (kW)"), max_digits=12, decimal_places=2, null=True, blank=True)
    power_factor = models.DecimalField(_("power factor"), max_digits=4, decimal_places=2, null=True, blank=True)
    pf_adjustment_rate = models.DecimalField(_("PF adjustment rate"), max_digits=6, decimal_places=4, default=Decimal("0"))
    energy_charge = models.DecimalField(_("energy charge"), max_digits=14, decimal_places=2, default=ZERO)
    basic_charge = models.DecimalField(_("basic charge"), max_digits=14, decimal_places=2, default=ZERO)
    pf_adjustment = models.DecimalField(_("PF adjustment"), max_digits=14, decimal_places=2, default=ZERO)
    surcharges = models.DecimalField(_("funds and surcharges"), max_digits=14, decimal_places=2, default=ZERO)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=ZERO)
    # Maintained by receivables (payment allocation); the outstanding amount is total - paid_amount.
    paid_amount = models.DecimalField(_("paid"), max_digits=14, decimal_places=2, default=ZERO)
    paid_on = models.DateField(_("settled on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.IMPORT)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period", "customer_id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(paid_amount__gte=0), name="bill_paid_non_negative"),
        ]
        indexes = [
            models.Index(fields=["customer", "period"], name="bill_customer_period_idx"),
            models.Index(fields=["period"], name="bill_period_idx"),
            models.Index(fields=["status", "due_on"], name="bill_open_due_idx"),
            # the bills list filters a month and a status together
            models.Index(fields=["period", "status"], name="bill_period_status_idx"),
            models.Index(fields=["due_on"], name="bill_due_idx"),
        ]
        verbose_name = _("bill")
        verbose_name_plural = _("bills")

    def __str__(self) -> str:
        return self.number

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.paid_amount


class BillLine(models.Model):
    """One item of a bill: energy per TOU period, basic charge, PF adjustment, each fund."""

    bill = models.ForeignKey(Bill, verbose_name=_("bill"), on_delete=models.CASCADE, related_name="lines")
    item = models.CharField(_("item"), max_length=40)
    label = models.CharField(_("description"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=16, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=8, null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["bill", "sort", "id"]
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"


# --- Tariff catalogue ----------------------------------------------------------------------------

PRICE = {"max_digits": 12, "decimal_places": 6}


class Tariff(models.Model):
    """One version of a catalogue tariff: a code keeps its identity across versions, each version
    is in force from `effective_from` to `effective_to` (inclusive; open-ended when empty).
    Prices in yuan: energy per kWh, basic charge per kVA·month (capacity) or kW·month (demand)."""

    code = models.CharField(_("tariff code"), max_length=32, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=16, choices=c.TariffCategory.choices)
    usage_category = models.CharField(_("usage category"), max_length=24, blank=True)
    voltage_band = models.CharField(_("voltage band"), max_length=32, blank=True)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    is_tou = models.BooleanField(_("time-of-use pricing"), default=True)
    price_sharp = models.DecimalField(_("sharp-peak price (yuan/kWh)"), null=True, blank=True, **PRICE)
    price_peak = models.DecimalField(_("peak price (yuan/kWh)"), null=True, blank=True, **PRICE)
    price_flat = models.DecimalField(_("flat price (yuan/kWh)"), null=True, blank=True, **PRICE)
    price_valley = models.DecimalField(_("valley price (yuan/kWh)"), null=True, blank=True, **PRICE)
    price_single = models.DecimalField(_("non-TOU price (yuan/kWh)"), null=True, blank=True, **PRICE)
    capacity_price = models.DecimalField(_("basic price by capacity (yuan/kVA·month)"), null=True, blank=True, **PRICE)
    demand_price = models.DecimalField(_("basic price by demand (yuan/kW·month)"), null=True, blank=True, **PRICE)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_from"], name="tariff_code_version_unique"),
        ]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.effective_from:%Y-%m-%d})"

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.effective_to and self.effective_to < self.effective_from:
            errors["effective_to"] = _("The end date must not be before the start date.")
        if self.is_tou:
            for f in ("price_peak", "price_flat", "price_valley"):
                if getattr(self, f) is None:
                    errors[f] = _("A time-of-use tariff needs this price.")
        elif self.price_single is None:
            errors["price_single"] = _("A tariff without time-of-use needs the non-TOU price.")
        if self.category == c.TariffCategory.TWO_PART and self.capacity_price is None and self.demand_price is None:
            errors["capacity_price"] = _("A two-part tariff needs a basic price by capacity or by demand.")
        for f in ("price_sharp", "price_peak", "price_flat", "price_valley", "price_single", "capacity_price", "demand_price"):
            v = getattr(self, f)
            if v is not None and v < 0:
                errors[f] = _("Prices cannot be negative.")
        if not errors and self.code:
            overlap = Tariff.objects.filter(code=self.code).exclude(pk=self.pk)
            end = self.effective_to
            overlap = overlap.filter(models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=self.effective_from))
            if end is not None:
                overlap = overlap.filter(effective_from__lte=end)
            if overlap.exists():
                errors["effective_from"] = _("Another version of this tariff code is in force in these dates.")
        if errors:
            raise ValidationError(errors)


class TariffSurcharge(models.Model):
    """A government fund or surcharge collected with the energy (yuan/kWh), itemised on the bill."""

    tariff = models.ForeignKey(Tariff, verbose_name=_("tariff"), on_delete=models.CASCADE, related_name="surcharges")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    # 8 places: funds are set in fen with several decimals (e.g. 0.196875 分/kWh = 0.00196875 yuan).
    price = models.DecimalField(_("price (yuan/kWh)"), max_digits=14, decimal_places=8)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["tariff", "sort", "id"]
        verbose_name = _("fund or surcharge")
        verbose_name_plural = _("funds and surcharges")

    def __str__(self) -> str:
        return f"{self.name} {self.price}"


class TariffTimeBand(models.Model):
    """A time-of-use band: in these months, from start to end (end exclusive), the period applies."""

    tariff = models.ForeignKey(Tariff, verbose_name=_("tariff"), on_delete=models.CASCADE, related_name="time_bands")
    season = models.CharField(_("season"), max_length=40, help_text=_("For example: summer (Jul–Aug)."))
    months = models.CharField(_("months"), max_length=40, help_text=_("Comma-separated month numbers, e.g. 7,8."))
    period = models.CharField(_("period"), max_length=8, choices=c.TouPeriod.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))

    class Meta:
        ordering = ["tariff", "season", "start"]
        verbose_name = _("time band")
        verbose_name_plural = _("time bands")

    def __str__(self) -> str:
        return f"{self.season} {self.get_period_display()} {self.start:%H:%M}-{self.end:%H:%M}"


# --- Metered quantities and billing runs ---------------------------------------------------------


class MeterReading(models.Model):
    """One customer's billing quantities for one month, as read from the meters."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="billing_readings")
    period = models.DateField(_("billing month"))
    kwh_sharp = models.DecimalField(_("sharp-peak kWh"), max_digits=16, decimal_places=2, default=ZERO)
    kwh_peak = models.DecimalField(_("peak kWh"), max_digits=16, decimal_places=2, default=ZERO)
    kwh_flat = models.DecimalField(_("flat kWh"), max_digits=16, decimal_places=2, default=ZERO)
    kwh_valley = models.DecimalField(_("valley kWh"), max_digits=16, decimal_places=2, default=ZERO)
    kwh_total = models.DecimalField(_("total kWh (non-TOU)"), max_digits=16, decimal_places=2, null=True, blank=True)
    kvarh = models.DecimalField(_("reactive energy (kvarh)"), max_digits=16, decimal_places=2, default=ZERO)
    max_demand_kw = models.DecimalField(_("maximum demand (kW)"), max_digits=12, decimal_places=2, null=True, blank=True)
    declared_demand_kw = models.DecimalField(_("declared demand (kW)"), max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period", "customer_id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "period"], name="meterreading_customer_period_unique"),
        ]
        indexes = [models.Index(fields=["period"], name="meterreading_period_idx")]
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.period:%Y-%m}"


class BillingRun(models.Model):
    """One billing run for one month: progress for the clerk's page and the result counts."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    period = models.DateField(_("billing month"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("readings"), default=0)
    done = models.PositiveIntegerField(_("processed"), default=0)
    created = models.PositiveIntegerField(_("bills created"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)  # the background task running it, if any
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.status}"

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else (100 if self.status == self.Status.DONE else 0)
