"""The purchase cost per kWh is edited by administrators, with an audit trail."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from powerkam.analytics.models import PurchaseCost


def test_admin_edits_the_purchase_cost(org_tree, make_staff, login):
    admin = make_staff("admin", org_tree["company"], is_staff=True, is_superuser=True)
    client = login(admin)
    response = client.post(reverse("admin:analytics_purchasecost_add"),
                            {"voltage_level": "10kV", "cost_per_kwh": "0.398000", "source": "2026 purchase contract"})
    assert response.status_code == 302
    cost = PurchaseCost.objects.get(voltage_level="10kV")
    assert cost.cost_per_kwh == D("0.398000") and cost.history.count() == 1
    assert client.get(reverse("admin:analytics_purchasecost_changelist")).status_code == 200


def test_a_negative_cost_is_refused(db):
    with pytest.raises(ValidationError) as exc:
        PurchaseCost(voltage_level="10kV", cost_per_kwh=D("-0.1")).full_clean()
    assert "cost_per_kwh" in exc.value.message_dict
