"""The dashboard's billed, kWh, collection-rate and arrears figures read the monthly summaries for
company and subtree scopes (issue #15: p95 under 200 ms at 100,000 customers): the same figures as
the live computation on a worked example, said "as of" the refresh on the page, stale after a
payment until the nightly refresh, scoped, and in a constant number of queries."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from powerkam.analytics.services import refresh_summaries
from powerkam.billing.models import Bill
from powerkam.kpis import selectors
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory

OCT = date(2026, 10, 1)
MONEY = ("revenue", "kwh", "unit_price", "arrears", "collection_rate")


@pytest.fixture
def bills(org_tree, make_staff):
    m = make_staff("manager", org_tree["s1"], username="m")
    c1 = CustomerFactory(number="K1", org_unit=org_tree["s1"], primary_manager=m)
    c2 = CustomerFactory(number="K2", org_unit=org_tree["s2"])
    c3 = CustomerFactory(number="K3", org_unit=org_tree["s3"])
    made = {
        # due 2026-10-20: c1 paid in full, c2 1000.00 of 1990.00, c3 nothing (total = kWh × 0.63 + 100)
        "c1_sep": make_bill(c1, date(2026, 9, 1), 1000, paid="730.00"),
        "c2_sep": make_bill(c2, date(2026, 9, 1), 3000, paid="1000.00"),   # total 1990.00
        "c3_sep": make_bill(c3, date(2026, 9, 1), 2000),                   # total 1360.00, open
        # due 2025-10-20 (last year): c1 paid, c3 open
        "c1_sep_ly": make_bill(c1, date(2025, 9, 1), 500, paid="415.00"),
        "c3_sep_ly": make_bill(c3, date(2025, 9, 1), 800),                 # total 604.00, open
        # billed in October (revenue, kWh), due in November
        "c1_oct": make_bill(c1, OCT, 1200, paid="100.00"),                 # total 856.00
        "c3_oct": make_bill(c3, OCT, 600),                                  # total 478.00
        "c2_oct_ly": make_bill(c2, date(2025, 10, 1), 900),                 # total 667.00
        "void": make_bill(c3, date(2026, 9, 1), 99999, status=Bill.Status.VOID),
    }
    refresh_summaries()
    return {"m": m, **made}


def _money(data):
    """The summary-fed figures of the whole and of each unit."""
    out = {"whole": {k: data["whole"][k] for k in MONEY}}
    for u in data["units"]:
        out[u["unit"].code] = {k: u["figures"][k] for k in MONEY}
    return out


def test_whole_company_by_hand(bills, org_tree, make_staff):
    boss = make_staff("executive", org_tree["company"])
    data = selectors.dashboard(boss, OCT)
    assert data["from_summary"] is True and data["as_of"] is not None
    w = data["whole"]
    # due in October: 730.00 + 1990.00 + 1360.00 = 4080.00 billed, 730.00 + 1000.00 paid
    assert w["collection_rate"] == {"value": D("42.40"), "last_year": D("40.73"), "target": None}  # 1730/4080, 415/1019
    # open with something left: 990.00 + 1360.00 + 604.00 + 756.00 + 478.00 + 667.00 (the void bill left out)
    assert w["arrears"]["value"] == D("4855.00")
    assert w["revenue"] == {"value": D("1334.00"), "last_year": D("667.00"), "target": None}
    units = {u["unit"].code: u["figures"] for u in data["units"]}
    assert units["R1"]["collection_rate"]["value"] == D("63.60")  # 1730.00 / 2720.00
    assert units["R2"]["collection_rate"]["value"] == D("0.00")


@pytest.mark.parametrize("role, unit", [("executive", "company"), ("admin", "company"), ("supervisor", "north"),
                                        ("supervisor", "s3")])
@pytest.mark.parametrize("month", [OCT, date(2026, 11, 1), date(2025, 10, 1), date(2027, 3, 1)])
def test_summary_equals_live(bills, org_tree, make_staff, role, unit, month):
    user = make_staff(role, org_tree[unit])
    assert _money(selectors.dashboard(user, month, from_summary=True)) == \
        _money(selectors.dashboard(user, month, from_summary=False))


def test_supervisor_sees_their_subtree_only(bills, org_tree, make_staff):
    sup = make_staff("supervisor", org_tree["south"])
    w = selectors.dashboard(sup, OCT)["whole"]
    assert w["collection_rate"]["value"] == D("0.00") and w["arrears"]["value"] == D("2442.00")  # 1360 + 604 + 478


def test_a_manager_reads_the_bills_live(bills, org_tree):
    data = selectors.dashboard(bills["m"], OCT)
    assert data["from_summary"] is False and data["as_of"] is None
    assert data["whole"]["collection_rate"]["value"] == D("100.00")
    assert data["whole"]["arrears"]["value"] == D("756.00")  # c1's October bill


def test_a_payment_shows_after_the_refresh_and_the_page_says_as_of_when(bills, org_tree, make_staff, login):
    boss = make_staff("executive", org_tree["company"])
    c3 = bills["c3_sep"]
    Bill.objects.filter(pk=c3.pk).update(paid_amount=c3.total, status=Bill.Status.PAID)
    stale = selectors.dashboard(boss, OCT)
    assert stale["whole"]["collection_rate"]["value"] == D("42.40")  # as of the last refresh
    assert selectors.dashboard(boss, OCT, from_summary=False)["whole"]["collection_rate"]["value"] == D("75.74")
    page = login(boss).get("/kpis/?month=2026-10").content.decode()
    assert f"as of {timezone.localtime(stale['as_of']):%Y-%m-%d %H:%M}" in page
    refresh_summaries()
    fresh = selectors.dashboard(boss, OCT)
    assert fresh["whole"]["collection_rate"]["value"] == D("75.74")  # 3090 / 4080
    assert fresh["whole"]["arrears"]["value"] == D("3495.00")
    assert fresh["as_of"] > stale["as_of"]


def test_the_page_says_when_the_summaries_were_never_refreshed(org_tree, make_staff, login):
    from powerkam.analytics.models import MonthlyCollection, MonthlySales

    assert not MonthlyCollection.objects.exists() and not MonthlySales.objects.exists()
    page = login(make_staff("executive", org_tree["company"])).get("/kpis/?month=2026-10").content.decode()
    assert "has not been refreshed" in page


def test_constant_queries_with_more_months_units_and_bills(bills, org_tree, make_staff):
    boss = make_staff("executive", org_tree["company"])
    with CaptureQueriesContext(connection) as before:
        selectors.dashboard(boss, OCT)
    for i in range(6):
        cu = CustomerFactory(number=f"X{i}", org_unit=org_tree["s2" if i % 2 else "s3"])
        for k in range(1, 13):
            make_bill(cu, date(2025 + (k > 6), (k * 2 - 1) % 12 + 1, 1), 100 * k)
    refresh_summaries()
    with CaptureQueriesContext(connection) as after:
        selectors.dashboard(boss, OCT)
    assert len(after) == len(before)
