"""Business operations on tickets: one function per operation, called alike from the pages,
the API, the escalation job and the demo (house style: Zulip's actions).

Rules (DOMAIN.md "Service"):
- first-contact responsibility (首问负责制, seeds 000/001/002): whoever takes the request in
  is its `first_contact_owner` for its whole life, whoever does the work;
- complaints go 核实 verify → 审查 review → 整改 rectify → 回访 revisit → 归档 archive (seed
  003-篇6), each stage with a named owner, a deadline from the SLA table and a work-queue task;
  other tickets go open (accept) → in progress (handle) → closed;
- station → region → company escalation when a stage nears / passes / is well past its deadline;
- an unsatisfied revisit sends the complaint back to rectify with a new deadline.

Every operation validates everything first and writes inside one transaction: bad input
raises ValidationError (field → message) and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.core.permissions import require_writer
from powerkam.core.phrases import phrase
from powerkam.core.scoping import visible_customers
from powerkam.customers.services import add_timeline_event
from powerkam.org.models import OrgUnit, Role, Staff

from . import constants as c
from . import sla
from .models import Ticket, TicketAttachment, TicketEvent, TicketStage

log = logging.getLogger("powerkam.tickets")

TIMELINE_KIND = "ticket"


# --- helpers -----------------------------------------------------------------------------------


def _audited(instance, actor) -> None:
    if actor is not None and getattr(actor, "pk", None):
        instance._history_user = actor


def _check_worker(staff, field: str, errors: dict) -> None:
    """Someone who can hold a stage: an active staff member who is not read-only."""
    if staff is None:
        return
    if not isinstance(staff, Staff) or not staff.is_active or staff.is_read_only:
        errors[field] = _("Choose an active staff member who is not read-only.")


def _link(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


def _stage_label(stage: str) -> str:
    return str(c.Stage(stage).label) if stage in c.Stage.values else stage


def _stage_term(stage: str):
    """The stage's label, kept lazy so a task title stores its msgid (core/phrases.py)."""
    return c.Stage(stage).label if stage in c.Stage.values else stage


def _event(ticket: Ticket, kind: str, *, actor=None, stage=None, target=None, level=None, note: str = "",
           now: datetime | None = None) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, kind=kind, stage=stage, actor=actor if getattr(actor, "pk", None) else None,
                                      target=target, level=level, note=note, occurred_at=now or timezone.now())


def _timeline(ticket: Ticket, title: str, *, detail: str = "", actor=None, now=None) -> None:
    add_timeline_event(ticket.customer, TIMELINE_KIND, title, detail=detail,
                       actor=actor if getattr(actor, "pk", None) else None, occurred_at=now)


def _stage_task(ticket: Ticket, stage: TicketStage, *, actor=None) -> Task:
    return workqueue.open_task(
        kind=Task.Kind.TICKET_STEP, assignee=stage.owner, customer=ticket.customer, org_unit=ticket.org_unit,
        title=phrase(gettext_noop("%(stage)s: %(number)s %(subject)s"), stage=_stage_term(stage.stage), number=ticket.number,
                     subject=ticket.subject),
        due_at=stage.due_at, due_provisional=stage.deadline_provisional, key=stage.task_key, link=_link(ticket), detail=ticket.description[:500],
        priority=Task.Priority.HIGH if ticket.is_complaint else Task.Priority.NORMAL, created_by=actor)


