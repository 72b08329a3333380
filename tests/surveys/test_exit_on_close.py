"""Closing a customer (销户) sends the exit survey, after the close has committed."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from powerkam.customers.services import close_customer, reopen_customer
from powerkam.service.surveys.models import SurveyInvitation
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _customer():
    customer = CustomerFactory()
    ContactFactory(customer=customer, is_primary=True, email="boss@example.com")
    return customer


def test_closing_sends_the_exit_survey_on_commit(django_capture_on_commit_callbacks):
    customer = _customer()
    with django_capture_on_commit_callbacks(execute=True):
        close_customer(customer, actor=None, reason="企业搬迁")
    inv = SurveyInvitation.objects.get(customer=customer)
    assert (inv.kind, inv.channel, inv.status) == ("exit", "email", "sent")
    assert len(mail.outbox) == 1 and inv.customer.name in mail.outbox[0].body
    assert customer.timeline.filter(kind="survey.exit_sent").count() == 1


def test_nothing_is_sent_when_the_close_is_refused(django_capture_on_commit_callbacks):
    customer = _customer()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        close_customer(customer, actor=None, reason="  ")
    assert not SurveyInvitation.objects.exists() and mail.outbox == []


def test_not_twice_while_one_is_waiting(django_capture_on_commit_callbacks):
    customer = _customer()
    with django_capture_on_commit_callbacks(execute=True):
        close_customer(customer, actor=None, reason="停产")
    reopen_customer(customer, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        close_customer(customer, actor=None, reason="停产")
    assert SurveyInvitation.objects.filter(customer=customer, kind="exit").count() == 1


def test_switched_off(settings, django_capture_on_commit_callbacks):
    settings.POWERKAM_EXIT_SURVEY_ON_CLOSE = False
    customer = _customer()
    with django_capture_on_commit_callbacks(execute=True):
        close_customer(customer, actor=None, reason="停产")
    assert not SurveyInvitation.objects.exists()
