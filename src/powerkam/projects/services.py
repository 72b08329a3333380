"""Business operations on connection projects (业扩报装, issue #12): one function per operation,
called alike from the pages, the API, the import, the nightly job and the demo.

Rules (DOMAIN.md "Connection projects"; seeds 001, 003-篇7/篇11):
- accepting an application makes the receiver its first-contact owner (首问负责制) and names a
  dedicated tracker (专人全程跟踪); the one-time notice lists the documents from the
  configurable list (`DocumentRequirement`);
- stages follow constants.stages_for(); each has an owner, a start, an end and a deadline in
  working days from the `TimingRule` table (deadlines.py); waiting for the customer is a pause
  that moves the grid-side deadline by exactly the paused working days;
- stall warnings to the tracker and escalation to the supervisor, then the next level, through
  the work queue (`scan_stalls`, the nightly job; set-based);
- 三不指定: contractors are the customer's choice; the builder's licence blocks completion
  acceptance until a supervisor overrides it with a reason (licences.py);
- energisation is refused while any acceptance defect is open, and writes the archive in one
  transaction (energise.py).

Every operation validates everything first and writes inside one transaction: bad input raises
ValidationError (field → message) and changes nothing. Every change is in the audit trail
(simple-history rows carry the acting user).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.core.permissions import require_writer
from powerkam.core.phrases import phrase
from powerkam.core.scoping import visible_customers
from powerkam.customers import constants as cc
from powerkam.customers.models import Customer
from powerkam.customers.services import add_timeline_event
from powerkam.org.models import Role, Staff

from . import constants as c
from . import deadlines, licences
from .models import (
    Contractor,
    Defect,
    DocumentRequirement,
    Pause,
    Project,
    ProjectDocument,
    ProjectEvent,
    StageRecord,
    TimingRule,
)

log = logging.getLogger("powerkam.projects")

TIMELINE_KIND = "project"
PHOTO_EXTENSIONS = ("jpg", "jpeg", "png")
PHOTO_MAX_BYTES = 10 * 1024 * 1024
OVERRIDE_ROLES = {Role.SUPERVISOR, Role.ADMIN}


# --- helpers -----------------------------------------------------------------------------------


def _audited(instance, actor) -> None:
    if actor is not None and getattr(actor, "pk", None):
        instance._history_user = actor


def _save(instance, actor, **kwargs) -> None:
    _audited(instance, actor)
    instance.save(**kwargs)


def _check_worker(staff, field: str, errors: dict) -> None:
    """Someone who can hold a stage or track a project: active, not read-only."""
    if staff is None:
        return
    if not isinstance(staff, Staff) or not staff.is_active or staff.is_read_only:
        errors[field] = _("Choose an active staff member who is not read-only.")


def _link(project: Project | int) -> str:
    """Where a project's task is worked on: its page (once the pages are installed), else its API."""
    from django.urls import NoReverseMatch, reverse

    pk = project.pk if isinstance(project, Project) else project
    try:
        return reverse("projects:detail", args=[pk])
    except NoReverseMatch:
        return f"/api/v1/projects/{pk}/"


def _stage_label(stage: str) -> str:
    return str(c.Stage(stage).label) if stage in c.Stage.values else stage


def _stage_term(stage: str):
    """The stage's label, kept lazy so a task title stores its msgid (core/phrases.py)."""
    return c.Stage(stage).label if stage in c.Stage.values else stage


def _event(project: Project, kind: str, *, actor=None, stage=None, target=None, level=None, note: str = "",
           when=None) -> ProjectEvent:
    return ProjectEvent.objects.create(project=project, kind=kind, stage_record=stage,
                                       actor=actor if getattr(actor, "pk", None) else None, target=target,
                                       level=level, note=note, occurred_at=when or timezone.now())


def accepted_phrase(project: Project):
    """The timeline title of an accepted application, in the reader's language (core/phrases.py)."""
    return phrase(gettext_noop("Connection application %(number)s accepted: %(type)s, %(kva)s kVA"),
                  number=project.number, type=c.ApplicationType(project.application_type).label,
                  kva=f"{project.requested_capacity_kva:,}")


def _timeline(project: Project, title, *, detail: str = "", actor=None, when=None) -> None:
    """A milestone on the customer's 360 timeline (a new applicant has none until energisation,
    which writes the earlier milestones then)."""
    if project.customer_id:
        add_timeline_event(project.customer, TIMELINE_KIND, title, detail=detail,
                           actor=actor if getattr(actor, "pk", None) else None, occurred_at=when)


def _day_start(day: date):
    from datetime import datetime, time

    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def _parse_date(value, field: str, errors: dict, *, required: bool = True) -> date | None:
    if value in (None, ""):
        if required:
            errors[field] = _("Give a date.")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = _("Write the date as YYYY-MM-DD.")
        return None


def parse_capacity(value, field: str, errors: dict) -> Decimal | None:
    """A capacity in kVA: a number above zero with at most two decimals."""
    if value in (None, ""):
        errors[field] = _("Give the capacity in kVA.")
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        errors[field] = _("The capacity must be a number of kVA, e.g. 630.")
        return None
    if not amount.is_finite():
        errors[field] = _("The capacity must be a number of kVA, e.g. 630.")
        return None
    if amount <= 0:
        errors[field] = _("The capacity must be greater than 0 kVA.")
        return None
    if amount >= Decimal("1e10") or amount != amount.quantize(Decimal("0.01")):
        errors[field] = _("The capacity must be below 10,000,000,000 kVA with at most two decimals.")
        return None
    return amount


def _locked(project: Project | int) -> Project:
    pk = project.pk if isinstance(project, Project) else project
    return (Project.objects.select_for_update(of=("self",))
            .select_related("customer", "current_stage", "org_unit", "tracker").get(pk=pk))


# --- the timing table ------------------------------------------------------------------------------


def timing_rules(application_type: str, voltage_level: str, supply_mode: str, green_channel: bool) -> dict:
    """stage → TimingRule for one kind of project (the key "" is the grid-side total)."""
    rows = TimingRule.objects.filter(application_type=application_type, voltage_level=voltage_level,
                                     supply_mode=supply_mode, green_channel=bool(green_channel))
    return {r.stage: r for r in rows}


def missing_timing(application_type: str, voltage_level: str, supply_mode: str, green_channel: bool) -> list[str]:
    rules = timing_rules(application_type, voltage_level, supply_mode, green_channel)
    return [s for s in c.stages_for(application_type, voltage_level) if s not in rules]


def _rule_for(project: Project, stage: str) -> TimingRule | None:
    return TimingRule.objects.filter(application_type=project.application_type,
                                     voltage_level=project.voltage_level, supply_mode=project.supply_mode,
                                     green_channel=project.green_channel, stage=stage).first()


# --- stages ----------------------------------------------------------------------------------------


