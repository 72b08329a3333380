"""Pipeline operations (issue #13): one function per business operation, called by the pages,
the API, the imports and the scheduler alike. Every change is validated (field-level
ValidationError, nothing written), audited (simple-history with the acting user), and the
work it creates goes to the work queue (core.workqueue).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from powerkam.core import workdays, workqueue
from powerkam.core.models import Task
from powerkam.core.permissions import can_write
from powerkam.core.phrases import phrase
from powerkam.org.models import PORTFOLIO_ROLES, Role, Staff
from powerkam.org.selectors import Supervisors

from . import constants as c
from .models import (
    GovContactLog,
    GovernmentProject,
    Milestone,
    Opportunity,
    OpportunityStage,
    PipelinePolicy,
    ProjectContact,
    ProjectMilestone,
    Quote,
    QuoteLine,
    ServiceItem,
    WeeklyReport,
)

CENT = Decimal("0.01")
PROJECT_FIELDS = (
    "name", "gov_status", "approval_doc_no", "approval_date", "approving_authority", "investor", "site_address",
    "org_unit", "industry", "expected_load_kw", "expected_capacity_kva", "expected_annual_kwh", "reliability",
    "expected_energisation_on", "load_class", "voltage_level", "supply_mode", "primary_manager",
    "secondary_manager", "notes",
)
OPPORTUNITY_FIELDS = (
    "title", "customer", "prospect_name", "site_address", "contact_name", "contact_mobile", "government_project", "kind", "stage",
    "probability", "expected_kva", "expected_annual_kwh", "expected_annual_revenue_yuan", "close_on", "owner",
    "org_unit", "next_step", "next_step_on", "loss_reason", "loss_note",
)
APPROVER_ROLES = {Role.SUPERVISOR, Role.ADMIN}
NEXT_STEP_TITLE = gettext_noop("Next step: %(step)s (%(opportunity)s)")


def policy() -> PipelinePolicy:
    """The settings row (defaults when an admin never saved one). One query."""
    return PipelinePolicy.objects.filter(pk=1).first() or PipelinePolicy(pk=1)


def _audited(instance, actor) -> None:
    if actor is not None and getattr(actor, "pk", None):
        instance._history_user = actor


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


def _next_number(model, prefix: str) -> str:
    last = model.objects.aggregate(n=Max("id"))["n"] or 0
    number = f"{prefix}{last + 1:06d}"
    while model.objects.filter(number=number).exists():
        last += 1
        number = f"{prefix}{last + 1:06d}"
    return number


def _clean(instance, errors: dict[str, Any], exclude=()) -> None:
    """full_clean's field errors merged with the rule errors; raises if any."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=True)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages[0])
    if errors:
        raise ValidationError(errors)


# --- Government key projects ---------------------------------------------------------------------

def _project_errors(project: GovernmentProject, today: date) -> dict[str, str]:
    """The register's rules (seed 001): an approved project has its approval document, a date
    that has happened, and 1+1 dual managers — two different key account staff."""
    errors: dict[str, str] = {}
    for name in ("expected_load_kw", "expected_capacity_kva", "expected_annual_kwh"):
        value = getattr(project, name)
        if value is not None and value < 0:
            errors[name] = _("Cannot be negative.")
    if project.approval_date and project.approval_date > today:
        errors["approval_date"] = _("The approval date cannot be in the future.")
    for name in ("primary_manager", "secondary_manager"):
        person = getattr(project, name)
        if person is not None and person.role not in PORTFOLIO_ROLES:
            errors[name] = _("Choose a key account manager or specialist.")
    if project.is_approved:
        if not project.approval_doc_no:
            errors["approval_doc_no"] = _("An approved project needs its approval document number.")
        if not project.approval_date:
            errors["approval_date"] = _("An approved project needs its approval date.")
        if project.primary_manager_id is None:
            errors["primary_manager"] = _("An approved project needs a primary manager (1+1 dual managers).")
        if project.secondary_manager_id is None:
            errors["secondary_manager"] = _("An approved project needs a secondary manager (1+1 dual managers).")
    if (project.primary_manager_id and project.primary_manager_id == project.secondary_manager_id):
        errors["secondary_manager"] = _("The secondary manager must be a different person from the primary manager.")
    return errors


