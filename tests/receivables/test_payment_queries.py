"""Recording a payment takes a constant number of queries whatever the number of bills it pays
(issue #11: "recording a payment took 5.2 s"; each settled bill used to cost ~20 queries: its
allocation, its save and history row, closing its ladder tasks one by one, the blacklist, the
late fee check, the stop-supply cases). Bills paid on time: a late bill adds its penalty."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerkam.billing.models import Bill
from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.receivables import services
from powerkam.receivables.models import PaymentAllocation
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 4, 30)


def pay_all(world, bill_maker, n):
    customer = CustomerFactory(org_unit=world["s1"], primary_manager=world["m1"])
    bills = [bill_maker(customer, "100.00", date(2026, 5, 20 + i % 5), period=date(2026, 4, 1)) for i in range(n)]
    for bill in bills:  # a reminder task per bill, closed when the bill is paid
        workqueue.open_task(kind=Task.Kind.LADDER_STEP, assignee=world["m1"], customer=customer, title="remind",
                            key=f"ladder:bill:{bill.pk}:reminder")
    with CaptureQueriesContext(connection) as ctx:
        payment = services.record_payment(customer=customer, amount=Decimal(100 * n), channel="bank_transfer",
                                          received_on=TODAY, actor=world["clerk"], today=TODAY)
    assert payment.allocated_amount == Decimal(100 * n)
    assert Bill.objects.filter(customer=customer, status=Bill.Status.PAID).count() == n
    tasks = Task.objects.filter(customer=customer)
    assert set(tasks.values_list("status", flat=True)) == {Task.Status.CANCELLED}
    assert all(t.history.count() == 2 and t.closed_by == world["clerk"] for t in tasks)
    allocations = PaymentAllocation.objects.filter(payment=payment)
    assert allocations.count() == n and all(a.history.get().history_user == world["clerk"] for a in allocations)
    assert all(b.history.latest("history_id").history_user == world["clerk"]
               for b in Bill.objects.filter(customer=customer))
    return len(ctx.captured_queries)


def test_a_payment_takes_constant_queries_whatever_the_bills_it_pays(world, bill_maker):
    assert pay_all(world, bill_maker, 1) == pay_all(world, bill_maker, 6)
