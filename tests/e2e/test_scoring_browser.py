"""An administrator publishes a scoring model, a supervisor approves two proposed tier changes and
the visit plan follows; an executive opens the dashboard and drills down from arrears to the
customers (issue #15)."""

import re
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from powerkam.scoring import constants as c
from powerkam.scoring.models import ScoringModel, TierProposal
from powerkam.service.visits.models import Visit
from powerkam.service.visits.services import generate_plans
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def company(org_tree):
    today = timezone.localdate()
    admin = StaffFactory(role="admin", org_unit=org_tree["company"], username="admin1")
    sup = StaffFactory(role="supervisor", org_unit=org_tree["north"], full_name="北区主管")
    boss = StaffFactory(role="executive", org_unit=org_tree["company"], full_name="公司领导")
    mgr = StaffFactory(role="manager", org_unit=org_tree["s1"], full_name="王经理")
    small = CustomerFactory(name="甲小五金厂", org_unit=org_tree["s1"], primary_manager=mgr, is_key_account=True,
                            ka_tier="medium")
    rising = CustomerFactory(name="乙新材料有限公司", org_unit=org_tree["s1"], primary_manager=mgr)
    big = CustomerFactory(name="丙钢铁有限公司", org_unit=org_tree["s1"], primary_manager=mgr, is_key_account=True,
                          ka_tier="general")
    last = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)  # last month
    for cu, kwh in ((small, 1000), (rising, 2000), (big, 3000)):
        make_bill(cu, last, kwh, due_on=date(2020, 1, 20))  # long overdue: arrears
    generate_plans(today, customer_ids=[big.pk, small.pk])
    return {"admin": admin, "sup": sup, "boss": boss, "small": small, "rising": rising, "big": big, "today": today}


def test_publish_approve_and_drill_down(page, browser_login, company):
    # 1. The administrator makes a version, keeps one criterion (kWh by percentile), tries it, publishes it.
    browser_login(company["admin"])
    page.goto(f"{page.base_url}/scoring/")
    with page.expect_navigation():
        page.click("#new-version")
    expect(page.locator("#model-status")).to_contain_text("草稿")
    for d in c.CRITERIA:
        page.fill(f"input[name={d.code}_weight]", "1" if d.code == "kwh" else "0")
    page.select_option("select[name=kwh_normalisation]", "percentile")
    page.fill("#id_key_account_cutoff", "50")
    page.fill("#id_medium_cutoff", "70")
    page.fill("#id_premium_cutoff", "90")
    with page.expect_navigation():
        page.click("#save-model")
    with page.expect_navigation():
        page.click("#try-out")
    expect(page.locator("#tryout-result")).to_contain_text("3")  # all three would change tier
    with page.expect_navigation():
        page.click("#publish")
    expect(page.locator("#model-status")).to_contain_text("已发布")
    assert ScoringModel.objects.get().status == "published"
    with page.expect_navigation():
        page.click("#run-now")
    expect(page).to_have_url(re.compile(r"/scoring/proposals/$"))
    assert TierProposal.objects.filter(status=c.ProposalStatus.PENDING).count() == 3

    # 2. The supervisor approves two of them: 乙 becomes a key account, 丙 goes up to premium.
    page.context.clear_cookies()
    browser_login(company["sup"])
    page.goto(f"{page.base_url}/scoring/proposals/")
    for customer in (company["rising"], company["big"]):
        row = page.locator(f"#proposal-{TierProposal.objects.get(customer=customer).pk}")
        row.locator("input[name=reason]").fill("电量增长明显")
        with page.expect_navigation():
            row.locator("button[value=approve]").click()
        expect(page.locator(".alert-success, .alert")).to_contain_text(customer.name)
    for cu in (company["rising"], company["big"]):
        cu.refresh_from_db()
    assert company["rising"].is_key_account and company["rising"].ka_tier == "general"
    assert company["big"].ka_tier == "premium"
    # the visit plan follows: 乙 gets its first regular visit, 丙's visit is planned anew
    assert Visit.objects.filter(customer=company["rising"], status="planned", source="cycle").exists()
    assert Visit.objects.filter(customer=company["big"], status="cancelled", source="cycle").count() == 1
    assert Visit.objects.filter(customer=company["big"], status="planned", source="cycle").count() == 1
    page.goto(f"{page.base_url}/customers/{company['rising'].pk}/?tab=service")
    expect(page.locator("#service-tab")).to_contain_text("王经理")
    # 甲 stays as it was (still pending)
    company["small"].refresh_from_db()
    assert company["small"].ka_tier == "medium"

    # 3. The executive lands on the dashboard and drills down from arrears to the customers.
    page.context.clear_cookies()
    browser_login(company["boss"])
    expect(page).to_have_url(re.compile(r"/kpis/$"))
    expect(page.locator("#dashboard-whole")).to_be_visible()
    with page.expect_navigation():
        page.click("#fig-arrears")
    expect(page).to_have_url(re.compile(r"/analytics/arrears/"))
    body = page.locator("body")
    for cu in (company["small"], company["rising"], company["big"]):
        expect(body).to_contain_text(cu.name)