def _stage_task(project: Project, st: StageRecord, *, actor=None) -> Task | None:
    if st.deadline is None:  # the customer's time: nothing for the grid to do by a date
        return None
    return workqueue.open_task(
        kind=Task.Kind.PROJECT_STEP, assignee=st.owner, customer=project.customer, org_unit=project.org_unit,
        title=phrase(gettext_noop("%(stage)s: %(number)s %(applicant)s"), stage=_stage_term(st.stage),
                     number=project.number, applicant=project.applicant_name),
        due_at=st.deadline, due_provisional=st.deadline_provisional, key=st.task_key, link=_link(project),
        priority=Task.Priority.HIGH if project.green_channel else Task.Priority.NORMAL, created_by=actor)


def _apply_clock(st: StageRecord) -> None:
    clock = deadlines.stage_clock(st.started_on, st.limit_workdays, warn_percent=st.warn_percent,
                                  paused_workdays=st.paused_workdays)
    st.deadline, st.warn_on, st.escalate_next_on = clock.deadline, clock.warn_on, clock.escalate_next_on
    st.deadline_provisional = clock.provisional


def _start_stage(project: Project, stage: str, owner, *, actor, started_on: date) -> StageRecord:
    rule = _rule_for(project, stage)
    if rule is None:
        raise ValidationError({"voltage_level": _(
            "The timing table has no rule for stage “%(stage)s” of this kind of project; ask an "
            "administrator to add it.") % {"stage": _stage_label(stage)}})
    side = c.side_of(stage)
    st = StageRecord(project=project, stage=stage, side=side, owner=owner, started_on=started_on,
                     limit_workdays=rule.workdays if side == c.Side.GRID else None, warn_percent=rule.warn_percent)
    _apply_clock(st)
    _save(st, actor)
    project.stage = stage
    project.current_stage = st
    project.due_on = st.deadline
    project.due_provisional = st.deadline_provisional
    project.escalation_level = 0
    project.is_paused = False
    _event(project, c.EventKind.STAGE_STARTED, actor=actor, stage=st, target=owner, when=_day_start(started_on))
    _stage_task(project, st, actor=actor)
    return st


def _finish_stage(project: Project, st: StageRecord, *, actor, ended_on: date, note: str) -> None:
    open_pause = st.pauses.filter(ended_on__isnull=True).first() if st.is_paused else None
    if open_pause is not None:
        _close_pause(project, st, open_pause, ended_on=ended_on, actor=actor)
    st.ended_on = ended_on
    st.note = note
    st.completed_by = actor if getattr(actor, "pk", None) else None
    st.grid_workdays, st.customer_workdays = deadlines.clocks(st.started_on, ended_on, side=st.side,
                                                              paused=st.paused_workdays)
    st.within_commitment = None if st.deadline is None else ended_on <= st.deadline
    st.is_paused = False
    _save(st, actor)
    project.grid_workdays += st.grid_workdays
    project.customer_workdays += st.customer_workdays
    workqueue.close_by_key(st.task_key, by=actor, result=note[:500])
    workqueue.close_by_prefix(f"{st.task_key}:", by=actor, result=note[:500])
    _event(project, c.EventKind.STAGE_COMPLETED, actor=actor, stage=st, note=note, when=_day_start(ended_on))


def _check_end_date(st: StageRecord, ended_on: date | None, errors: dict, field: str = "ended_on") -> None:
    if ended_on is None or field in errors:
        return
    if ended_on < st.started_on:
        errors[field] = _("The stage cannot end before it started (%(start)s).") % {"start": st.started_on.isoformat()}
    elif ended_on > timezone.localdate():
        errors[field] = _("The date cannot be in the future.")
    else:
        last_pause = st.pauses.order_by("-started_on").first() if st.pk else None
        if last_pause is not None and ended_on < last_pause.started_on:
            errors[field] = _("The stage cannot end before its last pause began (%(date)s).") % {
                "date": last_pause.started_on.isoformat()}


# --- intake ------------------------------------------------------------------------------------------


@dataclass
class Application:
    """What an application form (or the API, or an import row) carries."""

    application_type: str
    applicant_type: str
    applicant_name: str = ""
    site_address: str = ""
    requested_capacity_kva: object = None
    voltage_level: str = ""
    supply_mode: str = c.SupplyMode.SINGLE
    customer: Customer | None = None
    applicant_credit_code: str = ""
    applicant_contact: str = ""
    applicant_phone: str = ""
    industry: str = ""
    usage_category: str = cc.UsageCategory.GENERAL_COMMERCIAL
    expected_energisation_on: object = None
    is_key_project: bool = False
    green_channel: bool = False
    notes: str = ""
    legacy_number: str = ""


