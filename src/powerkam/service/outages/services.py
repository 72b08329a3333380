"""Outage rules: create, find who is affected, notify, acknowledge (issue #4 §5).

Who is affected is read from the archive: every customer with a supply point (main or backup,
see constants.BACKUP_SOURCES_AFFECTED) on one of the outage's supply lines. Seed 003-篇9 is why
the archive matters: a wrong line in the archive means a customer who is not told. The report
therefore lists, besides who was told, who was MISSED (no contact, no e-mail or mobile) and the
supply points at the substation with no line recorded (they may be on the line; nobody knows).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from powerkam.core import notify, workqueue
from powerkam.core.models import Task
from powerkam.core.phrases import phrase
from powerkam.customers import constants as cc
from powerkam.customers.models import (
    Contact,
    Customer,
    Substation,
    SupplyLine,
    SupplyPoint,
    TimelineEvent,
)
from powerkam.customers.services import add_timeline_event
from powerkam.org.models import Role

from . import constants as c
from .models import Outage, OutageDelivery, OutageNotice

SIGNING_SALT = "powerkam.outages.ack"
OVERRIDE_ROLES = (Role.SUPERVISOR, Role.ADMIN)


class LinkError(Exception):
    pass


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    """(signed token for the link, hash to store)."""
    raw = secrets.token_urlsafe(24)
    return signing.Signer(salt=SIGNING_SALT).sign(raw), hash_token(raw)


def public_url(path: str) -> str:
    base = getattr(settings, "POWERKAM_BASE_URL", "") or "http://localhost:8000"
    return base.rstrip("/") + path


def can_override(user) -> bool:
    return bool(user and getattr(user, "pk", None) and not user.is_read_only
                and (user.is_superuser or user.role in OVERRIDE_ROLES))


# --- create -------------------------------------------------------------------------------------


def _next_number(starts_at: datetime) -> str:
    prefix = f"TD{timezone.localtime(starts_at):%Y%m}-"
    last = (Outage.objects.filter(number__startswith=prefix).order_by("-number")
            .values_list("number", flat=True).first())
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


@transaction.atomic
def create_outage(*, substation, supply_lines: Iterable, starts_at: datetime, ends_at: datetime, reason: str,
                  kind: str = c.OutageKind.PLANNED, actor=None, org_unit=None,
                  lines_from: QuerySet | None = None) -> Outage:
    """Record an outage. Every problem is reported at once, field by field; nothing is written
    unless all is well. `supply_lines` are SupplyLine objects or ids, looked up in `lines_from`
    (the lines the caller may pick, selectors.outage_supply_lines): any other id is "unknown",
    like one that does not exist."""
    errors: dict[str, list[str]] = {}
    if isinstance(substation, (int, str)):
        substation = Substation.objects.filter(pk=substation).first()
    if substation is None:
        errors.setdefault("substation", []).append(_("Choose the substation."))
    wanted = [getattr(x, "pk", x) for x in (supply_lines or [])]
    ids: list[int] = []
    for value in wanted:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            errors.setdefault("supply_lines", []).append(_("Unknown supply line: %(line)s.") % {"line": value})
    pickable = SupplyLine.objects.all() if lines_from is None else lines_from
    lines = {line.pk: line for line in pickable.filter(pk__in=ids).select_related("substation")}
    for pk in ids:
        if pk not in lines:
            errors.setdefault("supply_lines", []).append(_("Unknown supply line: %(line)s.") % {"line": pk})
        elif substation is not None and lines[pk].substation_id != substation.pk:
            errors.setdefault("supply_lines", []).append(
                _("Supply line %(line)s is fed from %(other)s, not from %(substation)s.") % {
                    "line": lines[pk].name, "other": lines[pk].substation.name, "substation": substation.name})
    if not wanted:
        errors.setdefault("supply_lines", []).append(_("Choose at least one supply line."))
    if kind not in c.OutageKind.values:
        errors.setdefault("kind", []).append(_("Unknown outage kind."))
    if not starts_at:
        errors.setdefault("starts_at", []).append(_("Give the start of the outage window."))
    if not ends_at:
        errors.setdefault("ends_at", []).append(_("Give the end of the outage window."))
    if starts_at and ends_at and ends_at <= starts_at:
        errors.setdefault("ends_at", []).append(_("The outage window must end after it starts."))
    if not (reason or "").strip():
        errors.setdefault("reason", []).append(_("Give the reason for the outage."))
    if errors:
        raise ValidationError(errors)
    outage = Outage(number=_next_number(starts_at), kind=kind, substation=substation, starts_at=starts_at,
                    ends_at=ends_at, reason=reason.strip(),
                    org_unit=org_unit or substation.org_unit or getattr(actor, "org_unit", None),
                    created_by=actor if getattr(actor, "pk", None) else None)
    if getattr(actor, "pk", None):
        outage._history_user = actor
    outage.save()
    outage.supply_lines.set(list(lines.values()))
    return outage


# --- impact -------------------------------------------------------------------------------------


def affected_customers(outage_or_line_ids) -> QuerySet:
    """Customers fed by the outage's lines (one query, through the indexed supply_point.supply_line
    foreign key): any supply point on the line, main or backup. Closed customers are left out."""
    if isinstance(outage_or_line_ids, Outage):
        line_ids = outage_or_line_ids.supply_lines.values("pk")
    else:
        line_ids = list(outage_or_line_ids)
    points = SupplyPoint.objects.filter(supply_line_id__in=line_ids)
    if not c.BACKUP_SOURCES_AFFECTED:
        points = points.filter(source_type=cc.SourceType.MAIN)
    return (Customer.objects.filter(pk__in=points.values("customer_id"))
            .exclude(lifecycle_status=cc.LifecycleStatus.CLOSED))


def unlinked_supply_points(outage: Outage) -> QuerySet:
    """Archive gap: supply points at the outage's substation with no supply line recorded."""
    return (SupplyPoint.objects.filter(substation_id=outage.substation_id, supply_line__isnull=True)
            .exclude(customer__lifecycle_status=cc.LifecycleStatus.CLOSED)
            .select_related("customer").order_by("customer__number", "name"))


