"""A survey message goes out only after its invitation commits (transaction.on_commit): a
rollback in the caller (a ticket close, a visit record) sends nothing; the invitation is "queued"
until sent; a gateway failure is recorded as not delivered after the commit."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from powerkam.core.notify import LoggingSmsGateway
from powerkam.customers.models import TimelineEvent
from powerkam.service.surveys.models import SurveyInvitation
from powerkam.service.surveys.services import request_exit_survey, request_survey, submit_response
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


class BrokenGateway:
    """An SMS gateway whose every call raises (the operator is down)."""

    def send(self, mobile, text):
        raise ConnectionError("gateway unreachable")


def customer_with(**contact):
    customer = CustomerFactory()
    ContactFactory(customer=customer, is_primary=True, **contact)
    return customer


def test_a_caller_rolling_back_sends_nothing_and_writes_nothing(commit):
    by_mail, by_sms = customer_with(email="a@example.com"), customer_with(mobile="13900003333", email="")
    with commit() as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():  # e.g. the ticket close that asked for the survey
            request_survey(customer=by_mail, kind="ticket", category="complaint")
            request_exit_survey(by_sms, None)
            assert SurveyInvitation.objects.filter(status="queued").count() == 2
            raise RuntimeError("the close failed after the survey was requested")
    assert callbacks == []
    assert mail.outbox == [] and len(LoggingSmsGateway.outbox) == 0
    assert not SurveyInvitation.objects.exists()
    assert not TimelineEvent.objects.filter(kind__startswith="survey.").exists()


def test_queued_until_the_commit_then_sent(commit):
    customer = customer_with(email="a@example.com")
    with commit():
        inv = request_survey(customer=customer, kind="visit")
        assert inv.status == "queued" and SurveyInvitation.objects.get().status == "queued"
        assert mail.outbox == []
    assert inv.status == "sent"  # the caller's object is updated too
    stored = SurveyInvitation.objects.get()
    assert stored.status == "sent" and stored.delivery_error == "" and stored.sent_at
    assert len(mail.outbox) == 1 and inv.link in mail.outbox[0].body


def test_a_gateway_exception_is_a_failed_delivery_after_the_commit(commit, settings):
    settings.POWERKAM_SMS_GATEWAY = f"{__name__}.BrokenGateway"
    customer = customer_with(mobile="13900003333", email="")
    with commit():
        inv = request_survey(customer=customer, kind="ticket")
        assert inv.status == "queued"
    stored = SurveyInvitation.objects.get()
    assert (inv.status, stored.status) == ("failed", "failed")
    assert "gateway unreachable" in stored.delivery_error


def test_an_answer_that_came_first_is_not_overwritten(commit):
    customer = customer_with(email="a@example.com")
    with commit():
        inv = request_survey(customer=customer, kind="visit")
        submit_response(inv.token, {"overall": 5})
    assert SurveyInvitation.objects.get().status == "answered"


def test_a_crash_before_the_send_leaves_it_queued_and_the_list_says_so(make_staff, org_tree, login):
    manager = make_staff("manager", org_tree["s1"])
    customer = CustomerFactory(org_unit=org_tree["s1"], primary_manager=manager)
    ContactFactory(customer=customer, is_primary=True, email="a@example.com")
    request_survey(customer=customer, kind="visit")  # the on_commit callback never runs
    assert mail.outbox == []
    response = login(manager).get(reverse("surveys:list"), {"state": "queued"})
    assert response.context["page"].paginator.count == 1 and "Queued" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_survey_is_sent_before_request_survey_returns():
    inv = request_survey(customer=customer_with(email="a@example.com"), kind="ticket")
    assert inv.status == "sent" and SurveyInvitation.objects.get().status == "sent" and len(mail.outbox) == 1
