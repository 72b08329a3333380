"""Targets, cost rates and the monthly management report archive (issue #15 items 5–8)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import constants as c


class Target(models.Model):
    """A monthly target for one person's KPI (set by their supervisor) or for one unit's
    dashboard figure (staff empty)."""

    month = models.DateField(_("month"))
    metric = models.CharField(_("figure"), max_length=20)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff member"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="kpi_targets")
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    value = models.DecimalField(_("target"), max_digits=16, decimal_places=2)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("set by"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(_("set at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["month", "metric"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["month", "metric", "staff"], condition=models.Q(staff__isnull=False),
                                    name="kpi_one_staff_target"),
            models.UniqueConstraint(fields=["month", "metric", "org_unit"],
                                    condition=models.Q(staff__isnull=True), name="kpi_one_unit_target"),
        ]
        indexes = [models.Index(fields=["month", "staff"], name="kpi_target_month_staff_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.metric} {self.staff_id or self.org_unit_id}: {self.value}"


class CostRate(models.Model):
    """What one unit of service work costs (yuan), for the service-cost KPI."""

    item = models.CharField(_("item"), max_length=8, choices=c.CostItem.choices, unique=True)
    yuan = models.DecimalField(_("cost (yuan)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    history = HistoricalRecords()

    class Meta:
        ordering = ["item"]
        verbose_name = _("service cost rate")
        verbose_name_plural = _("service cost rates")

    def __str__(self) -> str:
        return f"{self.get_item_display()}: {self.yuan}"


class ReportSubscription(models.Model):
    """Who receives the monthly management report by e-mail."""

    staff = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.CASCADE,
                                 related_name="report_subscription")
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Empty: the staff member's own address."))
    created_at = models.DateTimeField(_("subscribed at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")

    def __str__(self) -> str:
        return str(self.staff)

    @property
    def address(self) -> str:
        return self.email or self.staff.email


class MonthlyReport(models.Model):
    """One generated monthly management report (the archive)."""

    month = models.DateField(_("month"), unique=True)
    xlsx = models.FileField(_("tables (xlsx)"), upload_to="reports/")
    pdf = models.FileField(_("charts (PDF)"), upload_to="reports/", blank=True)
    pdf_error = models.CharField(_("PDF not made because"), max_length=500, blank=True)
    generated_at = models.DateTimeField(_("generated at"), default=timezone.now)
    seconds = models.DecimalField(_("took (s)"), max_digits=8, decimal_places=2, default=0)
    emailed_to = models.PositiveIntegerField(_("e-mailed to"), default=0)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("monthly management report")
        verbose_name_plural = _("monthly management reports")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class DashboardSnapshot(models.Model):
    """The dashboard figures that cannot be recomputed for a past date (they are states, not
    sums of dated records), kept per org unit and month: the state at the end of the month (the
    nightly job rewrites the month's rows until the month is over). The dashboard reads last
    year's figure from here; an empty field means the figure was not kept for that month."""

    class Source(models.TextChoices):
        JOB = "job", _("Nightly job")
        HISTORY = "history", _("Recomputed from the audit trail")

    month = models.DateField(_("month"))
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.CASCADE,
                                 related_name="+")
    key_accounts = models.PositiveIntegerField(_("key accounts"), null=True, blank=True)
    churn_risk = models.PositiveIntegerField(_("customers at churn risk"), null=True, blank=True)
    pipeline_yuan = models.DecimalField(_("weighted pipeline (yuan)"), max_digits=18, decimal_places=2, null=True,
                                        blank=True)
    new_capacity_kva = models.DecimalField(_("new capacity expected (kVA)"), max_digits=16, decimal_places=2,
                                           null=True, blank=True)
    arrears_yuan = models.DecimalField(_("arrears (yuan)"), max_digits=18, decimal_places=2, null=True, blank=True)
    taken_on = models.DateField(_("taken on"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.JOB)

    class Meta:
        ordering = ["month", "org_unit_id"]
        verbose_name = _("dashboard snapshot")
        verbose_name_plural = _("dashboard snapshots")
        constraints = [models.UniqueConstraint(fields=["month", "org_unit"], name="kpi_one_snapshot_per_unit")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.org_unit_id}"
