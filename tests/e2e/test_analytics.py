"""Browser: the sales-volume page draws its ECharts chart (a canvas), and the 360 money tab too."""

from datetime import date

import pytest

from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory, OrgUnitFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_sales_volume_chart_renders(page, browser_login):
    unit = OrgUnitFactory()
    manager = StaffFactory(role="manager", org_unit=unit)
    customer = CustomerFactory(org_unit=unit, primary_manager=manager)
    for month in (1, 2, 3):
        make_bill(customer, date(2026, month, 1), 1000 * month)
    browser_login(manager)
    page.goto(f"{page.base_url}/analytics/sales-volume/?from_month=2026-01&to_month=2026-03")
    page.wait_for_selector("#chart-volume canvas")
    assert page.locator("#chart-volume canvas").count() >= 1
    assert page.locator("#volume-total").inner_text() == "6,000 kWh"  # core/numbers.py: separated, unit
    # the 360 page loads the money tab by htmx and draws its charts there too
    page.goto(f"{page.base_url}/customers/{customer.pk}/?tab=money")
    page.wait_for_selector("#chart-money-kwh canvas")
    assert page.locator("#money-balance").inner_text() == "4,080.00元"  # 6000 kWh × 0.63 + 3 × 100, unpaid
