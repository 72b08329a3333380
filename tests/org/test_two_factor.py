"""Optional two-step login (TOTP, RFC 6238) through django-otp: turn on with a QR code and a
confirming code, then the login needs the current code; off needs a code too."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from powerkam.org import two_factor
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def code(device, offset=0):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def login(client, user, otp=""):
    return client.post("/accounts/login/", {"username": user.username, "password": PASSWORD, "otp_token": otp},
                       REMOTE_ADDR="10.1.2.3")


def test_turn_on_through_the_page_then_login_needs_the_code(make_staff):
    user = make_staff("manager")
    client = Client()
    client.force_login(user)
    page = client.get("/org/security/")
    assert page.status_code == 200 and 'value="start"' in page.content.decode()

    client.post("/org/security/", {"action": "start"})
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    page = client.get("/org/security/").content.decode()
    assert "<svg" in page and two_factor.secret_base32(device) in page
    assert "otpauth://totp/PowerKAM" in device.config_url

    # A wrong code does not turn it on.
    bad = client.post("/org/security/", {"action": "confirm", "code": "000000" if code(device) != "000000" else "111111"})
    assert bad.status_code == 200 and "is-invalid" in bad.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()

    client.post("/org/security/", {"action": "confirm", "code": code(device)})
    device.refresh_from_db()
    assert device.confirmed is True

    # Password alone is not enough any more; a wrong code neither; the current code is.
    anon = Client()
    response = login(anon, user)
    assert response.status_code == 200 and "_auth_user_id" not in anon.session
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["otp_required"]
    response = login(anon, user, otp="12345")
    assert response.status_code == 200 and "_auth_user_id" not in anon.session
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["otp_invalid"]
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.last_t = -1  # allow the current step again (the confirmation used it)
    device.save()
    response = login(anon, user, otp=code(device))
    assert response.status_code == 302 and anon.session["_auth_user_id"] == str(user.pk)


def test_user_without_two_step_logs_in_with_the_password_only(make_staff):
    user = make_staff("manager")
    client = Client()
    response = login(client, user, otp="")
    assert response.status_code == 302


def test_turn_off_needs_a_current_code(make_staff, login_verified):
    user = make_staff("manager")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client = login_verified(user, device)
    response = client.post("/org/security/", {"action": "disable", "code": ""})
    assert response.status_code == 200 and TOTPDevice.objects.filter(user=user).exists()
    client.post("/org/security/", {"action": "disable", "code": code(device)})
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_repeated_wrong_codes_are_throttled(make_staff):
    user = make_staff("manager")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client = Client()
    wrong = "000000" if code(device) != "000000" else "111111"
    login(client, user, otp=wrong)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Right after a wrong code even the right one is refused: the device waits (1 s, doubling).
    response = login(client, user, otp=code(device))
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Wait" in response.content.decode() or "稍等" in response.content.decode() or "等待" in response.content.decode()