def _start_stage(ticket: Ticket, stage: str, owner, *, actor=None, now: datetime) -> TicketStage:
    spec = sla.rule_for(ticket.ticket_type, stage)
    # The stage it follows: its deadline is a floor (sla module docstring).
    prior = ticket.current_stage if ticket.current_stage_id else None
    deadlines = sla.deadlines(now, spec, not_before=prior.due_at if prior is not None else None)
    previous = TicketStage.objects.filter(ticket=ticket, stage=stage).count()
    st = TicketStage(ticket=ticket, stage=stage, round=previous + 1, owner=owner, started_at=now,
                     due_at=deadlines.due_at, warn_at=deadlines.warn_at, company_at=deadlines.company_at,
                     deadline_provisional=deadlines.provisional,
                     company_at_provisional=deadlines.company_provisional, sla_limit=spec.limit, sla_unit=spec.unit,
                     sla_warn_percent=spec.warn_percent, sla_company_margin=spec.company_margin)
    _audited(st, actor)
    st.save()
    ticket.stage = stage
    ticket.current_stage = st
    ticket.status = c.STAGE_STATUS[stage]
    ticket.assignee = owner
    ticket.due_at = st.due_at
    ticket.due_provisional = st.deadline_provisional
    ticket.escalation_level = 0
    _event(ticket, c.EventKind.STAGE_STARTED, actor=actor, stage=st, target=owner, now=now)
    _stage_task(ticket, st, actor=actor)
    return st


def _finish_stage(st: TicketStage, *, actor, note: str, outcome: str, now: datetime,
                  task_status: str = Task.Status.DONE) -> None:
    st.completed_at = now
    st.completed_by = actor if getattr(actor, "pk", None) else None
    st.result_note = note
    st.outcome = outcome
    st.duration_seconds = max(0, int((now - st.started_at).total_seconds()))
    st.sla_met = now <= st.due_at
    _audited(st, actor)
    st.save()
    workqueue.close_by_key(st.task_key, by=actor, result=note[:500], status=task_status)
    workqueue.close_by_prefix(f"{st.task_key}:esc", by=actor, result=note[:500])


def _request_survey(ticket: Ticket, actor) -> bool:
    """Ask the surveys module for a satisfaction survey (issue #4 §4), if it is installed.

    A failing survey must not undo the close: the error is logged and the close stands."""
    try:
        from powerkam.service.surveys import services as survey_services
    except ImportError:
        return False
    request_survey = getattr(survey_services, "request_survey", None)
    if request_survey is None:
        return False
    try:
        with transaction.atomic():
            request_survey(customer=ticket.customer, kind="ticket", subject=ticket, category=ticket.ticket_type,
                           contact=ticket.contact, actor=actor if getattr(actor, "pk", None) else None)
    except Exception:  # noqa: BLE001 - another module's failure must not block closing a ticket
        log.exception("survey request for ticket %s failed", ticket.pk)
        return False
    return True


