"""Payments: oldest-first allocation, overpayment refusal, advances, reversals, refunds."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from powerkam.billing.models import Bill
from powerkam.core.models import Task
from powerkam.customers.models import TimelineEvent
from powerkam.receivables import services
from powerkam.receivables.ladder import run_ladder
from powerkam.receivables.models import Payment, PaymentAllocation, Refund

D = Decimal
TODAY = date(2026, 4, 30)


@pytest.fixture
def three_bills(world, bill_maker):
    c1 = world["c1"]
    # Created out of order on purpose: allocation follows due date, then month, then number.
    b3 = bill_maker(c1, "3000.00", date(2026, 4, 20), period=date(2026, 3, 1), number="B-003")
    b1 = bill_maker(c1, "1000.00", date(2026, 2, 20), period=date(2026, 1, 1), number="B-001")
    b2b = bill_maker(c1, "500.00", date(2026, 3, 20), period=date(2026, 2, 1), number="B-002b")
    b2a = bill_maker(c1, "2000.00", date(2026, 3, 20), period=date(2026, 2, 1), number="B-002a")
    return c1, [b1, b2a, b2b, b3]


def _state(bills):
    out = []
    for b in bills:
        b.refresh_from_db()
        out.append((b.number, b.paid_amount, b.status))
    return out


def test_partial_payments_are_allocated_oldest_first(world, three_bills):
    c1, bills = three_bills
    assert services.outstanding_of(c1.pk) == D("6500.00")
    p1 = services.record_payment(customer=c1, amount="2500.00", channel="bank_transfer", received_on=date(2026, 4, 1),
                                 reference="TX1", payer="财务部", actor=world["clerk"], today=TODAY)
    # 1000 settles B-001; 1500 goes to B-002a (same due date and month as B-002b, lower number).
    assert _state(bills) == [("B-001", D("1000.00"), "paid"), ("B-002a", D("1500.00"), "open"),
                             ("B-002b", D("0.00"), "open"), ("B-003", D("0.00"), "open")]
    assert [(a.bill.number, a.amount) for a in p1.allocations.order_by("id")] == [("B-001", D("1000.00")),
                                                                                 ("B-002a", D("1500.00"))]
    assert bills[0].paid_on == date(2026, 4, 1)
    services.record_payment(customer=c1, amount="1200.00", channel="counter", received_on=date(2026, 4, 5), today=TODAY)
    assert _state(bills)[1:] == [("B-002a", D("2000.00"), "paid"), ("B-002b", D("500.00"), "paid"),
                                 ("B-003", D("200.00"), "open")]
    services.record_payment(customer=c1, amount="2800.00", channel="online", received_on=date(2026, 4, 10), today=TODAY)
    assert all(s == "paid" for _n, _a, s in _state(bills))
    assert services.outstanding_of(c1.pk) == D("0.00")
    assert TimelineEvent.objects.filter(customer=c1, kind="payment").count() == 3
    assert p1.history.first().history_user == world["clerk"]


def test_payment_larger_than_the_balance_is_refused_and_nothing_is_written(world, three_bills):
    c1, bills = three_bills
    before = (Payment.objects.count(), PaymentAllocation.objects.count(), TimelineEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.record_payment(customer=c1, amount="6500.01", channel="counter", received_on=date(2026, 4, 1), today=TODAY)
    assert "larger than the customer's outstanding balance (6500.00 yuan)" in exc.value.message_dict["amount"][0]
    assert (Payment.objects.count(), PaymentAllocation.objects.count(), TimelineEvent.objects.count()) == before
    assert all(paid == D("0.00") for _n, paid, _s in _state(bills))


@pytest.mark.parametrize(("amount", "field"), [("0", "amount"), ("-5", "amount"), ("12.345", "amount"), ("abc", "amount"),
                                               ("NaN", "amount")])
def test_bad_amounts(world, three_bills, amount, field):
    with pytest.raises(ValidationError) as exc:
        services.record_payment(customer=three_bills[0], amount=amount, channel="counter", received_on=date(2026, 4, 1),
                                today=TODAY)
    assert field in exc.value.message_dict
    assert not Payment.objects.exists()


def test_bad_channel_and_future_date(world, three_bills):
    with pytest.raises(ValidationError) as exc:
        services.record_payment(customer=three_bills[0], amount="10", channel="cash-in-bag", received_on=date(2026, 5, 1),
                                today=TODAY)
    assert set(exc.value.message_dict) == {"channel", "received_on"}


def test_advance_keeps_the_rest_and_is_applied_to_the_next_bill_then_refunded(world, bill_maker):
    c1 = world["c1"]
    b1 = bill_maker(c1, "800.00", date(2026, 4, 20))
    p = services.record_payment(customer=c1, amount="1000.00", channel="bank_transfer", received_on=date(2026, 4, 2),
                                is_advance=True, today=TODAY)
    assert (p.allocated_amount, p.unallocated) == (D("800.00"), D("200.00"))
    b1.refresh_from_db()
    assert b1.status == "paid"
    b2 = bill_maker(c1, "150.00", date(2026, 5, 20))
    assert services.apply_advances(c1.pk) == 1
    b2.refresh_from_db()
    p.refresh_from_db()
    assert (b2.status, p.unallocated) == ("paid", D("50.00"))
    with pytest.raises(ValidationError):
        services.refund_advance(p, amount="50.01", reason="closing account", actor=world["clerk"])
    with pytest.raises(ValidationError):
        services.refund_advance(p, amount="50.00", reason="", actor=world["clerk"])
    services.refund_advance(p, amount="50.00", reason="closing account", actor=world["clerk"], refunded_on=date(2026, 4, 30))
    p.refresh_from_db()
    assert (p.refunded_amount, p.unallocated) == (D("50.00"), D("0.00"))
    assert Refund.objects.get().reason == "closing account"
    assert TimelineEvent.objects.filter(customer=c1, kind="refund").count() == 1


def test_reversal_undoes_allocations_and_reopens_bills(world, three_bills):
    c1, bills = three_bills
    keep = services.record_payment(customer=c1, amount="500.00", channel="counter", received_on=date(2026, 4, 1), today=TODAY)
    bounced = services.record_payment(customer=c1, amount="2500.00", channel="bank_transfer",
                                      received_on=date(2026, 4, 2), today=TODAY)
    assert _state(bills)[:2] == [("B-001", D("1000.00"), "paid"), ("B-002a", D("2000.00"), "paid")]
    with pytest.raises(ValidationError):
        services.reverse_payment(bounced, reason="", actor=world["clerk"])
    services.reverse_payment(bounced, reason="Transfer bounced", actor=world["clerk"])
    assert _state(bills) == [("B-001", D("500.00"), "open"), ("B-002a", D("0.00"), "open"),
                             ("B-002b", D("0.00"), "open"), ("B-003", D("0.00"), "open")]
    assert bills[0].paid_on is None
    bounced.refresh_from_db()
    assert bounced.status == "reversed" and bounced.reversed_by == world["clerk"]
    assert bounced.allocations.filter(is_reversed=True).count() == 2
    assert keep.allocations.get().is_reversed is False
    assert TimelineEvent.objects.filter(customer=c1, kind="payment_reversed").count() == 1
    with pytest.raises(ValidationError):
        services.reverse_payment(bounced, reason="again", actor=world["clerk"])
    # The reopened amount is payable again.
    assert services.outstanding_of(c1.pk) == D("6000.00")


def test_paying_a_bill_closes_its_open_ladder_tasks(world, bill_maker):
    c1 = world["c1"]
    bill = bill_maker(c1, "900.00", date(2026, 3, 1))
    run_ladder(date(2026, 3, 8))  # 7 days overdue: warning task
    task = Task.objects.get(key=f"ladder:bill:{bill.pk}:warning")
    assert task.status == "open"
    services.record_payment(customer=c1, amount="900.00", channel="online", received_on=date(2026, 3, 9),
                            today=date(2026, 3, 9))
    task.refresh_from_db()
    assert task.status != "open"
    assert Bill.objects.get(pk=bill.pk).status == "paid"
