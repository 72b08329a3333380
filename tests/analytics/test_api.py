"""/api/v1/analytics/<report>/: the pages' figures as JSON, scoped, in the OpenAPI schema."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from .factories import make_payment

Q1 = {"from_month": "2026-01", "to_month": "2026-03"}
REPORTS = ["sales-volume", "unit-price", "payments", "arrears", "collection-rate", "profit"]


@pytest.fixture
def api():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


def test_sales_volume_json(world, api):
    body = api(world["admin"]).get("/api/v1/analytics/sales-volume/", Q1).json()
    jan = body["rows"][0]
    assert jan == {"month": "2026-01-01", "kwh": "4000.00", "kwh_previous_month": "1200.00", "mom_pct": "233.3",
                   "kwh_last_year": "3500.00", "yoy_pct": "14.3", "amount": "3268.40", "bills": 3}
    assert body["rows"][2]["yoy_pct"] is None
    assert body["total"]["yoy_pct"] == "74.5"


def test_manager_gets_the_portfolio_figures(world, api):
    body = api(world["a"]).get("/api/v1/analytics/sales-volume/", Q1).json()
    assert body["total"]["kwh"] == "3420.00"
    body = api(world["a"]).get("/api/v1/analytics/collection-rate/", {"from_month": "2026-02", "to_month": "2026-03"}).json()
    assert body["total"]["rate_pct"] == "76.26" and [m["manager"] for m in body["managers"]] == ["Manager A"]


def test_arrears_paged_and_sorted(world, api):
    body = api(world["admin"]).get("/api/v1/analytics/arrears/", {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert [r["number"] for r in body["results"]] == ["C3", "C1"]
    assert body["results"][0]["outstanding"] == "3206.00"
    assert [b["key"] for b in body["totals"]["buckets"]][0] == "not_due"


def test_profit_with_pareto(world, api):
    body = api(world["admin"]).get("/api/v1/analytics/profit/", {"from_month": "2026-01", "to_month": "2026-01"}).json()
    assert body["totals"]["profit"] == "1499.90"
    assert body["pareto_revenue"]["top_share"] == "0.6400"
    assert body["results"][0]["number"] == "C3" and body["results"][0]["profit"] == "995.00"
    assert body["purchase_costs"]["35kV"] == "0.408000"


def test_payments_json(world, api):
    make_payment(world["c1"], date(2026, 1, 31), "886.40")
    body = api(world["admin"]).get("/api/v1/analytics/payments/", Q1).json()
    assert body["total"] == {"amount": "886.40", "count": 1}


@pytest.mark.parametrize("report", REPORTS)
def test_bad_filter_is_a_400_with_field_errors(world, api, report):
    response = api(world["admin"]).get(f"/api/v1/analytics/{report}/", {"from_month": "2026-05", "to_month": "2026-01"})
    assert response.status_code == 400
    assert response.json() == {"to_month": ["The last month must not be before the first month."]}


@pytest.mark.parametrize("report", REPORTS)
def test_every_report_answers_and_needs_login(world, api, report):
    assert api(world["b"]).get(f"/api/v1/analytics/{report}/", Q1).status_code == 200
    assert APIClient().get(f"/api/v1/analytics/{report}/").status_code in (401, 403)


def test_reports_are_in_the_schema(world, api):
    schema = api(world["admin"]).get("/api/schema/?format=json").json()
    for report in REPORTS:
        assert f"/api/v1/analytics/{report}/" in schema["paths"], report
    op = schema["paths"]["/api/v1/analytics/sales-volume/"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"from_month", "to_month", "org_unit", "industry",
                                                      "usage_category", "ka_tier"}
