"""ArrearsPosition, kept by database triggers on billing_bill, equals the live grouping of the
open bills after every kind of write; the position-ranked arrears rows equal the live ones."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, F, Min, Sum

from powerkam.analytics.models import ArrearsPosition
from powerkam.analytics.selectors import (
    ARREARS_SORTS,
    POSITION_SORTS,
    ReportFilter,
    arrears_customers,
    arrears_rows,
)
from powerkam.billing.models import Bill
from powerkam.customers.models import Customer
from powerkam.receivables import services as receivables
from tests.factories import CustomerFactory

from .factories import make_bill

ALL = ReportFilter(date(2020, 1, 1), date(2026, 6, 1))
AS_OF = date(2026, 6, 30)


def live() -> dict:
    rows = (Bill.objects.filter(status=Bill.Status.OPEN, total__gt=F("paid_amount")).values("customer_id")
            .annotate(s=Sum(F("total") - F("paid_amount")), n=Count("id"), d=Min("due_on"),
                      no=Min("customer__number")).order_by())
    return {r["customer_id"]: (Decimal(r["s"]).quantize(Decimal("0.01")), r["n"], r["d"], r["no"]) for r in rows}


def positions() -> dict:
    return {p.customer_id: (p.outstanding, p.open_bills, p.oldest_due, p.number)
            for p in ArrearsPosition.objects.all()}


def test_every_kind_of_write_keeps_the_position_exact(world, make_staff, org_tree):
    clerk = make_staff("clerk", org_tree["company"])
    assert positions() == live() and positions()
    c1, c2 = world["c1"], world["c2"]
    # a customer renumbered
    Customer.objects.filter(pk=c1.pk).update(number="ZZ-001")
    assert positions()[c1.pk][3] == "ZZ-001" and positions() == live()
    # a new bill (as a billing run or an import writes it)
    bill = make_bill(c1, date(2026, 4, 1), 800)
    assert positions() == live()
    # payments allocated oldest first, one settling bills (status → paid)
    receivables.record_payment(customer=c1, amount="1000.00", channel="bank_transfer", received_on=AS_OF,
                               actor=clerk, today=AS_OF)
    assert positions() == live()
    payment = receivables.record_payment(customer=c2, amount=str(receivables.outstanding_of(c2.pk)),
                                         channel="counter", received_on=AS_OF, actor=clerk, today=AS_OF)
    assert c2.pk not in positions() and positions() == live()
    # a reversal reopens what the payment settled
    receivables.reverse_payment(payment, actor=world["admin"], reason="退票")
    assert c2.pk in positions() and positions() == live()
    # void, due date moved, bill moved to another customer, raw SQL, delete
    Bill.objects.filter(pk=bill.pk).update(status=Bill.Status.VOID)
    assert positions() == live()
    Bill.objects.filter(customer=c1, status=Bill.Status.OPEN).update(due_on=date(2025, 2, 2))
    assert positions() == live()
    other = Bill.objects.filter(customer=c2, status=Bill.Status.OPEN).first()
    Bill.objects.filter(pk=other.pk).update(customer=c1)
    assert positions() == live()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE billing_bill SET paid_amount = total WHERE customer_id = %s", [c1.pk])
    assert c1.pk not in positions() and positions() == live()
    c3 = world["c3"]
    Bill.objects.filter(customer=c3, allocations__isnull=True).delete()
    assert c3.pk not in positions() and positions() == live()
    fresh = make_bill(c3, date(2026, 5, 1), 100)
    assert positions()[c3.pk][1] == 1
    fresh.delete()
    assert c3.pk not in positions() and positions() == live()


@pytest.mark.parametrize("who", ["admin", "mgr_a"])
def test_position_ranked_rows_equal_the_live_grouping(org_tree, make_staff, who):
    from powerkam.org.models import Staff

    make_staff("admin", org_tree["company"], username="admin")
    mgr = make_staff("manager", org_tree["s1"], username="mgr_a")
    rng = random.Random(7)
    for i in range(60):
        customer = CustomerFactory(number=f"P{i:03d}", name=f"客户{rng.randint(1, 9)}",  # names and amounts tie
                                   org_unit=org_tree["s1" if i % 2 else "s3"], primary_manager=mgr if i % 3 else None)
        for k in range(rng.randint(0, 3)):
            make_bill(customer, date(2026, 1 + k, 1), 0, energy=str(rng.choice((100, 200, 250))), basic="0",
                      surcharges="0", paid=rng.choice(("0.00", "50.00")), due_on=AS_OF - timedelta(days=rng.randint(-10, 200)))
    user = Staff.objects.get(username=who)
    for period in (False, True):
        f = ReportFilter(date(2026, 2, 1), date(2026, 3, 1)) if period else ALL
        for key in ARREARS_SORTS:
            for sort in (key, f"-{key}"):
                rows = arrears_rows(user, f, as_of=AS_OF, period=period, sort=sort)
                assert rows.uses_position() == (not period and key in POSITION_SORTS)
                expected = list(arrears_customers(user, f, as_of=AS_OF, period=period, sort=sort))
                assert rows.count() == len(expected)
                assert [r["customer_id"] for r in rows[0:len(expected)]] == [r["customer_id"] for r in expected], sort
                assert rows[5:15] == expected[5:15]
                assert list(rows.iterator()) == expected


def test_page_queries_do_not_grow_with_customers(org_tree, make_staff, django_assert_max_num_queries):
    admin = make_staff("admin", org_tree["company"])
    for i in range(30):
        make_bill(CustomerFactory(number=f"Q{i:03d}", org_unit=org_tree["s1"]), date(2026, 1, 1), 100)
    with django_assert_max_num_queries(2):
        assert len(arrears_rows(admin, ALL, as_of=AS_OF)[0:10]) == 10
