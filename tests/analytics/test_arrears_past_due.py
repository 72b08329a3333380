"""Arrears (欠费) count only what is past due (issue #10, as on the collections board): a bill due
today or later is not yet due — shown apart, never in the arrears — and a customer whose open
bills are all not yet due is not in arrears. The analytics arrears page, its API and export, the
executive dashboard and the 360 glance all follow the rule.

Worked example, as of today (T):
    A: 300.00 due T−10 (open); 200.00 due T (today: not yet due); 100.00 due T+5
    B: 500.00 due T+3 — nothing past due: not in arrears
    C: 1000.00 due T−1, 400.00 paid → 600.00 past due
    → arrears 900.00 of 2 customers on 2 bills (C 600, A 300); not yet due 800.00 (A 300, B 500).
"""

from datetime import date, timedelta
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from powerkam.analytics.glance import money_and_service_glance
from powerkam.analytics.selectors import ReportFilter, arrears_row, arrears_rows, arrears_totals
from powerkam.kpis import selectors as kpis
from tests.factories import CustomerFactory

from .factories import make_bill

pytestmark = pytest.mark.django_db
ALL = ReportFilter(date(2020, 1, 1), date(2030, 1, 1))


@pytest.fixture
def example(org_tree, make_staff):
    today = timezone.localdate()
    admin = make_staff("admin", org_tree["company"])
    a = CustomerFactory(number="PA", name="Alpha", org_unit=org_tree["s1"])
    b = CustomerFactory(number="PB", name="Beta", org_unit=org_tree["s1"])
    c = CustomerFactory(number="PC", name="Gamma", org_unit=org_tree["s3"])

    def bill(customer, amount, days, paid="0.00"):
        make_bill(customer, date(2026, 1, 1), 0, energy=amount, basic="0", surcharges="0", paid=paid,
                  due_on=today + timedelta(days=days))

    bill(a, "300", -10)
    bill(a, "200", 0)
    bill(a, "100", 5)
    bill(b, "500", 3)
    bill(c, "1000", -1, paid="400.00")
    return {"today": today, "admin": admin, "a": a, "b": b, "c": c}


def test_only_bills_past_due_are_arrears(example):
    today, admin = example["today"], example["admin"]
    rows = [arrears_row(r, today) for r in arrears_rows(admin, ALL, as_of=today)[0:10]]
    assert [(r["number"], r["outstanding"], r["bills"], r["not_due"]) for r in rows] == [
        ("PC", D("600.00"), 1, D("0.00")), ("PA", D("300.00"), 1, D("300.00"))]
    alpha = rows[1]
    assert alpha["oldest_due"] == today - timedelta(days=10) and alpha["max_days_overdue"] == 10
    assert alpha["buckets"]["d1_30"] == D("300.00") and alpha["buckets"]["not_due"] == D("300.00")
    totals = arrears_totals(admin, ALL, as_of=today)
    assert (totals["outstanding"], totals["customers"], totals["bills"]) == (D("900.00"), 2, 2)
    assert totals["not_due"] == D("800.00") and totals["oldest_due"] == today - timedelta(days=10)


@pytest.mark.parametrize("sort", ["-outstanding", "outstanding", "number", "-name", "oldest_due", "-oldest_due",
                                  "d1_30", "-not_due"])
def test_every_sort_leaves_out_the_customer_with_nothing_past_due(example, sort):
    today, admin = example["today"], example["admin"]
    rows = arrears_rows(admin, ALL, as_of=today, sort=sort)
    assert rows.count() == 2
    assert sorted(r["number"] for r in rows[0:10]) == ["PA", "PC"]
    assert sorted(r["number"] for r in rows.iterator()) == ["PA", "PC"]


def test_tomorrow_the_bill_due_today_is_one_day_overdue(example):
    tomorrow = example["today"] + timedelta(days=1)
    (alpha,) = [arrears_row(r, tomorrow) for r in arrears_rows(example["admin"], ALL, as_of=tomorrow, sort="number")
                [0:10] if r["number"] == "PA"]
    assert alpha["outstanding"] == D("500.00") and alpha["bills"] == 2 and alpha["not_due"] == D("100.00")


def test_page_api_and_export(example, login):
    client = login(example["admin"])
    api = APIClient()
    api.force_authenticate(example["admin"])
    page = client.get(reverse("analytics:arrears")).content.decode()
    assert 'id="arrears-customers">2<' in page and "Beta" not in page
    body = api.get("/api/v1/analytics/arrears/").json()
    assert body["count"] == 2 and body["totals"]["outstanding"] == "900.00" and body["totals"]["not_due"] == "800.00"
    assert [(r["number"], r["outstanding"], r["not_due"]) for r in body["results"]] == [
        ("PC", "600.00", "0.00"), ("PA", "300.00", "300.00")]
    export = client.get(reverse("analytics:arrears"), {"export": "xlsx", "sort": "number"})
    sheet = load_workbook(BytesIO(b"".join(export.streaming_content))).active
    header = [cell.value for cell in sheet[1]]
    rows = {r[0]: dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"PA", "PC"}
    assert D(str(rows["PA"]["Arrears (past due)"])) == D("300") and D(str(rows["PA"]["Not yet due"])) == D("300")


def test_dashboard_arrears_are_past_due(example, org_tree, make_staff):
    boss = make_staff("executive", org_tree["company"])
    whole = kpis.dashboard(boss, example["today"])["whole"]
    assert whole["arrears"]["value"] == D("900.00")


def test_the_360_glance(example):
    items = {g.key: g for g in money_and_service_glance(example["a"], example["today"])}
    assert items["arrears"].value == "300.00 yuan" and items["arrears"].tone == "danger"
    assert items["arrears"].detail == "10 days overdue, 300.00 yuan not yet due"
    beta = {g.key: g for g in money_and_service_glance(example["b"], example["today"])}
    assert beta["arrears"].value == "0.00 yuan" and beta["arrears"].tone == "success"
    assert beta["arrears"].detail == "nothing overdue, 500.00 yuan not yet due"
