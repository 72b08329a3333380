"""request_survey: channel choice, stored subject, hashed token (the API tickets and visits call)."""

import hashlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import ValidationError

from powerkam.core.notify import LoggingSmsGateway
from powerkam.service.surveys import constants as c
from powerkam.service.surveys.models import SurveyInvitation
from powerkam.service.surveys.services import request_exit_survey, request_survey
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_email_when_the_primary_contact_has_one(commit):
    customer = CustomerFactory()
    ContactFactory(customer=customer, name="B", email="other@example.com")
    primary = ContactFactory(customer=customer, name="A", is_primary=True, email="boss@example.com")
    with commit():
        inv = request_survey(customer=customer, kind="ticket", category="complaint")
    assert (inv.contact, inv.channel, inv.address, inv.status) == (primary, "email", "boss@example.com", "sent")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["boss@example.com"]
    assert inv.link in mail.outbox[0].body
    assert len(LoggingSmsGateway.outbox) == 0


def test_sms_when_the_contact_has_only_a_mobile(commit):
    customer = CustomerFactory()
    ContactFactory(customer=customer, is_primary=True, mobile="13900001111", email="")
    with commit():
        inv = request_survey(customer=customer, kind="visit")
    assert (inv.channel, inv.address, inv.status) == ("sms", "13900001111", "sent")
    assert mail.outbox == []
    assert LoggingSmsGateway.outbox[0].mobile == "13900001111" and inv.link in LoggingSmsGateway.outbox[0].text


def test_no_channel_is_recorded(commit):
    customer = CustomerFactory()
    ContactFactory(customer=customer, is_primary=True, mobile="", email="", phone="025-1234567")
    with commit():
        inv = request_survey(customer=customer, kind="visit")
    assert (inv.channel, inv.status) == ("none", "failed")
    assert "neither" in inv.delivery_error
    with commit():
        no_contact = request_survey(customer=CustomerFactory(), kind="ticket")
    assert no_contact.contact is None and no_contact.channel == "none" and "no contact" in no_contact.delivery_error
    assert mail.outbox == [] and len(LoggingSmsGateway.outbox) == 0


def test_subject_is_stored_by_generic_relation_and_token_only_hashed(make_staff):
    customer = CustomerFactory()
    contact = ContactFactory(customer=customer, email="x@example.com")
    subject = ContactFactory(customer=customer)  # any model instance stands in for a Ticket/Visit
    actor = make_staff("clerk")
    inv = request_survey(customer=customer, kind="ticket", subject=subject, contact=contact, actor=actor)
    stored = SurveyInvitation.objects.get(pk=inv.pk)
    assert stored.subject_type == ContentType.objects.get_for_model(subject) and stored.subject_id == subject.pk
    assert stored.subject == subject
    raw = inv.token.split(":")[0]
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in stored.token_hash and len(raw) >= 32
    assert stored.history.first().history_user == actor
    assert (stored.expires_at - stored.sent_at).days == c.SURVEY_VALID_DAYS


def test_forced_channel_and_bad_arguments():
    customer = CustomerFactory()
    ContactFactory(customer=customer, is_primary=True, mobile="13900002222", email="a@example.com")
    assert request_survey(customer=customer, kind="visit", channel="sms").channel == "sms"
    with pytest.raises(ValidationError):
        request_survey(customer=customer, kind="nonsense")
    with pytest.raises(ValidationError):
        request_survey(customer=customer, kind="visit", contact=ContactFactory())
    assert SurveyInvitation.objects.count() == 1


def test_exit_survey_puts_an_event_on_the_timeline(commit):
    customer = CustomerFactory()
    ContactFactory(customer=customer, is_primary=True, email="a@example.com")
    with commit():
        inv = request_exit_survey(customer, None)
    assert (inv.kind, inv.status) == ("exit", "sent") and len(mail.outbox) == 1
    assert customer.timeline.filter(kind="survey.exit_sent").count() == 1
