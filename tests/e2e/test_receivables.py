"""A clerk records a payment; the manager sees the customer's ladder step change on the board."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from powerkam.billing.models import Bill
from powerkam.receivables.ladder import run_ladder
from tests.conftest import PASSWORD
from tests.factories import CustomerFactory, StaffFactory
from tests.receivables.conftest import make_bill

pytestmark = pytest.mark.django_db(transaction=True)


def login_in(browser, base_url, user):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_clerk_pays_and_manager_sees_the_step_change(browser, live_server, org_tree):
    today = timezone.localdate()
    manager = StaffFactory(role="manager", org_unit=org_tree["s1"])
    clerk = StaffFactory(role="clerk", org_unit=org_tree["north"])
    customer = CustomerFactory(org_unit=org_tree["s1"], primary_manager=manager, name="浏览器测试欠费客户")
    old = make_bill(customer, "1200.00", today - timedelta(days=15))  # 15 days overdue: written notice
    make_bill(customer, "800.00", today - timedelta(days=8))  # 8 days overdue: credit warning
    run_ladder(today)

    m_ctx, m_page = login_in(browser, live_server.url, manager)
    m_page.goto(f"{live_server.url}/receivables/board/")
    row = m_page.locator(f"#board tr[data-customer='{customer.number}']")
    expect(row.locator(".ladder-step")).to_have_attribute("data-step", "3")
    expect(row).to_contain_text("2,000.00")

    c_ctx, c_page = login_in(browser, live_server.url, clerk)
    c_page.goto(f"{live_server.url}/receivables/")
    c_page.fill("#id_customer_number", customer.number)
    c_page.fill("#id_amount", "1200.00")
    c_page.select_option("#id_channel", "counter")
    c_page.fill("#id_reference", "POS-0001")
    c_page.click("#payment-form button[type=submit]")
    c_page.wait_for_load_state()
    expect(c_page.locator("#allocations")).to_contain_text(old.number)
    expect(c_page.locator("#payment-amount")).to_have_text("1,200.00")
    assert Bill.objects.get(pk=old.pk).status == "paid"

    # An overpayment is refused with the message, and nothing changes.
    c_page.goto(f"{live_server.url}/receivables/")
    c_page.fill("#id_customer_number", customer.number)
    c_page.fill("#id_amount", "999999.00")
    c_page.click("#payment-form button[type=submit]")
    expect(c_page.locator("#payment-form .invalid-feedback")).to_be_visible()

    m_page.reload()
    row = m_page.locator(f"#board tr[data-customer='{customer.number}']")
    expect(row.locator(".ladder-step")).to_have_attribute("data-step", "2")
    expect(row).to_contain_text("800.00")
    m_ctx.close()
    c_ctx.close()
