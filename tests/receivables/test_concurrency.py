"""Payments recorded at the same instant (two clerks, or one customer paying twice at once) on
PostgreSQL, in real concurrent transactions: distinct payment numbers, and the overpayment check
holds per customer."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from powerkam.receivables import services
from powerkam.receivables.models import Payment

pytestmark = [pytest.mark.django_db(transaction=True)]

DAY = date(2026, 4, 1)
TODAY = date(2026, 4, 30)


def _run_together(*calls):
    """Run the calls in threads released together; return (results, errors) in call order."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # collected and asserted by the test
            errors[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.fixture
def pg():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (SQLite serialises writers)")


def test_two_clerks_at_the_same_instant_get_distinct_numbers(pg, world, bill_maker):
    bill_maker(world["c1"], "1000.00", date(2026, 4, 20))
    bill_maker(world["c2"], "1000.00", date(2026, 4, 20))
    for _round in range(5):
        results, errors = _run_together(*[
            (lambda cu=cu: services.record_payment(customer=cu, amount="10.00", channel="counter", received_on=DAY,
                                                   actor=world["clerk"], today=TODAY))
            for cu in (world["c1"], world["c2"])])
        assert errors == [None, None]
    numbers = list(Payment.objects.values_list("number", flat=True))
    assert len(numbers) == 10 and len(set(numbers)) == 10


def test_one_customer_paying_twice_at_once_cannot_overpay(pg, world, bill_maker):
    bill_maker(world["c1"], "1000.00", date(2026, 4, 20))
    results, errors = _run_together(*[
        (lambda: services.record_payment(customer=world["c1"], amount="800.00", channel="counter", received_on=DAY,
                                         actor=world["clerk"], today=TODAY))
        for _ in range(2)])
    assert sorted(e is None for e in errors) == [False, True]
    refused = next(e for e in errors if e is not None)
    assert isinstance(refused, ValidationError) and "amount" in refused.message_dict
    assert Payment.objects.count() == 1
    assert services.outstanding_of(world["c1"].pk) == Decimal("200.00")
