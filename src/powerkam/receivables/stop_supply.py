"""Stopping supply for non-payment (停电催费) as a workflow, and the blacklist register's writes.

The procedure is the law's (《供电营业规则》1996, 第六十六、六十七、六十九条; figures in
constants.py), one function per step, called by the pages, the API and the shell alike:

  open_case            the bill has a written collection notice (催费通知书) → notice_issued
  request_approval     the scheduled stop time is set; the unit's supervisor gets a task
  decide               a supervisor of the customer's unit approves or rejects
  deliver_stop_notice  the stop notice delivered 3–7 days before the stop (an important user's
                       stop also reported to the power-management authority)
  record_reminder      the customer told again at least 30 minutes before, on the stop day
  record_stop          supply stopped, not before the notified time
  (payment)            the bill settled: a stopped case gets a restore task (within 3 days),
                       a case not yet stopped is cancelled — no stop for a paid bill
  restore              supply restored once the bill is paid
  cancel               any time before the stop, with a reason

Each step validates first and writes nothing on bad input (ValidationError with a field and a
clear message), is audited (simple-history, with the acting person) and puts its date on the
customer's timeline; the person who must act next gets a work-queue task.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from powerkam.billing.models import Bill
from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.core.permissions import can_write, require_writer
from powerkam.core.phrases import Phrase, phrase
from powerkam.customers.constants import ImportanceLevel
from powerkam.customers.services import add_timeline_event
from powerkam.org.models import Role
from powerkam.org.selectors import Supervisors

from . import constants as c
from .models import BlacklistEntry, CollectionNotice, StopSupplyCase

S = StopSupplyCase.Status
TIMELINE_KIND = "stop_supply"


def _audited(instance, actor) -> None:
    if actor is not None and getattr(actor, "pk", None):
        instance._history_user = actor


def _person(actor):
    return actor if getattr(actor, "pk", None) else None


def is_unit_supervisor(user, customer) -> bool:
    """A supervisor of the customer's unit (its own unit or one above it), or an administrator."""
    if not can_write(user):
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    if user.role != Role.SUPERVISOR or not user.org_unit_id or customer.org_unit_id is None:
        return False
    return customer.org_unit.path.startswith(user.org_unit.path)


def is_important(customer) -> bool:
    return customer.importance_level not in ("", ImportanceLevel.NONE)


def _link(case: StopSupplyCase) -> str:
    return reverse("receivables:stop_case", args=[case.pk])


def _task_key(case: StopSupplyCase, step: str) -> str:
    return f"stopcase:{case.pk}:{step}"


def _owner(case: StopSupplyCase):
    """Who carries the case out: whoever opened it, else the customer's primary manager."""
    return case.opened_by or case.customer.primary_manager


def _task(case: StopSupplyCase, step: str, assignee, title: Phrase, due, *, detail: str | Phrase = "",
          kind: str = Task.Kind.LADDER_STEP, actor=None) -> None:
    """`due`: a moment, or `workqueue.workday_due(...)` for a due date in working days (then
    provisional where the holiday calendar does not cover it yet)."""
    if assignee is None:
        return
    due_kwargs = due if isinstance(due, dict) else {"due_at": due}
    workqueue.open_task(kind=kind, assignee=assignee, customer=case.customer, title=title, **due_kwargs,
                        key=_task_key(case, step), link=_link(case), detail=detail, priority=Task.Priority.HIGH,
                        created_by=actor)


def _close_tasks(case: StopSupplyCase, actor, result: str = "", status: str = Task.Status.DONE) -> None:
    workqueue.close_by_prefix(f"stopcase:{case.pk}:", by=actor, result=result, status=status)


def _timeline(case: StopSupplyCase, title: str, *, detail: str = "", actor=None, at: datetime | None = None) -> None:
    add_timeline_event(case.customer, TIMELINE_KIND, title, detail=detail, actor=_person(actor), occurred_at=at)


def _save(case: StopSupplyCase, actor, fields: list[str]) -> None:
    _audited(case, actor)
    case.save(update_fields=fields)


