"""Daily readings: registers × multiplier, daily kWh, and the daily aggregate they give."""

import io
from datetime import date
from decimal import Decimal

import pytest

from powerkam.consumption import services
from powerkam.consumption.models import DailyAggregate, DailyReading, IngestBatch

from .conftest import wide_csv


def load(text, user, **kw):
    return services.start_ingest(io.BytesIO(text.encode("gbk")), "d.csv", layout="daily", actor=user, **kw)


@pytest.mark.django_db
def test_register_differences_times_the_multiplier(meter, clerk):
    batch = load("户号,日期,正向有功总,正向无功总\n3100000001,2026-11-01,1000,400\n3100000001,2026-11-02,1120.5,450\n",
                 clerk)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    r = DailyReading.objects.get(metering_point=meter, day=date(2026, 11, 2))
    assert r.kwh == Decimal("1205.000") and r.kvarh == Decimal("500.000")
    assert DailyReading.objects.get(metering_point=meter, day=date(2026, 11, 1)).kwh is None
    a = DailyAggregate.objects.get(customer=meter.customer, day=date(2026, 11, 2))
    assert a.source == "daily" and a.kwh_total == Decimal("1205.000") and a.complete
    assert a.avg_power_factor == Decimal("0.9236")


@pytest.mark.django_db
def test_daily_kwh_already_multiplied(meter, clerk):
    batch = load("资产号,日期,日电量\nZJ0001,2026-11-02,8000\n", clerk, already_multiplied=True)
    assert batch.status == IngestBatch.Status.DONE
    assert DailyAggregate.objects.get(customer=meter.customer, day=date(2026, 11, 2)).kwh_total == Decimal("8000.000")


@pytest.mark.django_db
def test_a_curve_aggregate_is_not_replaced_by_a_daily_reading(meter, clerk):
    services.start_ingest(wide_csv([("ZJ0001", date(2026, 11, 2), [10.0] * 96)]), "w.csv", layout="wide", actor=clerk)
    load("资产号,日期,日电量\nZJ0001,2026-11-02,1\n", clerk)
    a = DailyAggregate.objects.get(customer=meter.customer, day=date(2026, 11, 2))
    assert a.source == "interval" and a.kwh_total == Decimal("2400.000")
