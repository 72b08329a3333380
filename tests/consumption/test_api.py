"""/api/v1/consumption/: batch ingest, daily aggregates, intervals — all through the scope."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from powerkam.consumption.models import DailyAggregate, IngestBatch, IntervalReading
from tests.factories import CustomerFactory, MeteringPointFactory

DAY = date(2026, 11, 2)


@pytest.fixture
def api():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


def wide_record(meter_no="ZJ0001", value=20.0):
    return {"meter_no": meter_no, "date": DAY.isoformat(), "values": [value] * 96}


@pytest.mark.django_db
def test_batch_ingest_wide_then_read_aggregates_and_intervals(api, meter, clerk):
    client = api(clerk)
    r = client.post("/api/v1/consumption/batches/", {"layout": "wide", "rows": [wide_record()]}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["values_written"] == 96 and r.json()["status"] == "done"
    r = client.get(f"/api/v1/consumption/daily/?customer={meter.customer_id}&day_from=2026-11-01")
    assert r.status_code == 200
    row = r.json()["results"][0]
    assert Decimal(row["kwh_total"]) == Decimal("4800.000")  # 200 kW × 24 h
    r = client.get(f"/api/v1/consumption/intervals/?customer={meter.customer_id}&day=2026-11-02")
    assert r.status_code == 200
    body = r.json()
    assert body["slots"][0] == "00:15" and body["slots"][-1] == "24:00"
    assert body["total_kw"] == [200.0] * 96
    r = client.get("/api/v1/consumption/batches/")
    assert r.json()["results"][0]["values_written"] == 96


@pytest.mark.django_db
def test_batch_long_layout_and_rejection(api, meter, clerk):
    client = api(clerk)
    rows = [{"meter_no": "ZJ0001", "timestamp": "2026-11-02 00:15", "kw": 5},
            {"meter_no": "ZJ0001", "timestamp": "2026-11-02 00:20", "kw": 5}]
    r = client.post("/api/v1/consumption/batches/", {"layout": "long", "rows": rows}, format="json")
    assert r.status_code == 400
    assert r.json()["errors"][0]["row"] == 2 and r.json()["errors"][0]["column"] == "timestamp"
    assert IntervalReading.objects.count() == 0
    assert IngestBatch.objects.get().status == "rejected"  # the rejected batch is kept: the audit record


@pytest.mark.django_db
def test_bad_request_bodies(api, meter, clerk):
    client = api(clerk)
    assert client.post("/api/v1/consumption/batches/", {"layout": "x", "rows": []}, format="json").status_code == 400
    r = client.post("/api/v1/consumption/batches/", {"layout": "wide", "rows": [{"meter_no": "ZJ0001",
                    "date": "2026-11-02", "values": "no"}]}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["column"] == "values"


@pytest.mark.django_db
def test_scope_hides_other_customers(api, meter, clerk, make_staff):
    client = api(clerk)
    client.post("/api/v1/consumption/batches/", {"layout": "wide", "rows": [wide_record()]}, format="json")
    manager = make_staff(role="manager")
    other = CustomerFactory(primary_manager=manager)
    MeteringPointFactory(customer=other, meter_no="ZJ0009", multiplier=Decimal("1"))
    mine = api(manager)
    assert mine.get("/api/v1/consumption/daily/").json()["count"] == 0
    r = mine.get(f"/api/v1/consumption/intervals/?customer={meter.customer_id}&day=2026-11-02")
    assert r.status_code == 404
    assert mine.get("/api/v1/consumption/intervals/?customer=abc&day=2026-11-02").status_code == 400
    assert mine.get(f"/api/v1/consumption/intervals/?customer={other.pk}&day=x").status_code == 400
    # a manager cannot load data at all (imports are for clerks)
    r = mine.post("/api/v1/consumption/batches/", {"layout": "wide", "rows": [wide_record("ZJ0009")]}, format="json")
    assert r.status_code == 403
    assert DailyAggregate.objects.filter(customer=other).count() == 0


@pytest.mark.django_db
def test_daily_list_query_count_is_constant(api, meter, clerk, django_assert_num_queries):
    client = api(clerk)
    rows = [{"meter_no": "ZJ0001", "date": date(2026, 11, d).isoformat(), "values": [10.0] * 96} for d in range(1, 29)]
    assert client.post("/api/v1/consumption/batches/", {"layout": "wide", "rows": rows}, format="json").status_code == 201
    with django_assert_num_queries(2):
        r = client.get("/api/v1/consumption/daily/")
    assert r.json()["count"] == 28


@pytest.mark.django_db
def test_iso_timestamps_with_an_offset(api, meter, clerk):
    rows = [{"meter_no": "ZJ0001", "timestamp": "2026-11-02T00:15:00+08:00", "kw": 5},
            {"meter_no": "ZJ0001", "timestamp": "2026-11-01T16:30:00Z", "kw": 6}]  # = 00:30 in Beijing
    r = api(clerk).post("/api/v1/consumption/batches/", {"layout": "long", "rows": rows}, format="json")
    assert r.status_code == 201, r.json()
    assert sorted(IntervalReading.objects.values_list("slot", "kw")) == [(1, 50.0), (2, 60.0)]
