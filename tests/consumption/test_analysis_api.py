"""/api/v1/consumption/anomalies/ and /forecasts/ (issue #14 item 8): scoped reads, a reason
recorded through the API with the same rules as the page, bad input refused field by field."""

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from powerkam.consumption import anomalies, forecasting
from powerkam.consumption.models import UsageAnomaly
from tests.factories import CustomerFactory

from .analysis_data import put_daily, regular_series

TODAY = date(2025, 6, 21)
START = TODAY - timedelta(days=200)


@pytest.fixture
def two(db, make_staff):
    out = {}
    for key in ("a", "b"):
        manager = make_staff("manager")
        cu = CustomerFactory(org_unit=manager.org_unit, primary_manager=manager, is_key_account=True)
        values = regular_series(START, 200, seed=ord(key))
        values[-12:] *= 0.5
        put_daily(cu, START, values)
        out[key] = (manager, cu)
    anomalies.run_watch(TODAY)
    forecasting.run_forecasts(TODAY, units=False)
    return out


def client_for(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_anomalies_and_forecasts_are_scoped(two):
    manager, cu = two["a"]
    api = client_for(manager)
    rows = api.get("/api/v1/consumption/anomalies/").json()["results"]
    assert [r["customer"] for r in rows] == [cu.pk] and rows[0]["kind"] == "drop"
    other = UsageAnomaly.objects.get(customer=two["b"][1])
    assert api.get(f"/api/v1/consumption/anomalies/{other.pk}/").status_code == 404
    forecasts = api.get("/api/v1/consumption/forecasts/").json()["results"]
    assert [f["customer"] for f in forecasts] == [cu.pk] and len(forecasts[0]["daily"]) == 7


def test_reason_through_the_api(two):
    manager, cu = two["a"]
    api = client_for(manager)
    anomaly = UsageAnomaly.objects.get(customer=cu)
    url = f"/api/v1/consumption/anomalies/{anomaly.pk}/reason/"
    bad = api.post(url, {"reason": "nonsense"}, format="json")
    assert bad.status_code == 400 and "reason" in bad.json()
    missing = api.post(url, {"reason": "other", "note": ""}, format="json")
    assert missing.status_code == 400 and "note" in missing.json()
    ok = api.post(url, {"reason": "self_generation", "note": "屋顶光伏"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "explained" and ok.json()["reason_code"] == "self_generation"
