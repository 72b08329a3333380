"""Analysis settings: the purchase cost per kWh by voltage level (profit contribution)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from powerkam.customers.constants import VoltageLevel


class PurchaseCost(models.Model):
    """What the company pays per kWh it sells at one voltage level (购电成本, incl. losses).

    The profit-contribution analysis reads this table; a level without a row falls back to
    analytics.constants.DEFAULT_PURCHASE_COST_PER_KWH."""

    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=VoltageLevel.choices, unique=True)
    cost_per_kwh = models.DecimalField(_("purchase cost (yuan/kWh)"), max_digits=10, decimal_places=6,
                                       validators=[MinValueValidator(Decimal("0"))])
    source = models.CharField(_("source of the figure"), max_length=200, blank=True,
                              help_text=_("Where the figure comes from, e.g. the purchase contract or the finance report."))
    history = HistoricalRecords()

    class Meta:
        ordering = ["voltage_level"]
        verbose_name = _("purchase cost")
        verbose_name_plural = _("purchase costs")
        constraints = [
            models.CheckConstraint(condition=models.Q(cost_per_kwh__gte=0), name="analytics_cost_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_voltage_level_display()}: {self.cost_per_kwh}"


class MonthlySales(models.Model):
    """The non-void bills of one billing month summed per customer attribute combination.

    A pre-aggregate (rebuilt by services.refresh_monthly_sales: the nightly job
    "analytics_monthly_sales" and `manage.py refresh_analytics`) so the sales-volume and
    unit-price pages of subtree and company-wide users read a few thousand rows instead of
    every bill of the period. The customer attributes are those at refresh time."""

    period = models.DateField(_("billing month"))
    # No database constraint: the summary is rebuilt from the bills, never edited, and an org
    # unit is never deleted while it has customers (customers.Customer.org_unit is PROTECT).
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("supply station"), null=True,
                                 on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    usage_category = models.CharField(_("usage category"), max_length=24, blank=True, default="")
    industry = models.CharField(_("industry (GB/T 4754)"), max_length=1, blank=True, default="")
    ka_tier = models.CharField(_("key account tier"), max_length=16, blank=True, default="")
    is_key_account = models.BooleanField(_("key account"), default=False)
    bills = models.PositiveIntegerField(_("bills"), default=0)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    kwh = models.DecimalField(_("active energy (kWh)"), max_digits=20, decimal_places=2, default=Decimal("0"))
    energy_charge = models.DecimalField(_("energy charge"), max_digits=20, decimal_places=2, default=Decimal("0"))
    basic_charge = models.DecimalField(_("basic charge"), max_digits=20, decimal_places=2, default=Decimal("0"))
    pf_adjustment = models.DecimalField(_("PF adjustment"), max_digits=20, decimal_places=2, default=Decimal("0"))
    surcharges = models.DecimalField(_("funds and surcharges"), max_digits=20, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(_("total"), max_digits=20, decimal_places=2, default=Decimal("0"))
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        ordering = ["period", "org_unit_id", "usage_category", "industry", "ka_tier", "is_key_account"]
        verbose_name = _("monthly sales summary")
        verbose_name_plural = _("monthly sales summaries")
        indexes = [models.Index(fields=["period", "org_unit"], name="monthly_sales_period_unit_idx")]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.org_unit_id} {self.usage_category}: {self.kwh} kWh"


class ArrearsPosition(models.Model):
    """One row per customer with at least one open bill (status open, total > paid): what it
    owes, on how many bills, and its oldest due date — the ranking keys of the arrears page.

    Kept exact by database triggers on billing_bill (migration 0003): every insert, delete and
    change of a bill's customer, status, total, paid amount or due date recomputes that
    customer's row, whichever code path wrote the bill (billing runs by COPY, imports, payments
    and reversals, the admin, raw SQL). So the company-wide arrears page ranks 100,000 customers
    from this table instead of grouping every open bill on every request (issue #3: the day
    after the monthly billing run, 117,522 open bills). Never written by Python."""

    customer = models.OneToOneField("customers.Customer", verbose_name=_("customer"), primary_key=True,
                                    on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    outstanding = models.DecimalField(_("outstanding"), max_digits=16, decimal_places=2)
    open_bills = models.PositiveIntegerField(_("open bills"))
    oldest_due = models.DateField(_("oldest due date"))
    # The customer's number, the arrears page's tie-break, copied here (and kept by a trigger on
    # customers_customer) so each sort is one ordered index scan, even 50,000 rows deep.
    number = models.CharField(_("customer number"), max_length=20)

    class Meta:
        verbose_name = _("arrears position")
        verbose_name_plural = _("arrears positions")
        indexes = [models.Index(fields=["-outstanding", "number"], name="arrears_pos_out_desc_idx"),
                   models.Index(fields=["outstanding", "number"], name="arrears_pos_out_asc_idx"),
                   models.Index(fields=["-oldest_due", "number"], name="arrears_pos_due_desc_idx"),
                   models.Index(fields=["oldest_due", "number"], name="arrears_pos_due_asc_idx"),
                   models.Index(fields=["number"], name="arrears_pos_number_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.outstanding}"


class MonthlyCollection(models.Model):
    """The non-void bills whose due date falls in one month, summed per org unit of their
    customer: billed, paid so far and still outstanding (the bills open with something left to
    pay, analytics.ArrearsPosition's rule).

    A pre-aggregate like MonthlySales (rebuilt by services.refresh_monthly_collection in the same
    nightly job "analytics_monthly_sales" and `manage.py refresh_analytics`), so the executive
    dashboard reads the collection rate of a month and of the same month last year, and the
    arrears, from a few hundred rows instead of grouping ~100,000 bills and arrears positions
    joined to their customers on every request (issue #15). Payments are counted as of the
    refresh (`refreshed_at`, shown on the page); the drill-downs read the bills live."""

    due_month = models.DateField(_("due month"))
    # No database constraint, as MonthlySales: rebuilt from the bills, never edited.
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("supply station"), null=True,
                                 on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    bills = models.PositiveIntegerField(_("bills"), default=0)
    billed = models.DecimalField(_("billed"), max_digits=20, decimal_places=2, default=Decimal("0"))
    paid = models.DecimalField(_("paid"), max_digits=20, decimal_places=2, default=Decimal("0"))
    open_bills = models.PositiveIntegerField(_("open bills"), default=0)
    outstanding = models.DecimalField(_("outstanding"), max_digits=20, decimal_places=2, default=Decimal("0"))
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        ordering = ["due_month", "org_unit_id"]
        verbose_name = _("monthly collection summary")
        verbose_name_plural = _("monthly collection summaries")
        indexes = [models.Index(fields=["due_month", "org_unit"], name="monthly_coll_month_unit_idx")]

    def __str__(self) -> str:
        return f"{self.due_month:%Y-%m} {self.org_unit_id}: {self.paid} / {self.billed}"


class MonthlyPortfolio(models.Model):
    """The non-void bills of each primary manager's portfolio in one month: billed and kWh of the
    bills of that billing month, billed and paid of the bills due in that month — the money
    figures of the KPI scorecard (kpis.selectors.person_kpis: revenue, kWh, collection rate).

    A pre-aggregate like MonthlySales and MonthlyCollection (rebuilt by
    services.refresh_monthly_portfolio in the same nightly job "analytics_monthly_sales" and
    `manage.py refresh_analytics`), so a supervisor's or the company's scorecard reads one row per
    person instead of grouping the bills of the unit's ~10,000 customers twice on every request
    (issue #15, decision record 0021). Customers count for the manager who was their primary
    manager at the refresh, payments as of the refresh (`refreshed_at`, shown on the page); a
    manager's own scorecard and months never refreshed read the bills live; the drill-downs read
    them live always.

    Every refreshed month has a row with no manager (the bills of customers without one, zeros
    when there are none): the mark that the month was refreshed, so "no row for this person"
    means "nothing billed", not "not refreshed"."""

    month = models.DateField(_("month"))
    # No database constraint, as the other summaries: rebuilt from the bills, never edited.
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("primary manager"), null=True,
                              on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    bills = models.PositiveIntegerField(_("bills of the month"), default=0)
    billed = models.DecimalField(_("billed"), max_digits=20, decimal_places=2, default=Decimal("0"))
    kwh = models.DecimalField(_("active energy (kWh)"), max_digits=20, decimal_places=2, default=Decimal("0"))
    due_bills = models.PositiveIntegerField(_("bills due in the month"), default=0)
    due_billed = models.DecimalField(_("billed, due in the month"), max_digits=20, decimal_places=2,
                                     default=Decimal("0"))
    due_paid = models.DecimalField(_("paid, due in the month"), max_digits=20, decimal_places=2, default=Decimal("0"))
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        ordering = ["month", "staff_id"]
        verbose_name = _("monthly portfolio summary")
        verbose_name_plural = _("monthly portfolio summaries")
        indexes = [models.Index(fields=["month", "staff"], name="monthly_portf_month_staff_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.staff_id}: {self.billed} billed"