# --- notify -------------------------------------------------------------------------------------


def _notice_text(outage: Outage, customer: Customer, link: str, lines: str) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        start = timezone.localtime(outage.starts_at).strftime("%Y-%m-%d %H:%M")
        end = timezone.localtime(outage.ends_at).strftime("%Y-%m-%d %H:%M")
        subject = _("%(kind)s outage notice %(number)s: %(start)s to %(end)s") % {
            "kind": outage.get_kind_display(), "number": outage.number, "start": start, "end": end}
        body = _("%(customer)s: power on %(substation)s %(lines)s will be off from %(start)s to %(end)s "
                 "(%(reason)s). Please prepare. Confirm receipt: %(link)s") % {
            "customer": customer.name, "substation": outage.substation.name, "lines": lines, "start": start,
            "end": end, "reason": outage.reason, "link": link}
    return subject, body


@dataclass
class NotifyResult:
    """What notify_outage did. The counts are those at the commit: the messages go out in an
    on_commit callback (see notify_outage), which then moves `queued` into sent / failed and a
    customer whose every delivery failed from `reached` to `missed`."""

    notices: int = 0
    reached: int = 0
    missed: int = 0
    deliveries: int = 0
    failed_deliveries: int = 0
    queued: int = 0  # deliveries written but not (yet) handed to the e-mail backend / SMS gateway
    call_tasks: int = 0
    late: bool = False
    links: dict[int, str] = field(default_factory=dict)  # customer id → acknowledgement link


@dataclass
class _Message:
    """One prepared message, kept in memory only: the body holds the raw acknowledgement link,
    whose token the database stores only as a hash."""

    delivery: OutageDelivery
    subject: str
    body: str


