"""An administrator requires two-step login for roles (issue #9 item 1): a TwoStepRule row per
role (or for every superuser) with a grace period. During the grace period every page reminds the
person and the login leads to Account security; afterwards only that page is reachable until it
is on, and the API answers 403."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from powerkam.org.models import TwoStepRule
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def veteran(make_staff, role, **kwargs):
    """A staff member who joined long before the rule (the grace period counts from the rule)."""
    return make_staff(role, date_joined=timezone.now() - timedelta(days=100), **kwargs)


def rule(audience, *, grace_days=7, started_days_ago=0):
    return TwoStepRule.objects.create(audience=audience, grace_days=grace_days,
                                      since=timezone.now() - timedelta(days=started_days_ago))


def test_grace_period_reminds_on_every_page_and_login_leads_to_security(make_staff, login):
    supervisor = veteran(make_staff, "supervisor")
    rule("supervisor", grace_days=7, started_days_ago=2)
    supervisor.refresh_from_db()
    assert supervisor.two_step_due.date() == (timezone.now() + timedelta(days=5)).date()
    page = login(supervisor).get("/customers/")
    assert page.status_code == 200 and 'id="two-step-reminder"' in page.content.decode()
    client = Client()
    response = client.post("/accounts/login/", {"username": supervisor.username, "password": PASSWORD},
                           REMOTE_ADDR="10.7.7.7")
    assert response.status_code == 302 and response["Location"] == "/org/security/"


def test_other_roles_are_not_affected(make_staff, login):
    rule("supervisor")
    manager = make_staff("manager")
    assert manager.two_step_due is None
    assert 'id="two-step-reminder"' not in login(manager).get("/customers/").content.decode()


def test_after_the_grace_period_only_account_security_is_reachable(make_staff, login):
    admin = veteran(make_staff, "admin")
    rule("admin", grace_days=3, started_days_ago=10)
    admin.refresh_from_db()
    client = login(admin)
    blocked = client.get("/customers/")
    assert blocked.status_code == 302 and blocked["Location"] == "/org/security/"
    assert client.get("/org/security/").status_code == 200
    api = client.get("/api/v1/customers/")
    assert api.status_code == 403 and api.json()["code"] == "two_step_enroll"
    token = Token.objects.create(user=admin)
    by_token = Client().get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert by_token.status_code == 403
    no_token = Client().post("/api/v1/auth/token/", {"username": admin.username, "password": PASSWORD})
    assert no_token.status_code == 403


def test_enrolling_lifts_the_block(make_staff, login_verified):
    admin = veteran(make_staff, "admin")
    rule("admin", grace_days=0, started_days_ago=1)
    device = TOTPDevice.objects.create(user=admin, name="authenticator", confirmed=True)
    admin.refresh_from_db()
    assert login_verified(admin, device).get("/customers/").status_code == 200


def test_superusers_rule_covers_a_superuser_of_any_role(make_staff, login):
    root = veteran(make_staff, "manager", is_superuser=True, is_staff=True)
    rule(TwoStepRule.SUPERUSERS, grace_days=0, started_days_ago=1)
    root.refresh_from_db()
    assert login(root).get("/admin/").status_code == 302


def test_a_new_staff_member_gets_the_full_grace_period(make_staff):
    rule("clerk", grace_days=14, started_days_ago=30)
    clerk = make_staff("clerk")
    assert clerk.two_step_due.date() == (timezone.now() + timedelta(days=14)).date()


def test_changing_the_role_applies_the_rule(make_staff):
    rule("supervisor", grace_days=7)
    person = make_staff("manager")
    person.role = "supervisor"
    person.save()
    assert person.two_step_due is not None


def test_rules_are_audited(make_staff):
    r = rule("admin")
    r.grace_days = 30
    r.save()
    assert [h.grace_days for h in r.history.order_by("history_date")] == [7, 30]
