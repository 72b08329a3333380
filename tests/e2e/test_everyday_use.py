"""Everyday use (issue #10 items 5, 7, 9) in Debian's chromium: the phone layouts at 390 × 844
(work queue and visit calendar as agendas with full customer names, filter panels collapsed,
supply lines ticked without Ctrl-click), the 360 overview's figures, and the visit-analysis
chart drawing without a JavaScript error.

With POWERKAM_SCREENSHOTS=<folder> (e.g. docs/img) the tests also save the user guide's
screenshots there."""

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from powerkam.core import workqueue
from powerkam.service.visits import services as visits
from powerkam.service.visits.models import Visit
from tests.analytics.factories import make_bill
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    StaffFactory,
    SubstationFactory,
    SupplyLineFactory,
    SupplyPointFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
LONG_NAME = "江苏省南京市江北新区精密机械制造股份有限公司第二分公司"
SHOTS = os.environ.get("POWERKAM_SCREENSHOTS", "")


def shot(page, name: str, **kwargs) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), **kwargs)


@pytest.fixture
def phone(browser, live_server):
    """A page the size of a phone (390 × 844), touch, Chinese."""
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url
    yield page
    context.close()


def login_on(page, user):
    from tests.conftest import PASSWORD

    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def fits_its_box(locator) -> bool:
    """The element's text is not cut off (no ellipsis, no horizontal overflow)."""
    return locator.evaluate("el => el.scrollWidth <= el.clientWidth + 1")


@pytest.fixture
def field_day(org_tree):
    today = timezone.localdate()
    manager = StaffFactory(role="manager", org_unit=org_tree["s1"], full_name="王经理")
    far = CustomerFactory(name=LONG_NAME, org_unit=org_tree["s1"], primary_manager=manager, is_key_account=True,
                          ka_tier="premium")
    near = CustomerFactory(name="城北钢铁有限公司", org_unit=org_tree["s1"], primary_manager=manager,
                           is_key_account=True, ka_tier="premium")
    tz = timezone.get_current_timezone()
    at = lambda day, h: datetime.combine(day, time(h, 0), tzinfo=tz)  # noqa: E731
    workqueue.open_task(kind="visit", assignee=manager, title="年度走访", customer=far, due_at=at(today, 10))
    workqueue.open_task(kind="follow_up", assignee=manager, title="回访电压质量投诉", customer=near,
                        due_at=at(today, 15))
    workqueue.open_task(kind="ladder_step", assignee=manager, title="电费催收通知", customer=near,
                        due_at=at(today + timedelta(days=2), 9))
    visits.plan_visit(customer=far, planned_on=today, purpose="年度走访", today=today)
    visits.plan_visit(customer=near, planned_on=today + timedelta(days=1), today=today)
    return {"manager": manager, "far": far, "near": near, "today": today}


def test_work_queue_is_an_agenda_on_a_phone(phone, field_day):
    login_on(phone, field_day["manager"])
    phone.goto(f"{phone.base_url}/queue/")
    agenda = phone.locator("#queue-agenda")
    expect(agenda).to_be_visible()
    expect(phone.locator("#queue-grid")).to_be_hidden()  # the table is for wider screens
    days = agenda.locator(".agenda-day")
    expect(days.first).to_be_visible()
    shown = [d.get_attribute("data-day") for d in days.all()]
    assert shown == sorted(set(shown))  # one heading per day, earliest first
    today = field_day["today"]
    assert {today.isoformat(), (today + timedelta(days=2)).isoformat()} <= set(shown)
    first = agenda.locator(f'.agenda-day[data-day="{today.isoformat()}"]')
    expect(first.locator(".agenda-card", has_text="年度走访")).to_contain_text(LONG_NAME)
    expect(first.locator(".agenda-card", has_text="回访电压质量投诉")).to_contain_text("城北钢铁有限公司")
    customer = agenda.locator(".agenda-customer", has_text=LONG_NAME).first
    expect(customer).to_have_text(LONG_NAME)  # the full name, wrapped, not cut
    assert fits_its_box(customer)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    # The filter panel folds away; the button opens it.
    filters = phone.locator("#queue-filters")
    expect(filters).to_be_hidden()
    shot(phone, "phone-agenda-queue.png")
    phone.locator(".filters-toggle").tap()
    expect(filters).to_be_visible()
    phone.fill("#q-search", "电费催收")
    expect(agenda.locator(".agenda-card")).to_have_count(1)
    expect(agenda).not_to_contain_text(LONG_NAME)


