"""Outgoing notices: e-mail through Django's e-mail backend, SMS through a gateway interface
(docs/decisions/0002 "Shared pieces in core").

    from powerkam.core import notify
    result = notify.send_email("a@example.com", "Subject", "Body")
    result = notify.get_sms_gateway().send("13900000000", "Text")
    if result.ok: ...

Neither function raises on a delivery failure: the caller records `DeliveryResult` (status,
error) on its own delivery row, so a bad address never aborts a batch of notices.

The SMS gateway is chosen by the setting `POWERKAM_SMS_GATEWAY` (a dotted path to a class with
`send(mobile, text) -> DeliveryResult`); the default `LoggingSmsGateway` writes each message to
the `powerkam.sms` logger (by default to var/log/sms.log, not the console: setting
POWERKAM_SMS_LOG) and keeps it in `LoggingSmsGateway.outbox` (like Django's locmem mail outbox). A real operator's gateway is the deployment's edge, plugged in by that setting.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django.utils.module_loading import import_string

DEFAULT_SMS_GATEWAY = "powerkam.core.notify.LoggingSmsGateway"
# Mainland China mobile numbers: 11 digits starting 1[3-9] (optionally +86 / 86 prefixed).
MOBILE_RE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")

sms_logger = logging.getLogger("powerkam.sms")


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one message to one address."""

    channel: str  # "email" | "sms"
    address: str
    ok: bool
    sent_at: datetime | None = None
    error: str = ""
    provider_id: str = ""

    @property
    def status(self) -> str:
        return "sent" if self.ok else "failed"


def send_email(to: str, subject: str, body: str, html: str | None = None) -> DeliveryResult:
    """Send one e-mail through settings.EMAIL_BACKEND; a failure is returned, not raised."""
    to = (to or "").strip()
    if not to:
        return DeliveryResult("email", "", False, error="no e-mail address")
    message = EmailMultiAlternatives(subject=subject.replace("\n", " ")[:200], body=body,
                                     from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
    if html:
        message.attach_alternative(html, "text/html")
    try:
        sent = message.send(fail_silently=False)
    except Exception as exc:  # any backend error (SMTP refused, DNS, ...) is a failed delivery
        return DeliveryResult("email", to, False, error=f"{type(exc).__name__}: {exc}"[:500])
    if not sent:
        return DeliveryResult("email", to, False, error="the e-mail backend sent nothing")
    return DeliveryResult("email", to, True, sent_at=timezone.now())


class SmsGateway:
    """The interface every SMS gateway implements."""

    def send(self, mobile: str, text: str) -> DeliveryResult:  # pragma: no cover - interface
        raise NotImplementedError


def normalise_mobile(mobile: str) -> str:
    return re.sub(r"[\s-]", "", mobile or "")


@dataclass
class SmsMessage:
    mobile: str
    text: str
    sent_at: datetime = field(default_factory=timezone.now)


class LoggingSmsGateway(SmsGateway):
    """Writes each SMS to the `powerkam.sms` logger and keeps it in `outbox` (class-level, like
    django.core.mail.outbox) so that tests and the demo can see what would have been sent. The
    outbox keeps the last OUTBOX_SIZE messages only, so a long-running server does not grow."""

    OUTBOX_SIZE = 10_000
    outbox: deque[SmsMessage] = deque(maxlen=OUTBOX_SIZE)
    sent_count = 0  # every message this process sent (the outbox keeps only the last ones)

    def send(self, mobile: str, text: str) -> DeliveryResult:
        number = normalise_mobile(mobile)
        if not MOBILE_RE.match(number):
            return DeliveryResult("sms", mobile or "", False, error="not a mobile number")
        message = SmsMessage(number, text)
        type(self).outbox.append(message)
        type(self).sent_count += 1
        sms_logger.info("SMS to %s: %s", number, text)
        return DeliveryResult("sms", number, True, sent_at=message.sent_at)


def get_sms_gateway() -> SmsGateway:
    """The configured gateway (settings.POWERKAM_SMS_GATEWAY, a dotted class path)."""
    path = getattr(settings, "POWERKAM_SMS_GATEWAY", "") or DEFAULT_SMS_GATEWAY
    return import_string(path)()


def send_sms(mobile: str, text: str) -> DeliveryResult:
    """Send one SMS through the configured gateway; a gateway exception is a failed delivery."""
    try:
        return get_sms_gateway().send(mobile, text)
    except Exception as exc:
        return DeliveryResult("sms", mobile or "", False, error=f"{type(exc).__name__}: {exc}"[:500])
