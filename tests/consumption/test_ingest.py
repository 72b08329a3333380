"""Ingest worked examples: wide vs long, the multiplier applied once, re-import changing nothing."""

from datetime import date, time
from decimal import Decimal

import pytest
from django.utils import timezone

from powerkam.consumption import services
from powerkam.consumption.models import DailyAggregate, IngestBatch, IntervalReading

from .conftest import long_csv, wide_csv

DAY = date(2026, 11, 2)
# raw meter values (before × 10): 30 at night, 60 in the day, one 90 at 10:00
RAW = [30.0] * 28 + [60.0] * 60 + [30.0] * 8
RAW[39] = 90.0  # slot 40 ends at 10:00


def _agg_fields(a):
    return (a.kwh_total, a.kwh_sharp, a.kwh_peak, a.kwh_flat, a.kwh_valley, a.max_demand_kw, a.max_demand_at,
            a.load_factor, a.slots, a.complete)


def ingest(f, name, layout, user, **kw):
    return services.start_ingest(f, name, layout=layout, actor=user, **kw)


@pytest.mark.django_db(transaction=False)
def test_wide_file_writes_96_values_and_the_days_aggregate(meter, clerk):
    batch = ingest(wide_csv([("ZJ0001", DAY, RAW)]), "d.csv", "wide", clerk)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    assert batch.values_written == 96 and batch.aggregates_written == 1
    assert IntervalReading.objects.filter(customer=meter.customer, day=DAY).count() == 96
    a = DailyAggregate.objects.get(customer=meter.customer, day=DAY)
    # × multiplier 10: 300 kW night, 600 kW day, 900 kW peak
    assert a.max_demand_kw == Decimal("900.000")
    assert timezone.localtime(a.max_demand_at).time() == time(10, 0)
    assert a.kwh_total == Decimal(str(sum(RAW) * 10 * 0.25)).quantize(Decimal("0.001"))
    assert a.complete and a.slots == 96
    # valley 23:00–07:00: slots 1–28 (300 kW) and 93–96 (300 kW) = 32 × 75 kWh
    assert a.kwh_valley == Decimal("2400.000")


@pytest.mark.django_db
def test_wide_and_long_layouts_give_identical_aggregates(meter, clerk):
    ingest(wide_csv([("ZJ0001", DAY, RAW)]), "wide.csv", "wide", clerk)
    wide = _agg_fields(DailyAggregate.objects.get(customer=meter.customer, day=DAY))
    DailyAggregate.objects.all().delete()
    IntervalReading.objects.all().delete()
    batch = ingest(long_csv([("ZJ0001", DAY, RAW)]), "long.csv", "long", clerk)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    assert _agg_fields(DailyAggregate.objects.get(customer=meter.customer, day=DAY)) == wide


@pytest.mark.django_db
def test_long_layout_midnight_is_the_previous_days_last_interval(meter, clerk):
    batch = ingest(long_csv([("ZJ0001", DAY, RAW)]), "long.csv", "long", clerk)
    assert batch.day_from == batch.day_to == DAY
    assert IntervalReading.objects.get(metering_point=meter, day=DAY, slot=96).kw == 300.0


@pytest.mark.django_db
def test_multiplier_is_applied_once_not_twice(meter, clerk):
    ingest(wide_csv([("ZJ0001", DAY, RAW)]), "raw.csv", "wide", clerk)
    raw = DailyAggregate.objects.get(customer=meter.customer, day=DAY).kwh_total
    multiplied = [v * 10 for v in RAW]
    batch = ingest(wide_csv([("ZJ0001", DAY, multiplied)]), "m.csv", "wide", clerk, already_multiplied=True)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    assert batch.values_changed == 0  # the same kW either way
    assert DailyAggregate.objects.get(customer=meter.customer, day=DAY).kwh_total == raw
    assert IntervalReading.objects.get(metering_point=meter, day=DAY, slot=40).kw == 900.0


