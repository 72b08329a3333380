"""One contact is sent at most one satisfaction survey per window (POWERKAM_SURVEY_DEDUPE_MINUTES):
closing a ticket and recording a visit minutes apart must not text the same person twice."""

from datetime import timedelta

import pytest
from django.core import mail

from powerkam.core.notify import LoggingSmsGateway
from powerkam.service.surveys.models import SurveyInvitation
from powerkam.service.surveys.services import request_exit_survey, request_survey
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_window(settings):
    from powerkam.service.surveys.constants import SURVEY_DEDUPE_MINUTES

    assert SURVEY_DEDUPE_MINUTES == 24 * 60
    settings.POWERKAM_SURVEY_DEDUPE_MINUTES = SURVEY_DEDUPE_MINUTES  # conftest turns it off for the others


@pytest.fixture
def contact():
    return ContactFactory(customer=CustomerFactory(), is_primary=True, mobile="13900001111", email="")


def _backdate(invitation, **delta):
    SurveyInvitation.objects.filter(pk=invitation.pk).update(sent_at=invitation.sent_at - timedelta(**delta))


def test_a_visit_three_minutes_after_a_ticket_sends_no_second_message(contact, commit):
    with commit():
        first = request_survey(customer=contact.customer, kind="ticket", category="complaint")
    _backdate(first, minutes=3)
    with commit():
        second = request_survey(customer=contact.customer, kind="visit", contact=contact)
    assert len(LoggingSmsGateway.outbox) == 1
    assert SurveyInvitation.objects.filter(contact=contact).count() == 1
    assert second.pk == first.pk and second.deduplicated and second.link is None
    assert not first.deduplicated and first.link


def test_after_the_window_the_contact_is_asked_again(contact, commit, settings):
    settings.POWERKAM_SURVEY_DEDUPE_MINUTES = 60
    with commit():
        first = request_survey(customer=contact.customer, kind="ticket")
    _backdate(first, minutes=61)
    with commit():
        second = request_survey(customer=contact.customer, kind="ticket")
    assert second.pk != first.pk and not second.deduplicated
    assert len(LoggingSmsGateway.outbox) == 2


def test_window_zero_switches_the_dedupe_off(contact, commit, settings):
    settings.POWERKAM_SURVEY_DEDUPE_MINUTES = 0
    with commit():
        request_survey(customer=contact.customer, kind="ticket")
        request_survey(customer=contact.customer, kind="visit")
    assert len(LoggingSmsGateway.outbox) == 2


def test_another_contact_of_the_same_customer_is_still_asked(contact, commit):
    colleague = ContactFactory(customer=contact.customer, email="ops@example.com")
    with commit():
        request_survey(customer=contact.customer, kind="ticket", contact=contact)
        other = request_survey(customer=contact.customer, kind="visit", contact=colleague)
    assert not other.deduplicated
    assert len(LoggingSmsGateway.outbox) == 1 and mail.outbox[0].to == ["ops@example.com"]


def test_an_undelivered_survey_does_not_block_the_next(contact, commit):
    with commit():
        first = request_survey(customer=contact.customer, kind="ticket")
    SurveyInvitation.objects.filter(pk=first.pk).update(status="failed")
    with commit():
        second = request_survey(customer=contact.customer, kind="visit")
    assert not second.deduplicated and len(LoggingSmsGateway.outbox) == 2


def test_the_exit_survey_is_its_own_family(contact, commit):
    with commit():
        request_survey(customer=contact.customer, kind="ticket")
        exit_survey = request_exit_survey(contact.customer)
        again = request_exit_survey(contact.customer)
    assert not exit_survey.deduplicated and again.deduplicated
    assert len(LoggingSmsGateway.outbox) == 2
    assert contact.customer.timeline.filter(kind="survey.exit_sent").count() == 1
