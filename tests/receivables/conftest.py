from datetime import date
from decimal import Decimal
from itertools import count

import pytest
from django.utils import translation

from powerkam.billing.models import Bill
from tests.factories import CustomerFactory

_seq = count(1)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def make_bill(customer, total, due_on: date, *, period: date | None = None, number: str | None = None,
              paid: str = "0.00") -> Bill:
    period = period or date(due_on.year, due_on.month, 1)
    return Bill.objects.create(
        customer=customer, number=number or f"B{next(_seq):08d}", period=period, issued_on=period,
        due_on=due_on, total=Decimal(str(total)), energy_charge=Decimal(str(total)), paid_amount=Decimal(paid))


@pytest.fixture
def bill_maker(db):
    return make_bill


@pytest.fixture
def world(org_tree, make_staff):
    """Two managers in station s1 with one customer each, a clerk and a supervisor of the north region."""
    s1 = org_tree["s1"]
    m1 = make_staff("manager", s1, username="m1")
    m2 = make_staff("manager", s1, username="m2")
    clerk = make_staff("clerk", org_tree["north"], username="clerk")
    sup = make_staff("supervisor", org_tree["north"], username="sup")
    c1 = CustomerFactory(org_unit=s1, primary_manager=m1)
    c2 = CustomerFactory(org_unit=s1, primary_manager=m2)
    return {"m1": m1, "m2": m2, "clerk": clerk, "sup": sup, "c1": c1, "c2": c2, **org_tree}
