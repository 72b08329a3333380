"""POST /api/v1/billing/calculate/: catalogue tariff by month, inline tariff, bad input → 400."""

from datetime import date
from decimal import Decimal as D

import pytest

from powerkam.billing.models import Bill

from .factories import TariffFactory

URL = "/api/v1/billing/calculate/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def client(make_staff, login):
    return login(make_staff("executive"))  # read-only roles may still calculate


@pytest.fixture
def tariff():
    old = TariffFactory(code="LI-10", effective_from=date(2025, 1, 1), effective_to=date(2025, 12, 31),
                        price_peak=D("0.99"))
    new = TariffFactory(code="LI-10", effective_from=date(2026, 1, 1))
    return old, new


def body(**kw):
    data = {"tariff_code": "LI-10", "period": "2026-10", "kwh_sharp": "5000", "kwh_peak": "20000",
            "kwh_flat": "30000", "kwh_valley": "25000", "kvarh": "48000", "max_demand_kw": "400",
            "declared_demand_kw": "380", "capacity_kva": "630", "pf_standard": "0.90", "basic_method": "capacity"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def test_worked_example(client, tariff):
    r = client.post(URL, body(), content_type="application/json")
    assert r.status_code == 200, r.content
    d = r.json()
    assert d["energy_charge"] == "51100.00"
    assert d["basic_charge"] == "15750.00"
    assert d["power_factor"] == "0.86"
    assert d["pf_adjustment_rate"] == "0.0200"
    assert d["pf_adjustment_amount"] == "1337.00"
    assert d["surcharges"] == "2173.50"
    assert d["total"] == "70360.50"
    assert d["basic_comparison"] == {"capacity_charge": "15750.00", "demand_charge": "14436.00",
                                     "cheaper": "demand", "saving": "1314.00"}
    line = next(ln for ln in d["lines"] if ln["item"] == "energy_peak")
    assert line == {"item": "energy_peak", "label": "Energy, Peak", "quantity": "20000", "unit": "kWh",
                    "unit_price": "0.950000", "amount": "19000.00"}


def test_version_in_force_for_the_month(client, tariff):
    d = client.post(URL, body(period="2025-06"), content_type="application/json").json()
    assert d["energy_charge"] == "51900.00"  # 2025 version: peak 0.99 → +800


def test_inline_tariff(client):
    data = body(tariff_code=None, tariff={"category": "single_part", "is_tou": False, "price_single": "0.68",
                                          "surcharges": [{"code": "r", "name": "可再生能源电价附加", "price": "0.019"}]},
                kwh_sharp=None, kwh_peak=None, kwh_flat=None, kwh_valley=None, kwh_total="12345", kvarh=None,
                power_factor="0.83", pf_standard="0.85")
    r = client.post(URL, data, content_type="application/json")
    assert r.status_code == 200, r.content
    d = r.json()
    assert (d["energy_charge"], d["pf_adjustment_amount"], d["surcharges"], d["total"]) == (
        "8394.60", "83.95", "234.56", "8713.11")


@pytest.mark.parametrize(("change", "field"), [
    ({"kwh_peak": "-10"}, "kwh_peak"),
    ({"kvarh": None, "power_factor": "1.2"}, "power_factor"),
    ({"tariff_code": "NOPE"}, "tariff_code"),
    ({"period": "2024-05"}, "period"),
    ({"period": "May"}, "period"),
])
def test_bad_input_is_400_with_field_errors(client, tariff, change, field):
    r = client.post(URL, body(**change), content_type="application/json")
    assert r.status_code == 400
    assert field in r.json()
    assert Bill.objects.count() == 0


def test_month_without_tariff_message(client, tariff):
    r = client.post(URL, body(period="2024-05"), content_type="application/json")
    assert r.json()["period"] == ["No version of tariff LI-10 is in force in 2024-05."]


def test_anonymous_refused():
    from django.test import Client

    assert Client().post(URL, body(), content_type="application/json").status_code in (401, 403)
