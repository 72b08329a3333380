"""A wide CSV file is read a block of lines at a time: a clean block parsed and checked at once, a block
with anything to report row by row. Both must give the same data and the same errors."""

from datetime import date, timedelta

import pytest

from powerkam.consumption import ingest, services
from powerkam.consumption.models import DailyAggregate, IngestBatch, IntervalReading

from .conftest import wide_csv

DAY = date(2026, 11, 2)
CURVE = [30.0] * 28 + [60.0] * 60 + [30.0] * 8
GAPPY = [None if s in (5, 6, 7) else v for s, v in enumerate(CURVE)]  # 01:30–02:00 missing
REACTIVE = [12.5] * 96


def stored():
    return (list(IntervalReading.objects.order_by("day", "slot").values_list("day", "slot", "kw", "kvar")),
            list(DailyAggregate.objects.order_by("day").values_list(
                "day", "kwh_total", "kwh_sharp", "kwh_peak", "kwh_flat", "kwh_valley", "kvarh", "max_demand_kw",
                "max_demand_at", "load_factor", "avg_power_factor", "slots", "complete")))


def clear():
    IntervalReading.objects.all().delete()
    DailyAggregate.objects.all().delete()


@pytest.mark.django_db
def test_csv_blocks_and_api_rows_store_the_same(meter, clerk):
    rows = [("ZJ0001", DAY, CURVE, "有功"), ("ZJ0001", DAY, REACTIVE, "无功"),
            ("ZJ0001", DAY + timedelta(days=1), GAPPY, "有功")]
    batch = services.start_ingest(wide_csv(rows, kind=True), "w.csv", layout="wide", actor=clerk)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    assert batch.quality["gaps"] == 3 and batch.values_written == 96 + 93
    from_csv = stored()
    clear()
    records = [{"meter_no": m, "date": d.isoformat(), "kind": k, "values": [None if v is None else v for v in vals]}
               for m, d, vals, k in rows]
    batch = services.ingest_records(records, layout="wide", actor=clerk)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    assert stored() == from_csv
    assert from_csv[0][0] == (DAY, 1, 300.0, 125.0)  # × multiplier 10, once


@pytest.mark.django_db
def test_an_error_in_a_later_block_rejects_the_file_with_its_row(meter, clerk, monkeypatch):
    monkeypatch.setattr(ingest, "CHUNK_LINES", 2)
    bad = list(CURVE)
    bad[1] = -4.0  # 00:30
    rows = [("ZJ0001", DAY + timedelta(days=i), CURVE) for i in range(3)] + [("ZJ0001", DAY + timedelta(days=3), bad)]
    batch = services.start_ingest(wide_csv(rows), "w.csv", layout="wide", actor=clerk)
    assert batch.status == IngestBatch.Status.REJECTED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(5, "00:30")]
    assert IntervalReading.objects.count() == 0 and DailyAggregate.objects.count() == 0


@pytest.mark.django_db
def test_a_meter_day_repeated_in_another_block_is_a_duplicate(meter, clerk, monkeypatch):
    monkeypatch.setattr(ingest, "CHUNK_LINES", 2)
    monkeypatch.setattr(ingest, "FLUSH_KEYS", 1)  # the first block is written before the repeat is read
    rows = [("ZJ0001", DAY, CURVE), ("ZJ0001", DAY + timedelta(days=1), CURVE), ("ZJ0001", DAY, CURVE)]
    batch = services.start_ingest(wide_csv(rows), "w.csv", layout="wide", actor=clerk)
    assert batch.status == IngestBatch.Status.REJECTED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(4, "日期")]
    assert "第 2 行" in batch.errors[0]["message"]  # the row it repeats
    assert IntervalReading.objects.count() == 0


@pytest.mark.django_db
def test_a_value_beyond_capacity_in_a_clean_looking_block_is_reported(meter, clerk):
    # 800 kVA × 1.2 = 960 kW; raw 97 × 10 = 970 kW at 10:00
    over = list(CURVE)
    over[39] = 97.0
    batch = services.start_ingest(wide_csv([("ZJ0001", DAY, CURVE), ("ZJ0001", DAY + timedelta(days=1), over)]),
                                  "w.csv", layout="wide", actor=clerk)
    assert batch.status == IngestBatch.Status.REJECTED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "10:00")]


@pytest.mark.django_db
def test_blocks_with_blank_lines_and_quotes_read_row_by_row(meter, clerk):
    f = wide_csv([("ZJ0001", DAY, CURVE), ("ZJ0001", DAY + timedelta(days=1), CURVE)])
    text = f.getvalue().decode().splitlines()
    text.insert(2, "")  # a blank line between the two rows
    text[3] = text[3].replace("ZJ0001", '"ZJ0001"', 1)
    import io

    batch = services.start_ingest(io.BytesIO(("\n".join(text) + "\n").encode()), "w.csv", layout="wide", actor=clerk)
    assert batch.status == IngestBatch.Status.DONE, batch.errors
    assert batch.processed_rows == 2 and batch.values_written == 192
