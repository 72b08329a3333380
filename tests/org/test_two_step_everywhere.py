"""Two-step login cannot be skipped (issue #9 item 1): every way in asks an account with a
confirmed authenticator for its code — the login page, the admin login, the API token endpoint —
and a session that never gave the code is refused on pages and on the API."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def with_device(make_staff):
    def make(role="manager", **kwargs):
        user = make_staff(role, **kwargs)
        return user, TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return make


def test_token_endpoint_needs_the_code(with_device):
    user, device = with_device()
    client = Client()
    no_code = client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD})
    assert no_code.status_code == 400 and "otp_code" in no_code.json()
    wrong = client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD,
                                                "otp_code": "000000" if code(device) != "000000" else "111111"})
    assert wrong.status_code == 400 and not Token.objects.exists()
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    ok = client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD, "otp_code": code(device)})
    assert ok.status_code == 200 and ok.json()["token"] == Token.objects.get(user=user).key
    me = client.get("/api/v1/staff/me/", HTTP_AUTHORIZATION=f"Token {ok.json()['token']}")
    assert me.status_code == 200


def test_token_endpoint_without_two_step_needs_the_password_only(make_staff):
    user = make_staff("manager")
    response = Client().post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200


def test_token_endpoint_documents_the_code_in_the_schema(make_staff, login):
    schema = login(make_staff("admin")).get("/api/schema/?format=json").json()
    body = schema["paths"]["/api/v1/auth/token/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "otp_code" in schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["properties"]


def test_admin_login_is_the_login_page_with_the_code(with_device):
    user, device = with_device("admin", is_staff=True, is_superuser=True)
    client = Client()
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/?next=/admin/")
    # Django admin's own password-only form is not reachable any more.
    posted = client.post("/admin/login/?next=/admin/", {"username": user.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert posted.status_code == 302 and client.get("/admin/").status_code == 302
    response = client.post("/accounts/login/?next=/admin/", {"username": user.username, "password": PASSWORD,
                                                              "otp_token": code(device)}, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 302 and client.get("/admin/").status_code == 200


def test_a_session_without_the_code_is_refused_on_pages_and_api(with_device, login, login_verified):
    user, device = with_device()  # e.g. logged in before turning two-step login on
    client = login(user)
    page = client.get("/customers/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session  # the session is ended
    api = login(user).get("/api/v1/customers/")
    assert api.status_code == 403 and api.json()["code"] == "two_step_unverified"
    admin_page = login(user).get("/admin/")
    assert admin_page.status_code == 302
    verified = login_verified(user, device)
    assert verified.get("/customers/").status_code == 200
    assert verified.get("/api/v1/customers/").status_code == 200


def test_turning_it_on_keeps_this_session_and_revokes_tokens_and_other_sessions(make_staff, login):
    user = make_staff("manager")
    token = Token.objects.create(user=user)
    here, elsewhere = login(user), login(user)
    here.post("/org/security/", {"action": "start"})
    device = TOTPDevice.objects.get(user=user)
    here.post("/org/security/", {"action": "confirm", "code": code(device)})
    user.refresh_from_db()
    assert user.two_step_on and not Token.objects.filter(pk=token.pk).exists()
    assert here.get("/customers/").status_code == 200
    assert elsewhere.get("/customers/").status_code == 302
    revoked = Client().get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert revoked.status_code in (401, 403)


def test_removing_the_device_in_the_admin_turns_it_off(with_device, login):
    user, device = with_device()
    device.delete()
    user.refresh_from_db()
    assert user.two_step_on is False
    assert login(user).get("/customers/").status_code == 200


def test_an_htmx_request_of_such_a_session_sends_the_browser_to_the_login_page(with_device, login):
    user, _device = with_device()
    response = login(user).get("/customers/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith("/accounts/login/")
