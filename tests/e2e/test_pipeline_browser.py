"""Prospects and pipeline in the browser (issue #13): a manager registers an approved government
project with a secondary manager and writes two weekly reports; the supervisor opens the weekly
meeting page; an opportunity is dragged across the board, won through an accepted quote and
converted; the new customer's 360 page shows the prospect's history."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from powerkam.pipeline import services
from powerkam.pipeline.models import (
    GovernmentProject,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
)
from powerkam.projects.models import Project
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def logout(page):
    page.context.clear_cookies()


def test_manager_reports_supervisor_meets_opportunity_won_and_converted(page, browser_login, org_tree):
    today = timezone.localdate()
    manager = StaffFactory(role="manager", org_unit=org_tree["s1"], full_name="王经理")
    StaffFactory(role="manager", org_unit=org_tree["s1"], full_name="李经理")
    supervisor = StaffFactory(role="supervisor", org_unit=org_tree["north"], full_name="赵主管")

    browser_login(manager)
    page.goto(f"{page.base_url}/pipeline/projects/new/")
    page.fill("#id_name", "城北新区数据中心")
    page.select_option("#id_gov_status", "approved")
    page.fill("#id_approval_doc_no", "发改投资〔2026〕88号")
    page.fill("#id_approval_date", (today - timedelta(days=30)).isoformat())
    page.fill("#id_site_address", "城北新区经五路8号")
    page.fill("#id_expected_capacity_kva", "16000")
    page.select_option("#id_org_unit", label="城北一所")
    page.select_option("#id_primary_manager", label="王经理")
    # One manager twice is refused on the form.
    page.select_option("#id_secondary_manager", label="王经理")
    page.click("#save-project")
    expect(page.locator('.field-error[data-field="secondary_manager"]')).to_be_visible()
    page.select_option("#id_secondary_manager", label="李经理")
    with page.expect_navigation():
        page.click("#save-project")
    expect(page.locator("#secondary-manager")).to_have_text("李经理")
    project = GovernmentProject.objects.get()

    monday = services.week_start(today)
    for week, text in ((monday - timedelta(days=7), "用地预审已通过"), (monday, "规划许可已受理")):
        page.goto(f"{page.base_url}/pipeline/projects/{project.pk}/report/?week={week.isoformat()}")
        page.fill("#id_m_land", text)
        page.fill("#id_next_steps", "跟进施工许可")
        with page.expect_navigation():
            page.click("#save-report")
    expect(page.locator(".weekly-report")).to_have_count(2)

    logout(page)
    browser_login(supervisor)
    page.goto(f"{page.base_url}/pipeline/weekly/")
    table = page.locator("#weekly-table")
    expect(table).to_contain_text("城北新区数据中心")
    expect(table).to_contain_text("规划许可已受理")
    expect(page.locator("#meeting-summary")).to_contain_text("0")

    logout(page)
    opp = services.save_opportunity(
        actor=manager, title="配电房托管运维", prospect_name="新区人民医院", site_address="新区健康路1号",
        kind=OpportunityKind.objects.get(code="substation_om"), close_on=today + timedelta(days=60),
        expected_kva=Decimal("2500"), expected_annual_revenue_yuan=Decimal("60000"))
    browser_login(manager)
    page.goto(f"{page.base_url}/pipeline/")
    card = page.locator(f"#opp-{opp.pk}")
    expect(page.locator("#stage-lead")).to_contain_text("配电房托管运维")
    for code in ("qualified", "proposal", "negotiation"):
        card.drag_to(page.locator(f"#stage-{code} .pk-drop"))
        expect(page.locator(f"#stage-{code}")).to_contain_text("配电房托管运维")
        card = page.locator(f"#opp-{opp.pk}")
    assert Opportunity.objects.get(pk=opp.pk).stage.code == "negotiation"

    page.goto(f"{page.base_url}/pipeline/opportunities/{opp.pk}/")
    page.click("#new-quote")
    page.select_option("#id_l1_item", label="OM-01 配电房托管运维（每年）")
    page.fill("#id_l1_quantity", "1")
    page.fill("#id_l1_discount", "5")
    with page.expect_navigation():
        page.click("#save-quote")
    expect(page.locator("#quote-total")).to_contain_text("57,000.00")
    with page.expect_navigation():
        page.click("#accept-quote")
    expect(page.locator("#opp-stage")).to_have_text(OpportunityStage.objects.get(code="won").name)
    with page.expect_navigation():
        page.click("#convert")
    expect(page).to_have_url(re.compile(r"/customers/\d+/"))
    customer_url = page.url.split("?")[0]
    page.goto(f"{customer_url}?tab=timeline")
    expect(page.locator("body")).to_contain_text("新建商机：配电房托管运维")
    expect(page.locator("body")).to_contain_text("由商机")
    opp.refresh_from_db()
    assert opp.customer is not None and Project.objects.filter(customer=opp.customer).count() == 1
