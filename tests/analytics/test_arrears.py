"""Arrears and ageing (欠费用户分析): buckets on the exact day boundaries."""

from datetime import date, timedelta
from decimal import Decimal as D

from powerkam.analytics.selectors import (
    ReportFilter,
    arrears_customers,
    arrears_row,
    arrears_totals,
)
from powerkam.billing.models import Bill
from tests.factories import CustomerFactory

from .factories import make_bill

AS_OF = date(2026, 6, 30)
ALL = ReportFilter(date(2020, 1, 1), date(2026, 6, 1))


def _ageing_customer(org_unit, manager=None):
    """Open bills due 0, 1, 30, 31, 60, 61, 90, 91, 180, 181 days before AS_OF and 5 days after."""
    customer = CustomerFactory(number="AG1", name="Ageing Ltd", org_unit=org_unit, primary_manager=manager)
    amounts = {0: "100", 1: "200", 30: "300", 31: "400", 60: "500", 61: "600", 90: "700", 91: "800",
               180: "900", 181: "1000", -5: "50"}
    for days, amount in amounts.items():
        paid = "250.00" if days == 181 else "0.00"
        make_bill(customer, date(2025, 1, 1), 0, energy=amount, basic="0", surcharges="0", paid=paid,
                  due_on=AS_OF - timedelta(days=days))
    # neither a paid bill nor a void one counts
    make_bill(customer, date(2025, 1, 1), 0, energy="7777", basic="0", surcharges="0", paid="7777",
              due_on=AS_OF - timedelta(days=400))
    make_bill(customer, date(2025, 1, 1), 0, energy="8888", basic="0", surcharges="0",
              due_on=AS_OF - timedelta(days=400), status=Bill.Status.VOID)
    return customer


def test_buckets_on_the_day_boundaries(org_tree, make_staff):
    admin = make_staff("admin", org_tree["company"])
    _ageing_customer(org_tree["s1"])
    (row,) = [arrears_row(r, AS_OF) for r in arrears_customers(admin, ALL, as_of=AS_OF)]
    assert row["buckets"] == {
        "not_due": D("150.00"),   # due today (0 days) and in 5 days
        "d1_30": D("500.00"),     # 1 and 30 days
        "d31_60": D("900.00"),    # 31 and 60
        "d61_90": D("1300.00"),   # 61 and 90
        "d91_180": D("1700.00"),  # 91 and 180
        "d181": D("750.00"),      # 181 days: 1000 less 250 paid
    }
    # arrears are the overdue buckets only (issue #10): the 150.00 not yet due is shown apart
    assert row["outstanding"] == D("5150.00") and row["bills"] == 9 and row["not_due"] == D("150.00")
    assert row["oldest_due"] == AS_OF - timedelta(days=181) and row["max_days_overdue"] == 181
    totals = arrears_totals(admin, ALL, as_of=AS_OF)
    assert totals["outstanding"] == D("5150.00") and totals["customers"] == 1 and totals["not_due"] == D("150.00")
    assert [b["amount"] for b in totals["buckets"]] == [D("150.00"), D("500.00"), D("900.00"), D("1300.00"),
                                                        D("1700.00"), D("750.00")]


def test_world_arrears_sorted_and_scoped(world):
    as_of = date(2026, 4, 25)
    rows = [arrears_row(r, as_of) for r in arrears_customers(world["admin"], ALL, as_of=as_of)]
    # open bills (kWh × 0.63 + 100 unless given): c1 2025-01 (730), 2025-12 (856), 2026-02 (431.60 left),
    # 2026-03 (730); c2 2025-01 (415), 2026-02 (402.40), 2026-03 (478);
    # c3 2025-01 (1360), 2025-02 (1360), 2026-02 (486 left).
    assert [(r["number"], r["outstanding"]) for r in rows] == [
        ("C3", D("3206.00")), ("C1", D("2747.60")), ("C2", D("1295.40"))]
    assert [r["number"] for r in arrears_customers(world["admin"], ALL, as_of=as_of, sort="number")] == ["C1", "C2", "C3"]
    assert [r["number"] for r in arrears_customers(world["admin"], ALL, as_of=as_of, sort="-d1_30")][0] == "C1"
    c1 = rows[1]
    # 2026-03 bill due 2026-04-20: 5 days overdue; 2026-02 due 2026-03-20: 36 days.
    assert c1["buckets"]["d1_30"] == D("730.00") and c1["buckets"]["d31_60"] == D("431.60")
    assert c1["max_days_overdue"] == (as_of - date(2025, 2, 20)).days
    mine = [r["number"] for r in arrears_customers(world["a"], ALL, as_of=as_of)]
    assert mine == ["C1"]


def test_billing_months_narrow_when_asked(world):
    as_of = date(2026, 4, 25)
    q1 = ReportFilter(date(2026, 1, 1), date(2026, 3, 1))
    totals = arrears_totals(world["admin"], q1, as_of=as_of, period=True)
    assert totals["outstanding"] == D("431.60") + D("730.00") + D("402.40") + D("478.00") + D("486.00")


def test_query_counts(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(arrears_customers(world["admin"], ALL, as_of=AS_OF))
    with django_assert_num_queries(1):
        arrears_totals(world["admin"], ALL, as_of=AS_OF)
