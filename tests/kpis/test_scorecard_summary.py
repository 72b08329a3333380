"""Supervisors' and the company's KPI scorecards read the portfolio money (revenue, kWh,
collection rate) from the monthly portfolio summary (analytics.MonthlyPortfolio; issue #15: p95
under 200 ms for a 50-person unit at 100,000 customers; decision record 0021): the same figures
as the live computation (worked by hand, and on a generated set), said "as of" the refresh on the
page and in the API, stale after a payment until the nightly refresh; a manager's own scorecard
and a month never refreshed stay live; the drill-downs keep working; constant queries."""

import random
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from powerkam.analytics.services import refresh_monthly_portfolio, refresh_summaries
from powerkam.billing.models import Bill
from powerkam.customers.constants import LifecycleStatus
from powerkam.kpis import selectors
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory

SEP, OCT, NOV = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)


@pytest.fixture
def unit(org_tree, make_staff):
    """Bills total 0.63 × kWh + 100 (tests.analytics.factories); September's are due 2026-10-20."""
    m1 = make_staff("manager", org_tree["s1"], username="m1", full_name="M1")
    m2 = make_staff("manager", org_tree["s1"], username="m2", full_name="M2")
    m3 = make_staff("manager", org_tree["s3"], username="m3", full_name="M3")
    make_staff("specialist", org_tree["s2"], username="sp", full_name="SP")  # no portfolio: nothing billed
    k1 = CustomerFactory(number="K1", org_unit=org_tree["s1"], primary_manager=m1)
    k2 = CustomerFactory(number="K2", org_unit=org_tree["s1"], primary_manager=m1)
    k3 = CustomerFactory(number="K3", org_unit=org_tree["s1"], primary_manager=m2)
    k4 = CustomerFactory(number="K4", org_unit=org_tree["s3"], primary_manager=m3)
    k5 = CustomerFactory(number="K5", org_unit=org_tree["s1"])  # no manager: in nobody's figures
    k6 = CustomerFactory(number="K6", org_unit=org_tree["s1"], primary_manager=m2,
                         lifecycle_status=LifecycleStatus.CLOSED)  # closed: billed, not in the portfolio size
    bills = {
        "k1_oct": make_bill(k1, OCT, 1000),                          # 730.00
        "k1_sep": make_bill(k1, SEP, 500, paid="415.00"),            # 415.00, due 10-20, paid
        "k2_oct": make_bill(k2, OCT, 2000),                          # 1360.00
        "k2_sep": make_bill(k2, SEP, 800, paid="300.00"),            # 604.00, due 10-20, 300.00 paid
        "k3_oct": make_bill(k3, OCT, 1500),                          # 1045.00
        "k3_sep": make_bill(k3, SEP, 1000),                          # 730.00, due 10-20, unpaid
        "k3_void": make_bill(k3, OCT, 9999, status=Bill.Status.VOID),
        "k4_oct": make_bill(k4, OCT, 300),                           # 289.00
        "k4_sep": make_bill(k4, SEP, 100, paid="163.00"),            # 163.00, due 10-20, paid
        "k4_31": make_bill(k4, SEP, 200, due_on=date(2026, 10, 31), paid="226.00"),  # due the last day, paid
        "k4_nov": make_bill(k4, SEP, 400, due_on=NOV),               # due the day after October
        "k5_oct": make_bill(k5, OCT, 700),
        "k6_oct": make_bill(k6, OCT, 100),                           # 163.00
    }
    return {"m1": m1, "m2": m2, "m3": m3, **bills}


def _money(card):
    """The summary-fed figures of each person and of the unit, and the ranking."""
    rows = [(r["rank"], r["staff"].username, {k: r["figures"].get(k) for k in ("revenue", "kwh", "collection_rate")},
             {m: cell["achievement"] for m, cell in r["cells"].items()}) for r in card.rows]
    return rows, card.unit