@transaction.atomic
def save_project(*, actor, project: GovernmentProject | None = None, today: date | None = None,
                 **fields: Any) -> GovernmentProject:
    """Register a government key project or change it. Reassigning the managers is audited and
    moves the open weekly report task to the new primary manager."""
    today = today or timezone.localdate()
    unknown = set(fields) - set(PROJECT_FIELDS) - {"number"}
    if unknown:
        raise ValueError(f"Unknown project fields: {sorted(unknown)}")
    creating = project is None
    if creating:
        project = GovernmentProject(developed_by=_actor(actor))
        if project.developed_by and project.developed_by.role in PORTFOLIO_ROLES and not fields.get("primary_manager"):
            fields["primary_manager"] = project.developed_by
        if not fields.get("org_unit") and actor is not None and getattr(actor, "org_unit_id", None):
            fields["org_unit"] = actor.org_unit
    before_primary = project.primary_manager_id
    for name, value in fields.items():
        setattr(project, name, value)
    if not project.number:
        project.number = _next_number(GovernmentProject, "GP")
    for name in ("approval_doc_no", "approving_authority", "investor", "site_address", "name"):
        setattr(project, name, (getattr(project, name) or "").strip())
    _clean(project, _project_errors(project, today))
    _audited(project, actor)
    project.save()
    if creating:
        ProjectMilestone.objects.bulk_create([ProjectMilestone(project=project, milestone=m)
                                              for m in Milestone.objects.filter(is_active=True)])
    elif before_primary != project.primary_manager_id and project.primary_manager_id:
        for task in Task.objects.filter(key__startswith=f"pipeline:report:{project.pk}:", status=Task.Status.OPEN):
            workqueue.reassign_task(task, project.primary_manager, by=actor)
    return project


def set_milestone(project: GovernmentProject, milestone: Milestone, *, planned_on: date | None,
                  actual_on: date | None, actor, today: date | None = None) -> ProjectMilestone:
    today = today or timezone.localdate()
    if actual_on and actual_on > today:
        raise ValidationError({"actual_on": _("A milestone is reached on a day that has come; %(day)s is still "
                                              "to come.") % {"day": actual_on.isoformat()}})
    row, _created = ProjectMilestone.objects.get_or_create(project=project, milestone=milestone)
    if (row.planned_on, row.actual_on) == (planned_on, actual_on):
        return row
    row.planned_on, row.actual_on = planned_on, actual_on
    _audited(row, actor)
    row.save()
    return row


def add_contact_log(project: GovernmentProject, *, contacted_on: date | None, department: str, summary: str,
                    person: str = "", actor, today: date | None = None) -> GovContactLog:
    """A contact with a government department (主动对接), for planned and approved projects."""
    today = today or timezone.localdate()
    errors = {}
    if contacted_on is None:
        errors["contacted_on"] = _("Give the day.")
    elif contacted_on > today:
        errors["contacted_on"] = _("Record a contact once it happened; %(day)s is still to come.") % {
            "day": contacted_on.isoformat()}
    if not (department or "").strip():
        errors["department"] = _("Name the government department.")
    if not (summary or "").strip():
        errors["summary"] = _("Say what was discussed.")
    if errors:
        raise ValidationError(errors)
    log = GovContactLog(project=project, contacted_on=contacted_on, department=department.strip()[:100],
                        person=(person or "").strip()[:60], summary=summary.strip(), by=_actor(actor))
    _audited(log, actor)
    log.save()
    return log


def add_project_contact(project: GovernmentProject, *, name: str, title: str = "", mobile: str = "",
                        email: str = "", actor) -> ProjectContact:
    contact = ProjectContact(project=project, name=(name or "").strip(), title=(title or "").strip(),
                             mobile=(mobile or "").strip(), email=(email or "").strip())
    errors = {} if contact.name else {"name": _("Give the contact's name.")}
    _clean(contact, errors, exclude=["project"])
    _audited(contact, actor)
    contact.save()
    return contact


# --- Weekly progress reports ----------------------------------------------------------------------

def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def report_due_on(monday: date, weekday: int | None = None) -> date:
    """The weekly report's due day in the week starting `monday`: the configured weekday, or the
    working day before it when that day is off (core.workdays: holidays and adjusted weekends)."""
    weekday = policy().report_weekday if weekday is None else weekday
    day = monday + timedelta(days=weekday)
    while not workdays.is_workday(day):
        day -= timedelta(days=1)
    return day


def report_key(project_id: int, monday: date) -> str:
    return f"pipeline:report:{project_id}:{monday.isoformat()}"


