import pytest

from tests.factories import OrgUnitFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_page_renders_in_chinese_and_logs_in(page, browser_login):
    user = StaffFactory(role="admin", org_unit=OrgUnitFactory())
    page.goto(f"{page.base_url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    browser_login(user)
    assert "/accounts/login/" not in page.url
