"""A customer answers a satisfaction survey on a phone-sized screen; the link works once."""

import pytest
from django.test.utils import override_settings
from playwright.sync_api import expect

from powerkam.service.surveys.models import SurveyResponse
from powerkam.service.surveys.services import request_survey
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=3)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url
    yield page
    context.close()


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_customer_answers_on_a_phone(phone, org_tree):
    customer = CustomerFactory(name="江北精密机械有限公司", org_unit=org_tree["s1"])
    ContactFactory(customer=customer, is_primary=True, email="zhao@example.com")
    invitation = request_survey(customer=customer, kind="ticket", category="fault_repair")
    url = f"{phone.base_url}/service/surveys/s/{invitation.token}/"

    phone.goto(url)
    expect(phone.locator("main")).to_contain_text("江北精密机械有限公司")
    # fits the phone: no sideways scrolling, large touch targets
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = phone.locator("label[for=overall-5]").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    assert phone.locator("#survey-submit").bounding_box()["height"] >= 44

    # forgetting the overall score is refused with a clear message, nothing written
    phone.locator("label[for=responsiveness-4]").tap()
    phone.locator("#survey-submit").tap()
    expect(phone.locator("#survey-errors")).to_be_visible()
    assert SurveyResponse.objects.count() == 0

    phone.locator("label[for=overall-5]").tap()
    phone.locator("label[for=professionalism-4]").tap()
    phone.locator("label[for=communication-5]").tap()
    phone.fill("#comment", "抢修人员到得很快")
    phone.locator("#survey-submit").tap()
    expect(phone.locator("#survey-result")).to_have_attribute("data-result", "thanks")
    answer = SurveyResponse.objects.get()
    assert (answer.overall, answer.responsiveness, answer.professionalism, answer.communication) == (5, 4, 4, 5)
    assert answer.comment == "抢修人员到得很快"

    # the same link a second time
    response = phone.goto(url)
    assert response.status == 410
    expect(phone.locator("#survey-result")).to_have_attribute("data-result", "used")

    # a tampered link
    response = phone.goto(url[:-3] + "xx/")
    assert response.status == 404
    expect(phone.locator("#survey-result")).to_have_attribute("data-result", "invalid")
