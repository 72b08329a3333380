"""A manager fills an enterprise credit assessment in the browser and sees the code."""

import re

import pytest
from playwright.sync_api import expect

from tests.credit.factories import STATEMENT
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account(org_tree):
    manager = StaffFactory(role="manager", org_unit=org_tree["s1"], full_name="李经理")
    customer = CustomerFactory(name="江北特钢有限公司", org_unit=org_tree["s1"], primary_manager=manager,
                               is_key_account=True)
    CustomerFactory(name="城南化工有限公司", org_unit=org_tree["s3"], is_key_account=True)
    return {"manager": manager, "customer": customer}


def test_manager_fills_an_assessment_and_sees_the_code(page, browser_login, account):
    browser_login(account["manager"])
    page.goto(f"{page.base_url}/credit/")
    table = page.locator("#credit-table")
    expect(table).to_contain_text("江北特钢有限公司")
    expect(table).not_to_contain_text("城南化工有限公司")
    page.locator(f"a[href='/credit/customers/{account['customer'].pk}/assess/']").click()
    page.wait_for_url(re.compile(r"/credit/customers/\d+/assess/"))
    expect(page.locator("#assessment-form")).to_contain_text("表面印象")  # item labels in Chinese
    expect(page.locator("select.score")).to_have_count(72)
    expect(page.locator("#score-total")).to_contain_text("216 / 360")  # every aspect starts at 3

    # First a mistake: negative total assets is refused and nothing is saved.
    for name, value in STATEMENT.items():
        page.fill(f"#id_{name}", value)
    page.fill("#id_total_assets", "-12000000")
    page.click("#save-assessment")
    expect(page.locator("#id_total_assets.is-invalid")).to_be_visible()
    expect(page.locator("#id_current_assets")).to_have_value("5000000")

    page.fill("#id_total_assets", "12000000")
    page.eval_on_selector_all(
        "select.score", "els => els.forEach(e => { e.value = '4'; e.dispatchEvent(new Event('change', {bubbles: true})); })")
    page.select_option("#id_s_impression_1", "5")
    expect(page.locator("#score-total")).to_contain_text("289 / 360")
    page.click("#save-assessment")
    page.wait_for_url(re.compile(r"/credit/assessments/\d+/$"))
    expect(page.locator("#credit-code")).to_have_text("3A2")
    expect(page.locator("#credit-limit")).to_contain_text("650,000.00")  # thousands separators (core/numbers.py)
    expect(page.locator("#reasons")).to_contain_text("3250000.00")