def check_advance_notice(outage: Outage, *, actor=None, override_reason: str = "", now: datetime | None = None):
    """Refuse a notice later than the rules allow (constants.ADVANCE_NOTICE) unless a supervisor
    overrides with a reason. Returns True when the notice is late (and overridden)."""
    now = now or timezone.now()
    if now <= outage.notice_deadline:
        return False
    override_reason = (override_reason or "").strip()
    if not override_reason:
        hours = int(outage.advance_notice.total_seconds() // 3600)
        raise ValidationError({"override_reason": _(
            "Too late for a %(kind)s outage notice: the rules require %(days)s days (%(hours)s hours) before the "
            "start, i.e. by %(deadline)s. A supervisor may send it anyway with a reason.") % {
            "kind": outage.get_kind_display().lower(), "days": hours // 24, "hours": hours,
            "deadline": timezone.localtime(outage.notice_deadline).strftime("%Y-%m-%d %H:%M")}})
    if not can_override(actor):
        raise ValidationError({"override_reason": _("Only a supervisor can send a late outage notice.")})
    return True


@transaction.atomic
def notify_outage(outage: Outage, *, actor=None, override_reason: str = "", now: datetime | None = None) -> NotifyResult:
    """Tell every affected customer: e-mail and SMS to each contact that has one, a timeline event,
    an acknowledgement link, and a personal-call task for the primary manager of each key account.
    Refused (nothing written, nothing sent) when the outage is not a draft or the notice is late
    without a supervisor's override.

    The records are written in this transaction with every delivery "queued"; the messages go out
    only once it has committed (transaction.on_commit, see _send_notices), so a rollback, here or
    in a caller's transaction, never leaves a customer holding a link to a notice that does not
    exist. Outside any caller's transaction (views, API: no ATOMIC_REQUESTS) the sending runs when
    this function's atomic block exits, before it returns, and the returned NotifyResult already
    holds the final counts; inside a caller's transaction it runs at that transaction's commit and
    updates the same NotifyResult then."""
    outage = Outage.objects.select_for_update().get(pk=outage.pk)
    if outage.status != c.OutageStatus.DRAFT:
        raise ValidationError(_("This outage has already been notified or was cancelled."))
    now = now or timezone.now()
    if outage.ends_at <= now:
        raise ValidationError(_("This outage is over; there is nobody left to warn."))
    late = check_advance_notice(outage, actor=actor, override_reason=override_reason, now=now)
    result = NotifyResult(late=late)
    actor = actor if getattr(actor, "pk", None) else None
    line_objs = list(outage.supply_lines.order_by("name"))
    lines = "、".join(line.name for line in line_objs)
    customers = (affected_customers([line.pk for line in line_objs]).select_related("primary_manager", "org_unit")
                 .prefetch_related(Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "name")),
                                   Prefetch("supply_points", queryset=SupplyPoint.objects.filter(
                                       supply_line__in=line_objs).order_by("name")))
                 .order_by("number"))
    sms = notify.get_sms_gateway()
    start_local = timezone.localtime(outage.starts_at).strftime("%Y-%m-%d %H:%M")
    messages: list[_Message] = []
    # Set-based (issue #11: 5.5 s for 150 contacts, one INSERT and history row per notice, call
    # task and timeline event): the records of every customer are prepared in memory, then
    # written with one bulk INSERT per table and their history rows with one INSERT … SELECT.
    customers = list(customers)
    ack_path = reverse("outages:ack", args=["TOKEN"])
    call_specs, call_key = [], {}
    due = max(outage.starts_at - timedelta(hours=1), now)
    detail_link = reverse("outages:detail", args=[outage.pk])
    for customer in customers:
        if customer.is_key_account and customer.primary_manager_id:
            key = call_key[customer.pk] = f"outage:{outage.pk}:call:{customer.pk}"
            call_specs.append({
                "kind": Task.Kind.OUTAGE_CALL, "assignee_id": customer.primary_manager_id, "customer_id": customer.pk,
                "org_unit_id": customer.org_unit_id,
                "title": phrase(gettext_noop("Call %(customer)s about outage %(number)s on %(start)s"),
                                customer=customer.name, number=outage.number, start=start_local),
                "due_at": due, "key": key, "link": detail_link, "detail": outage.reason,
                "priority": Task.Priority.HIGH})
    if call_specs:
        workqueue.open_tasks_bulk(call_specs, created_by=actor)
    task_ids = dict(workqueue.tasks_with_keys(call_key.values()).values_list("key", "pk")) if call_key else {}
    notices, per_customer = [], []
    for customer in customers:
        signed, token_hash = _new_token()
        link = public_url(ack_path.replace("TOKEN", signed))
        contacts = list(customer.contacts.all())
        addresses = [(contact, channel, address) for contact in contacts
                     for channel, address in ((c.Channel.EMAIL, contact.email), (c.Channel.SMS, contact.mobile))
                     if address]
        missed = c.MissedReason.NO_CONTACT if not contacts else (c.MissedReason.NO_ADDRESS if not addresses else "")
        notice = OutageNotice(outage=outage, customer=customer, is_key_account=customer.is_key_account,
                              supply_points="、".join(f"{p.name}({p.get_source_type_display()})"
                                                     for p in customer.supply_points.all())[:255],
                              ack_token_hash=token_hash, created_at=now, missed_reason=missed,
                              call_task_id=task_ids.get(call_key.get(customer.pk)))
        notices.append(notice)
        per_customer.append((customer, link, addresses))
    OutageNotice.objects.bulk_create(notices, batch_size=500)
    if any(n.pk is None for n in notices):  # a database that returns no ids from bulk inserts
        ids = dict(OutageNotice.objects.filter(outage=outage).values_list("customer_id", "pk"))
        for n in notices:
            n.pk = n.id = ids[n.customer_id]
    workqueue.insert_history_rows(OutageNotice, [n.pk for n in notices], user_id=getattr(actor, "pk", None), when=now)
    deliveries, events = [], []
    kind_label = outage.get_kind_display()
    for notice, (customer, link, addresses) in zip(notices, per_customer, strict=True):
        result.notices += 1
        result.links[customer.pk] = link
        subject, body = _notice_text(outage, customer, link, lines)
        for contact, channel, address in addresses:
            delivery = OutageDelivery(notice=notice, customer=customer, contact=contact, contact_name=contact.name,
                                      channel=channel, address=address, status=c.DeliveryStatus.QUEUED)
            deliveries.append(delivery)
            messages.append(_Message(delivery, subject, body))
        if notice.call_task_id:
            result.call_tasks += 1
        if notice.missed_reason:
            result.missed += 1
        else:
            result.reached += 1
        events.append(TimelineEvent(
            customer=customer, kind="outage.notified",
            title=(_("Outage notice %(number)s: %(start)s (%(kind)s)") % {
                "number": outage.number, "start": start_local, "kind": kind_label})[:200],
            detail=(outage.reason if not notice.missed_reason else
                    f"{outage.reason}\n{_('Not reached')}: {notice.get_missed_reason_display()}"),
            actor=actor, occurred_at=now))
    OutageDelivery.objects.bulk_create(deliveries, batch_size=500)
    if any(d.pk is None for d in deliveries):
        by_key = {(d.notice_id, d.channel, d.contact_id): d for d in deliveries}
        for pk, notice_id, channel, contact_id in OutageDelivery.objects.filter(notice__outage=outage).values_list(
                "pk", "notice_id", "channel", "contact_id"):
            by_key[(notice_id, channel, contact_id)].pk = pk
    result.deliveries = len(deliveries)
    TimelineEvent.objects.bulk_create(events, batch_size=500)
    result.queued = len(messages)
    outage.status = c.OutageStatus.NOTIFIED
    outage.notified_at = now
    outage.notified_by = actor
    if late:
        outage.late_override_reason = override_reason.strip()
        outage.late_override_by = actor
    outage._history_user = actor
    outage.save()
    if messages:
        # robust: the notices are committed by then; a failure while recording the outcomes is
        # logged (deliveries stay "queued") rather than turned into an error for a committed notify.
        transaction.on_commit(lambda: _send_notices(outage, messages, sms, result, actor=actor), robust=True)
    return result