def reportable_projects():
    """Approved projects still followed (not closed, not yet converted) with a primary manager."""
    return GovernmentProject.objects.filter(gov_status=c.GovStatus.APPROVED, is_closed=False,
                                            converted_at__isnull=True, primary_manager__isnull=False)


def generate_report_tasks(day: date) -> int:
    """One report task per approved project for the week of `day`, for its primary manager, due
    on the report day (idempotent by key; a project that reported already gets none). Set-based."""
    monday = week_start(day)
    settings_row = policy()
    with workdays.tracking() as calc:
        due = report_due_on(monday, settings_row.report_weekday)
    reported = WeeklyReport.objects.filter(week_start=monday).values("project_id")
    rows = (reportable_projects().exclude(pk__in=reported)
            .values_list("pk", "name", "primary_manager_id", "org_unit_id"))
    specs = [{
        "kind": Task.Kind.FOLLOW_UP, "assignee_id": manager_id, "org_unit_id": unit_id,
        "title": phrase(gettext_noop("Weekly report: %(project)s (week of %(week)s)"), project=name,
                        week=monday.isoformat()),
        "due_at": due, "due_provisional": calc.provisional, "key": report_key(pk, monday),
        "link": reverse("pipeline:report", args=[pk]) + f"?week={monday.isoformat()}",
    } for pk, name, manager_id, unit_id in rows.iterator(chunk_size=2000)]
    return workqueue.open_tasks_bulk(specs)


def escalate_missing_reports(day: date) -> dict:
    """A report task still open `report_escalate_workdays` working days after its due day becomes
    a task for the supervisor of the project's unit (or the nearest above it) — the escalation the
    visits and tickets use: org.selectors.Supervisors and an idempotent task key."""
    limit = policy().report_escalate_workdays
    start_of_day = timezone.make_aware(datetime.combine(day, time.min))
    late = list(Task.objects.filter(key__startswith="pipeline:report:", status=Task.Status.OPEN,
                                    due_at__lt=start_of_day)
                .exclude(key__endswith=":escalation").values_list("key", "due_at", "org_unit_id"))
    counts = {"late": 0, "escalated": 0, "no_supervisor": 0}
    candidates = []
    for key, due_at, unit_id in late:
        due_day = timezone.localtime(due_at).date()
        if workdays.workdays_between(due_day, day) >= limit:
            candidates.append((key, due_day, unit_id))
    counts["late"] = len(candidates)
    if not candidates:
        return counts
    ids = {int(k.split(":")[2]) for k, _d, _u in candidates}
    projects = {p.pk: p for p in GovernmentProject.objects.filter(pk__in=ids).select_related("primary_manager")}
    sup = Supervisors().nearest_ids(p.org_unit_id for p in projects.values())
    specs = []
    for key, due_day, _unit in candidates:
        project = projects.get(int(key.split(":")[2]))
        if project is None:
            continue
        if project.org_unit_id not in sup:
            counts["no_supervisor"] += 1
            continue
        specs.append({
            "kind": Task.Kind.FOLLOW_UP, "assignee_id": sup[project.org_unit_id], "org_unit_id": project.org_unit_id,
            "title": phrase(gettext_noop("Missing weekly report: %(project)s (due %(day)s, %(who)s)"),
                            project=project.name, day=due_day.isoformat(),
                            who=project.primary_manager.display_name if project.primary_manager else ""),
            "due_at": workdays.add_workdays(day, 1), "priority": Task.Priority.HIGH, "key": f"{key}:escalation",
            "link": reverse("pipeline:project", args=[project.pk]),
        })
    counts["escalated"] = workqueue.open_tasks_bulk(specs)
    return counts


def nightly(day: date) -> dict:
    return {"report_tasks": generate_report_tasks(day), "escalation": escalate_missing_reports(day)}


