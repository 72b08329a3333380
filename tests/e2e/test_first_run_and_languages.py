"""Browser tests for issue #10 §1–2: a freshly loaded demo is alive for its users, and a user
reads each page in the language they pick (Debian's chromium, tests/e2e/conftest.py)."""

import re

import pytest
from django.core.management import call_command

from powerkam.customers.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

CJK = re.compile(r"[\u4e00-\u9fff]")


def _login(page, username):
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url


def _switch_language(page, code):
    with page.expect_navigation():
        page.select_option("#language-select", code)
    page.wait_for_load_state()


def test_a_fresh_demo_is_alive_and_reads_right_in_both_languages(page):
    call_command("load_demo", scale=60, seed=4, verbosity=0)

    # The company-wide sales volume is filled at once (no manual refresh_analytics).
    _login(page, "admin")
    page.goto(f"{page.base_url}/analytics/sales-volume/")
    total = page.locator("#volume-total").inner_text().strip()
    assert re.search(r"[1-9]", total), total

    # The busiest work queue: generated task titles in the language the user picks.
    from django.db.models import Count

    from powerkam.core.models import Task

    busiest = (Task.objects.exclude(link="").values("assignee__username").annotate(n=Count("id"))
               .order_by("-n").first()["assignee__username"])
    page.context.clear_cookies()
    _login(page, busiest)
    page.goto(f"{page.base_url}/queue/?status=all")
    zh_titles = _titles(page)
    assert zh_titles
    assert not [t for t in zh_titles if EN_START.match(t)], zh_titles
    _switch_language(page, "en")
    assert page.locator("html").get_attribute("lang") == "en"
    en_titles = _titles(page)
    assert len(en_titles) == len(zh_titles)
    assert not [t for t in en_titles if ZH_START.match(t)], en_titles
    assert any(EN_START.match(t) for t in en_titles), en_titles
    _switch_language(page, "zh-hans")
    assert _titles(page) == zh_titles


# How generated titles begin (ladder, tickets, escalations, visits), in each language.
EN_START = re.compile(r"^(Reminder|Credit warning|Collection|Field investigation|Visit|Overdue visit|Escalation|"
                      r"Accept|Handle|Verify|Review|Rectify|Revisit|Archive|Call|Blacklist bulletin)\b")
ZH_START = re.compile(r"^(提醒|信用预警|催收|实地调查|走访|升级|受理|处理|核实|审查|整改|回访|归档|电话通知|黑名单通报)")


def _titles(page) -> list[str]:
    return [t.strip() for t in page.locator("#queue-table tbody tr td:nth-child(3) > a").all_inner_texts()]


def test_the_not_found_page_speaks_the_users_language_and_leads_back(page, browser_login):
    from tests.factories import OrgUnitFactory, StaffFactory

    user = StaffFactory(role="manager", org_unit=OrgUnitFactory())
    browser_login(user)
    response = page.goto(f"{page.base_url}/customers/987654321/")
    assert response.status == 404
    assert "页面不存在" in page.locator("#error-page").inner_text()
    _switch_language(page, "en")
    text = page.locator("#error-page").inner_text()
    assert "Page not found" in text and not CJK.search(text)
    page.click("#error-page a.btn-primary")
    page.wait_for_load_state()
    assert page.url.rstrip("/") == page.base_url.rstrip("/") or "/queue/" in page.url or page.url.endswith("/")