def test_visit_calendar_is_an_agenda_on_a_phone(phone, field_day):
    login_on(phone, field_day["manager"])
    phone.goto(f"{phone.base_url}/service/visits/")
    agenda = phone.locator("#calendar-agenda")
    expect(agenda).to_be_visible()
    expect(phone.locator("#calendar-grid")).to_be_hidden()
    expect(phone.locator("#calendar-filters")).to_be_hidden()
    today = field_day["today"]
    first = agenda.locator(f'.agenda-day[data-day="{today.isoformat()}"]')
    card = first.locator(".agenda-visit", has_text=LONG_NAME)
    expect(card).to_be_visible()
    assert fits_its_box(card.locator(".fw-semibold"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if (today + timedelta(days=1)).month == today.month:
        expect(agenda.locator(f'.agenda-day[data-day="{(today + timedelta(days=1)).isoformat()}"]')).to_contain_text(
            "城北钢铁有限公司")
    shot(phone, "phone-agenda-visits.png")
    card.tap()
    phone.wait_for_url(f"**/service/visits/{Visit.objects.get(customer=field_day['far']).pk}/")


def test_outage_lines_are_ticked_without_ctrl_on_a_phone(phone, org_tree):
    sub = SubstationFactory(name="110kV东城变", org_unit=org_tree["s1"])
    lines = [SupplyLineFactory(substation=sub, name=f"10kV东城{n}线") for n in ("一", "二", "三")]
    for i, line in enumerate(lines[:2]):
        customer = CustomerFactory(name=f"东城用户{i}", org_unit=org_tree["s1"])
        ContactFactory(customer=customer, mobile=f"1390000000{i}")
        SupplyPointFactory(customer=customer, supply_line=line)
    supervisor = StaffFactory(role="supervisor", org_unit=org_tree["north"])
    login_on(phone, supervisor)
    phone.goto(f"{phone.base_url}/service/outages/new/")
    picker = phone.locator("#id_supply_lines")
    phone.fill("#line-search", "一线")
    expect(picker.locator("[data-pk-checklist-item]:visible")).to_have_count(1)
    picker.get_by_label("110kV东城变 · 10kV东城一线").tap()
    phone.fill("#line-search", "二")
    picker.get_by_label("110kV东城变 · 10kV东城二线").tap()
    expect(picker.locator("[data-pk-checklist-item]:visible")).to_have_count(2)  # a ticked line stays in view
    expect(picker.locator("[data-pk-checklist-count]")).to_have_text("(2)")
    phone.select_option("#id_substation", str(sub.pk))
    start = timezone.localtime() + timedelta(days=10)
    phone.fill("#id_starts_at", start.strftime("%Y-%m-%dT08:00"))
    phone.fill("#id_ends_at", start.strftime("%Y-%m-%dT17:00"))
    phone.fill("#id_reason", "更换10kV柱上开关")
    phone.locator("#save-outage").tap()
    expect(phone.locator("#impact")).to_contain_text("东城用户0")
    expect(phone.locator("#impact")).to_contain_text("东城用户1")


def test_visit_analysis_chart_draws_without_a_script_error(page, browser_login, org_tree):
    admin = StaffFactory(role="admin", org_unit=org_tree["company"])
    manager = StaffFactory(role="manager", org_unit=org_tree["s1"], full_name="王经理")
    customer = CustomerFactory(org_unit=org_tree["s1"], primary_manager=manager, is_key_account=True)
    day = timezone.localdate() - timedelta(days=5)
    Visit.objects.create(customer=customer, org_unit=customer.org_unit, assignee=manager, due_on=day,
                         planned_on=day, status="done", done_on=day)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_login(admin)
    page.goto(f"{page.base_url}/service/visits/analysis/")
    page.wait_for_selector("#completion-chart canvas")
    assert errors == []


def test_360_overview_figures_link_to_their_tabs(page, browser_login, org_tree):
    manager = StaffFactory(role="manager", org_unit=org_tree["s1"], full_name="王经理")
    customer = CustomerFactory(name="江北精密机械有限公司", org_unit=org_tree["s1"], primary_manager=manager,
                               is_key_account=True, ka_tier="premium", credit_code="91320100MA1XXXXX0Q")
    first = timezone.localdate().replace(day=1)
    for n in range(1, 13):
        month = date(first.year - (first.month - n <= 0), (first.month - n - 1) % 12 + 1, 1)
        kwh = 180000 + 15000 * (n % 5)
        total = f"{kwh * 0.63 + 100:.2f}"  # make_bill: kWh × 0.63 + 100 yuan basic charge
        make_bill(customer, month, kwh, paid=total if n > 2 else "0.00")  # the last two months unpaid
    browser_login(manager)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{page.base_url}/customers/{customer.pk}/")
    glance = page.locator("#glance")
    expect(glance.locator("[data-glance]")).to_have_count(8)
    expect(glance.locator('[data-glance="arrears"] [data-glance-value]')).to_contain_text("万元")
    expect(glance.locator('[data-glance="kwh_trend"] svg polyline')).to_have_count(1)
    shot(page, "customer-360-overview.png", clip={"x": 0, "y": 0, "width": 1400, "height": 620})
    glance.locator('[data-glance="credit"]').click()
    expect(page.locator("#tab-credit")).to_be_visible()
    expect(page.locator("#tab-overview")).to_be_hidden()
