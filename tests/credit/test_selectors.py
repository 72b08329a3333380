from datetime import date

import pytest

from powerkam.credit.models import BehaviourLevel, BehaviourRating
from powerkam.credit.selectors import current_levels, low_credit_customer_ids
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _rate(customer, level, *, current=True, since=date(2026, 1, 1)):
    return BehaviourRating.objects.create(customer=customer, level=level, since=since, rated_on=since,
                                          is_current=current)


def test_default_levels_are_seeded_with_d_low():
    assert list(BehaviourLevel.objects.values_list("code", flat=True)) == ["A", "B", "C", "D"]
    assert list(BehaviourLevel.objects.filter(is_low=True).values_list("code", flat=True)) == ["D"]


def test_low_credit_uses_current_rating_only():
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    _rate(a, "D")
    _rate(b, "D", current=False, since=date(2025, 1, 1))
    _rate(b, "A")
    _rate(c, "B")
    assert low_credit_customer_ids() == {a.pk}
    assert low_credit_customer_ids([b.pk, c.pk]) == set()
    assert current_levels([a.pk, b.pk, c.pk]) == {a.pk: "D", b.pk: "A", c.pk: "B"}


def test_low_levels_are_configurable():
    a, c = CustomerFactory(), CustomerFactory()
    _rate(a, "D")
    _rate(c, "C")
    BehaviourLevel.objects.filter(code="C").update(is_low=True)
    assert low_credit_customer_ids() == {a.pk, c.pk}
    BehaviourLevel.objects.update(is_low=False)  # nothing flagged: the worst rank counts
    assert low_credit_customer_ids() == {a.pk}
