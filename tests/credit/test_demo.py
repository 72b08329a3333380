from datetime import date

import pytest
from django.core.management import call_command

from powerkam.credit.models import BehaviourRating, CreditAssessment
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_demo_assessments_are_deterministic_and_rerunnable(org_tree, make_staff):
    manager = make_staff("manager", org_tree["s1"])
    make_staff("supervisor", org_tree["north"])
    for _ in range(6):
        CustomerFactory(is_key_account=True, org_unit=org_tree["s1"], primary_manager=manager)
    CustomerFactory()
    call_command("load_demo_credit", "--seed", "3", "--today", "2026-11-20", verbosity=0)
    first = list(CreditAssessment.objects.order_by("customer_id").values_list("code", "credit_limit", "assessed_on"))
    assert len(first) == 6
    assert CreditAssessment.objects.filter(status="approved").exists()
    assert all(d <= date(2026, 11, 20) for _c, _l, d in first)
    assert BehaviourRating.objects.filter(is_current=True).count() == 7
    call_command("load_demo_credit", "--seed", "3", "--today", "2026-11-20", verbosity=0)
    assert CreditAssessment.objects.count() == 6
    CreditAssessment.objects.all().delete()
    call_command("load_demo_credit", "--seed", "3", "--today", "2026-11-20", verbosity=0)
    assert list(CreditAssessment.objects.order_by("customer_id").values_list("code", "credit_limit", "assessed_on")) == first
