"""Tariffs, bills and billing runs (issue #3). The Bill is the record every later module reads:
receivables allocate payments to it, the ladder walks it, analytics sum it."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

ZERO = Decimal("0.00")


class Bill(models.Model):
    """One customer's electricity bill for one month, itemised in `lines`."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
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
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=6, null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["bill", "sort", "id"]
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"