def _send_one(message: _Message, sms) -> notify.DeliveryResult:
    d = message.delivery
    if d.channel == c.Channel.EMAIL:
        return notify.send_email(d.address, message.subject, message.body)
    try:
        return sms.send(d.address, message.body)
    except Exception as exc:  # a gateway failure is one failed delivery, not a lost batch
        return notify.DeliveryResult("sms", d.address, False, error=f"{type(exc).__name__}: {exc}")


def _send_notices(outage: Outage, messages: list[_Message], sms, result: NotifyResult, *, actor=None) -> None:
    """on_commit callback of notify_outage: send the prepared messages, then record each outcome
    (bulk update of the deliveries) and mark a notice whose deliveries all failed as missed.

    Runs after the commit, outside any transaction: a message sent cannot be unsent, so the
    outcomes are recorded afterwards in one short transaction of their own. If the process stops
    in between, the deliveries stay "queued" and the report says so."""
    outcome: dict[int, list[bool]] = {}  # notice id → ok per delivery
    for message in messages:
        d = message.delivery
        r = _send_one(message, sms)
        d.status = c.DeliveryStatus.SENT if r.ok else c.DeliveryStatus.FAILED
        d.sent_at = r.sent_at
        d.error = (r.error or "")[:500]
        outcome.setdefault(d.notice_id, []).append(r.ok)
        result.queued -= 1
        if not r.ok:
            result.failed_deliveries += 1
    all_failed = [notice_id for notice_id, oks in outcome.items() if not any(oks)]
    with transaction.atomic():
        OutageDelivery.objects.bulk_update([m.delivery for m in messages], ["status", "sent_at", "error"],
                                           batch_size=500)
        if not all_failed:
            return
        start_local = timezone.localtime(outage.starts_at).strftime("%Y-%m-%d %H:%M")
        # A customer who acknowledged in the meantime (by phone) was reached after all.
        notices = (OutageNotice.objects.select_for_update().select_related("customer")
                   .filter(pk__in=all_failed, missed_reason="", acknowledged_at__isnull=True).order_by("pk"))
        for notice in notices:
            notice.missed_reason = c.MissedReason.FAILED
            notice._history_user = actor
            notice.save(update_fields=["missed_reason"])  # simple_history records the change
            result.reached -= 1
            result.missed += 1
            add_timeline_event(notice.customer, "outage.missed",
                               _("Outage notice %(number)s not delivered: %(start)s (%(kind)s)") % {
                                   "number": outage.number, "start": start_local, "kind": outage.get_kind_display()},
                               detail=f"{outage.reason}\n{_('Not reached')}: {notice.get_missed_reason_display()}",
                               actor=actor)


