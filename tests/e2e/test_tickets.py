"""A clerk takes a phone complaint; it moves through verify → review → rectify → revisit →
archive with a different owner at each stage, and the clerk (its first-contact owner) sees it
on their list and on the ticket page throughout."""

import pytest
from playwright.sync_api import expect

from powerkam.service.tickets.models import Ticket
from tests.factories import CustomerFactory, OrgUnitFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def logout(page):
    page.context.clear_cookies()


def test_phone_complaint_through_five_stages_with_first_contact_owner(page, browser_login):
    company = OrgUnitFactory(code="EC", name="市公司", kind="company")
    region = OrgUnitFactory(code="ER", name="城北片区", kind="region", parent=company)
    station = OrgUnitFactory(code="ES", name="城北一所", kind="station", parent=region)
    other_station = OrgUnitFactory(code="ES2", name="城北二所", kind="station", parent=region)
    clerk = StaffFactory(role="clerk", org_unit=station, full_name="受理员陈")
    owners = {
        "verify": StaffFactory(role="specialist", org_unit=station, full_name="核实人王"),
        "review": StaffFactory(role="supervisor", org_unit=station, full_name="审查人赵"),
        "rectify": StaffFactory(role="specialist", org_unit=other_station, full_name="整改人李"),
        "revisit": StaffFactory(role="manager", org_unit=station, full_name="回访人周"),
        "archive": StaffFactory(role="supervisor", org_unit=region, full_name="归档人吴"),
    }
    customer = CustomerFactory(org_unit=station, name="城北钢铁有限公司")

    # 1. The clerk takes the call and hands verification to 核实人王.
    browser_login(clerk)
    page.goto(f"{page.base_url}/service/tickets/new/")
    page.fill("#id_customer", customer.number)
    page.select_option("#id_channel", "phone")
    page.select_option("#id_ticket_type", "complaint")
    page.fill("#id_subject", "夜间电压偏低影响生产")
    page.select_option("#id_cause", "power_quality")
    page.fill("#id_contact_phone", "13800001111")
    page.select_option("#id_assignee", str(owners["verify"].pk))
    page.click("#intake-submit")
    expect(page.locator("#first-contact-owner")).to_contain_text("受理员陈")
    expect(page.locator("#current-owner")).to_contain_text("核实人王")
    ticket = Ticket.objects.get()
    detail = f"{page.base_url}/service/tickets/{ticket.pk}/"

    stages = ["verify", "review", "rectify", "revisit", "archive"]
    for i, stage in enumerate(stages):
        logout(page)
        browser_login(owners[stage])
        page.goto(detail)
        expect(page.locator("#ticket-status [data-stage]")).to_have_attribute("data-stage", stage)
        expect(page.locator("#first-contact-owner")).to_contain_text("受理员陈")
        page.fill("#id_result_note", f"{stage} 已完成")
        if stage == "revisit":
            page.select_option("#id_outcome", "satisfied")
        if i + 1 < len(stages):
            page.select_option("#id_next_owner", str(owners[stages[i + 1]].pk))
        page.click("#advance-submit")
        if i + 1 < len(stages):
            expect(page.locator("#ticket-status [data-stage]")).to_have_attribute("data-stage", stages[i + 1])
            expect(page.locator("#current-owner")).to_contain_text(owners[stages[i + 1]].full_name)
        else:
            expect(page.locator("#ticket-actions #reopen-form")).to_be_visible()

        # The first-contact owner sees it throughout: on "I took in" and on the ticket page.
        logout(page)
        browser_login(clerk)
        page.goto(f"{page.base_url}/service/tickets/?mine=first_contact")
        row = page.locator(f"tr[data-ticket='{ticket.pk}']")
        expect(row).to_be_visible()
        expect(row.locator(".first-contact-owner")).to_contain_text("受理员陈")
        page.goto(detail)
        expect(page.locator("#first-contact-owner")).to_contain_text("受理员陈")

    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.first_contact_owner == clerk
    assert list(ticket.stages.order_by("started_at", "id").values_list("stage", "owner__full_name")) == [
        (s, owners[s].full_name) for s in stages]
    expect(page.locator("#stage-table tbody tr")).to_have_count(5)
