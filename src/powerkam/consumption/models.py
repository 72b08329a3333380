"""Metering data (issue #14): 15-minute interval readings, daily readings, the daily aggregate every
page and analysis reads, and the ingest batch that records who loaded what.

The three big tables carry `customer_id` first in their primary key: on PostgreSQL the interval
table is partitioned by month on `day` (migrations 0001 and partitions.py) and every key is ready
for Citus distribution by `customer_id` (docs/decisions/0006-consumption-storage.md). A composite
primary key (Django 5.2) keeps one Django model for SQLite and PostgreSQL alike.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from . import constants as c

ZERO = Decimal("0")
KWH = {"max_digits": 16, "decimal_places": 3}


def ingest_upload_to(instance: "IngestBatch", filename: str) -> str:
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:8]
    return f"consumption/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class ConsumptionSettings(models.Model):
    """One row: the configurable thresholds of the ingest validation."""

    capacity_factor = models.DecimalField(
        _("capacity factor"), max_digits=5, decimal_places=2, default=c.DEFAULT_CAPACITY_FACTOR,
        help_text=_("A 15-minute demand above the customer's capacity (kVA) times this factor is refused as implausible."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("consumption settings")
        verbose_name_plural = _("consumption settings")

    def __str__(self) -> str:
        return str(_("consumption settings"))

    @classmethod
    def current(cls) -> "ConsumptionSettings":
        obj = cls.objects.order_by("pk").first()
        return obj if obj is not None else cls()


class IngestBatch(models.Model):
    """One ingest: an uploaded file or an API batch. It is the audit record of the ingest (who,
    which file, how many rows and values, the result) and holds the per-file data-quality report."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    RUNNING = (Status.QUEUED, Status.RUNNING)

    layout = models.CharField(_("layout"), max_length=8, choices=c.Layout.choices)
    quantity = models.CharField(_("values are"), max_length=4, choices=c.Quantity.choices, default=c.Quantity.POWER_KW)
    already_multiplied = models.BooleanField(
        _("values already multiplied"), default=False,
        help_text=_("Tick when the file's values already include the CT × PT multiplier."))
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    file = models.FileField(_("file"), upload_to=ingest_upload_to, max_length=255, blank=True)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    values_written = models.PositiveBigIntegerField(_("values written"), default=0)
    values_changed = models.PositiveBigIntegerField(_("values changed"), default=0)
    aggregates_written = models.PositiveIntegerField(_("daily aggregates written"), default=0)
    customer_count = models.PositiveIntegerField(_("customers"), default=0)
    day_from = models.DateField(_("first day"), null=True, blank=True)
    day_to = models.DateField(_("last day"), null=True, blank=True)
    # [{"row": 12, "column": "00:15", "message": "..."}] — the first errors, all-or-nothing.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("error count"), default=0)
    # The data-quality report of the file (gaps, implausible values, duplicates, counts per meter).
    quality = models.JSONField(_("data-quality report"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ingest batch")
        verbose_name_plural = _("ingest batches")

    def __str__(self) -> str:
        return f"{self.get_layout_display()} {self.filename or self.pk}"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.processed_rows * 100 / self.total_rows) if self.total_rows else 0


class IntervalReading(models.Model):
    """One metering point's 15-minute value: `slot` 1…96 is the interval ending at 00:15 … 24:00 of
    `day`. `kw` is the average active power over the interval after the CT × PT multiplier (so the
    interval's energy is kw / 4 kWh); `kvar` the reactive one, when the export has it.

    PostgreSQL: partitioned by RANGE(day), one partition per month, created ahead (partitions.py);
    no foreign-key constraints (the ingest resolves every meter; checks on 35 million rows a year
    would halve the COPY rate). Measurements are floats; money never is."""

    pk = models.CompositePrimaryKey("customer_id", "day", "metering_point_id", "slot")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.DO_NOTHING,
                                 db_constraint=False, db_index=False, related_name="+")
    day = models.DateField(_("day"))
    metering_point = models.ForeignKey("customers.MeteringPoint", verbose_name=_("metering point"),
                                       on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                                       related_name="+")
    slot = models.PositiveSmallIntegerField(_("interval"))
    kw = models.FloatField(_("active power (kW)"))
    kvar = models.FloatField(_("reactive power (kvar)"), null=True, blank=True)

    class Meta:
        managed = True
        ordering = ["customer_id", "day", "metering_point_id", "slot"]
        verbose_name = _("interval reading")
        verbose_name_plural = _("interval readings")

    def __str__(self) -> str:
        return f"{self.metering_point_id} {self.day} #{self.slot}: {self.kw} kW"