@pytest.mark.django_db
def test_reimport_changes_nothing(meter, clerk):
    first = ingest(wide_csv([("ZJ0001", DAY, RAW)]), "d.csv", "wide", clerk)
    before = list(IntervalReading.objects.order_by("slot").values_list("slot", "kw", "kvar"))
    agg = DailyAggregate.objects.get(customer=meter.customer, day=DAY)
    again = ingest(wide_csv([("ZJ0001", DAY, RAW)]), "d.csv", "wide", clerk)
    assert again.status == IngestBatch.Status.DONE
    assert again.values_changed == 0 and again.aggregates_written == 0
    assert list(IntervalReading.objects.order_by("slot").values_list("slot", "kw", "kvar")) == before
    same = DailyAggregate.objects.get(customer=meter.customer, day=DAY)
    assert same.batch_id == first.pk and same.updated_at == agg.updated_at


@pytest.mark.django_db
def test_reimport_with_a_corrected_value_updates_that_value_and_the_aggregate(meter, clerk):
    ingest(wide_csv([("ZJ0001", DAY, RAW)]), "d.csv", "wide", clerk)
    fixed = list(RAW)
    fixed[39] = 60.0
    batch = ingest(wide_csv([("ZJ0001", DAY, fixed)]), "d2.csv", "wide", clerk)
    assert batch.values_changed == 1 and batch.aggregates_written == 1
    assert DailyAggregate.objects.get(customer=meter.customer, day=DAY).max_demand_kw == Decimal("600.000")


@pytest.mark.django_db
def test_gaps_are_reported_not_refused(meter, clerk):
    values = list(RAW)
    values[10] = values[11] = None
    batch = ingest(wide_csv([("ZJ0001", DAY, values)]), "gap.csv", "wide", clerk)
    assert batch.status == IngestBatch.Status.DONE
    assert batch.quality["gaps"] == 2
    assert batch.quality["gap_examples"][0]["intervals"] == ["02:45", "03:00"]
    a = DailyAggregate.objects.get(customer=meter.customer, day=DAY)
    assert a.slots == 94 and not a.complete


@pytest.mark.django_db
def test_gbk_file_with_customer_number_and_reactive_rows(meter, clerk):
    q = [v / 2 for v in RAW]
    f = wide_csv([("ZJ0001", DAY, RAW, "有功"), ("ZJ0001", DAY, q, "无功")], encoding="gbk", kind=True)
    batch = ingest(f, "gbk.csv", "wide", clerk)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    assert batch.encoding == "gb18030"
    a = DailyAggregate.objects.get(customer=meter.customer, day=DAY)
    assert a.kvarh == a.kwh_total / 2
    assert a.avg_power_factor == Decimal("0.8944")  # 1 / √(1 + 0.25)


@pytest.mark.django_db
def test_two_metering_points_sum_into_one_customer_day(meter, clerk):
    from tests.factories import MeteringPointFactory

    MeteringPointFactory(customer=meter.customer, number="MP2", meter_no="ZJ0002", multiplier=Decimal("1"))
    ingest(wide_csv([("ZJ0001", DAY, RAW)]), "a.csv", "wide", clerk)
    a = DailyAggregate.objects.get(customer=meter.customer, day=DAY)
    assert not a.complete
    batch = ingest(wide_csv([("ZJ0002", DAY, [10.0] * 96)]), "b.csv", "wide", clerk)
    assert batch.status == IngestBatch.Status.DONE
    a = DailyAggregate.objects.get(customer=meter.customer, day=DAY)
    assert a.complete
    assert a.max_demand_kw == Decimal("910.000")
    assert a.kwh_total == Decimal(str(sum(RAW) * 10 * 0.25 + 240)).quantize(Decimal("0.001"))


@pytest.mark.django_db
def test_xlsx_wide_file(meter, clerk):
    import io

    from openpyxl import Workbook

    from .conftest import SLOTS

    wb = Workbook()
    ws = wb.active
    ws.append(["资产号", "日期", *SLOTS])
    ws.append(["ZJ0001", DAY, *RAW])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    batch = ingest(buf, "d.xlsx", "wide", clerk)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    assert DailyAggregate.objects.get(customer=meter.customer, day=DAY).max_demand_kw == Decimal("900.000")


@pytest.mark.django_db
def test_large_file_runs_as_a_job_with_progress(meter, clerk, monkeypatch):
    monkeypatch.setattr(services, "INLINE_ROWS", 0)
    batch = ingest(wide_csv([("ZJ0001", DAY, RAW)]), "d.csv", "wide", clerk)
    batch.refresh_from_db()
    assert batch.task_id and batch.status == IngestBatch.Status.DONE
    assert services.batch_progress(batch) == (1, 1)