def _locked(case: StopSupplyCase) -> StopSupplyCase:
    return (StopSupplyCase.objects.select_for_update(of=("self",))
            .select_related("customer", "customer__org_unit", "customer__primary_manager", "bill", "notice",
                            "opened_by").get(pk=case.pk))


def _expect(case: StopSupplyCase, *statuses: str) -> None:
    if case.status not in statuses:
        raise ValidationError(_("This step cannot be taken now: the case is at “%(s)s”.") % {
            "s": case.get_status_display()})


def _morning(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def _aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)


# --- the steps -------------------------------------------------------------------------------------

def open_case(bill: Bill, *, actor, today: date | None = None) -> StopSupplyCase:
    """Start the procedure for an overdue bill that has had its written collection notice."""
    require_writer(actor, error=ValidationError)
    today = today or timezone.localdate()
    notice = CollectionNotice.objects.filter(bill=bill).first()
    if bill.status != Bill.Status.OPEN or bill.outstanding <= 0:
        raise ValidationError({"bill": _("Only an unpaid bill can lead to stopping supply.")})
    if notice is None:
        raise ValidationError({"bill": _(
            "No written collection notice has been issued for this bill: supply may be stopped only after "
            "a written notice (供电营业规则 第六十六条).")})
    if StopSupplyCase.objects.filter(bill=bill).exclude(status__in=[S.REJECTED, S.RESTORED, S.CANCELLED]).exists():
        raise ValidationError({"bill": _("A stop-supply case for this bill is already in progress.")})
    case = StopSupplyCase(customer=bill.customer, bill=bill, notice=notice, opened_on=today, opened_by=_person(actor))
    with transaction.atomic():
        _audited(case, actor)
        case.save()
        _timeline(case, _("Stop-supply case opened for bill %(n)s (written notice %(notice)s of %(d)s)") % {
            "n": bill.number, "notice": notice.number, "d": notice.issued_on}, actor=actor, at=_morning(today))
    return case


def request_approval(case: StopSupplyCase, *, scheduled_stop_at: datetime, actor, now: datetime | None = None
                     ) -> StopSupplyCase:
    """Ask the unit's supervisor to approve the stop (customer, reason and time: 第六十七条 1)."""
    require_writer(actor, error=ValidationError)
    now = now or timezone.now()
    if not isinstance(scheduled_stop_at, datetime):
        raise ValidationError({"scheduled_stop_at": _("Give the date and time of the planned stop.")})
    scheduled_stop_at = _aware(scheduled_stop_at)
    earliest = timezone.localdate(now) + timedelta(days=c.STOP_NOTICE_MIN_DAYS)
    if timezone.localdate(scheduled_stop_at) < earliest:
        raise ValidationError({"scheduled_stop_at": _(
            "The stop must leave time to deliver the stop notice %(n)s days before it: %(d)s at the earliest.") % {
            "n": c.STOP_NOTICE_MIN_DAYS, "d": earliest}})
    with transaction.atomic():
        case = _locked(case)
        _expect(case, S.NOTICE_ISSUED)  # a rejected case stays rejected: open a new one
        case.status, case.scheduled_stop_at = S.APPROVAL_REQUESTED, scheduled_stop_at
        case.approval_requested_at, case.approval_requested_by = now, _person(actor)
        _save(case, actor, ["status", "scheduled_stop_at", "approval_requested_at", "approval_requested_by"])
        stop = timezone.localtime(scheduled_stop_at)
        title = phrase(gettext_noop("Approve stopping supply to %(c)s on %(t)s (bill %(n)s)"), **{
            "c": case.customer.name, "t": f"{stop:%Y-%m-%d %H:%M}", "n": case.bill.number})
        _task(case, "approval",
              Supervisors().nearest(case.customer.org_unit), title,
              workqueue.workday_due(timezone.localdate(now), 1),
              kind=Task.Kind.APPROVAL, actor=actor,
              detail=phrase(gettext_noop("Outstanding %(a)s yuan; written notice %(notice)s."), **{
                  "a": case.bill.outstanding, "notice": case.notice.number}))
        _timeline(case, _("Approval requested to stop supply on %(t)s") % {"t": f"{stop:%Y-%m-%d %H:%M}"},
                  actor=actor, at=now)
    return case


