"""The dashboard's live arrears (the open bills past their due date, issue #10) read through a
query shape that SQLite starts from the past-due bills (issue #15 on SQLite at 100,000
customers): the same figures as a plain computation over every bill, for every scope, with the
edges (due today, fully paid but still open, void, not yet due) and in a constant number of
queries."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from powerkam.billing.models import Bill
from powerkam.core.scoping import visible_customers
from powerkam.customers.models import Customer
from powerkam.kpis import selectors
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory


@pytest.fixture
def world(org_tree, make_staff):
    today = timezone.localdate()
    past, soon = today - timedelta(days=40), today + timedelta(days=10)
    period = (today - timedelta(days=70)).replace(day=1)
    m = make_staff("manager", org_tree["s1"], username="m")
    m2 = make_staff("manager", org_tree["s3"], username="m2")
    made = []
    for i, (unit, primary, secondary) in enumerate((("s1", m, None), ("s1", None, m), ("s2", None, None),
                                                    ("s3", m2, None), ("s3", None, None), ("north", None, None))):
        cu = CustomerFactory(number=f"A{i}", org_unit=org_tree[unit], primary_manager=primary,
                             secondary_manager=secondary)
        k = 100 * (i + 1)
        made += [
            make_bill(cu, period, 1000 + k, due_on=past),                       # past due, unpaid
            make_bill(cu, period, 2000 + k, due_on=past - timedelta(days=31), paid="333.33"),  # part paid
            make_bill(cu, period, 3000 + k, due_on=soon),                       # open, not yet due
            make_bill(cu, period, 4000 + k, due_on=today),                      # due today: not past due
            make_bill(cu, period, 500 + k, due_on=past, paid="9999.00", status=Bill.Status.OPEN),  # paid in full
            make_bill(cu, period, 700 + k, due_on=past, status=Bill.Status.VOID),
            make_bill(cu, period, 800 + k, due_on=past, paid="99999.00"),       # paid
        ]
    # a customer with nothing past due, and one with no bills at all
    quiet = CustomerFactory(number="Q1", org_unit=org_tree["s2"])
    make_bill(quiet, period, 1234, due_on=soon)
    CustomerFactory(number="Q2", org_unit=org_tree["s2"])
    return {"m": m, "m2": m2, "today": today}


def by_hand(user, org_tree) -> dict:
    """The arrears of the whole and of each display column, from every bill in Python."""
    today = timezone.localdate()
    seen = set(visible_customers(user).values_list("pk", flat=True))
    unit_of = dict(Customer.objects.values_list("pk", "org_unit__path"))
    columns, _whole = selectors.display_units(user)
    out = {"whole": D("0")} | {col.code: D("0") for col in columns}
    for b in Bill.objects.all():
        if b.customer_id in seen and b.status == Bill.Status.OPEN and b.total > b.paid_amount and b.due_on < today:
            out["whole"] += b.total - b.paid_amount
            for col in columns:
                if unit_of[b.customer_id].startswith(col.path):
                    out[col.code] += b.total - b.paid_amount
    return out


def read(data) -> dict:
    out = {"whole": data["whole"]["arrears"]["value"]}
    for u in data["units"]:
        out[u["unit"].code] = u["figures"]["arrears"]["value"]
    return out


@pytest.mark.parametrize("role, unit", [("executive", "company"), ("admin", "company"), ("supervisor", "north"),
                                        ("supervisor", "s3"), ("clerk", "s1"), ("manager", None), ("manager2", None)])
def test_arrears_equal_a_computation_over_every_bill(world, org_tree, make_staff, role, unit):
    if role == "manager":
        user = world["m"]
    elif role == "manager2":
        user = world["m2"]
    else:
        user = make_staff(role, org_tree[unit])
    expected = by_hand(user, org_tree)
    got = read(selectors.dashboard(user, world["today"].replace(day=1)))
    assert {k: v or D("0") for k, v in got.items()} == expected
    assert expected["whole"] > 0


def test_arrears_by_hand(world, org_tree, make_staff):
    """Per customer i (k = 100 × (i + 1)): the past-due unpaid bill (1000 + k kWh) and the part-paid one
    (2000 + k kWh, 333.33 paid); total = 0.63 × kWh + 100 (tests.analytics.factories.make_bill)."""
    boss = make_staff("executive", org_tree["company"])
    w = read(selectors.dashboard(boss, world["today"].replace(day=1)))

    def owed(i):
        k = 100 * (i + 1)
        return (D(1000 + k) * D("0.63") + 100) + (D(2000 + k) * D("0.63") + 100 - D("333.33"))

    assert w["whole"] == sum((owed(i) for i in range(6)), D("0")).quantize(D("0.01"))
    assert w["R1"] == (owed(0) + owed(1) + owed(2) + owed(5)).quantize(D("0.01"))
    assert w["R2"] == (owed(3) + owed(4)).quantize(D("0.01"))


def test_arrears_query_count_does_not_grow(world, org_tree, make_staff):
    boss = make_staff("executive", org_tree["company"])
    month = world["today"].replace(day=1)
    with CaptureQueriesContext(connection) as before:
        selectors.dashboard(boss, month)
    past = world["today"] - timedelta(days=50)
    for i in range(5):
        cu = CustomerFactory(number=f"Z{i}", org_unit=org_tree["s2" if i % 2 else "s3"])
        for j in range(3):
            make_bill(cu, past.replace(day=1), 100 * (j + 1), due_on=past - timedelta(days=j))
    with CaptureQueriesContext(connection) as after:
        selectors.dashboard(boss, month)
    assert len(after) == len(before)
