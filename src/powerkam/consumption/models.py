"""Metering data (issue #14): 15-minute interval readings, daily readings, the daily aggregate every
page and analysis reads, and the ingest batch that records who loaded what.

The three big tables carry `customer_id` first in their primary key: on PostgreSQL the interval
table is partitioned by month on `day` (migrations 0001 and partitions.py) and every key is ready
for Citus distribution by `customer_id` (docs/decisions/0005-consumption-storage.md). A composite
primary key (Django 5.2) keeps one Django model for SQLite and PostgreSQL alike.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
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
                                 db_constraint=False, related_name="+")
    day = models.DateField(_("day"))
    metering_point = models.ForeignKey("customers.MeteringPoint", verbose_name=_("metering point"),
                                       on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
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
    """One metering point's reading for one day: the register at the end of the day (active and
    reactive, raw meter units) and/or the day's energy after the multiplier."""

    pk = models.CompositePrimaryKey("customer_id", "day", "metering_point_id")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="+")
    day = models.DateField(_("day"))
    metering_point = models.ForeignKey("customers.MeteringPoint", verbose_name=_("metering point"),
                                       on_delete=models.CASCADE, related_name="+")
    active_register = models.DecimalField(_("active register"), max_digits=16, decimal_places=4, null=True, blank=True)
    reactive_register = models.DecimalField(_("reactive register"), max_digits=16, decimal_places=4, null=True, blank=True)
    kwh = models.DecimalField(_("active energy (kWh)"), null=True, blank=True, **KWH)
    kvarh = models.DecimalField(_("reactive energy (kvarh)"), null=True, blank=True, **KWH)
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
    readings only (`source` daily: kWh and kvarh; no TOU split, demand or load factor)."""

    pk = models.CompositePrimaryKey("customer_id", "day")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="+")
    day = models.DateField(_("day"))
    kwh_total = models.DecimalField(_("energy (kWh)"), default=ZERO, **KWH)
    kwh_sharp = models.DecimalField(_("sharp-peak kWh"), default=ZERO, **KWH)
    kwh_peak = models.DecimalField(_("peak kWh"), default=ZERO, **KWH)
    kwh_flat = models.DecimalField(_("flat kWh"), default=ZERO, **KWH)
    kwh_valley = models.DecimalField(_("valley kWh"), default=ZERO, **KWH)
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
    def peak_share(self) -> Decimal | None:
        return (self.kwh_sharp + self.kwh_peak) / self.kwh_total if self.kwh_total else None

    @property
    def valley_share(self) -> Decimal | None:
        return self.kwh_valley / self.kwh_total if self.kwh_total else None
