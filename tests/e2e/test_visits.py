"""A key account manager opens the visit calendar, reads the briefing, records the visit with a
follow-up task, and sees it done on the calendar and on the customer's 360 service tab."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from powerkam.core.models import Task
from powerkam.service.visits import services
from powerkam.service.visits.models import Visit
from tests.factories import ContactFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def planned_visit(org_tree):
    today = timezone.localdate()
    manager = StaffFactory(role="manager", org_unit=org_tree["s1"], full_name="王经理")
    StaffFactory(role="specialist", org_unit=org_tree["s1"], full_name="李专员")
    other = StaffFactory(role="manager", org_unit=org_tree["s3"])
    customer = CustomerFactory(name="江北精密机械有限公司", org_unit=org_tree["s1"], primary_manager=manager,
                               is_key_account=True, ka_tier="premium")
    ContactFactory(customer=customer, name="赵电工")
    hidden = CustomerFactory(name="城南化工有限公司", org_unit=org_tree["s3"], primary_manager=other,
                             is_key_account=True, ka_tier="premium")
    visit = services.plan_visit(customer=customer, planned_on=today, purpose="年度走访", today=today)
    services.plan_visit(customer=hidden, planned_on=today, today=today)
    return {"manager": manager, "visit": visit, "customer": customer, "today": today}


def test_manager_records_a_visit_from_the_calendar(page, browser_login, planned_visit):
    browser_login(planned_visit["manager"])
    page.goto(f"{page.base_url}/service/visits/")
    calendar = page.locator("#calendar")
    expect(calendar).to_contain_text("江北精密机械有限公司")
    expect(calendar).not_to_contain_text("城南化工有限公司")  # another manager's customer
    # htmx navigation: next month and back.
    page.click("#cal-next")
    expect(calendar.locator(".visit-item", has_text="江北精密机械有限公司")).to_have_count(0)
    page.click("#cal-today")
    calendar.locator(".visit-item", has_text="江北精密机械有限公司").click()
    page.wait_for_url(re.compile(r"/service/visits/\d+/$"))
    expect(page.locator("#briefing")).to_be_visible()
    form = page.locator("#record-form")
    form.get_by_label("赵电工").check()
    page.fill("#id_findings", "2号变压器温升偏高，建议检查散热")
    page.fill("#id_customer_needs", "明年增容500kVA")
    page.fill("#id_fu1_title", "联系增容报装")
    page.select_option("#id_fu1_assignee", label="李专员")
    page.fill("#id_fu1_due", (planned_visit["today"] + timedelta(days=7)).isoformat())
    with page.expect_navigation():
        page.click("#record-submit")
    expect(page).to_have_url(re.compile(rf"/service/visits/{planned_visit['visit'].pk}/$"))
    expect(page.locator("#findings")).to_contain_text("2号变压器温升偏高")
    expect(page.locator("#done-on")).to_contain_text(planned_visit["today"].isoformat())
    visit = Visit.objects.get(pk=planned_visit["visit"].pk)
    assert visit.status == "done"
    assert [c.name for c in visit.contacts_met.all()] == ["赵电工"]
    assert Task.objects.get(key=f"visit:{visit.pk}:follow_up:1").assignee.full_name == "李专员"
    # The customer's 360 page shows it on the service tab.
    page.goto(f"{page.base_url}/customers/{planned_visit['customer'].pk}/?tab=service")
    expect(page.locator("#service-tab")).to_contain_text("2号变压器温升偏高")
