"""The billing demo: catalogue for every demo tariff code, 24 months of bills whose lines add up."""

from datetime import date

import pytest
from django.db.models import Sum

from powerkam.billing.demo import load_demo
from powerkam.billing.models import Bill, BillLine, Tariff
from powerkam.customers.models import TimelineEvent
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_demo_bills(org_tree):
    a = CustomerFactory(tariff_code="DGY-10", basic_charge_method="demand", lifecycle_status="active")
    b = CustomerFactory(tariff_code="JM-0.4", usage_category="residential", pf_standard="none",
                        lifecycle_status="active")
    counts = load_demo(seed=1, today=date(2026, 11, 23))
    assert counts["bills"] == 48
    assert Tariff.objects.count() == 48
    assert Bill.objects.filter(customer=a).count() == 24
    periods = list(Bill.objects.filter(customer=b).order_by("period").values_list("period", flat=True))
    assert periods[0] == date(2024, 11, 1) and periods[-1] == date(2026, 10, 1)
    for bill in Bill.objects.all():
        assert BillLine.objects.filter(bill=bill).aggregate(s=Sum("amount"))["s"] == bill.total
    assert not Bill.objects.exclude(status="open").exists()
    assert TimelineEvent.objects.filter(kind="bill.issued").count() == 48
    assert load_demo(seed=1, today=date(2026, 11, 23))["bills"] == 0  # idempotent