def _hours(start: datetime, end: datetime) -> Decimal:
    return (Decimal((end - start).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _save(ticket: Ticket, actor) -> None:
    _audited(ticket, actor)
    ticket.save()


def _locked(ticket: Ticket | int) -> Ticket:
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    return (Ticket.objects.select_for_update(of=("self",)).select_related("customer", "current_stage", "org_unit")
            .get(pk=pk))


# --- intake ------------------------------------------------------------------------------------


@transaction.atomic
def open_ticket(*, actor: Staff, customer, ticket_type: str, channel: str, subject: str, description: str = "",
                contact=None, contact_name: str = "", contact_phone: str = "", cause: str = "",
                about_staff: Staff | None = None, assignee: Staff | None = None,
                now: datetime | None = None) -> Ticket:
    """Take a request in. The actor becomes its first-contact owner for good; the first stage
    (verify for a complaint, accept otherwise) goes to `assignee` or, by default, the actor."""
    require_writer(actor)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    from powerkam.customers.models import Customer

    if not isinstance(customer, Customer) or not visible_customers(actor).filter(pk=customer.pk).exists():
        errors["customer"] = _("Unknown customer: choose a customer you can see.")
    if ticket_type not in c.TicketType.values:
        errors["ticket_type"] = _("Choose a ticket type.")
    if channel not in c.Channel.values:
        errors["channel"] = _("Choose the channel the request came in through.")
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = _("Give the ticket a subject.")
    elif len(subject) > 200:
        errors["subject"] = _("Keep the subject under 200 characters.")
    if cause and cause not in c.Cause.values:
        errors["cause"] = _("Choose a cause from the list.")
    if contact is not None and "customer" not in errors and contact.customer_id != customer.pk:
        errors["contact"] = _("This contact belongs to another customer.")
    if about_staff is not None:
        if ticket_type != c.TicketType.COMPLAINT:
            errors["about_staff"] = _("Only a complaint can be about a staff member.")
        elif not isinstance(about_staff, Staff):
            errors["about_staff"] = _("Choose a staff member.")
    _check_worker(assignee, "assignee", errors)
    if errors:
        raise ValidationError(errors)

    owner = assignee or actor
    ticket = Ticket(customer=customer, org_unit_id=customer.org_unit_id, contact=contact,
                    contact_name=contact_name or (contact.name if contact else ""),
                    contact_phone=contact_phone or (contact.mobile or contact.phone if contact else ""),
                    channel=channel, ticket_type=ticket_type, cause=cause, subject=subject,
                    description=description or "", about_staff=about_staff, first_contact_owner=actor,
                    assignee=owner, created_at=now, created_by=actor)
    _save(ticket, actor)
    ticket.number = f"TK{timezone.localtime(now):%Y%m%d}-{ticket.pk:06d}"
    _event(ticket, c.EventKind.INTAKE, actor=actor, note=ticket.get_channel_display(), now=now)
    _start_stage(ticket, c.stages_for(ticket_type)[0], owner, actor=actor, now=now)
    _save(ticket, actor)
    _timeline(ticket, _("%(type)s %(number)s taken in: %(subject)s") % {
        "type": ticket.get_ticket_type_display(), "number": ticket.number, "subject": subject},
        detail=_("Channel: %(channel)s. First-contact owner: %(owner)s.") % {
            "channel": ticket.get_channel_display(), "owner": actor.display_name}, actor=actor, now=now)
    return ticket


# --- work on a ticket --------------------------------------------------------------------------


@transaction.atomic
def assign(ticket: Ticket, *, to: Staff, actor: Staff, note: str = "", now: datetime | None = None) -> Ticket:
    """Hand the current stage to someone else. The first-contact owner stays who it was."""
    require_writer(actor)
    now = now or timezone.now()
    ticket = _locked(ticket)
    errors: dict[str, str] = {}
    if ticket.is_closed:
        raise ValidationError(_("This ticket is closed; reopen it first."))
    if to is None:
        errors["to"] = _("Choose who takes the ticket over.")
    else:
        _check_worker(to, "to", errors)
        if not errors and to.pk == ticket.assignee_id:
            errors["to"] = _("The ticket is already with this person.")
    if errors:
        raise ValidationError(errors)
    st = ticket.current_stage
    st.owner = to
    _audited(st, actor)
    st.save(update_fields=["owner"])
    ticket.assignee = to
    _save(ticket, actor)
    task = Task.objects.filter(key=st.task_key).first()
    if task is not None and task.is_open:
        workqueue.reassign_task(task, to, by=actor)
    else:
        _stage_task(ticket, st, actor=actor)
    _event(ticket, c.EventKind.ASSIGNED, actor=actor, stage=st, target=to, note=note, now=now)
    return ticket


@transaction.atomic
def advance(ticket: Ticket, *, actor: Staff, stage: str, result_note: str, outcome: str = "",
            next_owner: Staff | None = None, now: datetime | None = None) -> Ticket:
    """Complete the current stage with its result and start the next one.

    `stage` is the stage the user saw (a form field): if the ticket has moved on meanwhile,
    or the value was tampered with, nothing happens. A revisit needs an outcome; "unsatisfied"
    reopens the complaint at rectify with a new deadline."""
    require_writer(actor)
    now = now or timezone.now()
    ticket = _locked(ticket)
    if ticket.is_closed:
        raise ValidationError(_("This ticket is closed; reopen it first."))
    errors: dict[str, str] = {}
    if stage != ticket.stage:
        errors["stage"] = _("The ticket is at stage “%(current)s”, not “%(given)s”: reload the page.") % {
            "current": _stage_label(ticket.stage), "given": _stage_label(stage) if stage else "—"}
    result_note = (result_note or "").strip()
    if not result_note:
        errors["result_note"] = _("Write the result of this stage before advancing.")
    if ticket.stage == c.Stage.REVISIT:
        if outcome not in c.RevisitOutcome.values:
            errors["outcome"] = _("Record whether the customer is satisfied.")
    elif outcome:
        errors["outcome"] = _("Only a revisit has an outcome.")
    _check_worker(next_owner, "next_owner", errors)
    if errors:
        raise ValidationError(errors)

    current = ticket.current_stage
    _finish_stage(current, actor=actor, note=result_note, outcome=outcome, now=now)
    _event(ticket, c.EventKind.STAGE_COMPLETED, actor=actor, stage=current, note=result_note, now=now)
    owner = next_owner or ticket.assignee
    flow = c.stages_for(ticket.ticket_type)
    if outcome == c.RevisitOutcome.UNSATISFIED:
        ticket.reopen_count += 1
        _event(ticket, c.EventKind.REOPENED, actor=actor, stage=current, note=result_note, now=now)
        _start_stage(ticket, c.Stage.RECTIFY, owner, actor=actor, now=now)
        _save(ticket, actor)
        _timeline(ticket, _("Complaint %(number)s reopened: customer unsatisfied at revisit") % {
            "number": ticket.number}, detail=result_note, actor=actor, now=now)
        return ticket
    position = flow.index(current.stage)
    if position + 1 < len(flow):
        _start_stage(ticket, flow[position + 1], owner, actor=actor, now=now)
        _save(ticket, actor)
        _timeline(ticket, _("%(number)s: %(done)s done, now %(next)s") % {
            "number": ticket.number, "done": _stage_label(current.stage), "next": _stage_label(ticket.stage)},
            detail=result_note, actor=actor, now=now)
        return ticket
    _close(ticket, actor=actor, note=result_note, now=now)
    return ticket


def _close(ticket: Ticket, *, actor, note: str, now: datetime) -> None:
    ticket.status = c.Status.CLOSED
    ticket.stage = ""
    ticket.current_stage = None
    ticket.due_at = None
    ticket.due_provisional = False
    ticket.escalation_level = 0
    ticket.closed_at = now
    ticket.hours_to_close = _hours(ticket.created_at, now)
    _save(ticket, actor)
    _event(ticket, c.EventKind.CLOSED, actor=actor, note=note, now=now)
    _timeline(ticket, _("%(type)s %(number)s closed") % {"type": ticket.get_ticket_type_display(),
                                                       "number": ticket.number},
              detail=note, actor=actor, now=now)
    _request_survey(ticket, actor)


@transaction.atomic
def reopen(ticket: Ticket, *, actor: Staff, reason: str, owner: Staff | None = None,
           now: datetime | None = None) -> Ticket:
    """Reopen a closed ticket: a complaint goes back to rectify, any other ticket to handle."""
    require_writer(actor)
    now = now or timezone.now()
    ticket = _locked(ticket)
    errors: dict[str, str] = {}
    if not ticket.is_closed:
        errors["__all__"] = _("Only a closed ticket can be reopened.")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why the ticket is reopened.")
    _check_worker(owner, "owner", errors)
    if errors:
        raise ValidationError(errors)
    ticket.reopen_count += 1
    ticket.closed_at = None
    ticket.hours_to_close = None
    _event(ticket, c.EventKind.REOPENED, actor=actor, note=reason, now=now)
    _start_stage(ticket, c.REOPEN_STAGE[ticket.is_complaint], owner or ticket.assignee, actor=actor, now=now)
    _save(ticket, actor)
    _timeline(ticket, _("%(number)s reopened") % {"number": ticket.number}, detail=reason, actor=actor, now=now)
    return ticket


@transaction.atomic
def add_attachment(ticket: Ticket, *, actor: Staff, file, now: datetime | None = None) -> TicketAttachment:
    require_writer(actor)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    name = getattr(file, "name", "") or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not file:
        errors["file"] = _("Choose a file to upload.")
    elif ext not in c.ATTACHMENT_EXTENSIONS:
        errors["file"] = _("Files of type “%(ext)s” are not accepted. Allowed: %(allowed)s.") % {
            "ext": ext or "—", "allowed": ", ".join(c.ATTACHMENT_EXTENSIONS)}
    elif file.size > c.ATTACHMENT_MAX_BYTES:
        errors["file"] = _("The file is larger than %(mb)s MB.") % {"mb": c.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
    if errors:
        raise ValidationError(errors)
    att = TicketAttachment(ticket=ticket, name=name.rsplit("/", 1)[-1][:200], size=file.size, uploaded_by=actor,
                           uploaded_at=now)
    att.file.save(att.name, file, save=False)
    _audited(att, actor)
    att.save()
    _event(ticket, c.EventKind.ATTACHMENT, actor=actor, note=att.name, now=now)
    return att


# --- escalation ----------------------------------------------------------------------------------


def supervisor_for(org_unit: OrgUnit | None, level: int) -> Staff | None:
    """The supervisor of escalation `level`: 1 the station's, 2 the region's, 3 the company's.

    Walks up the unit's ancestors (materialised path) to the unit of the level's kind; if that
    unit has no active supervisor, the nearest one above it; finally an administrator."""
    ancestors: list[OrgUnit] = []
    if org_unit is not None and org_unit.path:
        ids = [int(x) for x in org_unit.path.strip("/").split("/") if x]
        by_id = OrgUnit.objects.in_bulk(ids)
        ancestors = [by_id[i] for i in ids if i in by_id]  # company first … station last
    wanted = {1: None, 2: OrgUnit.Kind.REGION, 3: OrgUnit.Kind.COMPANY}[level]
    start = len(ancestors) - 1
    if wanted is not None:
        matches = [i for i, u in enumerate(ancestors) if u.kind == wanted]
        start = matches[-1] if matches else (0 if level == 3 else max(0, len(ancestors) - 2))
    candidates = [u.pk for u in ancestors[: start + 1]] if ancestors else []
    supervisors = {}
    for s in Staff.objects.filter(role=Role.SUPERVISOR, is_active=True, org_unit_id__in=candidates).order_by("pk"):
        supervisors.setdefault(s.org_unit_id, s)
    for unit_id in reversed(candidates):
        if unit_id in supervisors:
            return supervisors[unit_id]
    return Staff.objects.filter(is_active=True, role=Role.ADMIN).order_by("pk").first()


def _escalate_stage(st: TicketStage, level: int, *, actor=None, note: str = "", now: datetime) -> TicketEvent | None:
    """Raise a stage to `level` (one step): event + task for that level's supervisor.

    Safe against a concurrent run: the stage row is locked and re-read, and the database
    allows one escalation event per level per stage."""
    ticket = st.ticket
    st = TicketStage.objects.select_for_update().get(pk=st.pk)
    if st.completed_at is not None or st.escalation_level >= level:
        return None
    target = supervisor_for(ticket.org_unit, level)
    st.escalation_level = level
    _audited(st, actor)
    st.save(update_fields=["escalation_level"])
    Ticket.objects.filter(pk=ticket.pk, current_stage=st).update(escalation_level=level)
    reason_term = note or {  # lazy: the task below shows it in its reader's language
        1: gettext_lazy("Stage near its deadline"), 2: gettext_lazy("Stage past its deadline"),
        3: gettext_lazy("Stage well past its deadline"),
    }[level]
    reason = str(reason_term)
    try:
        with transaction.atomic():
            event = _event(ticket, c.EventKind.ESCALATED, actor=actor, stage=st, target=target, level=level,
                           note=reason, now=now)
    except IntegrityError:
        return None
    if target is not None:
        workqueue.open_task(
            kind=Task.Kind.TICKET_STEP, assignee=target, customer=ticket.customer, org_unit=ticket.org_unit,
            title=phrase(gettext_noop("Escalation (%(level)s): %(stage)s of %(number)s %(subject)s"),
                         level=c.ESCALATION_LEVELS[level], stage=_stage_term(st.stage), number=ticket.number,
                         subject=ticket.subject),
            due_at=max(st.due_at, now), due_provisional=st.deadline_provisional and st.due_at > now,
            key=f"{st.task_key}:esc{level}", link=_link(ticket),
            detail=phrase(gettext_noop("%(reason)s. Stage owner: %(owner)s"), reason=reason_term,
                          owner=st.owner.display_name),
            priority=Task.Priority.URGENT if level >= 2 else Task.Priority.HIGH, created_by=actor)
    return event


def escalation_target_level(st: TicketStage, now: datetime) -> int:
    """The level a stage should be at, at `now`: 0 before warn_at, 1 before the deadline,
    2 until the company margin has passed, then 3."""
    if now >= st.company_at:
        return 3
    if now > st.due_at:
        return 2
    if now >= st.warn_at:
        return 1
    return 0


@dataclass
class EscalationRun:
    checked: int = 0
    escalated: int = 0

    def as_dict(self) -> dict:
        return {"checked": self.checked, "escalated": self.escalated}


def run_escalations(now: datetime | None = None) -> dict:
    """Escalate every open stage that has reached a threshold. Idempotent: safe every 15 minutes
    (manage.py escalate_tickets) and from the daily job; a level is never raised twice."""
    now = now or timezone.now()
    run = EscalationRun()
    due = (TicketStage.objects.filter(completed_at__isnull=True, warn_at__lte=now, escalation_level__lt=c.MAX_LEVEL)
           .select_related("ticket", "ticket__org_unit", "ticket__customer", "owner").order_by("warn_at", "pk"))
    for st in due.iterator(chunk_size=500):
        run.checked += 1
        target = escalation_target_level(st, now)
        for level in range(st.escalation_level + 1, target + 1):
            with transaction.atomic():
                if _escalate_stage(st, level, now=now) is not None:
                    run.escalated += 1
    return run.as_dict()


@transaction.atomic
def escalate(ticket: Ticket, *, actor: Staff, reason: str, now: datetime | None = None) -> TicketEvent:
    """Escalate the current stage one level by hand, with a reason."""
    require_writer(actor)
    now = now or timezone.now()
    ticket = _locked(ticket)
    errors: dict[str, str] = {}
    if ticket.is_closed:
        raise ValidationError(_("This ticket is closed; reopen it first."))
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why the ticket is escalated.")
    st = ticket.current_stage
    if st.escalation_level >= c.MAX_LEVEL:
        errors["__all__"] = _("This stage is already escalated to the company.")
    if errors:
        raise ValidationError(errors)
    st.ticket = ticket
    event = _escalate_stage(st, st.escalation_level + 1, actor=actor, note=reason, now=now)
    if event is None:  # pragma: no cover - only on a concurrent escalation
        raise ValidationError(_("The ticket was escalated meanwhile; reload the page."))
    return event


# --- provisional deadlines (issue #9 item 8) ---------------------------------------------------------


def open_provisional_stages():
    return TicketStage.objects.filter(Q(deadline_provisional=True) | Q(company_at_provisional=True),
                                      completed_at__isnull=True)


def recompute_provisional_deadlines(*, actor=None, now: datetime | None = None) -> int:
    """Every open stage whose deadlines were computed over a year whose holidays were not entered:
    computed again from its start and its stored rule (the calendar now knows more). The stage,
    the ticket's current deadline, the stage's task and its open escalation tasks move together,
    and the ticket's timeline says so. A completed stage keeps its deadline. Returns how many
    stages were recomputed."""
    now = now or timezone.now()
    done = 0
    for pk in list(open_provisional_stages().order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            st = open_provisional_stages().select_for_update().select_related("ticket").filter(pk=pk).first()
            if st is None:  # completed or recomputed meanwhile
                continue
            # The stage it followed keeps its floor here too (sla module docstring).
            prior_due = (TicketStage.objects.filter(ticket_id=st.ticket_id, started_at__lt=st.started_at)
                         .order_by("-started_at", "-pk").values_list("due_at", flat=True).first())
            d = sla.deadlines(st.started_at, sla.spec_of(st), not_before=prior_due)
            old_due = st.due_at
            st.due_at, st.warn_at, st.company_at = d.due_at, d.warn_at, d.company_at
            st.deadline_provisional, st.company_at_provisional = d.provisional, d.company_provisional
            _audited(st, actor)
            st.save(update_fields=["due_at", "warn_at", "company_at", "deadline_provisional", "company_at_provisional"])
            ticket = st.ticket
            if ticket.current_stage_id == st.pk:
                ticket.due_at, ticket.due_provisional = st.due_at, st.deadline_provisional
                _audited(ticket, actor)
                ticket.save(update_fields=["due_at", "due_provisional"])
            task = Task.objects.filter(key=st.task_key).first()
            if task is not None:
                workqueue.set_due(task, st.due_at, provisional=st.deadline_provisional, by=actor)
            for esc in Task.objects.filter(key__startswith=f"{st.task_key}:esc", status=Task.Status.OPEN):
                workqueue.set_due(esc, max(st.due_at, esc.created_at),
                                  provisional=st.deadline_provisional and st.due_at > esc.created_at, by=actor)
            if old_due != st.due_at:
                note = _("Deadline recomputed with the holiday calendar: %(old)s → %(new)s") % {
                    "old": timezone.localtime(old_due).strftime("%Y-%m-%d %H:%M"),
                    "new": timezone.localtime(st.due_at).strftime("%Y-%m-%d %H:%M")}
            else:
                note = _("Deadline confirmed by the holiday calendar: %(new)s") % {
                    "new": timezone.localtime(st.due_at).strftime("%Y-%m-%d %H:%M")}
            _event(ticket, c.EventKind.DEADLINE_RECOMPUTED, actor=actor, stage=st, note=note, now=now)
            if old_due != st.due_at:
                _timeline(ticket, f"{ticket.number}: {note}", actor=actor, now=now)
            done += 1
    return done


# --- complaint analysis summary --------------------------------------------------------------------

SUMMARY_LOCK = 40_401  # PostgreSQL advisory lock key of the ticket summary refresh (issue #4)


def refresh_ticket_summary(now: datetime | None = None) -> dict[str, int]:
    """Rebuild the complaint analysis summaries (TicketMonthlySummary, ComplaintStageSummary) from
    every ticket taken in before today (local time), set-based: one DELETE and one INSERT … SELECT
    … GROUP BY per table, in one transaction — a reader sees the old or the new figures, never a
    mix, and a second run gives the same rows (idempotent). Today's tickets are counted live.

    Rows are per `Ticket.created_month` (the local month of `created_at`, kept by Ticket.save and
    by every bulk writer); the current month's rows hold its days before today. The customer's org
    unit is the one at refresh time."""
    from django.db import connection

    from powerkam.customers.models import Customer

    from .models import (
        ComplaintStageBucket,
        ComplaintStageSummary,
        TicketMonthlySummary,
        TicketSummaryRefresh,
    )
    from .selectors import COARSE_BUCKETS

    now = now or timezone.now()
    covered_until = timezone.localtime(now).date()
    # As the ORM would pass it (UTC text on SQLite, where raw SQL gets no conversion).
    cutoff = connection.ops.adapt_datetimefield_value(
        timezone.make_aware(datetime.combine(covered_until, datetime.min.time())))
    qn = connection.ops.quote_name
    tickets, stages, customers = (qn(m._meta.db_table) for m in (Ticket, TicketStage, Customer))
    closed, complaint = c.Status.CLOSED.value, c.TicketType.COMPLAINT.value
    ticket_sql = (
        f"INSERT INTO {qn(TicketMonthlySummary._meta.db_table)} (month, customer_unit_id, org_unit_id, ticket_type, "
        "cause, about_staff_id, n, closed, reopened, close_n, close_sum) "
        "SELECT t.created_month, cu.org_unit_id, t.org_unit_id, t.ticket_type, t.cause, t.about_staff_id, COUNT(*), "
        "SUM(CASE WHEN t.status = %s THEN 1 ELSE 0 END), SUM(CASE WHEN t.reopen_count > 0 THEN 1 ELSE 0 END), "
        "COUNT(t.hours_to_close), COALESCE(SUM(t.hours_to_close), 0) "
        f"FROM {tickets} t JOIN {customers} cu ON cu.id = t.customer_id "
        "WHERE t.created_at < %s "
        "GROUP BY t.created_month, cu.org_unit_id, t.org_unit_id, t.ticket_type, t.cause, t.about_staff_id")
    done = "s.completed_at IS NOT NULL"
    bucket = "(s.duration_seconds + 180) / 360"  # 6 minutes, centred on the 0.1 h the page shows
    coarse = f"({bucket}) / {COARSE_BUCKETS}"
    joins = (f"FROM {stages} s JOIN {tickets} t ON t.id = s.ticket_id JOIN {customers} cu ON cu.id = t.customer_id "
             "WHERE t.ticket_type = %s AND t.created_at < %s ")
    stage_sql = (
        f"INSERT INTO {qn(ComplaintStageSummary._meta.db_table)} (month, customer_unit_id, org_unit_id, stage, coarse, "
        "timed, completed, met, done_timed, done_seconds, done_longest) "
        f"SELECT t.created_month, cu.org_unit_id, t.org_unit_id, s.stage, {coarse}, "
        f"COUNT(s.duration_seconds), SUM(CASE WHEN {done} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {done} AND s.sla_met THEN 1 ELSE 0 END), "
        f"COUNT(CASE WHEN {done} THEN s.duration_seconds END), "
        f"COALESCE(SUM(CASE WHEN {done} THEN s.duration_seconds END), 0), "
        f"MAX(CASE WHEN {done} THEN s.duration_seconds END) " + joins +
        f"GROUP BY t.created_month, cu.org_unit_id, t.org_unit_id, s.stage, {coarse}")
    bucket_sql = (
        f"INSERT INTO {qn(ComplaintStageBucket._meta.db_table)} (month, customer_unit_id, org_unit_id, stage, bucket, "
        f"timed) SELECT t.created_month, cu.org_unit_id, t.org_unit_id, s.stage, {bucket}, COUNT(*) " + joins +
        f"AND s.duration_seconds IS NOT NULL GROUP BY t.created_month, cu.org_unit_id, t.org_unit_id, s.stage, {bucket}")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two refreshes at once (the scheduler and a manual command) would each insert their
            # rows after the other's DELETE: the second waits here instead. SQLite has one writer.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SUMMARY_LOCK])
        deleted, _ = TicketMonthlySummary.objects.all().delete()
        ComplaintStageSummary.objects.all().delete()
        ComplaintStageBucket.objects.all().delete()
        TicketSummaryRefresh.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(ticket_sql, [closed, cutoff])
            ticket_rows = cursor.rowcount
            cursor.execute(stage_sql, [complaint, cutoff])
            stage_rows = cursor.rowcount
            cursor.execute(bucket_sql, [complaint, cutoff])
            bucket_rows = cursor.rowcount
        TicketSummaryRefresh.objects.create(refreshed_at=now, covered_until=covered_until)
    return {"ticket_rows": ticket_rows, "stage_rows": stage_rows, "bucket_rows": bucket_rows, "covered_until": covered_until.isoformat()}
