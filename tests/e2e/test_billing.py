"""Browser: a manager opens the bill calculator, enters a month's load and sees the itemised bill
(htmx, no page reload); a negative kWh shows the field error."""

from datetime import date

import pytest

from tests.billing.factories import TariffFactory
from tests.factories import OrgUnitFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_calculator_computes_a_bill(page, browser_login):
    TariffFactory(code="LI-10", effective_from=date(2020, 1, 1))
    user = StaffFactory(role="manager", org_unit=OrgUnitFactory())
    browser_login(user)
    page.goto(f"{page.base_url}/billing/calculator/")
    page.select_option("#id_tariff_code", "LI-10")
    page.fill("#id_period", "2026-10")
    page.select_option("#id_pf_standard", "0.90")
    page.select_option("#id_basic_method", "capacity")
    for field, value in {"kwh_sharp": "5000", "kwh_peak": "20000", "kwh_flat": "30000", "kwh_valley": "25000",
                         "kvarh": "48000", "capacity_kva": "630", "max_demand_kw": "400",
                         "declared_demand_kw": "380"}.items():
        page.fill(f"#id_{field}", value)
    page.click("#calculate")
    page.wait_for_selector("#r-total")
    assert page.inner_text("#r-total") == "70,360.50"
    assert page.inner_text("#r-pf") == "0.86"
    assert "1314.00" in page.inner_text("#calc-comparison")
    page.fill("#id_kwh_peak", "-1")
    page.click("#calculate")
    page.wait_for_selector('[data-field="kwh_peak"]')
    assert page.locator("#r-total").count() == 0