def test_the_company_scorecard_from_the_summary_by_hand(unit, org_tree, make_staff):
    refresh_summaries()
    card = selectors.scorecard(make_staff("executive", org_tree["company"]), OCT)
    assert card.from_summary is True and card.as_of is not None
    f = {r["staff"].username: r["figures"] for r in card.rows}
    assert (f["m1"]["revenue"], f["m1"]["kwh"]) == (D("2090.00"), D("3000.00"))  # 730.00 + 1360.00
    assert f["m1"]["collection_rate"] == D("70.17")  # (415.00 + 300.00) ÷ (415.00 + 604.00)
    assert (f["m2"]["revenue"], f["m2"]["kwh"]) == (D("1208.00"), D("1600.00"))  # 1045.00 + closed K6's 163.00
    assert f["m2"]["collection_rate"] == D("0.00") and f["m2"]["portfolio"] == 1
    assert (f["m3"]["revenue"], f["m3"]["collection_rate"]) == (D("289.00"), D("100.00"))  # 389.00 of 389.00
    assert (f["sp"]["revenue"], f["sp"]["collection_rate"]) == (D("0.00"), None)
    assert [r["staff"].username for r in card.rows] == ["m1", "m2", "m3", "sp"]
    assert card.unit["revenue"] == D("3587.00") and card.unit["kwh"] == D("4900.00")
    assert card.unit["collection_rate"] == D("51.64")  # 1104.00 ÷ 2138.00


@pytest.mark.parametrize("role, where", [("executive", "company"), ("admin", "company"), ("supervisor", "north"),
                                         ("supervisor", "s3"), ("supervisor", "south")])
@pytest.mark.parametrize("month", [SEP, OCT, NOV, date(2027, 3, 1)])
def test_summary_equals_live(unit, org_tree, make_staff, role, where, month):
    refresh_summaries()
    user = make_staff(role, org_tree[where])
    summary = selectors.scorecard(user, month, from_summary=True)
    assert summary.from_summary is (month != date(2027, 3, 1))  # no bill billed or due in March 2027
    assert _money(summary) == _money(selectors.scorecard(user, month, from_summary=False))


