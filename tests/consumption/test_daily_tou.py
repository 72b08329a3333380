"""The TOU split of days known from daily readings only: period registers (正向有功尖/峰/平/谷) or the
day's kWh per period, the checks (periods against the total, period registers going backwards), and
a day without them whose split stays unknown — stored as NULL and said so on the pages."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from powerkam.consumption import services
from powerkam.consumption.models import DailyAggregate, DailyReading, IngestBatch

from .analysis_data import put_daily

D1, D2, D3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
REG_HEAD = "户号,日期,正向有功总,正向有功尖,正向有功峰,正向有功平,正向有功谷\n"


def load(text, user, **kw):
    return services.start_ingest(io.BytesIO(text.encode("gbk")), "d.csv", layout="daily", actor=user, **kw)


def split(a):
    return (a.kwh_total, a.kwh_sharp, a.kwh_peak, a.kwh_flat, a.kwh_valley)


@pytest.mark.django_db
def test_period_registers_give_the_split_by_difference_times_the_multiplier(meter, clerk):
    # day 1 → day 2: total +120.5, sharp +10, peak +40, flat +40.5, valley +30 (raw), × multiplier 10
    batch = load(REG_HEAD + "3100000001,2026-11-01,1000,100,300,350,250\n"
                            "3100000001,2026-11-02,1120.5,110,340,390.5,280\n", clerk)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    a = DailyAggregate.objects.get(customer=meter.customer, day=D2)
    assert a.source == "daily"
    assert split(a) == (Decimal("1205.000"), Decimal("100.000"), Decimal("400.000"), Decimal("405.000"),
                        Decimal("300.000"))
    r = DailyReading.objects.get(metering_point=meter, day=D2)
    assert (r.sharp_register, r.peak_register, r.flat_register, r.valley_register) == (
        Decimal("110"), Decimal("340"), Decimal("390.5"), Decimal("280"))
    assert (r.kwh_sharp, r.kwh_peak, r.kwh_flat, r.kwh_valley) == (
        Decimal("100.000"), Decimal("400.000"), Decimal("405.000"), Decimal("300.000"))
    # the first reading has no day before: no kWh, no split, and so no aggregate
    assert not DailyAggregate.objects.filter(customer=meter.customer, day=D1).exists()
    assert batch.quality["with_tou_split"] == 1 and batch.quality["without_tou_split"] == 0


@pytest.mark.django_db
def test_the_next_file_continues_from_the_stored_period_registers(meter, clerk):
    load(REG_HEAD + "3100000001,2026-11-01,1000,100,300,350,250\n", clerk)
    batch = load(REG_HEAD + "3100000001,2026-11-02,1010,101,304,353,252\n", clerk)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    a = DailyAggregate.objects.get(customer=meter.customer, day=D2)
    assert split(a) == (Decimal("100.000"), Decimal("10.000"), Decimal("40.000"), Decimal("30.000"),
                        Decimal("20.000"))


@pytest.mark.django_db
def test_daily_kwh_per_period_already_multiplied(meter, clerk):
    batch = load("资产号,日期,日电量,尖电量,峰电量,平电量,谷电量\nZJ0001,2026-11-02,8000,800,2400,2800,2000\n",
                 clerk, already_multiplied=True)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    a = DailyAggregate.objects.get(customer=meter.customer, day=D2)
    assert split(a) == (Decimal("8000.000"), Decimal("800.000"), Decimal("2400.000"), Decimal("2800.000"),
                        Decimal("2000.000"))
    assert a.peak_share == Decimal("0.4") and a.valley_share == Decimal("0.25")


@pytest.mark.django_db
def test_four_periods_without_a_total_give_the_total(meter, clerk):
    batch = load("资产号,日期,尖电量,峰电量,平电量,谷电量\nZJ0001,2026-11-02,10,40,30,20\n", clerk)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    assert split(DailyAggregate.objects.get(customer=meter.customer, day=D2)) == (
        Decimal("1000.000"), Decimal("100.000"), Decimal("400.000"), Decimal("300.000"), Decimal("200.000"))


@pytest.mark.django_db
def test_a_tariff_without_sharp_peak_has_no_sharp_column(meter, clerk):
    batch = load("资产号,日期,日电量,峰电量,平电量,谷电量\nZJ0001,2026-11-02,900,400,300,200\n", clerk)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    a = DailyAggregate.objects.get(customer=meter.customer, day=D2)
    assert split(a) == (Decimal("9000.000"), Decimal("0.000"), Decimal("4000.000"), Decimal("3000.000"),
                        Decimal("2000.000"))


@pytest.mark.parametrize(("valley", "accepted"), [
    # total 1,000 kWh (already multiplied): tolerance max(1 % × 1,000, 0.1 × 1) = 10 kWh
    ("209", True),  # periods add up to 1,009: within
    ("210", True),  # 1,010: on the edge
    ("211", False),  # 1,011: beyond
])
@pytest.mark.django_db
def test_periods_must_add_up_to_the_total_within_the_tolerance(meter, clerk, valley, accepted):
    batch = load(f"资产号,日期,日电量,尖电量,峰电量,平电量,谷电量\nZJ0001,2026-11-02,1000,100,400,300,{valley}\n",
                 clerk, already_multiplied=True)
    if accepted:
        assert batch.status == IngestBatch.Status.DONE, batch.errors
        return
    assert batch.status == IngestBatch.Status.REJECTED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "日电量")]
    assert "1011.00" in batch.errors[0]["message"] and "1000.00" in batch.errors[0]["message"]
    assert DailyReading.objects.count() == 0 and DailyAggregate.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_period_column_is_caught_by_the_sum_check(meter, clerk):
    # the meter has a sharp register but the file left its column out: 100 kWh unaccounted for
    batch = load("资产号,日期,日电量,峰电量,平电量,谷电量\nZJ0001,2026-11-02,1000,400,300,200\n", clerk,
                 already_multiplied=True)
    assert batch.status == IngestBatch.Status.REJECTED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "日电量")]


@pytest.mark.django_db
def test_a_period_register_going_backwards_is_an_error_with_its_column(meter, clerk):
    batch = load(REG_HEAD + "3100000001,2026-11-01,1000,100,300,350,250\n"
                            "3100000001,2026-11-02,1010,101,299,358,252\n", clerk)
    assert batch.status == IngestBatch.Status.REJECTED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "正向有功峰")]
    assert "299" in batch.errors[0]["message"]
    assert DailyReading.objects.count() == 0


@pytest.mark.django_db
def test_without_a_total_a_file_needs_all_four_periods(meter, clerk):
    batch = load("资产号,日期,峰电量,谷电量\nZJ0001,2026-11-02,400,200\n", clerk)
    assert batch.status == IngestBatch.Status.REJECTED
    assert "尖、峰、平、谷" in batch.message


@pytest.mark.django_db
def test_a_blank_period_leaves_that_days_split_unknown(meter, clerk):
    batch = load("资产号,日期,日电量,尖电量,峰电量,平电量,谷电量\nZJ0001,2026-11-02,1000,100,400,300,200\n"
                 "ZJ0001,2026-11-03,1000,,,,\n", clerk, already_multiplied=True)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    assert DailyAggregate.objects.get(customer=meter.customer, day=D2).kwh_valley == Decimal("200.000")
    a = DailyAggregate.objects.get(customer=meter.customer, day=D3)
    assert a.kwh_total == Decimal("1000.000")
    assert (a.kwh_sharp, a.kwh_peak, a.kwh_flat, a.kwh_valley) == (None, None, None, None)
    assert not a.split_known and a.peak_share is None
    assert batch.quality["with_tou_split"] == 1 and batch.quality["without_tou_split"] == 1


@pytest.mark.django_db
def test_total_only_readings_store_an_unknown_split_not_zeros(meter, clerk):
    load("资产号,日期,日电量\nZJ0001,2026-11-02,800\n", clerk)
    a = DailyAggregate.objects.get(customer=meter.customer, day=D2)
    assert a.kwh_total == Decimal("8000.000") and a.kwh_valley is None and a.kwh_peak is None


@pytest.mark.django_db
def test_the_load_page_says_which_days_have_no_split(meter, clerk, make_staff, login):
    customer = meter.customer
    manager = make_staff("manager", org_unit=customer.org_unit)
    customer.primary_manager = manager
    customer.save()
    put_daily(customer, date(2026, 10, 1), [1000.0] * 10)  # ten days with a split: 40 % peak, 30 % valley
    load("资产号,日期,日电量\nZJ0001,2026-10-11,900\nZJ0001,2026-10-12,900\n", clerk)  # two days without
    response = login(manager).get(reverse("consumption_analysis:load", args=[customer.pk]) + "?day=2026-10-12")
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary["split_unknown_days"] == 2 and summary["days"] == 12
    # shares over the ten days with a split, not diluted by the 18,000 kWh of unknown split
    assert summary["peak_share"] == Decimal("40") and summary["valley_share"] == Decimal("30")
    assert 'id="load-split-unknown"' in response.content.decode()
    tou = next(ch["options"] for ch in response.context["charts"] if ch["id"] == "chart-tou")
    unknown = tou["series"][-1]  # "Split unknown": the day's kWh, stacked alone
    day_index = tou["xAxis"]["data"].index("2026-10-11")
    assert unknown["data"][day_index] == 9000.0
    assert tou["series"][0]["data"][day_index] is None  # no sharp-and-peak bar for that day
    assert unknown["data"][tou["xAxis"]["data"].index("2026-10-01")] is None
