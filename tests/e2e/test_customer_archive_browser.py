"""A manager logs in, searches, opens a 360 page and sees only their portfolio; language switch."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ContactFactory, CustomerFactory, StaffFactory, complete_customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def portfolio(org_tree):
    manager = StaffFactory(role="manager", org_unit=org_tree["s1"], full_name="王经理")
    other = StaffFactory(role="manager", org_unit=org_tree["s3"])
    mine = complete_customer(name="江北精密机械有限公司", org_unit=org_tree["s1"], primary_manager=manager,
                             is_key_account=True, ka_tier="premium")
    ContactFactory(customer=mine, name="赵电工", mobile="13912345678")
    CustomerFactory(name="江北化工有限公司", org_unit=org_tree["s3"], primary_manager=other)
    CustomerFactory(name="城南纺织有限公司", org_unit=org_tree["s1"], primary_manager=manager)
    return {"manager": manager, "mine": mine}


def test_manager_searches_opens_360_and_sees_only_their_portfolio(page, browser_login, portfolio):
    browser_login(portfolio["manager"])
    page.goto(f"{page.base_url}/customers/")
    expect(page.locator("h1")).to_contain_text("客户档案")
    rows = page.locator("#customer-table tbody tr")
    expect(rows).to_have_count(2)  # the other manager's customer is not listed
    page.fill("#id_q", "江北")
    expect(rows).to_have_count(1)
    expect(page.locator("#customer-table")).to_contain_text("江北精密机械有限公司")
    expect(page.locator("#customer-table")).not_to_contain_text("江北化工有限公司")
    # Search by contact phone finds the same customer.
    page.fill("#id_q", "13912345678")
    expect(rows).to_have_count(1)
    page.locator("#customer-table tbody tr a", has_text="江北精密机械有限公司").first.click()
    page.wait_for_url(re.compile(r"/customers/\d+/"))
    expect(page.locator("h1")).to_contain_text("江北精密机械有限公司")
    page.click("#tab-contacts-btn")
    expect(page.locator("#tab-contacts")).to_contain_text("赵电工")
    page.click("#tab-audit-btn")
    expect(page.locator("#tab-audit")).to_be_visible()


def test_out_of_portfolio_customer_is_not_found(page, browser_login, portfolio, org_tree):
    hidden = CustomerFactory(org_unit=org_tree["s3"])
    browser_login(portfolio["manager"])
    response = page.goto(f"{page.base_url}/customers/{hidden.pk}/")
    assert response.status == 404


def test_switch_language_to_english_and_back(page, browser_login, portfolio):
    browser_login(portfolio["manager"])
    page.goto(f"{page.base_url}/customers/")
    expect(page.locator("h1")).to_contain_text("客户档案")
    page.select_option("#language-select", "en")
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("Customer archive")
    assert page.locator("html").get_attribute("lang") == "en"
    page.select_option("#language-select", "zh-hans")
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("客户档案")