def test_summary_equals_live_on_a_generated_company(org_tree, make_staff):
    """Ten people, sixty customers (some without a manager, some closed), twelve months of bills
    with random kWh, due dates on and around the month's ends, part payments and void bills."""
    rng = random.Random(15)
    stations = [org_tree[s] for s in ("s1", "s2", "s3")]
    people = [make_staff("manager" if i % 3 else "specialist", stations[i % 3], username=f"g{i}") for i in range(10)]
    for n in range(60):
        cu = CustomerFactory(number=f"G{n:02d}", org_unit=stations[n % 3],
                             primary_manager=None if n % 11 == 0 else rng.choice(people),
                             lifecycle_status=LifecycleStatus.CLOSED if n % 13 == 0 else LifecycleStatus.ACTIVE)
        for k in range(12):
            period = date(2026 - (k < 3), (k + 9) % 12 + 1, 1)
            kwh = rng.randint(1, 90000)
            total = D(kwh) * D("0.63") + 100
            due = rng.choice([None, date(period.year + (period.month == 12), period.month % 12 + 1, 1), period])
            paid = rng.choice(["0.00", str(total), str((total / 3).quantize(D("0.01")))])
            make_bill(cu, period, kwh, due_on=due, paid=paid,
                      status=Bill.Status.VOID if rng.random() < 0.05 else None)
    refresh_summaries()
    boss = make_staff("executive", org_tree["company"])
    sup = make_staff("supervisor", org_tree["north"])
    for user in (boss, sup):
        for k in range(-1, 14):
            month = date(2025 + (k + 9) // 12, (k + 9) % 12 + 1, 1)
            summary = selectors.scorecard(user, month, from_summary=True)
            # billed 2025-10 … 2026-09, due up to 2026-10: the months either side were not refreshed
            assert summary.from_summary is (date(2025, 10, 1) <= month <= date(2026, 10, 1)), month
            assert _money(summary) == _money(selectors.scorecard(user, month, from_summary=False)), month
    assert selectors.scorecard(boss, SEP).unit["revenue"] > 0


def test_a_managers_own_scorecard_is_live(unit):
    refresh_summaries()
    card = selectors.scorecard(unit["m1"], OCT)
    assert card.from_summary is False and card.as_of is None
    assert card.rows[0]["figures"]["revenue"] == D("2090.00")


def test_a_month_never_refreshed_is_read_live(unit, org_tree, make_staff):
    sup = make_staff("supervisor", org_tree["north"])
    card = selectors.scorecard(sup, OCT)
    assert card.from_summary is False and card.unit["revenue"] == D("3298.00")  # m1 2090.00 + m2 1208.00
    refresh_monthly_portfolio([SEP])  # another month
    assert selectors.scorecard(sup, OCT).from_summary is False
    refresh_monthly_portfolio([OCT])
    assert selectors.scorecard(sup, OCT).from_summary is True


def test_a_payment_shows_after_the_refresh_and_the_page_says_as_of_when(unit, org_tree, make_staff, login):
    sup = make_staff("supervisor", org_tree["north"])
    refresh_summaries()
    k3 = unit["k3_sep"]  # m2's 730.00 due 2026-10-20, unpaid
    Bill.objects.filter(pk=k3.pk).update(paid_amount=k3.total, status=Bill.Status.PAID)
    stale = selectors.scorecard(sup, OCT)
    m2 = next(r for r in stale.rows if r["staff"] == unit["m2"])
    assert m2["figures"]["collection_rate"] == D("0.00")  # as of the refresh
    live = selectors.scorecard(sup, OCT, from_summary=False)
    assert next(r for r in live.rows if r["staff"] == unit["m2"])["figures"]["collection_rate"] == D("100.00")
    page = login(sup).get("/kpis/team/?month=2026-10").content.decode()
    assert f"as of {timezone.localtime(stale.as_of):%Y-%m-%d %H:%M}" in page
    refresh_summaries()
    fresh = selectors.scorecard(sup, OCT)
    assert next(r for r in fresh.rows if r["staff"] == unit["m2"])["figures"]["collection_rate"] == D("100.00")
    assert fresh.unit["collection_rate"] == D("82.62")  # (715.00 + 730.00) ÷ (1019.00 + 730.00)
    assert fresh.as_of > stale.as_of


def test_the_live_page_says_nothing_about_a_refresh(unit, login):
    refresh_summaries()
    page = login(unit["m1"]).get("/kpis/team/?month=2026-10").content.decode()
    assert 'id="figures-as-of"' not in page


def test_the_api_says_where_the_figures_come_from(unit, org_tree, make_staff, login):
    sup = make_staff("supervisor", org_tree["north"])
    before = login(sup).get("/api/v1/kpis/scorecard/?month=2026-10").json()
    assert before["from_summary"] is False and before["as_of"] is None
    refresh_summaries()
    data = login(sup).get("/api/v1/kpis/scorecard/?month=2026-10").json()
    assert data["from_summary"] is True and data["as_of"]
    assert data["unit"]["revenue"] == before["unit"]["revenue"] == "3298.00"
    own = login(unit["m1"]).get("/api/v1/kpis/scorecard/?month=2026-10").json()
    assert own["from_summary"] is False and own["as_of"] is None


def test_the_drill_downs_keep_working(unit, org_tree, make_staff, login):
    sup = make_staff("supervisor", org_tree["north"])
    refresh_summaries()
    client = login(sup)
    page = client.get("/kpis/team/?month=2026-10").content.decode()
    link = f"/kpis/team/{unit['m1'].pk}/collection_rate/?month=2026-10"
    assert link in page
    drill = client.get(link)
    assert drill.status_code == 200 and drill.content.decode().count("<tr>") == 3  # header + K1's and K2's


def test_constant_queries_one_fewer_than_live(unit, org_tree, make_staff):
    sup = make_staff("supervisor", org_tree["company"])
    refresh_summaries()
    with CaptureQueriesContext(connection) as live:
        selectors.scorecard(sup, OCT, from_summary=False)
    with CaptureQueriesContext(connection) as small:
        selectors.scorecard(sup, OCT)
    for i in range(8):
        person = make_staff("manager", org_tree["s2"], username=f"x{i}")
        for j in range(3):
            cu = CustomerFactory(number=f"X{i}{j}", org_unit=org_tree["s2"], primary_manager=person)
            make_bill(cu, OCT, 100 + j)
            make_bill(cu, SEP, 200 + j)
    refresh_summaries()
    with CaptureQueriesContext(connection) as large:
        card = selectors.scorecard(sup, OCT)
    assert card.from_summary and len(card.rows) == 12
    assert len(large) == len(small) == len(live) - 1