def decide(case: StopSupplyCase, *, approve: bool, approver, note: str = "", now: datetime | None = None
           ) -> StopSupplyCase:
    """A supervisor of the customer's unit approves or rejects the stop."""
    now = now or timezone.now()
    note = (note or "").strip()
    if not is_unit_supervisor(approver, case.customer):
        raise ValidationError({"approver": _("Only a supervisor of the customer's unit can approve or reject a stop.")})
    if not approve and not note:
        raise ValidationError({"decision_note": _("Give the reason for the rejection.")})
    with transaction.atomic():
        case = _locked(case)
        _expect(case, S.APPROVAL_REQUESTED)
        case.status = S.APPROVED if approve else S.REJECTED
        case.decided_at, case.decided_by, case.decision_note = now, approver, note[:200]
        _save(case, approver, ["status", "decided_at", "decided_by", "decision_note"])
        workqueue.close_by_key(_task_key(case, "approval"), by=approver, result=case.get_status_display())
        if approve:
            stop = timezone.localtime(case.scheduled_stop_at)
            latest = stop.date() - timedelta(days=c.STOP_NOTICE_MIN_DAYS)
            _task(case, "deliver", _owner(case), phrase(gettext_noop("Deliver the stop notice to %(c)s between %(a)s and %(b)s"), **{
                "c": case.customer.name, "a": stop.date() - timedelta(days=c.STOP_NOTICE_MAX_DAYS), "b": latest}),
                timezone.make_aware(datetime.combine(latest, datetime.max.time())), actor=approver,
                detail=(phrase(gettext_noop("An important user: report the stop notice to the power-management authority too."))
                        if is_important(case.customer) else ""))
            _timeline(case, _("Stopping supply approved by %(p)s") % {"p": approver.display_name},
                      detail=note, actor=approver, at=now)
        else:
            _timeline(case, _("Stopping supply rejected by %(p)s") % {"p": approver.display_name},
                      detail=note, actor=approver, at=now)
    return case


