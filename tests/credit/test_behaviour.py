"""Payment-behaviour rating from bills: worked examples, history policy, idempotence."""

from datetime import date
from decimal import Decimal

import pytest

from powerkam.billing.models import Bill
from powerkam.credit.models import BehaviourLevel, BehaviourRating
from powerkam.credit.selectors import low_credit_customer_ids
from powerkam.credit.services import months_back, rate_payment_behaviour, reason_text
from tests.factories import CustomerFactory

from .factories import make_bill

pytestmark = pytest.mark.django_db
D = Decimal
DAY = date(2026, 11, 20)


def test_months_back():
    assert months_back(date(2026, 11, 20), 12) == date(2025, 11, 20)
    assert months_back(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert months_back(date(2026, 3, 31), 1) == date(2026, 2, 28)


def test_rating_from_a_few_bills():
    good, late, owing, silent = CustomerFactory(), CustomerFactory(), CustomerFactory(), CustomerFactory()
    for m in range(1, 11):  # 10 bills due Jan..Oct 2026, all paid on the due date
        make_bill(good, due_on=date(2026, m, 15), paid_on=date(2026, m, 15))
    # 10 bills: 8 on time, one 10 days late, one 20 days late → 80 % → not A (95 %), not B (85 %);
    # longest 20 days ≤ 30 → C.
    for m in range(1, 9):
        make_bill(late, due_on=date(2026, m, 15), paid_on=date(2026, m, 14))
    make_bill(late, due_on=date(2026, 9, 15), paid_on=date(2026, 9, 25))
    make_bill(late, due_on=date(2026, 10, 15), paid_on=date(2026, 11, 4))
    # An open bill due 2026-09-30 (51 days overdue on 11-20), partly paid; one not yet due.
    make_bill(owing, due_on=date(2026, 8, 31), paid_on=date(2026, 8, 30))
    make_bill(owing, due_on=date(2026, 9, 30), total="5000.00", paid="1200.00", status=Bill.Status.OPEN)
    make_bill(owing, due_on=date(2026, 11, 30), total="900.00")
    make_bill(owing, due_on=date(2025, 11, 19), paid_on=date(2025, 11, 1))  # outside the window
    # a voided bill counts for nothing
    make_bill(good, due_on=date(2026, 10, 1), total="7.00", status=Bill.Status.VOID)

    result = rate_payment_behaviour(DAY)
    assert result["created"] == 4

    r = BehaviourRating.objects.get(customer=good, is_current=True)
    assert (r.level, r.on_time_rate, r.bills_due, r.bills_late, r.max_days_overdue, r.arrears) == (
        "A", D("1.0000"), 10, 0, 0, D("0.00"))

    r = BehaviourRating.objects.get(customer=late, is_current=True)
    assert (r.level, r.on_time_rate, r.bills_late, r.max_days_overdue, r.avg_days_overdue) == (
        "C", D("0.8000"), 2, 20, D("15.0"))
    texts = [reason_text(x) for x in r.reasons]
    assert "8 of 10 bills due in the last 12 months were paid by the due date (80.0 %)." in texts
    assert "Not level A: on-time rate 80.0 % is below 95.0 %." in texts
    assert "Not level B: longest delay 20 days is above 15 days." in texts
    assert "Level C (中)." in texts

    r = BehaviourRating.objects.get(customer=owing, is_current=True)
    assert (r.level, r.on_time_rate, r.bills_due, r.max_days_overdue, r.arrears) == ("D", D("0.5000"), 2, 51, D("3800.00"))
    assert "Overdue arrears 3800.00 yuan, the oldest due 2026-09-30." in [reason_text(x) for x in r.reasons]

    r = BehaviourRating.objects.get(customer=silent, is_current=True)
    assert (r.level, r.on_time_rate, r.bills_due) == ("A", None, 0)
    assert low_credit_customer_ids() == {owing.pk}


def test_history_one_row_per_change_and_idempotent():
    cust = CustomerFactory()
    for m in range(1, 11):  # 11 of 12 on time = 91.7 %: never A (95 %), B while the delay is ≤ 15 days
        make_bill(cust, due_on=date(2026, m, 10), paid_on=date(2026, m, 9))
    make_bill(cust, due_on=date(2025, 12, 10), paid_on=date(2025, 12, 9))
    bill = make_bill(cust, due_on=date(2026, 11, 10), total="800.00")
    rate_payment_behaviour(date(2026, 11, 12))  # 2 days overdue, 800 arrears
    assert list(BehaviourRating.objects.filter(customer=cust).values_list("level", "since", "is_current")) == [
        ("B", date(2026, 11, 12), True)]
    again = rate_payment_behaviour(date(2026, 11, 12))
    assert again["created"] == 0 and again["updated"] == 0 and again["unchanged"] == 1
    assert BehaviourRating.objects.filter(customer=cust).count() == 1

    rate_payment_behaviour(date(2026, 11, 20))  # 10 days: still B, figures refreshed in place
    r = BehaviourRating.objects.get(customer=cust)
    assert (r.level, r.max_days_overdue, r.since, r.rated_on) == ("B", 10, date(2026, 11, 12), date(2026, 11, 20))

    rate_payment_behaviour(date(2026, 11, 30))  # 20 days → C: the B row closes, a C row starts
    rows = list(BehaviourRating.objects.filter(customer=cust).order_by("since")
                .values_list("level", "since", "rated_on", "is_current", "max_days_overdue"))
    assert rows == [("B", date(2026, 11, 12), date(2026, 11, 20), False, 10),
                    ("C", date(2026, 11, 30), date(2026, 11, 30), True, 20)]

    Bill.objects.filter(pk=bill.pk).update(status=Bill.Status.PAID, paid_amount=D("800.00"), paid_on=date(2026, 12, 1))
    rate_payment_behaviour(date(2026, 12, 2))  # paid 21 days late: C stays, figures refreshed
    r = BehaviourRating.objects.get(customer=cust, is_current=True)
    assert (r.level, r.max_days_overdue, r.arrears, r.rated_on) == ("C", 21, D("0.00"), date(2026, 12, 2))
    BehaviourLevel.objects.filter(code="C").update(max_days_overdue=20)  # admins tighten C → D
    rate_payment_behaviour(date(2026, 12, 3))
    # an earlier day than the last rating leaves the customer alone
    assert rate_payment_behaviour(date(2026, 11, 25))["skipped"] == 1
    assert list(BehaviourRating.objects.filter(customer=cust).order_by("since").values_list("level", flat=True)) == [
        "B", "C", "D"]


def test_levels_thresholds_are_editable():
    cust = CustomerFactory()
    for d in range(1, 20):  # 19 of 20 on time = 95 %
        make_bill(cust, due_on=date(2026, 1 + d % 10, d), paid_on=date(2026, 1 + d % 10, d))
    make_bill(cust, due_on=date(2026, 11, 10), total="800.00")
    rate_payment_behaviour(date(2026, 11, 12))
    assert BehaviourRating.objects.get(customer=cust).level == "B"  # A allows no arrears
    BehaviourLevel.objects.filter(code="A").update(max_arrears=D("1000.00"), max_days_overdue=15)
    rate_payment_behaviour(date(2026, 11, 13))
    assert BehaviourRating.objects.get(customer=cust, is_current=True).level == "A"


def test_bulk_rating_uses_a_constant_number_of_queries(django_assert_max_num_queries):
    customers = [CustomerFactory() for _ in range(30)]
    for i, cust in enumerate(customers):
        make_bill(cust, due_on=date(2026, 10, 1 + i % 20), paid_on=date(2026, 10, 5) if i % 3 else None)
    with django_assert_max_num_queries(16):
        rate_payment_behaviour(DAY)
    assert BehaviourRating.objects.filter(is_current=True).count() == 30