# --- acknowledgement ----------------------------------------------------------------------------


def notice_for_token(signed: str) -> OutageNotice:
    try:
        raw = signing.Signer(salt=SIGNING_SALT).unsign(signed or "")
    except signing.BadSignature as exc:
        raise LinkError("invalid") from exc
    notice = (OutageNotice.objects.select_related("outage", "outage__substation", "customer")
              .filter(ack_token_hash=hash_token(raw)).first())
    if notice is None:
        raise LinkError("invalid")
    return notice


@transaction.atomic
def acknowledge(notice: OutageNotice, *, method: str, actor=None, note: str = "",
                now: datetime | None = None) -> OutageNotice:
    """Record that the customer has the notice (through the link, or by phone to a staff member).
    The first acknowledgement counts; a second one changes nothing."""
    if method not in c.AckMethod.values:
        raise ValidationError({"method": _("Unknown acknowledgement method.")})
    if method == c.AckMethod.PHONE and not getattr(actor, "pk", None):
        raise ValidationError({"method": _("A phone acknowledgement is recorded by a staff member.")})
    notice = OutageNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.acknowledged_at:
        return notice
    notice.acknowledged_at = now or timezone.now()
    notice.ack_method = method
    notice.acknowledged_by = actor if getattr(actor, "pk", None) else None
    notice.ack_note = (note or "").strip()[:255]
    notice._history_user = notice.acknowledged_by
    notice.save()
    add_timeline_event(notice.customer, "outage.acknowledged",
                       _("Outage notice %(number)s acknowledged (%(method)s)") % {
                           "number": notice.outage.number, "method": notice.get_ack_method_display()},
                       detail=notice.ack_note, actor=notice.acknowledged_by, occurred_at=notice.acknowledged_at)
    if method == c.AckMethod.PHONE and notice.call_task_id:
        workqueue.close_by_key(f"outage:{notice.outage_id}:call:{notice.customer_id}", by=actor,
                               result=_("Customer acknowledged by phone."))
    return notice


@transaction.atomic
def cancel_outage(outage: Outage, *, actor=None) -> Outage:
    if outage.status == c.OutageStatus.CANCELLED:
        return outage
    outage.status = c.OutageStatus.CANCELLED
    outage._history_user = actor if getattr(actor, "pk", None) else None
    outage.save(update_fields=["status"])
    workqueue.close_by_prefix(f"outage:{outage.pk}:call:", by=actor, result=_("Outage cancelled."))
    return outage
