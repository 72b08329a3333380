"""The scorecard's two bill queries on SQLite read covering indexes by customer (billing 0008,
decision record 0016): the indexes exist with their columns, the figures are the same with and
without them (a team with billed months, bills due in and around the month, void and part-paid
bills, a customer of another manager), and the query count does not grow with the team."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerkam.billing.models import Bill
from powerkam.kpis import selectors
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory

OCT = date(2026, 10, 1)
FIGURES = ("revenue", "kwh", "collection_rate", "billed", "due_total", "due_paid", "portfolio")
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite-only indexes (billing 0008)")


@pytest.fixture
def team(org_tree, make_staff):
    people = [make_staff("manager", org_tree["s1" if i % 2 else "s2"], username=f"p{i}") for i in range(4)]
    other = make_staff("manager", org_tree["s3"], username="other")
    for i, person in enumerate(people + [other]):
        for j in range(3):
            cu = CustomerFactory(number=f"T{i}{j}", org_unit=person.org_unit, primary_manager=person)
            for month in (date(2026, 8, 1), date(2026, 9, 1), OCT, date(2026, 11, 1)):
                k = 100 * (i + 1) + 10 * j + month.month
                make_bill(cu, month, k, paid=str(k // 2) if j == 1 else "0.00")
            make_bill(cu, OCT, 5000 + j, status=Bill.Status.VOID)
            make_bill(cu, date(2026, 9, 1), 700, due_on=date(2026, 10, 31), paid="541.00")  # due on the last day, paid
            make_bill(cu, date(2026, 9, 1), 800, due_on=date(2026, 11, 1))  # due the day after
    return people


def figures(people, month):
    got = selectors.person_kpis(people, month)
    return {p.pk: {k: got[p.pk].get(k) for k in FIGURES} for p in people}


@sqlite_only
def test_the_indexes_cover_the_scorecard_columns(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE name IN "
                       "('bill_customer_period_cover_idx', 'bill_customer_due_cover_idx')")
        sql = dict(cursor.fetchall())
    assert '("customer_id", "period", "status", "kwh", "total"' in sql["bill_customer_period_cover_idx"]
    assert '"paid_amount", "due_on")' in sql["bill_customer_period_cover_idx"]
    assert '("customer_id", "due_on", "status", "total", "paid_amount")' in sql["bill_customer_due_cover_idx"]


@sqlite_only
@pytest.mark.parametrize("month", [date(2026, 9, 1), OCT, date(2026, 11, 1)])
def test_same_figures_with_and_without_the_indexes(team, month):
    with_indexes = figures(team, month)
    assert any(f["due_total"] for f in with_indexes.values()) and any(f["billed"] for f in with_indexes.values())
    with connection.cursor() as cursor:  # dropped inside the test's transaction: rolled back after it
        cursor.execute('DROP INDEX "bill_customer_period_cover_idx"')
        cursor.execute('DROP INDEX "bill_customer_due_cover_idx"')
    assert figures(team, month) == with_indexes


def test_figures_by_hand_and_constant_queries(team, org_tree, make_staff):
    """p0 (i = 0, s2): customers j = 0, 1, 2; October's bills k = 100 + 10 j + 10 kWh, total 0.63 k + 100;
    due in October: September's bills (k = 100 + 10 j + 9; j = 1 half paid, rounded down to the
    yuan) and the 700-kWh bill due on the 31st, paid in full (541.00)."""
    f = figures(team, OCT)[team[0].pk]
    assert f["billed"] == sum(D(110 + 10 * j) * D("0.63") + 100 for j in range(3))
    due = [D(109 + 10 * j) * D("0.63") + 100 for j in range(3)]
    assert f["due_total"] == sum(due) + 3 * D("541.00")
    assert f["due_paid"] == D((109 + 10) // 2) + 3 * D("541.00")
    sup = make_staff("supervisor", org_tree["company"])
    with CaptureQueriesContext(connection) as small:
        selectors.scorecard(sup, OCT)
    for i in range(4, 10):
        person = make_staff("manager", org_tree["s3"], username=f"p{i}")
        make_bill(CustomerFactory(number=f"N{i}", org_unit=org_tree["s3"], primary_manager=person), OCT, 100)
    with CaptureQueriesContext(connection) as large:
        selectors.scorecard(sup, OCT)
    assert len(large) == len(small)