def validate_application(app: Application, *, actor, tracker, accepted_on, errors: dict | None = None,
                         customer_in_scope: bool = False, missing=None) -> dict:
    """Field errors of an application (empty: it can be accepted); fills parsed values in `app`.
    An import passes `customer_in_scope=True` (it looked the customers up by number within the
    actor's scope, one query per batch) and a memoised `missing` (timing rows per kind)."""
    errors = {} if errors is None else errors
    missing = missing or missing_timing
    if app.application_type not in c.ApplicationType.values:
        errors["application_type"] = _("Choose the application type.")
    if app.applicant_type not in c.ApplicantType.values:
        errors["applicant_type"] = _("Say whether the applicant is an existing customer or a new applicant.")
    customer = app.customer
    if customer is not None:
        if not isinstance(customer, Customer) or not (
                customer_in_scope or visible_customers(actor).filter(pk=customer.pk).exists()):
            errors["customer"] = _("Unknown customer: choose a customer you can see.")
        elif customer.is_closed:
            errors["customer"] = _("This customer is closed; reopen it before accepting an application.")
    if app.applicant_type == c.ApplicantType.EXISTING and customer is None:
        errors.setdefault("customer", _("Choose the existing customer who applies."))
    if app.applicant_type == c.ApplicantType.NEW and customer is not None and "customer" not in errors and \
            customer.lifecycle_status not in (cc.LifecycleStatus.POTENTIAL, cc.LifecycleStatus.CONNECTING):
        errors["customer"] = _("This customer is already in supply: choose “existing customer”.")
    if app.application_type in (c.ApplicationType.INCREASE, c.ApplicationType.REDUCTION) and \
            app.applicant_type == c.ApplicantType.NEW:
        errors.setdefault("applicant_type", _("A capacity change is applied for by an existing customer."))
    app.applicant_name = (app.applicant_name or (customer.name if customer is not None and "customer" not in errors
                                                 else "")).strip()
    if not app.applicant_name:
        errors["applicant_name"] = _("Give the applicant's name.")
    elif len(app.applicant_name) > 200:
        errors["applicant_name"] = _("Keep the name under 200 characters.")
    app.site_address = (app.site_address or (customer.address if customer is not None and "customer" not in errors
                                             else "")).strip()
    if not app.site_address:
        errors["site_address"] = _("Give the site address.")
    elif len(app.site_address) > 255:
        errors["site_address"] = _("Keep the address under 255 characters.")
    app.requested_capacity_kva = parse_capacity(app.requested_capacity_kva, "requested_capacity_kva", errors)
    if app.voltage_level not in cc.VoltageLevel.values:
        errors["voltage_level"] = _("Choose the voltage level.")
    if app.supply_mode not in c.SupplyMode.values:
        errors["supply_mode"] = _("Choose single or dual source.")
    if app.industry and app.industry not in cc.Industry.values:
        errors["industry"] = _("Choose an industry from the list.")
    if app.usage_category not in cc.UsageCategory.values:
        errors["usage_category"] = _("Choose a usage category.")
    app.expected_energisation_on = _parse_date(app.expected_energisation_on, "expected_energisation_on", errors,
                                               required=False)
    if app.expected_energisation_on and isinstance(accepted_on, date) and app.expected_energisation_on < accepted_on:
        errors["expected_energisation_on"] = _("The expected energisation cannot be before the application is accepted.")
    for name, limit in (("applicant_credit_code", 18), ("applicant_contact", 60), ("applicant_phone", 32),
                        ("legacy_number", 40)):
        value = (getattr(app, name) or "").strip()
        setattr(app, name, value)
        if len(value) > limit:
            errors[name] = _("Keep this under %(n)s characters.") % {"n": limit}
    if tracker is None:
        errors["tracker"] = _("Name the dedicated tracker of this project.")
    else:
        _check_worker(tracker, "tracker", errors)
    if not {"application_type", "voltage_level", "supply_mode"} & set(errors):
        if missing(app.application_type, app.voltage_level, app.supply_mode, app.green_channel):
            errors["voltage_level"] = _(
                "The timing table has no rules for %(voltage)s %(type)s projects (%(mode)s%(green)s); ask an "
                "administrator to add them.") % {
                "voltage": cc.VoltageLevel(app.voltage_level).label,
                "type": c.ApplicationType(app.application_type).label,
                "mode": c.SupplyMode(app.supply_mode).label,
                "green": _(", green channel") if app.green_channel else ""}
    return errors


def notice_documents(application_type: str, applicant_type: str, voltage_level: str) -> list[DocumentRequirement]:
    """The one-time notice's documents for this kind of application, in order."""
    return [r for r in DocumentRequirement.objects.filter(is_active=True)
            if r.applies_to(application_type, applicant_type, voltage_level)]


def _create_project(app: Application, *, actor, receiver, tracker, accepted_on: date, unit) -> Project:
    """The project row (numbered) and its one-time notice checklist, from a validated application."""
    total = timing_rules(app.application_type, app.voltage_level, app.supply_mode, app.green_channel).get(c.TOTAL)
    project = Project(
        number=f"TMP-{uuid.uuid4().hex[:20]}", application_type=app.application_type,
        applicant_type=app.applicant_type, customer=app.customer, applicant_name=app.applicant_name,
        applicant_credit_code=app.applicant_credit_code.upper(), applicant_contact=app.applicant_contact,
        applicant_phone=app.applicant_phone, site_address=app.site_address,
        requested_capacity_kva=app.requested_capacity_kva, voltage_level=app.voltage_level,
        supply_mode=app.supply_mode, industry=app.industry or (app.customer.industry if app.customer else ""),
        usage_category=app.usage_category, expected_energisation_on=app.expected_energisation_on,
        is_key_project=bool(app.is_key_project), green_channel=bool(app.green_channel), org_unit=unit,
        first_contact_owner=receiver, tracker=tracker, accepted_on=accepted_on,
        commitment_workdays=total.workdays if total is not None else None, notes=app.notes or "",
        legacy_number=app.legacy_number, created_by=actor)
    _save(project, actor)
    project.number = f"YK{accepted_on:%Y%m%d}-{project.pk:06d}"
    ProjectDocument.objects.bulk_create([
        ProjectDocument(project=project, requirement=r, name=r.name, position=i)
        for i, r in enumerate(notice_documents(project.application_type, project.applicant_type,
                                               project.voltage_level))])
    return project


@transaction.atomic
def accept_application(app: Application, *, actor: Staff, tracker: Staff, accepted_on: date | None = None,
                       org_unit=None) -> Project:
    """Accept an application (受理). The actor becomes its first-contact owner for good and holds
    the acceptance stage; `tracker` follows it to energisation; the one-time notice's checklist is
    written from the configured documents."""
    require_writer(actor)
    errors: dict[str, str] = {}
    accepted_on = _parse_date(accepted_on or timezone.localdate(), "accepted_on", errors)
    if accepted_on and accepted_on > timezone.localdate():
        errors["accepted_on"] = _("The date cannot be in the future.")
    validate_application(app, actor=actor, tracker=tracker, accepted_on=accepted_on, errors=errors)
    unit = org_unit or (app.customer.org_unit if app.customer is not None and "customer" not in errors else None) \
        or actor.org_unit
    if unit is None:
        errors.setdefault("org_unit", _("Choose the supply station that handles the application."))
    if errors:
        raise ValidationError(errors)

    project = _create_project(app, actor=actor, receiver=actor, tracker=tracker, accepted_on=accepted_on, unit=unit)
    _event(project, c.EventKind.ACCEPTED, actor=actor, target=tracker, when=_day_start(accepted_on))
    _start_stage(project, c.Stage.ACCEPTED, actor, actor=actor, started_on=accepted_on)
    _save(project, actor)
    _timeline(project, accepted_phrase(project),
        detail=_("First-contact owner: %(owner)s. Tracker: %(tracker)s.") % {
            "owner": actor.display_name, "tracker": tracker.display_name}, actor=actor, when=_day_start(accepted_on))
    return project


def import_open_project(app: Application, *, actor: Staff, receiver: Staff, tracker: Staff, accepted_on: date,
                        stage: str, stage_started_on: date, unit) -> Project:
    """An open project from a legacy system (projects.imports, already validated row by row):
    the receiver stays its first-contact owner; it starts at its current stage on the day that
    stage started (earlier stages are not in the legacy file and are not invented)."""
    require_writer(actor)
    project = _create_project(app, actor=actor, receiver=receiver, tracker=tracker, accepted_on=accepted_on,
                              unit=unit)
    _event(project, c.EventKind.ACCEPTED, actor=actor, target=tracker, when=_day_start(accepted_on),
           note=_("Imported from the legacy system: %(number)s") % {"number": app.legacy_number})
    owner = receiver if stage == c.Stage.ACCEPTED else tracker
    _start_stage(project, stage, owner, actor=actor, started_on=stage_started_on)
    _save(project, actor)
    _timeline(project, phrase(gettext_noop("Connection project %(number)s imported at stage %(stage)s"),
                              number=project.number, stage=_stage_term(stage)), actor=actor)
    return project


