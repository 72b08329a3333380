"""The scorecard's portfolio figures (billed, kWh, collection rate, portfolio size) are read from
the portfolio's customers — their bills looked up by customer id up to PORTFOLIO_BY_ID_MAX
customers, joined to the customers beyond (issue #15: a 50-person unit under 200 ms at 100,000
customers) — with the same figures both ways and the same number of queries."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerkam.billing.models import Bill
from powerkam.customers.models import Customer
from powerkam.kpis import selectors
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory

OCT = date(2026, 10, 1)
FIGURES = ("revenue", "kwh", "collection_rate", "portfolio", "billed", "due_total", "due_paid")


@pytest.fixture
def team(org_tree, make_staff):
    m = make_staff("manager", org_tree["s1"], username="m")
    o = make_staff("manager", org_tree["s1"], username="o")
    idle = make_staff("manager", org_tree["s1"], username="idle")  # no customer at all
    c1 = CustomerFactory(number="K1", org_unit=org_tree["s1"], primary_manager=m)
    c2 = CustomerFactory(number="K2", org_unit=org_tree["s1"], primary_manager=m, lifecycle_status="closed")
    c3 = CustomerFactory(number="K3", org_unit=org_tree["s1"], primary_manager=o)
    outsider = CustomerFactory(number="K4", org_unit=org_tree["s3"])
    # billed in October (0.63 × kWh + 100): c1 730.00, c2 (closed, still billed) 415.00, c3 1360.00
    make_bill(c1, OCT, 1000)
    make_bill(c2, OCT, 500)
    make_bill(c3, OCT, 2000, paid="1360.00")
    make_bill(c1, OCT, 7000, status=Bill.Status.VOID)
    make_bill(outsider, OCT, 3000)
    # due in October: c1 730.00 of 1145.00 (two bills), c3 nothing of 415.00
    make_bill(c1, date(2026, 9, 1), 1000, paid="730.00")
    make_bill(c1, date(2026, 8, 1), 500, due_on=date(2026, 10, 31))
    make_bill(c3, date(2026, 9, 1), 500)
    return {"people": [m, o, idle], "m": m, "o": o, "idle": idle, "c1": c1, "c3": c3}


def _figures(people):
    kpis = selectors.person_kpis(people, OCT)
    return {p.username: {k: kpis[p.pk].get(k) for k in FIGURES} for p in people}


def test_portfolio_figures_by_hand(team):
    f = _figures(team["people"])
    assert f["m"] == {"revenue": D("1145.00"), "kwh": D("1500.00"), "collection_rate": D("63.76"), "portfolio": 1,
                      "billed": D("1145.00"), "due_total": D("1145.00"), "due_paid": D("730.00")}
    assert f["o"]["revenue"] == D("1360.00") and f["o"]["collection_rate"] == D("0.00") and f["o"]["portfolio"] == 1
    assert f["idle"] == {"revenue": D("0.00"), "kwh": D("0.00"), "collection_rate": None, "portfolio": 0,
                         "billed": None, "due_total": None, "due_paid": None}


def test_by_customer_id_and_joined_give_the_same_figures_and_queries(team, monkeypatch):
    with CaptureQueriesContext(connection) as by_id:
        figures = _figures(team["people"])
    monkeypatch.setattr(selectors, "PORTFOLIO_BY_ID_MAX", 1)  # three customers: joined
    with CaptureQueriesContext(connection) as joined:
        assert _figures(team["people"]) == figures
    assert len(joined) == len(by_id)
    assert "JOIN" not in next(q["sql"] for q in by_id.captured_queries if '"billing_bill"' in q["sql"])


def test_a_reassigned_customer_counts_for_its_manager_now(team):
    Customer.objects.filter(pk=team["c3"].pk).update(primary_manager=team["m"])
    f = _figures(team["people"])
    assert f["m"]["revenue"] == D("2505.00") and f["m"]["portfolio"] == 2 and f["o"]["portfolio"] == 0


def test_scorecard_queries_do_not_grow_with_the_team(team, org_tree, make_staff):
    sup = make_staff("supervisor", org_tree["north"])
    with CaptureQueriesContext(connection) as before:
        selectors.scorecard(sup, OCT)
    for i in range(5):
        extra = make_staff("manager", org_tree["s2"], username=f"x{i}")
        for k in range(3):
            cu = CustomerFactory(number=f"X{i}{k}", org_unit=org_tree["s2"], primary_manager=extra)
            make_bill(cu, OCT, 100 * (k + 1))
            make_bill(cu, date(2026, 9, 1), 100 * (k + 1), paid="1.00")
    with CaptureQueriesContext(connection) as after:
        card = selectors.scorecard(sup, OCT)
    assert card.unit["people"] == 8 and len(after) == len(before)
