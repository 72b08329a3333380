"""The one-time link: answered once, tampered → not found, expired, scores out of range."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from powerkam.customers.models import TimelineEvent
from powerkam.service.surveys.models import SurveyInvitation, SurveyResponse
from powerkam.service.surveys.services import request_survey
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

GOOD = {"overall": "4", "responsiveness": "5", "professionalism": "4", "communication": "3", "comment": "抢修很及时"}


@pytest.fixture
def invitation(make_staff, commit):
    manager = make_staff("manager")
    customer = CustomerFactory(primary_manager=manager)
    ContactFactory(customer=customer, is_primary=True, email="c@example.com")
    with commit():
        inv = request_survey(customer=customer, kind="ticket", category="fault_repair")
    inv.manager = manager
    return inv


def url(inv, token=None):
    return reverse("surveys:answer", args=[token or inv.token])


def test_the_page_opens_without_login_and_is_mobile_sized(client, invitation):
    response = client.get(url(invitation))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "Overall satisfaction" in html and invitation.customer.name in html
    assert html.count('type="radio"') == 4 * 5
    assert "min-height: 3rem" in html  # large touch targets
    assert response["Cache-Control"].startswith("max-age=0")


def test_answer_once_then_refused(client, invitation):
    response = client.post(url(invitation), GOOD)
    assert response.status_code == 200 and b"Thank you" in response.content
    answer = SurveyResponse.objects.get()
    assert (answer.overall, answer.responsiveness, answer.professionalism, answer.communication) == (4, 5, 4, 3)
    assert answer.comment == "抢修很及时" and answer.category == "fault_repair"
    assert answer.manager == invitation.manager and answer.org_unit == invitation.customer.org_unit
    invitation.refresh_from_db()
    assert invitation.status == "answered" and invitation.answered_at is not None
    event = TimelineEvent.objects.get(customer=invitation.customer, kind="survey.answered")
    assert "4/5" in event.title and event.detail == "抢修很及时"

    again = client.post(url(invitation), {**GOOD, "overall": "1"})
    assert again.status_code == 410 and b"already been answered" in again.content
    assert client.get(url(invitation)).status_code == 410
    assert SurveyResponse.objects.get().overall == 4


@pytest.mark.parametrize("token", ["abc", "abc:def", None])
def test_tampered_token_is_not_found(client, invitation, token):
    if token is None:  # a valid-looking token with one character changed
        raw, sig = invitation.token.split(":")
        token = ("A" if raw[0] != "A" else "B") + raw[1:] + ":" + sig
    response = client.post(url(invitation, token), GOOD)
    assert response.status_code == 404 and b"not valid" in response.content
    assert SurveyResponse.objects.count() == 0


def test_expired_link(client, invitation):
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(url(invitation), GOOD)
    assert response.status_code == 410 and b"expired" in response.content
    assert SurveyResponse.objects.count() == 0


@pytest.mark.parametrize("field,value,message", [
    ("overall", "6", "Overall satisfaction must be from 1 to 5; 6 is out of range."),
    ("overall", "0", "Overall satisfaction must be from 1 to 5; 0 is out of range."),
    ("overall", "", "Choose a score for Overall satisfaction."),
    ("overall", "x", "Overall satisfaction must be a whole number from 1 to 5."),
    ("responsiveness", "9", "Responsiveness must be from 1 to 5; 9 is out of range."),
])
def test_score_out_of_range_writes_nothing(client, invitation, field, value, message):
    response = client.post(url(invitation), {**GOOD, field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert SurveyResponse.objects.count() == 0 and not TimelineEvent.objects.filter(kind="survey.answered").exists()
    invitation.refresh_from_db()
    assert invitation.status == "sent"
    assert client.post(url(invitation), GOOD).status_code == 200  # the link still works afterwards


def test_exit_survey_needs_a_reason(client):
    customer = CustomerFactory()
    ContactFactory(customer=customer, is_primary=True, email="c@example.com")
    inv = request_survey(customer=customer, kind="exit")
    response = client.post(url(inv), {"overall": "2"})
    assert response.status_code == 400 and b"main reason" in response.content
    response = client.post(url(inv), {"overall": "2", "exit_reason": "price", "comment": "电价高"})
    assert response.status_code == 200
    assert SurveyResponse.objects.get().exit_reason == "price"
