"""core.notify: e-mail through Django's backend, SMS through the configured gateway."""

import logging

import pytest
from django.core import mail

from powerkam.core import notify


class BrokenGateway(notify.SmsGateway):
    def send(self, mobile, text):
        raise ConnectionError("gateway down")


class RecordingGateway(notify.SmsGateway):
    sent: list = []

    def send(self, mobile, text):
        type(self).sent.append((mobile, text))
        return notify.DeliveryResult("sms", mobile, True)


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notify.LoggingSmsGateway.outbox.clear()


def test_email_goes_through_the_django_backend():
    result = notify.send_email("a@example.com", "停电通知", "正文", html="<p>正文</p>")
    assert result.ok and result.status == "sent" and result.channel == "email"
    assert result.sent_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["a@example.com"] and mail.outbox[0].subject == "停电通知"
    assert mail.outbox[0].alternatives[0][1] == "text/html"


def test_email_without_address_fails_without_sending():
    result = notify.send_email("", "s", "b")
    assert not result.ok and result.status == "failed" and result.error
    assert mail.outbox == []


def test_email_backend_error_is_a_failed_delivery_not_an_exception(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 1  # nothing listens there
    result = notify.send_email("a@example.com", "s", "b")
    assert not result.ok and result.error


def test_default_sms_gateway_logs_and_records(caplog):
    assert isinstance(notify.get_sms_gateway(), notify.LoggingSmsGateway)
    with caplog.at_level(logging.INFO, logger="powerkam.sms"):
        result = notify.get_sms_gateway().send("139 0000 0001", "明天停电")
    assert result.ok and result.address == "13900000001"
    assert [(m.mobile, m.text) for m in notify.LoggingSmsGateway.outbox] == [("13900000001", "明天停电")]
    assert "13900000001" in caplog.text


def test_sms_to_a_landline_is_refused():
    result = notify.send_sms("025-84000000", "x")
    assert not result.ok and len(notify.LoggingSmsGateway.outbox) == 0


def test_gateway_chosen_by_setting(settings):
    settings.POWERKAM_SMS_GATEWAY = "tests.core.test_notify.RecordingGateway"
    RecordingGateway.sent.clear()
    assert notify.send_sms("13900000002", "hi").ok
    assert RecordingGateway.sent == [("13900000002", "hi")]


def test_gateway_exception_is_a_failed_delivery(settings):
    settings.POWERKAM_SMS_GATEWAY = "tests.core.test_notify.BrokenGateway"
    result = notify.send_sms("13900000003", "hi")
    assert not result.ok and "gateway down" in result.error
