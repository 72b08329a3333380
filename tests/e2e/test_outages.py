"""A supervisor records an outage on one line, sends the notices and sees the notice report."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from powerkam.service.outages.models import OutageNotice
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    StaffFactory,
    SubstationFactory,
    SupplyLineFactory,
    SupplyPointFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def line_world(org_tree, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sub = SubstationFactory(name="110kV东城变", org_unit=org_tree["s1"])
    l1 = SupplyLineFactory(substation=sub, name="10kV东城一线")
    l2 = SupplyLineFactory(substation=sub, name="10kV东城二线")
    manager = StaffFactory(role="manager", org_unit=org_tree["s1"], full_name="王经理")
    steel = CustomerFactory(name="东城钢铁有限公司", org_unit=org_tree["s1"], is_key_account=True,
                            primary_manager=manager)
    ContactFactory(customer=steel, is_primary=True, mobile="13900000001", email="steel@example.com")
    SupplyPointFactory(customer=steel, supply_line=l1)
    mall = CustomerFactory(name="东城商场", org_unit=org_tree["s1"])
    SupplyPointFactory(customer=mall, supply_line=l1)  # no contact: missed
    other = CustomerFactory(name="二线食品厂", org_unit=org_tree["s1"])
    ContactFactory(customer=other, mobile="13900000002")
    SupplyPointFactory(customer=other, supply_line=l2)
    supervisor = StaffFactory(role="supervisor", org_unit=org_tree["north"], full_name="刘主管")
    return {"sub": sub, "l1": l1, "supervisor": supervisor}


def test_supervisor_creates_an_outage_and_sees_the_notice_report(page, browser_login, line_world):
    browser_login(line_world["supervisor"])
    page.goto(f"{page.base_url}/service/outages/")
    page.click("#new-outage")
    start = timezone.localtime() + timedelta(days=10)
    page.select_option("#id_substation", str(line_world["sub"].pk))
    page.check(f"#id_supply_lines input[value='{line_world['l1'].pk}']")
    page.fill("#id_starts_at", start.strftime("%Y-%m-%dT08:00"))
    page.fill("#id_ends_at", start.strftime("%Y-%m-%dT07:00"))  # ends before it starts
    page.fill("#id_reason", "更换10kV柱上开关")
    page.click("#save-outage")
    expect(page.locator("#form-errors")).to_be_visible()
    page.fill("#id_ends_at", start.strftime("%Y-%m-%dT17:00"))
    page.check(f"#id_supply_lines input[value='{line_world['l1'].pk}']")
    page.click("#save-outage")
    expect(page.locator("#impact")).to_contain_text("东城钢铁有限公司")
    expect(page.locator("#impact")).to_contain_text("东城商场")
    expect(page.locator("#impact")).not_to_contain_text("二线食品厂")
    page.click("#send-notices")
    expect(page.locator("#sum-customers")).to_have_text("2")
    expect(page.locator("#sum-reached")).to_have_text("1")
    expect(page.locator("#sum-missed")).to_have_text("1")
    expect(page.locator("#missed")).to_contain_text("东城商场")
    expect(page.locator("#report")).to_contain_text("13900000001")
    expect(page.locator("#report")).to_contain_text("steel@example.com")
    assert OutageNotice.objects.count() == 2
    # the report downloads as xlsx
    with page.expect_download() as download:
        page.click("#report-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
