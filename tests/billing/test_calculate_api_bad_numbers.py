"""POST /api/v1/billing/calculate/ with numbers that are not amounts — NaN, Infinity, 1e30 — as a
surcharge price or a quantity: a 400 naming the field, never a 500 from Decimal arithmetic."""

import pytest

from powerkam.billing.models import Bill

URL = "/api/v1/billing/calculate/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def client(make_staff, login):
    return login(make_staff("executive"))


def inline(surcharges, **load):
    data = {"tariff": {"category": "single_part", "is_tou": False, "price_single": "0.68", "surcharges": surcharges},
            "period": "2026-10", "kwh_total": "12345", "power_factor": "0.83", "pf_standard": "0.85",
            "basic_method": "capacity"}
    data.update(load)
    return data


@pytest.mark.parametrize("price", ["NaN", "nan", "Infinity", "-Infinity", "1e30", 1e30, "1e-30", "0x10", "", None,
                                   "1234567.1"])
def test_bad_surcharge_price(client, price):
    r = client.post(URL, inline([{"code": "r", "name": "附加", "price": price}]), content_type="application/json")
    assert r.status_code == 400, r.content
    assert r.json() == {"tariff": ["Surcharge 1 has no valid price."]}
    assert Bill.objects.count() == 0


@pytest.mark.parametrize("surcharges", ["0.019", [["r", "附加", "0.019"]], ["0.019"], {"price": "0.019"}])
def test_surcharges_not_a_list_of_objects(client, surcharges):
    r = client.post(URL, inline(surcharges), content_type="application/json")
    assert r.status_code == 400, r.content
    assert r.json() == {"tariff": ["The surcharges must be a list of {code, name, price}."]}


@pytest.mark.parametrize("field", ["kwh_total", "power_factor"])
@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e30"])
def test_bad_quantity(client, field, value):
    r = client.post(URL, inline([], **{field: value}), content_type="application/json")
    assert r.status_code == 400, r.content
    assert field in r.json()


def test_a_good_surcharge_still_counts(client):
    r = client.post(URL, inline([{"code": "r", "name": "附加", "price": 0.019}]), content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["surcharges"] == "234.56"