# --- moving through the stages -------------------------------------------------------------------------


@transaction.atomic
def advance(project: Project, *, actor: Staff, stage: str, ended_on=None, note: str = "",
            next_owner: Staff | None = None, **energise_kwargs) -> Project:
    """Complete the current stage on `ended_on` and start the next one the same day.

    `stage` is the stage the user saw: if the project has moved on meanwhile, nothing happens.
    Completing the acceptance stage needs the builder's licence (or a supervisor's override);
    completing the last stage is the energisation (`energise`)."""
    require_writer(actor)
    project = _locked(project)
    if not project.is_open:
        raise ValidationError(_("This project is no longer in progress."))
    if project.stage == c.Stage.ENERGISATION and stage == c.Stage.ENERGISATION:
        return energise(project, actor=actor, energised_on=ended_on, note=note, **energise_kwargs)
    errors: dict[str, str] = {}
    if stage != project.stage:
        errors["stage"] = _("The project is at stage “%(current)s”, not “%(given)s”: reload the page.") % {
            "current": _stage_label(project.stage), "given": _stage_label(stage) if stage else "—"}
    st = project.current_stage
    ended_on = _parse_date(ended_on or timezone.localdate(), "ended_on", errors)
    _check_end_date(st, ended_on, errors)
    _check_worker(next_owner, "next_owner", errors)
    note = (note or "").strip()
    if "stage" not in errors and project.stage == c.Stage.ACCEPTANCE and ended_on:
        blocked = licences.acceptance_blocked(project, ended_on)
        if blocked:
            errors["licence"] = " ".join([*blocked, _("Completion acceptance is blocked until a supervisor records "
                                                      "an override with a reason.")])
    if errors:
        raise ValidationError(errors)
    flow = project.flow
    position = flow.index(st.stage)
    following = flow[position + 1]
    if _rule_for(project, following) is None:
        raise ValidationError({"voltage_level": _(
            "The timing table has no rule for stage “%(stage)s” of this kind of project; ask an "
            "administrator to add it.") % {"stage": _stage_label(following)}})
    _finish_stage(project, st, actor=actor, ended_on=ended_on, note=note)
    _start_stage(project, following, next_owner or st.owner, actor=actor, started_on=ended_on)
    _save(project, actor)
    _timeline(project, phrase(gettext_noop("%(number)s: %(done)s done, now %(next)s"), number=project.number,
                              done=_stage_term(st.stage), next=_stage_term(following)),
              detail=note, actor=actor, when=_day_start(ended_on))
    return project


@transaction.atomic
def pause(project: Project, *, actor: Staff, reason: str, started_on=None, note: str = "") -> Pause:
    """Stop the grid-side clock of the current stage while waiting for the customer."""
    require_writer(actor)
    project = _locked(project)
    errors: dict[str, str] = {}
    if not project.is_open:
        raise ValidationError(_("This project is no longer in progress."))
    st = project.current_stage
    if st.is_paused:
        errors["__all__"] = _("The project is already paused; resume it first.")
    elif st.side == c.Side.CUSTOMER:
        errors["__all__"] = _("This stage is the customer's time already; it needs no pause.")
    if reason not in c.PauseReason.values:
        errors["reason"] = _("Say what the project is waiting for.")
    started_on = _parse_date(started_on or timezone.localdate(), "started_on", errors)
    if started_on and "started_on" not in errors:
        if started_on < st.started_on:
            errors["started_on"] = _("The pause cannot begin before the stage started (%(start)s).") % {
                "start": st.started_on.isoformat()}
        elif started_on > timezone.localdate():
            errors["started_on"] = _("The date cannot be in the future.")
        else:
            last = st.pauses.order_by("-ended_on").first()
            if last is not None and last.ended_on and started_on < last.ended_on:
                errors["started_on"] = _("The pause cannot begin before the previous one ended (%(date)s).") % {
                    "date": last.ended_on.isoformat()}
    note = (note or "").strip()
    if len(note) > 255:
        errors["note"] = _("Keep the note under 255 characters.")
    if errors:
        raise ValidationError(errors)
    p = Pause(project=project, stage_record=st, reason=reason, note=note, started_on=started_on, started_by=actor)
    _save(p, actor)
    st.is_paused = True
    _save(st, actor, update_fields=["is_paused"])
    project.is_paused = True
    _save(project, actor)
    _event(project, c.EventKind.PAUSED, actor=actor, stage=st, note=f"{p.get_reason_display()} {note}".strip(),
           when=_day_start(started_on))
    return p


def _close_pause(project: Project, st: StageRecord, p: Pause, *, ended_on: date, actor) -> None:
    p.ended_on = ended_on
    p.workdays = deadlines.paused_workdays(p.started_on, ended_on)
    _save(p, actor)
    st.paused_workdays += p.workdays
    st.is_paused = False
    _apply_clock(st)
    _save(st, actor)
    project.is_paused = False
    if project.current_stage_id == st.pk:
        project.due_on, project.due_provisional = st.deadline, st.deadline_provisional
    task = Task.objects.filter(key=st.task_key).first()
    if task is not None:
        workqueue.set_due(task, st.deadline, provisional=st.deadline_provisional, by=actor)
    _event(project, c.EventKind.RESUMED, actor=actor, stage=st, when=_day_start(ended_on),
           note=_("%(n)s working days paused; deadline now %(date)s") % {
               "n": p.workdays, "date": st.deadline.isoformat() if st.deadline else "—"})


