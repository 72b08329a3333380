"""Login safety: every success and failure is logged; repeated failures lock the account."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def post_login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR="10.1.2.3")


def test_successful_login_is_logged(make_staff):
    user = make_staff("manager")
    response = post_login(Client(), user.username, PASSWORD)
    assert response.status_code == 302
    assert AccessLog.objects.filter(username=user.username).exists()


def test_failures_are_logged_and_lock_out_after_the_limit(make_staff, settings):
    user = make_staff("manager")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = post_login(client, user.username, "wrong-password")
        assert response.status_code == 200  # form with an error
    assert AccessFailureLog.objects.filter(username=user.username).count() == settings.AXES_FAILURE_LIMIT - 1
    response = post_login(client, user.username, "wrong-password")
    assert response.status_code == 429
    # Even the right password is refused while locked out.
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert AccessAttempt.objects.get(username=user.username).failures_since_start >= settings.AXES_FAILURE_LIMIT


def test_login_page_is_chinese_by_default():
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()


def test_pages_require_login():
    response = Client().get("/customers/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
