"""Survey rules: send a one-time link, open it, record the answer (issue #4 §4).

The link carries a random token (secrets, 192 bits) signed with the project's SECRET_KEY
(django.core.signing); the database keeps only the token's SHA-256 hash, like Django's
password-reset tokens never being stored (django/contrib/auth/tokens.py). A link is:
- tampered with (bad signature) or unknown → "not found" (404), nothing looked up by a forged value;
- past `expires_at` → "expired" (410);
- already answered → "already answered" (410): one answer per invitation, enforced by a
  one-to-one row and a row lock on the invitation.

Tickets and visits call `request_survey(...)`; closing a customer calls `request_exit_survey`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from powerkam.core import notify
from powerkam.customers.services import add_timeline_event

from . import constants as c
from .models import SurveyInvitation, SurveyResponse

logger = logging.getLogger(__name__)

SIGNING_SALT = "powerkam.surveys.link"


class LinkError(Exception):
    """Why a survey link cannot be used; `reason` is "invalid", "expired" or "used"."""

    def __init__(self, reason: str, invitation: SurveyInvitation | None = None):
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation


# --- tokens -------------------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def sign_token(raw: str) -> str:
    return signing.Signer(salt=SIGNING_SALT).sign(raw)


def unsign_token(signed: str) -> str:
    try:
        return signing.Signer(salt=SIGNING_SALT).unsign(signed or "")
    except signing.BadSignature as exc:
        raise LinkError("invalid") from exc


def valid_days() -> int:
    return int(getattr(settings, "POWERKAM_SURVEY_VALID_DAYS", c.SURVEY_VALID_DAYS))


def dedupe_minutes() -> int:
    return int(getattr(settings, "POWERKAM_SURVEY_DEDUPE_MINUTES", c.SURVEY_DEDUPE_MINUTES))


def public_url(path: str) -> str:
    base = getattr(settings, "POWERKAM_BASE_URL", "") or "http://localhost:8000"
    return base.rstrip("/") + path


def answer_path(signed_token: str) -> str:
    return reverse("surveys:answer", args=[signed_token])


# --- sending ------------------------------------------------------------------------------------


def _pick_contact(customer, contact):
    if contact is not None:
        if contact.customer_id != customer.pk:
            raise ValidationError({"contact": _("The contact does not belong to this customer.")})
        return contact
    contacts = list(customer.contacts.all())  # ordered primary first
    primary = [ct for ct in contacts if ct.is_primary]
    if primary:
        return primary[0]
    # No primary contact: the first one that can be reached at all.
    reachable = [ct for ct in contacts if ct.email or ct.mobile]
    return reachable[0] if reachable else None


def _pick_channel(contact, channel: str) -> tuple[str, str]:
    """(channel, address): e-mail when the contact has one, else SMS to a mobile, else none."""
    if contact is None:
        return c.Channel.NONE, ""
    if channel in ("auto", c.Channel.EMAIL) and contact.email:
        return c.Channel.EMAIL, contact.email
    if channel in ("auto", c.Channel.SMS) and contact.mobile:
        return c.Channel.SMS, contact.mobile
    return c.Channel.NONE, ""


def _same_family(kind: str) -> list[str]:
    """Survey kinds that count as "the same survey" for the dedupe window: exit surveys apart
    from the satisfaction surveys after a ticket or a visit."""
    return [c.Kind.EXIT] if kind == c.Kind.EXIT else [c.Kind.TICKET, c.Kind.VISIT]


def recent_invitation(contact, kind: str, *, now=None) -> SurveyInvitation | None:
    """The survey of `kind`'s family that went (or is going) out to `contact` within the dedupe
    window (dedupe_minutes()), newest first; None when there is none or the window is 0."""
    minutes = dedupe_minutes()
    if contact is None or minutes <= 0:
        return None
    since = (now or timezone.now()) - timedelta(minutes=minutes)
    return (SurveyInvitation.objects.filter(contact=contact, kind__in=_same_family(kind), sent_at__gte=since)
            .exclude(status=c.Status.FAILED).order_by("-sent_at", "-id").first())


def _message(kind: str, customer, link: str, days: int) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        if kind == c.Kind.EXIT:
            subject = _("We are sorry to see you go: a short exit survey")
            intro = _("Thank you for being our customer. Please tell us in one minute why you left.")
        else:
            subject = _("How did we do? A one-minute satisfaction survey")
            intro = _("Thank you for your recent contact with us. Please rate our service.")
        body = _("%(customer)s: %(intro)s %(link)s (valid for %(days)s days, one answer only)") % {
            "customer": customer.name, "intro": intro, "link": link, "days": days}
    return subject, body


@transaction.atomic
def request_survey(*, customer, kind: str, subject=None, category: str = "", contact=None, actor=None,
                   channel: str = "auto") -> SurveyInvitation:
    """Send a satisfaction (kind "ticket"/"visit") or exit ("exit") survey to a customer.

    `subject` is the Ticket or Visit the survey follows (stored by content type and id);
    `contact` defaults to the customer's primary contact. E-mail if the contact has one, else SMS
    to a mobile; with neither the invitation is recorded as not delivered (channel "none") so the
    archive gap shows on the survey list. The raw link is on the returned object as `.link`
    (and `.token`), never stored.

    The invitation is written "queued" and the message goes out only once the transaction has
    committed (transaction.on_commit, see _send_invitation): when a ticket close or a visit record
    calling this inside its transaction is rolled back, no customer receives a link to an
    invitation that does not exist. Outside any caller's transaction the sending runs as this
    function's atomic block exits, so the returned invitation already shows "sent" or "failed";
    inside one, it shows "queued" until that transaction commits, then the same object is updated.

    A contact already sent a survey of the same family within the dedupe window (recent_invitation)
    is not sent another: the earlier invitation is returned, marked `.deduplicated = True`, with
    no `.link` (the raw token of a stored invitation is never kept). The contact's row is locked
    first, so two requests racing for the same contact (a ticket closed while a visit is recorded)
    send one message, not two.
    """
    if kind not in c.Kind.values:
        raise ValidationError({"kind": _("Unknown survey kind: %(kind)s.") % {"kind": kind}})
    if channel not in ("auto", c.Channel.EMAIL, c.Channel.SMS):
        raise ValidationError({"channel": _("Unknown channel: %(channel)s.") % {"channel": channel}})
    contact = _pick_contact(customer, contact)
    if contact is not None and dedupe_minutes() > 0:
        type(contact).objects.select_for_update().filter(pk=contact.pk).first()  # serialise per contact
        earlier = recent_invitation(contact, kind)
        if earlier is not None:
            earlier.deduplicated = True
            earlier.token = earlier.link = None
            return earlier
    chosen, address = _pick_channel(contact, channel)
    raw = secrets.token_urlsafe(24)
    signed = sign_token(raw)
    days = valid_days()
    now = timezone.now()
    invitation = SurveyInvitation(
        customer=customer, kind=kind, category=(category or "")[:40], contact=contact, channel=chosen,
        address=address, token_hash=hash_token(raw), sent_at=now, expires_at=now + timedelta(days=days),
        created_by=actor if getattr(actor, "pk", None) else None, status=c.Status.QUEUED,
    )
    if subject is not None:
        invitation.subject_type = ContentType.objects.get_for_model(subject)
        invitation.subject_id = subject.pk
    link = public_url(answer_path(signed))
    if chosen == c.Channel.NONE:
        invitation.status = c.Status.FAILED
        invitation.delivery_error = (_("The contact has neither an e-mail address nor a mobile number.")
                                     if contact else _("The customer has no contact to send the survey to."))
    if getattr(actor, "pk", None):
        invitation._history_user = actor
    invitation.save()
    invitation.deduplicated = False
    invitation.token = signed
    invitation.link = link
    if chosen != c.Channel.NONE:
        title, body = _message(kind, customer, link, days)  # holds the raw link: kept in memory only
        # robust: the invitation is committed by then; a failure while recording the outcome is
        # logged (the invitation stays "queued") rather than raised into a committed close or visit.
        transaction.on_commit(lambda: _send_invitation(invitation, title, body), robust=True)
    return invitation


def _send_invitation(invitation: SurveyInvitation, title: str, body: str) -> None:
    """on_commit callback of request_survey: send the prepared message, then record the outcome
    on the row (only while it is still "queued": an answer that came first is not overwritten)
    and on the in-memory invitation the caller holds."""
    if invitation.channel == c.Channel.EMAIL:
        result = notify.send_email(invitation.address, title, body)
    else:
        result = notify.send_sms(invitation.address, body)  # a gateway exception is a failed delivery
    changes = ({"status": c.Status.SENT, "sent_at": result.sent_at or timezone.now()} if result.ok else
               {"status": c.Status.FAILED, "delivery_error": (result.error or "")[:500]})
    SurveyInvitation.objects.filter(pk=invitation.pk, status=c.Status.QUEUED).update(**changes)
    if invitation.status == c.Status.QUEUED:
        for name, value in changes.items():
            setattr(invitation, name, value)


def request_exit_survey(customer, actor=None, *, contact=None) -> SurveyInvitation:
    """The lost-customer exit survey, sent when a customer closes (销户)."""
    invitation = request_survey(customer=customer, kind=c.Kind.EXIT, contact=contact, actor=actor)
    if invitation.deduplicated:
        return invitation
    add_timeline_event(customer, "survey.exit_sent", _("Exit survey sent (%(channel)s)") % {
        "channel": invitation.get_channel_display()}, actor=actor)
    return invitation


def exit_survey_on_close(sender, customer, actor=None, **kwargs) -> SurveyInvitation | None:
    """Receiver of `customers.signals.customer_closed` (after the close has committed): send the
    exit survey, unless POWERKAM_EXIT_SURVEY_ON_CLOSE is off or an exit survey sent to the customer
    is still waiting for its answer. A delivery failure is recorded on the invitation (as for any
    survey); an unexpected error is logged and never undoes the close."""
    if not getattr(settings, "POWERKAM_EXIT_SURVEY_ON_CLOSE", True):
        return None
    if SurveyInvitation.objects.filter(customer=customer, kind=c.Kind.EXIT,
                                       status__in=[c.Status.QUEUED, c.Status.SENT],
                                       expires_at__gt=timezone.now()).exists():
        return None
    try:
        return request_exit_survey(customer, actor)
    except Exception:
        logger.exception("exit survey for closed customer %s not sent", customer.pk)
        return None


# --- answering ----------------------------------------------------------------------------------


def invitation_for_token(signed: str, *, for_update: bool = False) -> SurveyInvitation:
    """The invitation a link opens, or LinkError("invalid" | "expired" | "used")."""
    raw = unsign_token(signed)
    qs = SurveyInvitation.objects.select_related("customer")
    if for_update:
        qs = qs.select_for_update()
    invitation = qs.filter(token_hash=hash_token(raw)).first()
    if invitation is None:
        raise LinkError("invalid")
    if invitation.status == c.Status.ANSWERED:
        raise LinkError("used", invitation)
    if invitation.expires_at <= timezone.now():
        raise LinkError("expired", invitation)
    return invitation


def _score(value: Any, field: str, label: str, *, required: bool, errors: dict) -> int | None:
    if value in (None, ""):
        if required:
            errors[field] = _("Choose a score for %(label)s.") % {"label": label}
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[field] = _("%(label)s must be a whole number from %(min)s to %(max)s.") % {
            "label": label, "min": c.SCORE_MIN, "max": c.SCORE_MAX}
        return None
    if not c.SCORE_MIN <= number <= c.SCORE_MAX:
        errors[field] = _("%(label)s must be from %(min)s to %(max)s; %(value)s is out of range.") % {
            "label": label, "min": c.SCORE_MIN, "max": c.SCORE_MAX, "value": number}
        return None
    return number


def validate_answer(kind: str, data: dict) -> dict:
    """Clean the answer fields or raise a field-level ValidationError (nothing is written)."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {
        "overall": _score(data.get("overall"), "overall", _("Overall satisfaction"), required=True, errors=errors)}
    for field, label in c.ASPECTS:
        cleaned[field] = _score(data.get(field), field, str(label), required=False, errors=errors)
    reason = (data.get("exit_reason") or "").strip()
    if reason and reason not in c.ExitReason.values:
        errors["exit_reason"] = _("Choose one of the listed reasons.")
    if kind == c.Kind.EXIT and not reason:
        errors["exit_reason"] = _("Tell us the main reason you left.")
    cleaned["exit_reason"] = reason if kind == c.Kind.EXIT else ""
    comment = (data.get("comment") or "").strip()
    if len(comment) > 2000:
        errors["comment"] = _("Keep the comment under 2,000 characters.")
    cleaned["comment"] = comment
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def submit_response(signed: str, data: dict) -> SurveyResponse:
    """Record the one answer a link allows; LinkError if the link cannot be used, ValidationError
    for bad scores — in both cases nothing is written."""
    invitation = invitation_for_token(signed, for_update=True)
    cleaned = validate_answer(invitation.kind, data)
    customer = invitation.customer
    now = timezone.now()
    response = SurveyResponse.objects.create(
        invitation=invitation, customer=customer, kind=invitation.kind, category=invitation.category,
        org_unit_id=customer.org_unit_id, manager_id=customer.primary_manager_id, answered_at=now, **cleaned)
    invitation.status = c.Status.ANSWERED
    invitation.answered_at = now
    invitation.save(update_fields=["status", "answered_at"])
    if invitation.kind == c.Kind.EXIT:
        title = _("Exit survey answered: %(reason)s") % {"reason": response.get_exit_reason_display()}
    else:
        title = _("Satisfaction survey answered: %(score)s/5 (%(kind)s)") % {
            "score": response.overall, "kind": invitation.get_kind_display()}
    add_timeline_event(customer, "survey.answered", title, detail=response.comment, occurred_at=now)
    return response