@transaction.atomic
def resume(project: Project, *, actor: Staff, ended_on=None) -> Project:
    """End the pause: the stage's deadline moves by exactly the paused working days."""
    require_writer(actor)
    project = _locked(project)
    st = project.current_stage
    p = st.pauses.filter(ended_on__isnull=True).first() if st is not None else None
    if p is None:
        raise ValidationError(_("The project is not paused."))
    errors: dict[str, str] = {}
    ended_on = _parse_date(ended_on or timezone.localdate(), "ended_on", errors)
    if ended_on and "ended_on" not in errors:
        if ended_on < p.started_on:
            errors["ended_on"] = _("The pause cannot end before it began (%(date)s).") % {
                "date": p.started_on.isoformat()}
        elif ended_on > timezone.localdate():
            errors["ended_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    _close_pause(project, st, p, ended_on=ended_on, actor=actor)
    _save(project, actor)
    return project


@transaction.atomic
def receive_document(document: ProjectDocument, *, actor: Staff, received_on=None) -> ProjectDocument:
    """Tick a document of the one-time notice off as received."""
    require_writer(actor)
    errors: dict[str, str] = {}
    document = ProjectDocument.objects.select_for_update(of=("self",)).select_related("project").get(pk=document.pk)
    if document.received_on is not None:
        raise ValidationError({"received_on": _("This document was already received on %(date)s.") % {
            "date": document.received_on.isoformat()}})
    received_on = _parse_date(received_on or timezone.localdate(), "received_on", errors)
    if received_on and "received_on" not in errors:
        if received_on < document.project.accepted_on:
            errors["received_on"] = _("The date cannot be before the application was accepted (%(date)s).") % {
                "date": document.project.accepted_on.isoformat()}
        elif received_on > timezone.localdate():
            errors["received_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    document.received_on = received_on
    document.received_by = actor
    _save(document, actor)
    _event(document.project, c.EventKind.DOCUMENT_RECEIVED, actor=actor, note=document.name,
           when=_day_start(received_on))
    return document


@transaction.atomic
def change_tracker(project: Project, *, actor: Staff, tracker: Staff, note: str = "") -> Project:
    """Hand the tracking over. The first-contact owner stays who it was; open warning and
    escalation tasks stay with whoever has them."""
    require_writer(actor)
    project = _locked(project)
    errors: dict[str, str] = {}
    if tracker is None:
        errors["tracker"] = _("Name the dedicated tracker of this project.")
    else:
        _check_worker(tracker, "tracker", errors)
        if "tracker" not in errors and tracker.pk == project.tracker_id:
            errors["tracker"] = _("This person already tracks the project.")
    if errors:
        raise ValidationError(errors)
    project.tracker = tracker
    _save(project, actor)
    _event(project, c.EventKind.TRACKER_CHANGED, actor=actor, target=tracker, note=note)
    return project


@transaction.atomic
def cancel(project: Project, *, actor: Staff, reason: str, cancelled_on=None) -> Project:
    """Withdraw an application (the applicant gave up): the stage and its tasks close."""
    require_writer(actor)
    project = _locked(project)
    errors: dict[str, str] = {}
    if not project.is_open:
        raise ValidationError(_("This project is no longer in progress."))
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why the application is withdrawn.")
    cancelled_on = _parse_date(cancelled_on or timezone.localdate(), "cancelled_on", errors)
    st = project.current_stage
    _check_end_date(st, cancelled_on, errors, "cancelled_on")
    if errors:
        raise ValidationError(errors)
    _finish_stage(project, st, actor=actor, ended_on=cancelled_on, note=reason)
    project.status = c.Status.CANCELLED
    project.current_stage = None
    project.due_on, project.due_provisional, project.escalation_level = None, False, 0
    _save(project, actor)
    _event(project, c.EventKind.CANCELLED, actor=actor, note=reason)
    _timeline(project, phrase(gettext_noop("Connection project %(number)s withdrawn"), number=project.number),
              detail=reason, actor=actor)
    return project


# --- contractors and licences (三不指定) ------------------------------------------------------------------


@transaction.atomic
def set_contractor(project: Project, *, actor: Staff, role: str, name: str, licence_number: str = "",
                   licence_class: str = "", licence_valid_from=None, licence_valid_to=None) -> Contractor:
    """Record the customer's own choice of designer, builder or supplier with its licence data.
    Changing the builder's licence data withdraws an earlier override (it was for other data)."""
    require_writer(actor)
    project = _locked(project)
    errors: dict[str, str] = {}
    if role not in c.ContractorRole.values:
        errors["role"] = _("Choose designer, builder or equipment supplier.")
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the name the customer chose.")
    elif len(name) > 200:
        errors["name"] = _("Keep the name under 200 characters.")
    licence_number = (licence_number or "").strip()
    if len(licence_number) > 60:
        errors["licence_number"] = _("Keep this under %(n)s characters.") % {"n": 60}
    if licence_class and licence_class not in c.LicenceClass.values:
        errors["licence_class"] = _("Choose a licence class from 1 to 5.")
    valid_from = _parse_date(licence_valid_from, "licence_valid_from", errors, required=False)
    valid_to = _parse_date(licence_valid_to, "licence_valid_to", errors, required=False)
    if valid_from and valid_to and valid_to < valid_from:
        errors["licence_valid_to"] = _("The licence cannot expire before it becomes valid (%(date)s).") % {
            "date": valid_from.isoformat()}
    if role == c.ContractorRole.BUILDER and not errors and (not licence_class or not valid_to):
        errors["licence_class" if not licence_class else "licence_valid_to"] = _(
            "Record the builder's licence class and validity (承装（修、试）电力设施许可证).")
    if errors:
        raise ValidationError(errors)
    row = Contractor.objects.filter(project=project, role=role).first() or Contractor(project=project, role=role)
    licence = (licence_class, valid_from, valid_to, licence_number)
    changed = row.pk is None or licence != (row.licence_class, row.licence_valid_from, row.licence_valid_to,
                                            row.licence_number) or name != row.name
    row.name, row.licence_number, row.licence_class = name, licence_number, licence_class
    row.licence_valid_from, row.licence_valid_to = valid_from, valid_to
    if changed and row.override_at is not None:
        row.override_reason, row.override_by, row.override_at = "", None, None
    _save(row, actor)
    return row


@transaction.atomic
def override_licence(project: Project, *, actor: Staff, reason: str) -> Contractor:
    """A supervisor lets completion acceptance go ahead despite the builder's licence problem,
    with a reason (audited, on the project's history)."""
    require_writer(actor)
    if actor.role not in OVERRIDE_ROLES and not actor.is_superuser:
        raise PermissionDenied(_("Only a supervisor can override a licence check."))
    project = _locked(project)
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give the reason for the override.")
    builder = licences.builder_of(project)
    if builder is None:
        errors["__all__"] = _("Record the customer's builder first.")
    elif not licences.licence_problems(project, timezone.localdate()):
        errors["__all__"] = _("The builder's licence is in order; there is nothing to override.")
    if errors:
        raise ValidationError(errors)
    builder.override_reason, builder.override_by, builder.override_at = reason, actor, timezone.now()
    _save(builder, actor)
    _event(project, c.EventKind.LICENCE_OVERRIDE, actor=actor, note=reason)
    return builder


# --- acceptance defects ------------------------------------------------------------------------------------

DEFECT_STAGES = {c.Stage.MID_INSPECTION, c.Stage.ACCEPTANCE, c.Stage.CONTRACT_METERING, c.Stage.ENERGISATION}


@transaction.atomic
def record_defect(project: Project, *, actor: Staff, item: str, severity: str = c.DefectSeverity.MAJOR,
                  responsible_party: str = c.ResponsibleParty.BUILDER, deadline=None, photo=None,
                  found_on=None) -> Defect:
    """A defect found at inspection or completion acceptance (item, severity, photo, responsible
    party, deadline). Energisation is refused while it is open."""
    require_writer(actor)
    project = _locked(project)
    errors: dict[str, str] = {}
    if not project.is_open:
        raise ValidationError(_("This project is no longer in progress."))
    if project.stage not in DEFECT_STAGES:
        errors["__all__"] = _("Defects are recorded at the intermediate inspection or the completion acceptance.")
    item = (item or "").strip()
    if not item:
        errors["item"] = _("Describe the defect.")
    elif len(item) > 200:
        errors["item"] = _("Keep the description under 200 characters.")
    if severity not in c.DefectSeverity.values:
        errors["severity"] = _("Choose the severity.")
    if responsible_party not in c.ResponsibleParty.values:
        errors["responsible_party"] = _("Choose who must rectify it.")
    found_on = _parse_date(found_on or timezone.localdate(), "found_on", errors)
    deadline = _parse_date(deadline, "deadline", errors, required=False)
    if found_on and deadline and deadline < found_on:
        errors["deadline"] = _("The deadline cannot be before the defect was found (%(date)s).") % {
            "date": found_on.isoformat()}
    if photo:
        name = getattr(photo, "name", "") or ""
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in PHOTO_EXTENSIONS:
            errors["photo"] = _("The photo must be a JPG or PNG file.")
        elif getattr(photo, "size", 0) > PHOTO_MAX_BYTES:
            errors["photo"] = _("The photo is larger than %(mb)s MB.") % {"mb": PHOTO_MAX_BYTES // (1024 * 1024)}
    if errors:
        raise ValidationError(errors)
    defect = Defect(project=project, stage_record=project.current_stage, item=item, severity=severity,
                    responsible_party=responsible_party, deadline=deadline, found_on=found_on, recorded_by=actor)
    if photo:
        defect.photo.save(getattr(photo, "name", "photo.jpg").rsplit("/", 1)[-1][:100], photo, save=False)
    _save(defect, actor)
    _event(project, c.EventKind.DEFECT_RECORDED, actor=actor, stage=project.current_stage, note=item)
    return defect


@transaction.atomic
def clear_defect(defect: Defect, *, actor: Staff, note: str = "", cleared_at=None) -> Defect:
    """Re-inspection clears one defect. Clearing a cleared defect is an error."""
    require_writer(actor)
    defect = Defect.objects.select_for_update(of=("self",)).select_related("project", "cleared_by").get(pk=defect.pk)
    if defect.cleared_at is not None:
        raise ValidationError({"defect": _("This defect was already cleared on %(date)s by %(who)s.") % {
            "date": timezone.localtime(defect.cleared_at).strftime("%Y-%m-%d"),
            "who": defect.cleared_by.display_name if defect.cleared_by else "—"}})
    note = (note or "").strip()
    if len(note) > 255:
        raise ValidationError({"note": _("Keep the note under 255 characters.")})
    defect.cleared_at = cleared_at or timezone.now()
    defect.cleared_by = actor
    defect.clear_note = note
    _save(defect, actor)
    _event(defect.project, c.EventKind.DEFECT_CLEARED, actor=actor, note=defect.item)
    return defect


def open_defects(project: Project) -> QuerySet:
    return project.defects.filter(cleared_at__isnull=True).order_by("id")


# --- energisation -------------------------------------------------------------------------------------------


@transaction.atomic
def energise(project: Project, *, actor: Staff, energised_on=None, note: str = "", customer_number: str = "",
             legal_representative: str = "") -> Project:
    """Energise (送电): refused while any acceptance defect is open (the message names them);
    otherwise completes the last stage and writes the archive in the same transaction
    (energise.write_archive)."""
    from . import energise as archive

    require_writer(actor)
    project = _locked(project)
    if not project.is_open:
        raise ValidationError(_("This project is no longer in progress."))
    errors: dict[str, str] = {}
    if project.stage != c.Stage.ENERGISATION:
        errors["stage"] = _("The project is at stage “%(current)s”; it is energised only at the last stage.") % {
            "current": _stage_label(project.stage)}
    defects = list(open_defects(project))
    if defects:
        errors["defects"] = _("Energisation refused: %(n)s acceptance defect(s) still open: %(items)s.") % {
            "n": len(defects), "items": "; ".join(d.item for d in defects)}
    st = project.current_stage
    energised_on = _parse_date(energised_on or timezone.localdate(), "energised_on", errors)
    if st is not None:
        _check_end_date(st, energised_on, errors, "energised_on")
    if len(legal_representative or "") > 60:
        errors["legal_representative"] = _("Keep this under %(n)s characters.") % {"n": 60}
    if not errors:
        archive.validate(project, errors, customer_number=customer_number)
    if errors:
        raise ValidationError(errors)
    note = (note or "").strip()
    _finish_stage(project, st, actor=actor, ended_on=energised_on, note=note)
    project.status = c.Status.ENERGISED
    project.energised_on = energised_on
    project.current_stage = None
    project.due_on, project.due_provisional, project.escalation_level, project.is_paused = None, False, 0, False
    created = archive.write_archive(project, actor=actor, energised_on=energised_on, customer_number=customer_number,
                                    legal_representative=legal_representative)
    _save(project, actor)
    _event(project, c.EventKind.ENERGISED, actor=actor, note=note, when=_day_start(energised_on))
    if created:  # the new customer's timeline starts with the project's acceptance
        add_timeline_event(project.customer, TIMELINE_KIND, accepted_phrase(project), actor=None,
                           occurred_at=_day_start(project.accepted_on))
    _timeline(project, phrase(gettext_noop(
        "%(number)s energised: %(grid)s grid-side and %(customer)s customer-side working days"),
        number=project.number, grid=project.grid_workdays, customer=project.customer_workdays),
        detail=note, actor=actor, when=_day_start(energised_on))
    return project


# --- stall warnings and escalation (the nightly job) ---------------------------------------------------------


def _supervisors(unit_ids, level: int) -> dict[int, int | None]:
    """org unit id → the staff id of its level-`level` supervisor (the tickets' escalation
    ladder: 1 the station's, 2 the region's), one lookup per distinct unit."""
    from powerkam.org.models import OrgUnit
    from powerkam.service.tickets.services import supervisor_for

    units = OrgUnit.objects.in_bulk(list(unit_ids))
    result = {}
    for pk, unit in units.items():
        s = supervisor_for(unit, level)
        result[pk] = s.pk if s is not None else None
    return result


SCAN_FIELDS = ("pk", "stage", "deadline", "deadline_provisional", "project_id", "project__number",
               "project__applicant_name", "project__tracker_id", "project__customer_id", "project__org_unit_id",
               "project__green_channel", "escalation_level", "owner__full_name", "owner__username")


def _links(rows) -> dict[int, str]:
    """Each row's project link, resolving the URL pattern once (not a reverse() per row)."""
    sample = _link(999999999)
    return {r["project_id"]: sample.replace("999999999", str(r["project_id"])) for r in rows}


def _warn_specs(rows, today: date) -> list[dict]:
    links = _links(rows)
    specs = []
    for r in rows:
        specs.append({
            "kind": Task.Kind.PROJECT_STEP, "assignee_id": r["project__tracker_id"],
            "customer_id": r["project__customer_id"], "org_unit_id": r["project__org_unit_id"],
            "title": phrase(gettext_noop("Stall warning: %(stage)s of %(number)s %(applicant)s due %(date)s"),
                            stage=_stage_term(r["stage"]), number=r["project__number"],
                            applicant=r["project__applicant_name"], date=r["deadline"].isoformat()),
            "due_at": r["deadline"], "due_provisional": r["deadline_provisional"],
            "key": f"project:stage:{r['pk']}:warn", "link": links[r["project_id"]],
            "priority": Task.Priority.HIGH})
    return specs


LEVEL_REASONS = {1: gettext_lazy("Stage past its deadline"), 2: gettext_lazy("Stage well past its deadline")}


def _escalation_specs(rows, level: int, supervisors: dict, today: date) -> list[dict]:
    links = _links(rows)
    specs = []
    for r in rows:
        target = supervisors.get(r["project__org_unit_id"])
        if target is None:
            continue
        specs.append({
            "kind": Task.Kind.PROJECT_STEP, "assignee_id": target, "customer_id": r["project__customer_id"],
            "org_unit_id": r["project__org_unit_id"],
            "title": phrase(gettext_noop("Escalation (%(level)s): %(stage)s of %(number)s %(applicant)s"),
                            level=level, stage=_stage_term(r["stage"]), number=r["project__number"],
                            applicant=r["project__applicant_name"]),
            "detail": phrase(gettext_noop("%(reason)s (%(date)s). Stage owner: %(owner)s"),
                             reason=LEVEL_REASONS[level], date=r["deadline"].isoformat(),
                             owner=r["owner__full_name"] or r["owner__username"]),
            "due_at": today, "key": f"project:stage:{r['pk']}:esc{level}", "link": links[r["project_id"]],
            "priority": Task.Priority.URGENT if level >= 2 else Task.Priority.HIGH})
    return specs


def _mark(pks: list[int], now, **values) -> None:
    """Set `values` on the stage records and write their history rows (set-based)."""
    if not pks:
        return
    StageRecord.objects.filter(pk__in=pks).update(**values)
    workqueue.insert_history_rows(StageRecord, pks, history_type="~", when=now, reason="stall scan")


def scan_stalls(today: date | None = None, *, batch: int = 2000) -> dict[str, int]:
    """The nightly stall scan (issue #12 §3), set-based: open, not paused stages
    - that reached their warning day get a task for the project's tracker;
    - whose deadline has passed (today is after it) are escalated to the station's supervisor;
    - `NEXT_LEVEL_AFTER_WORKDAYS` working days past it, to the next level.
    Idempotent (task keys; flags on the stage); a level is never raised twice."""
    today = today or timezone.localdate()
    now = timezone.now()
    open_stages = StageRecord.objects.filter(ended_on__isnull=True, is_paused=False, deadline__isnull=False,
                                             project__status=c.Status.OPEN)
    result = {"warned": 0, "escalated_1": 0, "escalated_2": 0}

    def run(qs, make_specs, key: str, mark: dict, level: int | None):
        while True:
            rows = list(qs.order_by("pk").values(*SCAN_FIELDS)[:batch])
            if not rows:
                return
            with transaction.atomic():
                specs = make_specs(rows)
                workqueue.open_tasks_bulk(specs)
                pks = [r["pk"] for r in rows]
                _mark(pks, now, **mark)
                if level is not None:
                    Project.objects.filter(current_stage_id__in=pks, escalation_level__lt=level).update(
                        escalation_level=level)
                ProjectEvent.objects.bulk_create([
                    ProjectEvent(project_id=r["project_id"], stage_record_id=r["pk"],
                                 kind=c.EventKind.ESCALATED if level else c.EventKind.WARNED, level=level,
                                 occurred_at=now) for r in rows])
            result[key] += len(rows)

    run(open_stages.filter(warned=False, warn_on__lte=today), lambda rows: _warn_specs(rows, today), "warned",
        {"warned": True}, None)
    for level, qs in ((1, open_stages.filter(escalation_level__lt=1, deadline__lt=today)),
                      (2, open_stages.filter(escalation_level__lt=2, escalate_next_on__lt=today))):
        units = set(qs.values_list("project__org_unit_id", flat=True).distinct())
        supervisors = _supervisors(units, level)
        run(qs, lambda rows, lv=level, sup=supervisors: _escalation_specs(rows, lv, sup, today),
            f"escalated_{level}", {"escalation_level": level, "warned": True}, level)
    return result


# --- provisional deadlines (issue #9 item 8) ------------------------------------------------------------------


def open_provisional_stages() -> QuerySet:
    return StageRecord.objects.filter(deadline_provisional=True, ended_on__isnull=True)


def recompute_provisional_deadlines(*, actor=None) -> int:
    """Every open stage whose deadline was computed over a year whose holidays were not entered:
    computed again from its start, its stored limit and its paused days. The stage, the
    project's current deadline and the stage's task move together; the project's history says
    so. A completed stage keeps its deadline. Returns how many stages were recomputed."""
    done = 0
    for pk in list(open_provisional_stages().order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            st = open_provisional_stages().select_for_update(of=("self",)).select_related("project").filter(pk=pk).first()
            if st is None:
                continue
            old = st.deadline
            _apply_clock(st)
            _save(st, actor)
            project = st.project
            if project.current_stage_id == st.pk:
                project.due_on, project.due_provisional = st.deadline, st.deadline_provisional
                _save(project, actor, update_fields=["due_on", "due_provisional"])
            task = Task.objects.filter(key=st.task_key).first()
            if task is not None:
                workqueue.set_due(task, st.deadline, provisional=st.deadline_provisional, by=actor)
            note = (_("Deadline recomputed with the holiday calendar: %(old)s → %(new)s") if old != st.deadline
                    else _("Deadline confirmed by the holiday calendar: %(new)s")) % {
                "old": old.isoformat() if old else "—", "new": st.deadline.isoformat()}
            _event(project, c.EventKind.DEADLINE_RECOMPUTED, actor=actor, stage=st, note=note)
            done += 1
    return done


# --- who may be named ----------------------------------------------------------------------------------------


def worker_queryset() -> QuerySet:
    """Staff who may hold a stage or track a project: active and not read-only."""
    from powerkam.org.models import READ_ONLY_ROLES

    return Staff.objects.filter(is_active=True).exclude(role__in=READ_ONLY_ROLES).order_by("full_name", "username")


def overdue_q(today: date | None = None) -> Q:
    return Q(status=c.Status.OPEN, is_paused=False, due_on__lt=today or timezone.localdate())


# --- the data the energisation writes (planned supply points, transformers, metering, contract) -----------


def _editable(project: Project) -> Project:
    project = _locked(project)
    if not project.is_open:
        raise ValidationError(_("This project is no longer in progress."))
    return project


@transaction.atomic
def add_supply_point(project: Project, *, actor: Staff, name: str, voltage_level: str = "", capacity_kva=None,
                     source_type: str = cc.SourceType.MAIN, substation=None, supply_line=None):
    from .models import ProjectSupplyPoint

    require_writer(actor)
    project = _editable(project)
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Name the supply point.")
    elif len(name) > 100:
        errors["name"] = _("Keep the name under 100 characters.")
    voltage_level = voltage_level or project.voltage_level
    if voltage_level not in cc.VoltageLevel.values:
        errors["voltage_level"] = _("Choose the voltage level.")
    if source_type not in cc.SourceType.values:
        errors["source_type"] = _("Choose main or backup supply.")
    capacity = parse_capacity(capacity_kva if capacity_kva not in (None, "") else project.requested_capacity_kva,
                              "capacity_kva", errors)
    if supply_line is not None and substation is not None and supply_line.substation_id != substation.pk:
        errors["supply_line"] = _("This supply line belongs to another substation.")
    if errors:
        raise ValidationError(errors)
    row = ProjectSupplyPoint(project=project, name=name, voltage_level=voltage_level, capacity_kva=capacity,
                             source_type=source_type, substation=substation or getattr(supply_line, "substation", None),
                             supply_line=supply_line)
    _save(row, actor)
    return row


@transaction.atomic
def add_transformer(project: Project, *, actor: Staff, capacity_kva=None, quantity=1, model_no: str = "",
                    serial_no: str = "", supply_point=None, action: str = c.TransformerAction.ADD, existing=None):
    """A transformer the project puts into service, or (reduction) an existing one it takes out."""
    from .models import ProjectTransformer

    require_writer(actor)
    project = _editable(project)
    errors: dict[str, str] = {}
    if action not in c.TransformerAction.values:
        errors["action"] = _("Choose whether the transformer is added or taken out of service.")
    capacity = None
    if action == c.TransformerAction.ADD:
        capacity = parse_capacity(capacity_kva, "capacity_kva", errors)
    elif existing is None or existing.customer_id != project.customer_id or not project.customer_id:
        errors["existing"] = _("Choose one of the customer's transformers.")
    elif not existing.in_service:
        errors["existing"] = _("This transformer is already out of service.")
    try:
        quantity = int(quantity)
        if quantity < 1 or quantity > 1000:
            raise ValueError
    except (TypeError, ValueError):
        errors["quantity"] = _("The quantity must be a whole number from 1 to 1000.")
    if supply_point is not None and supply_point.project_id != project.pk:
        errors["supply_point"] = _("Choose a supply point of this project.")
    for field, value in (("model_no", model_no), ("serial_no", serial_no)):
        if len(value or "") > 60:
            errors[field] = _("Keep this under %(n)s characters.") % {"n": 60}
    if errors:
        raise ValidationError(errors)
    if action == c.TransformerAction.REMOVE:
        model_no, serial_no, capacity, quantity = existing.model_no, existing.serial_no, existing.capacity_kva, \
            existing.quantity
    row = ProjectTransformer(project=project, action=action, existing=existing if action != c.TransformerAction.ADD
                             else None, capacity_kva=capacity, quantity=quantity, model_no=(model_no or "").strip(),
                             serial_no=(serial_no or "").strip(), supply_point=supply_point)
    _save(row, actor)
    return row


@transaction.atomic
def add_metering_point(project: Project, *, actor: Staff, number: str, ct_ratio: str = "1/1", pt_ratio: str = "1/1",
                       meter_no: str = "", supply_point=None):
    """A metering point (CT × PT gives the multiplier the archive stores)."""
    from powerkam.customers.validators import validate_ratio

    from .models import ProjectMeteringPoint

    require_writer(actor)
    project = _editable(project)
    errors: dict[str, str] = {}
    number = (number or "").strip()
    if not number:
        errors["number"] = _("Give the metering point number.")
    elif len(number) > 32:
        errors["number"] = _("Keep this under %(n)s characters.") % {"n": 32}
    elif project.metering_points.filter(number=number).exists():
        errors["number"] = _("This project already has metering point %(number)s.") % {"number": number}
    for field, value in (("ct_ratio", ct_ratio), ("pt_ratio", pt_ratio)):
        try:
            validate_ratio((value or "").strip())
        except ValidationError as exc:
            errors[field] = exc.messages[0]
    if len(meter_no or "") > 32:
        errors["meter_no"] = _("Keep this under %(n)s characters.") % {"n": 32}
    if supply_point is not None and supply_point.project_id != project.pk:
        errors["supply_point"] = _("Choose a supply point of this project.")
    if errors:
        raise ValidationError(errors)
    row = ProjectMeteringPoint(project=project, number=number, ct_ratio=ct_ratio.strip(), pt_ratio=pt_ratio.strip(),
                               meter_no=(meter_no or "").strip(), supply_point=supply_point)
    _save(row, actor)
    return row


@transaction.atomic
def remove_planned(row, *, actor: Staff) -> None:
    """Remove a planned supply point, transformer or metering point (before energisation)."""
    require_writer(actor)
    _editable(row.project)
    _audited(row, actor)
    row.delete()


@transaction.atomic
def set_contract(project: Project, *, actor: Staff, number: str, valid_from, valid_to, signed_on=None) -> Project:
    """The supply contract (签订合同) the energisation writes to the archive."""
    from powerkam.customers.models import SupplyContract

    require_writer(actor)
    project = _editable(project)
    errors: dict[str, str] = {}
    number = (number or "").strip()
    if not number:
        errors["contract_number"] = _("Give the contract number.")
    elif len(number) > 40:
        errors["contract_number"] = _("Keep this under %(n)s characters.") % {"n": 40}
    elif SupplyContract.objects.filter(number=number).exists() or \
            Project.objects.filter(contract_number=number).exclude(pk=project.pk).exists():
        errors["contract_number"] = _("Contract number %(number)s is already used.") % {"number": number}
    valid_from = _parse_date(valid_from, "contract_valid_from", errors)
    valid_to = _parse_date(valid_to, "contract_valid_to", errors)
    signed_on = _parse_date(signed_on, "contract_signed_on", errors, required=False)
    if valid_from and valid_to and valid_to < valid_from:
        errors["contract_valid_to"] = _("The contract cannot end before it starts.")
    if errors:
        raise ValidationError(errors)
    project.contract_number, project.contract_valid_from, project.contract_valid_to = number, valid_from, valid_to
    project.contract_signed_on = signed_on
    _save(project, actor)
    return project