class DailyReading(models.Model):
    """One metering point's reading for one day: the registers at the end of the day (active total
    and per TOU period, reactive total; raw meter units) and/or the day's energy after the
    multiplier, in total and per period when the export gives the period registers or kWh."""

    pk = models.CompositePrimaryKey("customer_id", "day", "metering_point_id")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="+")
    day = models.DateField(_("day"))
    metering_point = models.ForeignKey("customers.MeteringPoint", verbose_name=_("metering point"),
                                       on_delete=models.CASCADE, related_name="+")
    active_register = models.DecimalField(_("active register"), max_digits=16, decimal_places=4, null=True, blank=True)
    reactive_register = models.DecimalField(_("reactive register"), max_digits=16, decimal_places=4, null=True, blank=True)
    sharp_register = models.DecimalField(_("sharp-peak register"), max_digits=16, decimal_places=4, null=True, blank=True)
    peak_register = models.DecimalField(_("peak register"), max_digits=16, decimal_places=4, null=True, blank=True)
    flat_register = models.DecimalField(_("flat register"), max_digits=16, decimal_places=4, null=True, blank=True)
    valley_register = models.DecimalField(_("valley register"), max_digits=16, decimal_places=4, null=True, blank=True)
    kwh = models.DecimalField(_("active energy (kWh)"), null=True, blank=True, **KWH)
    kvarh = models.DecimalField(_("reactive energy (kvarh)"), null=True, blank=True, **KWH)
    # The day's kWh per TOU period (after the multiplier): all four, or none (the split unknown).
    kwh_sharp = models.DecimalField(_("sharp-peak kWh"), null=True, blank=True, **KWH)
    kwh_peak = models.DecimalField(_("peak kWh"), null=True, blank=True, **KWH)
    kwh_flat = models.DecimalField(_("flat kWh"), null=True, blank=True, **KWH)
    kwh_valley = models.DecimalField(_("valley kWh"), null=True, blank=True, **KWH)
    batch = models.ForeignKey(IngestBatch, verbose_name=_("ingest batch"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["customer_id", "day", "metering_point_id"]
        verbose_name = _("daily reading")
        verbose_name_plural = _("daily readings")

    def __str__(self) -> str:
        return f"{self.metering_point_id} {self.day}"


class DailyAggregate(models.Model):
    """One customer's day, computed at ingest; pages and analysis read these, never raw intervals
    for more than one customer. From a 15-minute curve (`source` interval: every field) or from daily
    readings only (`source` daily: kWh and kvarh, and the TOU split when the readings have the period
    registers or kWh; no demand or load factor). The four period kWh are all NULL when the split is
    unknown (daily readings of the total only): never guessed, and the pages say so."""

    pk = models.CompositePrimaryKey("customer_id", "day")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="+")
    day = models.DateField(_("day"))
    kwh_total = models.DecimalField(_("energy (kWh)"), default=ZERO, **KWH)
    kwh_sharp = models.DecimalField(_("sharp-peak kWh"), default=ZERO, null=True, blank=True, **KWH)
    kwh_peak = models.DecimalField(_("peak kWh"), default=ZERO, null=True, blank=True, **KWH)
    kwh_flat = models.DecimalField(_("flat kWh"), default=ZERO, null=True, blank=True, **KWH)
    kwh_valley = models.DecimalField(_("valley kWh"), default=ZERO, null=True, blank=True, **KWH)
    kvarh = models.DecimalField(_("reactive energy (kvarh)"), null=True, blank=True, **KWH)
    max_demand_kw = models.DecimalField(_("maximum demand (kW)"), max_digits=12, decimal_places=3, null=True, blank=True)
    max_demand_at = models.DateTimeField(_("maximum demand at"), null=True, blank=True,
                                         help_text=_("The end of the 15-minute interval of the maximum."))
    load_factor = models.DecimalField(_("load factor"), max_digits=5, decimal_places=4, null=True, blank=True)
    avg_power_factor = models.DecimalField(_("average power factor"), max_digits=5, decimal_places=4, null=True, blank=True)
    slots = models.PositiveSmallIntegerField(_("intervals present"), default=0)
    source = models.CharField(_("source"), max_length=8, choices=c.AggregateSource.choices, default=c.AggregateSource.INTERVAL)
    complete = models.BooleanField(_("complete"), default=False,
                                   help_text=_("Every metering point has all 96 intervals (or a daily reading) for the day."))
    batch = models.ForeignKey(IngestBatch, verbose_name=_("ingest batch"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["customer_id", "day"]
        indexes = [models.Index(fields=["day"], name="cons_agg_day_idx")]
        verbose_name = _("daily aggregate")
        verbose_name_plural = _("daily aggregates")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.day}: {self.kwh_total} kWh"

    @property
    def split_known(self) -> bool:
        return self.kwh_valley is not None

    @property
    def peak_share(self) -> Decimal | None:
        if not self.kwh_total or not self.split_known:
            return None
        return (self.kwh_sharp + self.kwh_peak) / self.kwh_total

    @property
    def valley_share(self) -> Decimal | None:
        return self.kwh_valley / self.kwh_total if self.kwh_total and self.split_known else None


# --- Anomaly watch and forecasts (issue #14 items 5 and 6; branch consumption-analysis) ----------

class WatchSettings(models.Model):
    """One row: the thresholds of the anomaly watch (consumption.anomalies.WatchRules)."""

    drop_pct = models.DecimalField(_("drop threshold (%)"), max_digits=5, decimal_places=1, default=Decimal("20"),
                                   help_text=_("A working day this far below the customer's own baseline is a drop day."))
    drop_workdays = models.PositiveSmallIntegerField(_("drop working days"), default=5,
                                                     help_text=_("Consecutive working days of drop before a task opens."))
    rise_pct = models.DecimalField(_("rise threshold (%)"), max_digits=6, decimal_places=1, default=Decimal("60"))
    rise_days = models.PositiveSmallIntegerField(_("rise working days"), default=2)
    flat_days = models.PositiveSmallIntegerField(_("zero or flat working days"), default=3)
    noise_z = models.DecimalField(_("noise multiple"), max_digits=4, decimal_places=1, default=Decimal("2.5"),
                                  help_text=_("A day must also lie this many robust deviations (MAD) from the baseline."))
    min_level_kwh = models.DecimalField(_("minimum daily kWh watched"), max_digits=12, decimal_places=1,
                                        default=Decimal("10"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("anomaly watch settings")
        verbose_name_plural = _("anomaly watch settings")

    def __str__(self) -> str:
        return str(_("anomaly watch settings"))

    @classmethod
    def current(cls) -> "WatchSettings":
        obj = cls.objects.order_by("pk").first()
        return obj if obj is not None else cls()


class AnomalyReason(models.Model):
    """The configurable list of reasons a manager records on an anomaly (seeded: production cut,
    relocation, self-generation or storage, incremental distribution network, meter fault, closure,
    other). `churn` marks the reasons that mean the customer's kWh is leaving us."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    churn = models.BooleanField(_("churn risk"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("anomaly reason")
        verbose_name_plural = _("anomaly reasons")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        from django.utils.translation import gettext

        return gettext(self.name)  # the seeded names are msgids; names typed by an admin pass through


class UsageAnomaly(models.Model):
    """One finding of the anomaly watch for one customer: open until the manager records a reason.
    At most one open anomaly per customer and kind; a run of abnormal days gives one anomaly
    whatever the number of nightly scans (unique on customer, kind, start)."""

    class Kind(models.TextChoices):
        DROP = "drop", _("Drop below baseline")
        RISE = "rise", _("Sudden rise")
        ZERO = "zero", _("Zero readings")
        FLAT = "flat", _("Flat readings")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("anomaly status", "Open")
        EXPLAINED = "explained", _("Reason recorded")

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="usage_anomalies")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    started_on = models.DateField(_("since"))
    detected_on = models.DateField(_("detected on"))
    checked_on = models.DateField(_("last checked on"))
    days = models.PositiveSmallIntegerField(_("days"), default=0)
    last_kwh = models.DecimalField(_("last day kWh"), **KWH)
    expected_kwh = models.DecimalField(_("expected kWh"), **KWH)
    reason = models.ForeignKey(AnomalyReason, verbose_name=_("reason"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"), blank=True)
    explained_at = models.DateTimeField(_("reason recorded at"), null=True, blank=True)
    explained_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reason recorded by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    task = models.ForeignKey("core.Task", verbose_name=_("task"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-detected_on", "-id"]
        indexes = [models.Index(fields=["customer", "-detected_on"], name="cons_anom_cust_idx")]
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind"], condition=models.Q(status="open"),
                                    name="cons_one_open_anomaly_per_kind"),
            models.UniqueConstraint(fields=["customer", "kind", "started_on"], name="cons_anomaly_run"),
        ]
        verbose_name = _("consumption anomaly")
        verbose_name_plural = _("consumption anomalies")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.get_kind_display()} {self.started_on}"

    @property
    def ratio(self) -> Decimal | None:
        return self.last_kwh / self.expected_kwh if self.expected_kwh else None


class ConsumptionForecast(models.Model):
    """The latest forecast of one customer or one org unit (recomputed nightly): the next 7 days
    and the next 12 months of kWh, and a rolling-origin backtest (MAPE of the model and of the
    seasonal-naive forecast). Series are JSON lists of [ISO date, kWh]."""

    customer = models.OneToOneField("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="consumption_forecast")
    org_unit = models.OneToOneField("org.OrgUnit", verbose_name=_("org unit"), null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="consumption_forecast")
    computed_on = models.DateField(_("computed on"))
    method = models.CharField(_("method"), max_length=60)
    daily = models.JSONField(_("next 7 days"), default=list)
    monthly = models.JSONField(_("next 12 months"), default=list)
    daily_mape = models.FloatField(_("daily MAPE (model)"), null=True, blank=True)
    daily_naive_mape = models.FloatField(_("daily MAPE (seasonal naive)"), null=True, blank=True)
    monthly_mape = models.FloatField(_("monthly MAPE (model)"), null=True, blank=True)
    monthly_naive_mape = models.FloatField(_("monthly MAPE (seasonal naive)"), null=True, blank=True)

    class Model(models.TextChoices):
        """The forecast used (consumption.forecasting: the fitted model only where its backtest beats
        the seasonal naive's; decision 0007)."""
        HOLT_WORKDAYS = "holt-workdays", _("Holt on working days")
        HOLT_WINTERS = "holt-winters", _("Holt-Winters (12-month season)")
        HOLT = "holt", _("Holt (damped trend)")
        SEASONAL_NAIVE = "seasonal-naive", _("seasonal naive")
        LAST_MONTH = "last-month", _("last month (less than a year and a half of history)")

    daily_model = models.CharField(_("daily forecast used"), max_length=20, choices=Model.choices, blank=True)
    monthly_model = models.CharField(_("monthly forecast used"), max_length=20, choices=Model.choices, blank=True)

    class Meta:
        verbose_name = _("consumption forecast")
        verbose_name_plural = _("consumption forecasts")
        constraints = [models.CheckConstraint(
            condition=models.Q(customer__isnull=False, org_unit__isnull=True) | models.Q(customer__isnull=True, org_unit__isnull=False),
            name="cons_forecast_one_subject")]

    def __str__(self) -> str:
        return f"{self.customer_id or self.org_unit_id} {self.computed_on}"

    METHOD_LABELS = {
        "holt-winters": _("Daily: Holt on working days; monthly: Holt-Winters (12-month season)"),
        "holt": _("Daily: Holt on working days; monthly: Holt (less than two years of history)"),
        "naive": _("Daily: Holt on working days; monthly: last month (short history)"),
        "daily-only": _("Daily: Holt on working days; monthly: no whole month yet"),
    }

    @property
    def method_label(self) -> str:
        """The forecasts used, e.g. "Daily: Holt on working days; monthly: seasonal naive"."""
        from django.utils.translation import gettext

        if not (self.daily_model or self.monthly_model):  # computed before the choice was recorded
            return str(self.METHOD_LABELS.get(self.method, self.method))
        return gettext("Daily: %(daily)s; monthly: %(monthly)s") % {
            "daily": self.get_daily_model_display() or "—", "monthly": self.get_monthly_model_display() or "—"}

    @property
    def daily_naive_used(self) -> bool:
        return self.daily_model == self.Model.SEASONAL_NAIVE

    @property
    def monthly_naive_used(self) -> bool:
        return self.monthly_model in (self.Model.SEASONAL_NAIVE, self.Model.LAST_MONTH)

    @property
    def next_7d_kwh(self) -> float | None:
        return round(sum(v for _d, v in self.daily), 1) if self.daily else None

    @property
    def next_12m_kwh(self) -> float | None:
        return round(sum(v for _d, v in self.monthly), 1) if self.monthly else None
