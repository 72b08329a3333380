"""Calculator page (htmx partial, field errors), tariff catalogue page, tariff version rules."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from powerkam.billing.models import Tariff

from .factories import TariffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(make_staff, login):
    TariffFactory(code="LI-10", effective_from=date(2026, 1, 1))
    return login(make_staff("manager"))


FORM = {"tariff_code": "LI-10", "period": "2026-10", "kwh_sharp": "5000", "kwh_peak": "20000", "kwh_flat": "30000",
        "kwh_valley": "25000", "kvarh": "48000", "capacity_kva": "630", "max_demand_kw": "400",
        "declared_demand_kw": "380", "pf_standard": "0.90", "basic_method": "capacity"}


def test_calculator_page_and_htmx_result(client):
    r = client.get("/billing/calculator/")
    assert r.status_code == 200 and "LI-10" in r.content.decode()
    r = client.post("/billing/calculator/", FORM, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.templates[0].name == "billing/_calculator.html"
    assert "70,360.50" in html and "Demand billing is cheaper by 1314.00 yuan." in html


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"kwh_peak": "-5"}, "kwh_peak", "This value cannot be negative."),
    ({"kvarh": "", "power_factor": "1.5"}, "power_factor", "The power factor must be greater than 0 and at most 1."),
    ({"tariff_code": "NOPE"}, "tariff_code", "Unknown tariff code NOPE."),
    ({"period": "2025-03"}, "period", "No version of tariff LI-10 is in force in 2025-03."),
])
def test_calculator_field_errors(client, change, field, message):
    r = client.post("/billing/calculator/", {**FORM, **change}, HTTP_HX_REQUEST="true")
    assert r.context["result"] is None
    assert message in r.context["form"].errors[field]
    assert f'data-field="{field}"' in r.content.decode()


def test_calculator_page_in_chinese_by_default(make_staff, login, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    r = login(make_staff("manager")).get("/billing/calculator/")
    assert r.status_code == 200


def test_tariff_catalogue_page(client):
    r = client.get("/billing/tariffs/")
    html = r.content.decode()
    assert "LI-10" in html and "国家重大水利工程建设基金" in html
    r = client.get("/api/v1/billing/tariffs/")
    assert r.json()["results"][0]["code"] == "LI-10"


def test_overlapping_versions_refused():
    TariffFactory(code="X", effective_from=date(2026, 1, 1), effective_to=None)
    t = Tariff(code="X", name="x", category="single_part", is_tou=False, price_single=D("0.5"),
               effective_from=date(2026, 6, 1))
    with pytest.raises(ValidationError) as exc:
        t.full_clean()
    assert "effective_from" in exc.value.message_dict
    t.effective_from = date(2025, 1, 1)
    t.effective_to = date(2025, 12, 31)
    t.full_clean()


def test_tou_tariff_needs_its_prices():
    t = Tariff(code="Y", name="y", category="two_part", is_tou=True, effective_from=date(2026, 1, 1))
    with pytest.raises(ValidationError) as exc:
        t.full_clean()
    assert {"price_peak", "price_flat", "price_valley", "capacity_price"} <= set(exc.value.message_dict)


def test_admin_edits_the_catalogue(make_staff, login):
    TariffFactory(code="LI-10")
    admin = make_staff("admin", is_staff=True, is_superuser=True)
    c = login(admin)
    assert c.get("/admin/billing/tariff/").status_code == 200
    t = Tariff.objects.get(code="LI-10")
    r = c.get(f"/admin/billing/tariff/{t.pk}/change/")
    assert r.status_code == 200 and "国家重大水利工程建设基金" in r.content.decode()