def deliver_stop_notice(case: StopSupplyCase, *, delivered_on: date, actor,
                        authority_reported_on: date | None = None) -> StopSupplyCase:
    """The stop notice delivered 3–7 days before the stop (第六十七条 2)."""
    require_writer(actor, error=ValidationError)
    errors = {}
    if not isinstance(delivered_on, date):
        errors["delivered_on"] = _("Give the day the stop notice was delivered.")
    elif case.scheduled_stop_at is not None:
        stop_day = timezone.localdate(case.scheduled_stop_at)
        days = (stop_day - delivered_on).days
        if not c.STOP_NOTICE_MIN_DAYS <= days <= c.STOP_NOTICE_MAX_DAYS:
            errors["delivered_on"] = _(
                "The stop notice must be delivered %(min)s to %(max)s days before the stop (%(stop)s): between "
                "%(a)s and %(b)s; %(d)s is %(n)s days before.") % {
                "min": c.STOP_NOTICE_MIN_DAYS, "max": c.STOP_NOTICE_MAX_DAYS, "stop": stop_day,
                "a": stop_day - timedelta(days=c.STOP_NOTICE_MAX_DAYS),
                "b": stop_day - timedelta(days=c.STOP_NOTICE_MIN_DAYS), "d": delivered_on, "n": days}
    if is_important(case.customer):
        if not isinstance(authority_reported_on, date):
            errors["authority_reported_on"] = _(
                "This is an important user: give the day the stop notice was reported to the power-management "
                "authority.")
        elif isinstance(delivered_on, date) and authority_reported_on > delivered_on:
            errors["authority_reported_on"] = _("Report the stop of an important user no later than the notice "
                                                "is delivered.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = _locked(case)
        _expect(case, S.APPROVED)
        case.status = S.STOP_NOTICE_DELIVERED
        case.stop_notice_delivered_on, case.stop_notice_delivered_by = delivered_on, _person(actor)
        case.authority_reported_on = authority_reported_on if is_important(case.customer) else None
        _save(case, actor, ["status", "stop_notice_delivered_on", "stop_notice_delivered_by", "authority_reported_on"])
        workqueue.close_by_key(_task_key(case, "deliver"), by=actor)
        stop = timezone.localtime(case.scheduled_stop_at)
        _task(case, "remind", _owner(case), phrase(gettext_noop("Tell %(c)s again %(m)s minutes before the stop at %(t)s"), **{
            "c": case.customer.name, "m": c.STOP_REMINDER_MINUTES, "t": f"{stop:%Y-%m-%d %H:%M}"}),
            stop - timedelta(minutes=c.STOP_REMINDER_MINUTES), actor=actor)
        detail = (_("Reported to the power-management authority on %(d)s.") % {"d": authority_reported_on}
                  if case.authority_reported_on else "")
        _timeline(case, _("Stop notice delivered: supply to be stopped at %(t)s") % {"t": f"{stop:%Y-%m-%d %H:%M}"},
                  detail=detail, actor=actor, at=_morning(delivered_on))
    return case


def record_reminder(case: StopSupplyCase, *, reminded_at: datetime, actor) -> StopSupplyCase:
    """The customer told the stop time again, at least 30 minutes before it, on the stop day
    (第六十七条 3)."""
    require_writer(actor, error=ValidationError)
    if not isinstance(reminded_at, datetime):
        raise ValidationError({"reminded_at": _("Give the time the customer was told.")})
    reminded_at = _aware(reminded_at)
    stop = case.scheduled_stop_at
    latest = stop - timedelta(minutes=c.STOP_REMINDER_MINUTES)
    if reminded_at > latest or timezone.localdate(reminded_at) != timezone.localdate(stop):
        raise ValidationError({"reminded_at": _(
            "The customer must be told again on the day of the stop, at least %(m)s minutes before it: by %(t)s.") % {
            "m": c.STOP_REMINDER_MINUTES, "t": f"{timezone.localtime(latest):%Y-%m-%d %H:%M}"}})
    with transaction.atomic():
        case = _locked(case)
        _expect(case, S.STOP_NOTICE_DELIVERED)
        case.status, case.reminded_at, case.reminded_by = S.REMINDED, reminded_at, _person(actor)
        _save(case, actor, ["status", "reminded_at", "reminded_by"])
        workqueue.close_by_key(_task_key(case, "remind"), by=actor)
        _task(case, "stop", _owner(case), phrase(gettext_noop("Stop supply to %(c)s at %(t)s"), **{
            "c": case.customer.name, "t": f"{timezone.localtime(stop):%Y-%m-%d %H:%M}"}), stop, actor=actor)
        _timeline(case, _("Customer told again of the stop at %(t)s") % {
            "t": f"{timezone.localtime(stop):%H:%M}"}, actor=actor, at=reminded_at)
    return case


def record_stop(case: StopSupplyCase, *, stopped_at: datetime, actor) -> StopSupplyCase:
    """Supply stopped, at the notified time or later (第六十七条 3: "方可在通知规定时间实施停电")."""
    require_writer(actor, error=ValidationError)
    if not isinstance(stopped_at, datetime):
        raise ValidationError({"stopped_at": _("Give the time supply was stopped.")})
    stopped_at = _aware(stopped_at)
    if stopped_at < case.scheduled_stop_at:
        raise ValidationError({"stopped_at": _("Supply may not be stopped before the notified time (%(t)s).") % {
            "t": f"{timezone.localtime(case.scheduled_stop_at):%Y-%m-%d %H:%M}"}})
    with transaction.atomic():
        case = _locked(case)
        _expect(case, S.REMINDED)
        if case.bill.status != Bill.Status.OPEN or case.bill.outstanding <= 0:
            raise ValidationError(_("The bill has been paid: supply is not stopped."))
        case.status, case.stopped_at, case.stopped_by = S.STOPPED, stopped_at, _person(actor)
        _save(case, actor, ["status", "stopped_at", "stopped_by"])
        workqueue.close_by_key(_task_key(case, "stop"), by=actor)
        _timeline(case, _("Supply stopped for non-payment of bill %(n)s") % {"n": case.bill.number},
                  actor=actor, at=stopped_at)
    return case


def bill_settled(bill: Bill, on: date, actor) -> None:
    """Called when a bill becomes fully paid: a stopped case gets its restore task (第六十九条:
    within 3 days); a case not yet stopped is cancelled."""
    bills_settled([bill], on, actor)


def bills_settled(bills: list[Bill], on: date, actor) -> None:
    """`bill_settled` for the bills one payment settles: one query finds their open cases."""
    by_pk = {b.pk: b for b in bills}
    for case in (StopSupplyCase.objects.select_for_update(of=("self",)).select_related("customer", "opened_by",
                 "customer__primary_manager")
                 .filter(bill__in=list(by_pk)).exclude(status__in=[S.REJECTED, S.RESTORED, S.CANCELLED])
                 .order_by("pk")):
        bill = by_pk[case.bill_id]
        case.paid_on = on
        if case.status == S.STOPPED:
            _save(case, actor, ["paid_on"])
            _task(case, "restore", _owner(case), phrase(gettext_noop("Restore supply to %(c)s: bill %(n)s paid on %(d)s"), **{
                "c": case.customer.name, "n": bill.number, "d": on}),
                timezone.make_aware(datetime.combine(on + timedelta(days=c.RESTORE_WITHIN_DAYS), datetime.max.time())),
                actor=actor)
            _timeline(case, _("Bill %(n)s paid: supply to be restored within %(d)s days") % {
                "n": bill.number, "d": c.RESTORE_WITHIN_DAYS}, actor=actor, at=_morning(on))
        else:
            case.status, case.cancel_reason = S.CANCELLED, _("Bill paid on %(d)s.") % {"d": on}
            _save(case, actor, ["paid_on", "status", "cancel_reason"])
            _close_tasks(case, actor, result=case.cancel_reason, status=Task.Status.CANCELLED)
            _timeline(case, _("Stop-supply case closed: bill %(n)s paid") % {"n": bill.number}, actor=actor,
                      at=_morning(on))


def restore(case: StopSupplyCase, *, restored_at: datetime, actor) -> StopSupplyCase:
    """Supply restored after payment."""
    require_writer(actor, error=ValidationError)
    if not isinstance(restored_at, datetime):
        raise ValidationError({"restored_at": _("Give the time supply was restored.")})
    restored_at = _aware(restored_at)
    with transaction.atomic():
        case = _locked(case)
        _expect(case, S.STOPPED)
        if case.bill.status != Bill.Status.PAID:
            raise ValidationError(_("The bill is not paid yet (outstanding %(a)s yuan): record the payment first.") % {
                "a": case.bill.outstanding})
        if restored_at < case.stopped_at:
            raise ValidationError({"restored_at": _("Supply cannot be restored before it was stopped.")})
        case.status, case.restored_at, case.restored_by = S.RESTORED, restored_at, _person(actor)
        _save(case, actor, ["status", "restored_at", "restored_by"])
        _close_tasks(case, actor)
        _timeline(case, _("Supply restored (bill %(n)s paid)") % {"n": case.bill.number}, actor=actor, at=restored_at)
    return case


def cancel(case: StopSupplyCase, *, reason: str, actor) -> StopSupplyCase:
    require_writer(actor, error=ValidationError)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for cancelling.")})
    with transaction.atomic():
        case = _locked(case)
        if case.status in (S.STOPPED, S.RESTORED, S.CANCELLED, S.REJECTED):
            raise ValidationError(_("This step cannot be taken now: the case is at “%(s)s”.") % {
                "s": case.get_status_display()})
        case.status, case.cancel_reason = S.CANCELLED, reason[:200]
        _save(case, actor, ["status", "cancel_reason"])
        _close_tasks(case, actor, result=reason, status=Task.Status.CANCELLED)
        _timeline(case, _("Stop-supply case cancelled"), detail=reason, actor=actor)
    return case


# --- the blacklist register ------------------------------------------------------------------------

def _active_entry_exists(customer) -> bool:
    return BlacklistEntry.objects.filter(customer=customer, lifted_on__isnull=True).exists()


def add_to_blacklist(customer, *, reason: str, actor, today: date | None = None) -> BlacklistEntry:
    """List a customer by hand (the ladder lists at 30 days overdue on its own)."""
    require_writer(actor, error=ValidationError)
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Give the reason for listing the customer.")
    if customer is None:
        errors["customer"] = _("Choose the customer.")
    elif _active_entry_exists(customer):
        errors["customer"] = _("This customer is already on the blacklist.")
    if errors:
        raise ValidationError(errors)
    entry = BlacklistEntry(customer=customer, listed_on=today, reason=reason[:200], listed_by=_person(actor))
    with transaction.atomic():
        _audited(entry, actor)
        entry.save()
        add_timeline_event(customer, "blacklist", _("Listed on the blacklist"), detail=reason, actor=_person(actor))
    return entry


def request_removal(entry: BlacklistEntry, *, reason: str, actor, now: datetime | None = None) -> BlacklistEntry:
    """Ask for an entry to be lifted; a supervisor of the customer's unit decides."""
    require_writer(actor, error=ValidationError)
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the removal.")})
    with transaction.atomic():
        entry = BlacklistEntry.objects.select_for_update(of=("self",)).select_related("customer",
                                                                                      "customer__org_unit").get(pk=entry.pk)
        if entry.lifted_on is not None:
            raise ValidationError(_("This entry has already been lifted."))
        if entry.removal == BlacklistEntry.Removal.REQUESTED:
            raise ValidationError(_("A removal of this entry is already waiting for approval."))
        entry.removal, entry.removal_reason = BlacklistEntry.Removal.REQUESTED, reason[:200]
        entry.removal_requested_by, entry.removal_requested_at = _person(actor), now
        entry.removal_decided_by = entry.removal_decided_at = None
        entry.removal_note = ""
        _audited(entry, actor)
        entry.save()
        supervisor = Supervisors().nearest(entry.customer.org_unit)
        if supervisor is not None:
            workqueue.open_task(
                kind=Task.Kind.APPROVAL, assignee=supervisor, customer=entry.customer,
                key=f"blacklist:{entry.pk}:removal:{now:%Y%m%d%H%M%S}",
                title=phrase(gettext_noop("Approve removing %(c)s from the blacklist"), **{"c": entry.customer.name}), detail=reason,
                link=reverse("receivables:blacklist") + f"?q={entry.customer.number}",
                **workqueue.workday_due(timezone.localdate(now), 2),
                created_by=_person(actor))
        add_timeline_event(entry.customer, "blacklist", _("Removal from the blacklist requested"), detail=reason,
                           actor=_person(actor))
    return entry


def decide_removal(entry: BlacklistEntry, *, approve: bool, approver, note: str = "",
                   now: datetime | None = None) -> BlacklistEntry:
    now = now or timezone.now()
    note = (note or "").strip()
    if not is_unit_supervisor(approver, entry.customer):
        raise ValidationError({"approver": _(
            "Only a supervisor of the customer's unit can approve or reject a removal from the blacklist.")})
    if not approve and not note:
        raise ValidationError({"decision_note": _("Give the reason for the rejection.")})
    with transaction.atomic():
        entry = BlacklistEntry.objects.select_for_update(of=("self",)).select_related("customer").get(pk=entry.pk)
        if entry.removal != BlacklistEntry.Removal.REQUESTED or entry.lifted_on is not None:
            raise ValidationError(_("No removal of this entry is waiting for approval."))
        entry.removal = BlacklistEntry.Removal.APPROVED if approve else BlacklistEntry.Removal.REJECTED
        entry.removal_decided_by, entry.removal_decided_at, entry.removal_note = approver, now, note[:200]
        if approve:
            entry.lifted_on = timezone.localdate(now)
        _audited(entry, approver)
        entry.save()
        workqueue.close_by_prefix(f"blacklist:{entry.pk}:removal:", by=approver, result=entry.get_removal_display(),
                                  status=Task.Status.DONE)
        add_timeline_event(entry.customer, "blacklist",
                           _("Removed from the blacklist") if approve else _("Removal from the blacklist rejected"),
                           detail=note, actor=approver)
    return entry