@transaction.atomic
def submit_report(project: GovernmentProject, *, week: date, actor, milestone_progress: dict | None = None,
                  problems: str = "", help_needed: str = "", next_steps: str = "",
                  today: date | None = None) -> WeeklyReport:
    """Record (or correct) the week's report; closes the report task and any escalation of it."""
    today = today or timezone.localdate()
    errors = {}
    if not project.is_approved:
        errors["__all__"] = _("Weekly reports are for approved projects.")
    if week is None:
        errors["week"] = _("Give the week.")
    else:
        week = week_start(week)
        if week > week_start(today):
            errors["week"] = _("This week has not started yet.")
    progress = {str(k): str(v).strip() for k, v in (milestone_progress or {}).items() if str(v).strip()}
    if not (progress or (problems or "").strip() or (next_steps or "").strip()):
        errors["next_steps"] = _("Write the progress or the next steps.")
    if errors:
        raise ValidationError(errors)
    report = WeeklyReport.objects.filter(project=project, week_start=week).first() or WeeklyReport(
        project=project, week_start=week)
    report.milestone_progress = progress
    report.problems, report.help_needed, report.next_steps = problems.strip(), help_needed.strip(), next_steps.strip()
    report.by, report.submitted_at = _actor(actor), timezone.now()
    _audited(report, actor)
    report.save()
    key = report_key(project.pk, week)
    workqueue.close_by_key(key, by=actor, result=_("Report submitted"))
    workqueue.close_by_key(f"{key}:escalation", by=actor, result=_("Report submitted"))
    return report


# --- Opportunities ---------------------------------------------------------------------------------

def stage_by_outcome(outcome: str) -> OpportunityStage:
    return OpportunityStage.objects.filter(outcome=outcome).order_by("order", "pk").first()


