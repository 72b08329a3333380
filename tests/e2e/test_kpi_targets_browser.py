"""A supervisor sets the month's targets on the unit targets page (issue #15 item 5): from the
scorecard to the page, a wrong cell refused with nothing saved, then saved and shown on the
scorecard; last month's copied in one click."""

import re
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from powerkam.analytics.selectors import add_months
from powerkam.kpis.models import Target
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_supervisor_sets_the_months_targets(page, browser_login, org_tree):
    sup = StaffFactory(role="supervisor", org_unit=org_tree["north"], full_name="北区主管")
    mgr = StaffFactory(role="manager", org_unit=org_tree["s1"], full_name="王经理")
    month = add_months(timezone.localdate().replace(day=1), -1)  # the scorecard's default month
    Target.objects.create(month=add_months(month, -1), metric="kwh", staff=mgr, value=D("7000"))
    browser_login(sup)
    page.goto(f"{page.base_url}/kpis/team/")
    with page.expect_navigation():
        page.click("#set-targets")
    expect(page.locator("h1")).to_contain_text(f"{month:%Y-%m} 目标")
    # a wrong cell: nothing saved, the cell says why
    page.fill(f"#t-{mgr.pk}-revenue", "120000")
    page.fill(f"#t-{mgr.pk}-collection_rate", "120")
    with page.expect_navigation():
        page.click("#save-targets")
    expect(page.locator("#target-errors")).to_be_visible()
    expect(page.locator(f"#t-{mgr.pk}-collection_rate")).to_have_class(re.compile(r"is-invalid"))
    expect(page.locator(f"#t-{mgr.pk}-collection_rate + .invalid-feedback")).to_contain_text("100")
    assert not Target.objects.filter(month=month).exists()
    # corrected and last month's copied in: saved at once
    page.fill(f"#t-{mgr.pk}-collection_rate", "98")
    with page.expect_navigation():
        page.click("#save-targets")
    with page.expect_navigation():
        page.click("#copy-last-month")
    expect(page.locator(f"#t-{mgr.pk}-kwh")).to_have_value("7000.00")
    expect(page.locator(f"#t-{mgr.pk}-revenue")).to_have_value("120000.00")
    with page.expect_navigation():
        page.click("#save-targets")
    got = {t.metric: t.value for t in Target.objects.filter(month=month, staff=mgr)}
    assert got == {"revenue": D("120000"), "collection_rate": D("98"), "kwh": D("7000")}
    page.goto(f"{page.base_url}/kpis/team/?month={month:%Y-%m}")
    expect(page.locator(f"#kpi-{mgr.pk}")).to_contain_text("120000")
