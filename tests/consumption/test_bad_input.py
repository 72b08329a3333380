"""Bad input: every problem with its row and column, and nothing written (issue #14 "How it is judged")."""

import io
from datetime import date

import pytest

from powerkam.consumption import services
from powerkam.consumption.models import DailyAggregate, DailyReading, IngestBatch, IntervalReading

from .conftest import SLOTS, wide_csv

DAY = date(2026, 11, 2)
GOOD = [50.0] * 96


def run(f, name, layout, user, **kw):
    batch = services.start_ingest(f, name, layout=layout, actor=user, **kw)
    assert batch.status == IngestBatch.Status.REJECTED
    assert IntervalReading.objects.count() == 0
    assert DailyAggregate.objects.count() == 0
    assert DailyReading.objects.count() == 0
    assert batch.values_written == 0
    return batch


def errors(batch):
    return [(e["row"], e["column"]) for e in batch.errors]


@pytest.mark.django_db
def test_gbk_file_with_a_broken_row(meter, clerk):
    head = ("资产号,日期," + ",".join(SLOTS) + "\n").encode("gbk")
    good = ("ZJ0001,2026-11-01," + ",".join(["50"] * 96) + "\n").encode("gbk")
    broken = b"ZJ0001,2026-11-02," + b"\xff\xfe\x81," + ",".join(["50"] * 95).encode() + b"\n"
    batch = run(io.BytesIO(head + good + broken), "gbk.csv", "wide", clerk)
    assert errors(batch) == [(3, "00:15")]
    assert "GB18030" in batch.errors[0]["message"]


@pytest.mark.django_db
def test_97_time_columns_refuse_the_file(meter, clerk):
    head = "资产号,日期," + ",".join(["00:00", *SLOTS])
    f = io.BytesIO((head + "\nZJ0001,2026-11-02," + ",".join(["1"] * 97) + "\n").encode())
    batch = run(f, "w.csv", "wide", clerk)
    assert "97" in batch.message and batch.error_count == 1


@pytest.mark.django_db
def test_a_row_with_97_values_is_an_error_with_its_column(meter, clerk):
    f = io.BytesIO(("资产号,日期," + ",".join(SLOTS) + "\n"
                    + "ZJ0001,2026-11-02," + ",".join(["1"] * 97) + "\n").encode())
    batch = run(f, "w.csv", "wide", clerk)
    assert errors(batch) == [(2, "99")]


@pytest.mark.django_db
def test_timestamp_not_on_a_15_minute_boundary(meter, clerk):
    f = io.BytesIO("资产号,时间,有功\nZJ0001,2026-11-02 00:15,5\nZJ0001,2026-11-02 00:20,5\n".encode())
    batch = run(f, "l.csv", "long", clerk)
    assert errors(batch) == [(3, "时间")]
    assert "15-minute" in batch.errors[0]["message"] or "15 分钟" in batch.errors[0]["message"]


@pytest.mark.django_db
def test_meter_that_belongs_to_no_customer(meter, clerk):
    batch = run(wide_csv([("ZJ0001", DAY, GOOD), ("XX9999", DAY, GOOD)]), "u.csv", "wide", clerk)
    assert errors(batch) == [(3, "电能表资产号")]
    assert "XX9999" in batch.errors[0]["message"]


@pytest.mark.django_db
def test_a_meter_outside_the_users_scope_is_unknown(meter, make_staff):
    stranger = make_staff(role="clerk")
    batch = run(wide_csv([("ZJ0001", DAY, GOOD)]), "u.csv", "wide", stranger)
    assert errors(batch) == [(2, "电能表资产号")]


@pytest.mark.django_db
def test_negative_value(meter, clerk):
    values = list(GOOD)
    values[4] = -3
    batch = run(wide_csv([("ZJ0001", DAY, values)]), "n.csv", "wide", clerk)
    assert errors(batch) == [(2, "01:15")]


@pytest.mark.django_db
def test_value_beyond_capacity_times_the_factor(meter, clerk):
    values = list(GOOD)
    values[0] = 97  # × 10 = 970 kW > 800 kVA × 1.2 = 960
    batch = run(wide_csv([("ZJ0001", DAY, values)]), "c.csv", "wide", clerk)
    assert errors(batch) == [(2, "00:15")]


@pytest.mark.django_db
def test_capacity_factor_is_configurable(meter, clerk):
    from powerkam.consumption.models import ConsumptionSettings

    ConsumptionSettings.objects.create(capacity_factor="1.30")
    values = list(GOOD)
    values[0] = 97
    batch = services.start_ingest(wide_csv([("ZJ0001", DAY, values)]), "c.csv", layout="wide", actor=clerk)
    assert batch.status == IngestBatch.Status.DONE


@pytest.mark.django_db
def test_duplicate_meter_day_and_duplicate_timestamp(meter, clerk):
    batch = run(wide_csv([("ZJ0001", DAY, GOOD), ("ZJ0001", DAY, GOOD)]), "d.csv", "wide", clerk)
    assert errors(batch) == [(3, "date")] or errors(batch) == [(3, "日期")]
    f = io.BytesIO("资产号,时间,有功\nZJ0001,2026-11-02 00:15,5\nZJ0001,2026-11-02 00:15,6\n".encode())
    batch = run(f, "l.csv", "long", clerk)
    assert [e["row"] for e in batch.errors] == [3]


@pytest.mark.django_db
def test_not_a_number(meter, clerk):
    values = list(GOOD)
    f = wide_csv([("ZJ0001", DAY, values)])
    text = f.getvalue().decode().replace(",50,50\n", ",5o,50\n")
    batch = run(io.BytesIO(text.encode()), "x.csv", "wide", clerk)
    assert errors(batch) == [(2, "23:45")]


@pytest.mark.django_db
def test_register_reading_going_backwards(meter, clerk):
    f = io.BytesIO("资产号,日期,正向有功总\nZJ0001,2026-11-01,1000\nZJ0001,2026-11-02,1100\nZJ0001,2026-11-03,1090\n"
                   .encode())
    batch = run(f, "r.csv", "daily", clerk)
    assert errors(batch) == [(4, "正向有功总")]


@pytest.mark.django_db
def test_register_going_backwards_against_the_stored_reading(meter, clerk):
    ok = services.start_ingest(io.BytesIO("资产号,日期,正向有功总\nZJ0001,2026-11-01,1000\n".encode()), "a.csv",
                               layout="daily", actor=clerk)
    assert ok.status == IngestBatch.Status.DONE
    batch = services.start_ingest(io.BytesIO("资产号,日期,正向有功总\nZJ0001,2026-11-02,900\n".encode()), "b.csv",
                                  layout="daily", actor=clerk)
    assert batch.status == IngestBatch.Status.REJECTED and errors(batch) == [(2, "正向有功总")]
    assert DailyReading.objects.count() == 1


@pytest.mark.django_db
def test_one_bad_row_among_many_writes_nothing(meter, clerk):
    rows = [("ZJ0001", date(2026, 10, d), GOOD) for d in range(1, 31)]
    rows.append(("ZJ0001", date(2026, 10, 31), [*GOOD[:95], -1]))
    batch = run(wide_csv(rows), "m.csv", "wide", clerk)
    assert errors(batch) == [(32, "24:00")]


@pytest.mark.django_db
def test_no_meter_column_refuses_the_file(meter, clerk):
    batch = run(io.BytesIO("日期,00:15\n2026-11-02,1\n".encode()), "x.csv", "wide", clerk)
    assert batch.error_count == 1 and batch.errors[0]["row"] == 0