def _opportunity_errors(opp: Opportunity, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if opp.probability is not None and not (0 <= opp.probability <= 100):
        errors["probability"] = _("The probability is a percentage between 0 and 100.")
    for name in ("expected_kva", "expected_annual_kwh", "expected_annual_revenue_yuan"):
        value = getattr(opp, name)
        if value is not None and value < 0:
            errors[name] = _("Cannot be negative.")
    created = opp.created_on or today
    if opp.close_on and opp.close_on < created:
        errors["close_on"] = _("The close date cannot be before the opportunity was created (%(day)s).") % {
            "day": created.isoformat()}
    if not opp.customer_id and not (opp.prospect_name or "").strip():
        errors["prospect_name"] = _("Choose a customer or name the prospect.")
    if opp.next_step_on and not (opp.next_step or "").strip():
        errors["next_step"] = _("Say what the next step is.")
    if opp.stage_id and opp.stage.outcome == c.StageOutcome.LOST and not opp.loss_reason:
        errors["loss_reason"] = _("Give the reason the opportunity was lost.")
    return errors


def _next_step_task(opp: Opportunity, actor) -> None:
    """The next step with its date is a task in the owner's work queue; a changed step replaces it."""
    prefix = f"pipeline:opp:{opp.pk}:next:"
    is_open = opp.stage.outcome == c.StageOutcome.OPEN
    key = None
    if is_open and opp.next_step and opp.next_step_on:
        digest = hashlib.sha1(f"{opp.owner_id}|{opp.next_step}".encode()).hexdigest()[:10]
        key = f"{prefix}{opp.next_step_on.isoformat()}:{digest}"
    for task in Task.objects.filter(key__startswith=prefix, status=Task.Status.OPEN).exclude(key=key):
        workqueue.close_task(task, by=actor, status=Task.Status.CANCELLED, result=_("Next step changed"))
    if key:
        workqueue.open_task(kind=Task.Kind.FOLLOW_UP, assignee=opp.owner, customer=opp.customer,
                            org_unit=opp.org_unit, key=key, due_at=opp.next_step_on, created_by=actor,
                            title=phrase(NEXT_STEP_TITLE, step=opp.next_step, opportunity=opp.title),
                            link=reverse("pipeline:opportunity", args=[opp.pk]))


def _apply_stage(opp: Opportunity, stage: OpportunityStage, today: date, *, probability_given: bool) -> None:
    opp.stage = stage
    if not probability_given or stage.outcome != c.StageOutcome.OPEN:
        opp.probability = stage.probability
    if stage.outcome == c.StageOutcome.OPEN:
        opp.closed_on, opp.cycle_days = None, None
        opp.loss_reason, opp.loss_note = "", ""
    else:
        opp.closed_on = opp.closed_on or today
        opp.cycle_days = max((opp.closed_on - (opp.created_on or today)).days, 0)
        if stage.outcome == c.StageOutcome.WON:
            opp.loss_reason, opp.loss_note = "", ""


@transaction.atomic
def save_opportunity(*, actor, opportunity: Opportunity | None = None, competitors=None, today: date | None = None,
                     **fields: Any) -> Opportunity:
    """Create or change an opportunity. The probability defaults to its stage's; the org unit to
    the customer's or the owner's; a won or lost stage closes it (cycle kept for the forecast)."""
    today = today or timezone.localdate()
    unknown = set(fields) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise ValueError(f"Unknown opportunity fields: {sorted(unknown)}")
    opp = opportunity or Opportunity(created_on=today)
    if opportunity is None and not fields.get("owner") and getattr(actor, "pk", None):
        fields["owner"] = actor
    if opportunity is None and not fields.get("stage"):
        fields["stage"] = OpportunityStage.objects.filter(outcome=c.StageOutcome.OPEN).order_by("order").first()
    old_stage_id = opp.stage_id
    probability_given = fields.get("probability") is not None
    for name, value in fields.items():
        setattr(opp, name, value)
    if opp.org_unit_id is None:
        opp.org_unit_id = (opp.customer.org_unit_id if opp.customer_id else None) or getattr(opp.owner, "org_unit_id", None)
    if opp.stage_id and (opp.stage_id != old_stage_id or opp.probability is None):
        _apply_stage(opp, opp.stage, today, probability_given=probability_given)
    if not opp.number:
        opp.number = _next_number(Opportunity, "OP")
    opp.title = (opp.title or "").strip()
    opp.prospect_name = (opp.prospect_name or "").strip()
    errors = _opportunity_errors(opp, today)
    if opp.org_unit_id is None:
        errors.setdefault("org_unit", _("Choose the org unit."))
    _clean(opp, errors, exclude=["competitors"])
    _audited(opp, actor)
    opp.save()
    if competitors is not None:
        opp.competitors.set(competitors)
    _next_step_task(opp, actor)
    return opp


@transaction.atomic
def move_stage(opp: Opportunity, stage: OpportunityStage, *, actor, loss_reason: str = "", loss_note: str = "",
               today: date | None = None) -> Opportunity:
    """The board's drag: move to another stage (probability follows the stage). Lost needs a reason;
    a converted opportunity stays won."""
    if opp.converted_at and stage.outcome != c.StageOutcome.WON:
        raise ValidationError({"stage": _("This opportunity has been converted; it stays won.")})
    if stage.pk == opp.stage_id:
        return opp
    fields: dict[str, Any] = {"stage": stage}
    if stage.outcome == c.StageOutcome.LOST:
        fields.update(loss_reason=loss_reason, loss_note=loss_note)
    return save_opportunity(actor=actor, opportunity=opp, today=today, **fields)


# --- Quotes ----------------------------------------------------------------------------------------

@dataclass
class LineInput:
    item: ServiceItem | None
    quantity: Decimal | None
    discount_pct: Decimal | None = Decimal("0")
    unit_price_yuan: Decimal | None = None
    description: str = ""


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def create_quote(opp: Opportunity, *, lines: list[LineInput], actor, valid_until: date | None = None,
                 notes: str = "", today: date | None = None) -> Quote:
    """A new version of the opportunity's quote (earlier open versions are superseded). A line
    discounted above the configured threshold makes it wait for a supervisor's approval (a task)."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if not opp.kind.is_value_added:
        errors["__all__"] = _("Quotes are for value-added services.")
    if opp.stage.outcome != c.StageOutcome.OPEN:
        errors["__all__"] = _("The opportunity is closed.")
    if valid_until and valid_until < today:
        errors["valid_until"] = _("The quote cannot expire before today.")
    problems = []
    if not lines:
        problems.append(_("Add at least one line."))
    for i, line in enumerate(lines, start=1):
        if line.item is None:
            problems.append(_("Line %(n)s: choose a service.") % {"n": i})
        if line.quantity is None or line.quantity <= 0:
            problems.append(_("Line %(n)s: the quantity must be greater than zero.") % {"n": i})
        discount = line.discount_pct if line.discount_pct is not None else Decimal("0")
        if not (Decimal("0") <= discount <= Decimal("100")):
            problems.append(_("Line %(n)s: the discount is a percentage between 0 and 100.") % {"n": i})
        if line.unit_price_yuan is not None and line.unit_price_yuan < 0:
            problems.append(_("Line %(n)s: the unit price cannot be negative.") % {"n": i})
    if problems:
        errors["lines"] = " ".join(problems)
    if errors:
        raise ValidationError(errors)
    version = (opp.quotes.aggregate(v=Max("version"))["v"] or 0) + 1
    threshold = policy().discount_approval_pct
    for old in opp.quotes.filter(status__in=[c.QuoteStatus.DRAFT, c.QuoteStatus.PENDING, c.QuoteStatus.APPROVED]):
        old.status = c.QuoteStatus.SUPERSEDED
        _audited(old, actor)
        old.save(update_fields=["status"])
        workqueue.close_by_key(f"pipeline:quote:{old.pk}:approval", by=actor, status=Task.Status.CANCELLED,
                               result=_("Superseded by a new version"))
    quote = Quote(opportunity=opp, version=version, valid_until=valid_until, notes=(notes or "").strip(),
                  created_by=_actor(actor))
    built, subtotal, discount_total, max_discount = [], Decimal("0"), Decimal("0"), Decimal("0")
    for line in lines:
        price = line.unit_price_yuan if line.unit_price_yuan is not None else line.item.unit_price_yuan
        gross = _money(price * line.quantity)
        discount_pct = line.discount_pct or Decimal("0")
        cut = _money(gross * discount_pct / Decimal(100))
        subtotal += gross
        discount_total += cut
        max_discount = max(max_discount, discount_pct)
        built.append(QuoteLine(item=line.item, description=(line.description or line.item.name)[:200],
                               quantity=line.quantity, unit_price_yuan=price, discount_pct=discount_pct,
                               amount_yuan=gross - cut))
    quote.subtotal_yuan, quote.discount_yuan = subtotal, discount_total
    quote.total_yuan, quote.max_discount_pct = subtotal - discount_total, max_discount
    quote.status = c.QuoteStatus.PENDING if max_discount > threshold else c.QuoteStatus.DRAFT
    _audited(quote, actor)
    quote.save()
    for line in built:
        line.quote = quote
    QuoteLine.objects.bulk_create(built)
    if quote.status == c.QuoteStatus.PENDING:
        supervisor = Supervisors().nearest(opp.org_unit)
        if supervisor is not None:
            workqueue.open_task(
                kind=Task.Kind.APPROVAL, assignee=supervisor, customer=opp.customer, org_unit=opp.org_unit,
                key=f"pipeline:quote:{quote.pk}:approval", created_by=actor, priority=Task.Priority.HIGH,
                due_at=workdays.add_workdays(today, 2),
                title=phrase(gettext_noop("Approve quote discount: %(opportunity)s v%(version)s (%(pct)s%%)"),
                             opportunity=opp.title, version=version, pct=str(max_discount)),
                link=reverse("pipeline:quote", args=[quote.pk]))
    return quote


def can_approve(user) -> bool:
    return can_write(user, APPROVER_ROLES)


@transaction.atomic
def decide_quote(quote: Quote, *, actor, approve: bool) -> Quote:
    """A supervisor approves (or rejects) a discount above the threshold."""
    if not can_approve(actor):
        raise ValidationError(_("Only a supervisor approves a quote's discount."))
    if quote.status != c.QuoteStatus.PENDING:
        raise ValidationError(_("This quote does not wait for approval."))
    quote.status = c.QuoteStatus.APPROVED if approve else c.QuoteStatus.REJECTED
    quote.approved_by, quote.approved_at = _actor(actor), timezone.now()
    _audited(quote, actor)
    quote.save(update_fields=["status", "approved_by", "approved_at"])
    workqueue.close_by_key(f"pipeline:quote:{quote.pk}:approval", by=actor,
                           result=_("Approved") if approve else _("Rejected"))
    return quote


@transaction.atomic
def accept_quote(quote: Quote, *, actor, today: date | None = None) -> Quote:
    """The customer accepted the quote: it is final, and the opportunity is won."""
    if quote.status == c.QuoteStatus.PENDING:
        raise ValidationError(_("The discount waits for a supervisor's approval."))
    if quote.status not in (c.QuoteStatus.DRAFT, c.QuoteStatus.APPROVED):
        raise ValidationError(_("Only the current draft or approved quote can be accepted."))
    quote.status, quote.accepted_at = c.QuoteStatus.ACCEPTED, timezone.now()
    _audited(quote, actor)
    quote.save(update_fields=["status", "accepted_at"])
    opp = quote.opportunity
    won = stage_by_outcome(c.StageOutcome.WON)
    if opp.stage_id != won.pk:
        save_opportunity(actor=actor, opportunity=opp, today=today, stage=won,
                         expected_annual_revenue_yuan=max(opp.expected_annual_revenue_yuan, quote.total_yuan))
    return quote


def is_assignable_manager(staff: Staff | None) -> bool:
    return staff is not None and staff.is_active and staff.role in PORTFOLIO_ROLES
