"""Visit plans, visit records, care records: the business rules, as plain functions.

Plan rule (seed 001, intervals in `VisitInterval`, defaults in constants.py):

- a key account's interval is its tier's (premium 6 months, medium 3, general 3; no tier →
  general); a LOW-CREDIT key account (credit.selectors.low_credit_customer_ids) is visited
  every month whatever its tier — the shorter interval wins;
- next due date = the last DONE visit's date + interval, in calendar months, clamped to the
  last day of the month when the day does not exist (2026-08-31 + 6 months → 2027-02-28,
  2026-01-31 + 1 month → 2026-02-28; `add_months`);
- a key account never visited: first visit due `first_visit_within_days` (14) after the day the
  plan is generated;
- a plan is never made for a day already past: when last visit + interval lies before the
  generation day (a missed cycle), the visit is due on the generation day itself;
- a generated visit is planned on a working day of the holiday calendar (core.workdays): the
  last working day on or before its due date, or — when that lies before the generation day —
  the first working day on or after it (`planned_workday`);
- the nightly job keeps exactly one open regular ("cycle") visit per active key account with a
  primary manager (a partial unique index enforces it), assigned to the primary manager, with a
  work-queue Task kind "visit" keyed `visit:{id}`. Accounts without a primary manager are
  counted and skipped (nobody to assign).

Everything that changes a visit is audited (simple-history; reschedules also keep a row with
the reason) and done visits and care records go on the customer timeline.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_create_with_history

from powerkam.core import workdays, workqueue
from powerkam.core.models import Task
from powerkam.core.phrases import Phrase, phrase
from powerkam.customers.constants import LifecycleStatus
from powerkam.customers.models import Contact, Customer
from powerkam.customers.services import add_timeline_event
from powerkam.org.models import OrgUnit, Staff
from powerkam.org.selectors import Supervisors

from . import constants as c
from .models import (
    CareRecord,
    MustVisitOccasion,
    Visit,
    VisitInterval,
    VisitPolicy,
    VisitReschedule,
)

log = logging.getLogger("powerkam.visits")
BATCH = 2000


# --- Dates and rules ----------------------------------------------------------------------------

def add_months(d: date, months: int) -> date:
    """`d` plus whole calendar months; a day that does not exist in the target month becomes
    that month's last day (2026-08-31 + 6 → 2027-02-28; 2027-08-31 + 6 → 2028-02-29)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def interval_table() -> dict[str, int]:
    """{category: months} from the admin table, defaults for missing rows. One query."""
    table = {str(k): v for k, v in c.DEFAULT_INTERVAL_MONTHS.items()}
    table.update(dict(VisitInterval.objects.values_list("category", "months")))
    return table


def policy() -> VisitPolicy:
    """The settings row (defaults when an admin never saved one). One query."""
    return VisitPolicy.objects.filter(pk=1).first() or VisitPolicy(pk=1)


def interval_months(tier: str, low_credit: bool, table: dict[str, int] | None = None) -> int:
    table = table if table is not None else interval_table()
    months = table.get(tier or "", table[str(c.UNTIERED_CATEGORY)])
    if low_credit:
        months = min(months, table[c.LOW_CREDIT])
    return months


def next_due(*, last_done: date | None, months: int, today: date, first_within_days: int) -> date:
    """The due date of a key account's next regular visit (rules in the module docstring)."""
    if last_done is None:
        return today + timedelta(days=first_within_days)
    return max(add_months(last_done, months), today)


def planned_workday(due: date, today: date) -> date:
    """The working day a generated visit due on `due` is planned for: the last working day on or
    before `due` (the visit is not late), unless that is already past, then the first working day
    on or after `max(due, today)`."""
    before = workdays.add_workdays(due + timedelta(days=1), -1)
    if before >= today:
        return before
    return workdays.add_workdays(max(due, today), 0)


def holiday_planned_visits(today: date | None = None):
    """Generated visits still planned on a day that the holiday calendar, now entered for its
    year, says is not a working day: planned while that year was a Monday–Friday guess (issue #9
    item 8). A visit planned by hand keeps the day a person chose."""
    today = today or timezone.localdate()
    planned = (Visit.objects.filter(status=c.VisitStatus.PLANNED, planned_on__gte=today)
               .exclude(source=c.VisitSource.MANUAL))
    days = planned.order_by().values_list("planned_on", flat=True).distinct()
    off = [d for d in days if workdays.is_covered(d.year) and not workdays.is_workday(d)]
    return planned.filter(planned_on__in=off)


def replan_on_holidays(*, actor=None, today: date | None = None) -> int:
    """Move every visit of holiday_planned_visits to the working day its rule gives (a regular
    visit: the last working day on or before its due date; a must-visit occasion: the first
    working day on or after its day), through reschedule_visit (audited, the task moves with it).
    Returns how many moved."""
    today = today or timezone.localdate()
    moved = 0
    for visit in list(holiday_planned_visits(today).select_related("customer").order_by("pk")):
        if visit.source == c.VisitSource.OCCASION:
            day = workdays.add_workdays(visit.planned_on, 0)
        else:
            day = planned_workday(visit.due_on, today)
        if day == visit.planned_on:
            continue
        reschedule_visit(visit, new_date=day, actor=actor, today=today, reason=_(
            "The holiday calendar for %(year)s was entered: %(day)s is not a working day.") % {
            "year": visit.planned_on.year, "day": visit.planned_on.isoformat()})
        moved += 1
    return moved


def _end_of_day(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(23, 59, 59)))


def _visit_task_title(customer_name: str) -> Phrase:
    return phrase(gettext_noop("Visit %(customer)s"), customer=customer_name)


def _bulk_visit_tasks(rows: Iterable[tuple[int, int, int, int, date, str]], *, created_by=None) -> int:
    """Work-queue tasks for freshly created visits: (visit id, assignee id, customer id, org unit
    id, planned day, customer name). The keys are new (they contain the new visit ids), so this is
    the set-based equivalent of `workqueue.open_task(key=f"visit:{id}")` for each."""
    link_head, link_tail = reverse("visits:detail", args=[987654321]).split("987654321")
    ends: dict[date, datetime] = {}
    creator = created_by if getattr(created_by, "pk", None) else None
    tasks = []
    for visit_id, assignee_id, customer_id, unit_id, planned_on, name in rows:
        if planned_on not in ends:
            ends[planned_on] = _end_of_day(planned_on)
        tasks.append(Task(kind=Task.Kind.VISIT, assignee_id=assignee_id, customer_id=customer_id, org_unit_id=unit_id,
                          **workqueue.title_fields(_visit_task_title(name)), due_at=ends[planned_on], key=f"visit:{visit_id}",
                          link=f"{link_head}{visit_id}{link_tail}", created_by=creator))
    if tasks:
        bulk_create_with_history(tasks, Task, batch_size=BATCH, default_user=created_by if getattr(created_by, "pk", None) else None)
    return len(tasks)


# --- Nightly plan generation --------------------------------------------------------------------

def key_accounts_due_for_plan(customer_ids: Iterable[int] | None = None) -> QuerySet:
    """Active key accounts with their last done visit date, and whether they already have an open
    regular visit. ONE query (a GROUP BY over visits and an EXISTS)."""
    open_cycle = Visit.objects.filter(customer_id=OuterRef("pk"), status=c.VisitStatus.PLANNED,
                                      source=c.VisitSource.CYCLE)
    qs = Customer.objects.filter(is_key_account=True, lifecycle_status=LifecycleStatus.ACTIVE)
    if customer_ids is not None:
        qs = qs.filter(pk__in=list(customer_ids))
    return (qs.annotate(last_done=Max("visits__done_on", filter=Q(visits__status=c.VisitStatus.DONE)),
                        has_open=Exists(open_cycle))
            .order_by().values("pk", "name", "ka_tier", "primary_manager_id", "org_unit_id", "last_done", "has_open"))


def generate_plans(day: date, *, customer_ids: Iterable[int] | None = None, actor=None) -> dict:
    """Ensure every active key account has its next regular visit planned. Idempotent: a second
    run on the same data creates nothing. Set-based: 3 reads, then bulk inserts in batches."""
    from powerkam.credit.selectors import low_credit_customer_ids

    table = interval_table()
    settings_row = policy()
    low = low_credit_customer_ids(customer_ids if customer_ids is not None else None)
    counts = {"key_accounts": 0, "already_planned": 0, "no_manager": 0, "created": 0}
    new: list[Visit] = []
    names: dict[int, str] = {}
    purposes: dict[tuple[bool, int], str] = {}
    for row in key_accounts_due_for_plan(customer_ids).iterator(chunk_size=BATCH):
        counts["key_accounts"] += 1
        if row["has_open"]:
            counts["already_planned"] += 1
            continue
        if not row["primary_manager_id"]:
            counts["no_manager"] += 1
            continue
        is_low = row["pk"] in low
        months = interval_months(row["ka_tier"], is_low, table)
        due = next_due(last_done=row["last_done"], months=months, today=day,
                       first_within_days=settings_row.first_visit_within_days)
        if (is_low, months) not in purposes:
            purposes[(is_low, months)] = ((_("Regular visit (low credit, every %(n)s months)") if is_low
                                           else _("Regular visit (every %(n)s months)")) % {"n": months})[:200]
        purpose = purposes[(is_low, months)]
        new.append(Visit(customer_id=row["pk"], org_unit_id=row["org_unit_id"], assignee_id=row["primary_manager_id"],
                         source=c.VisitSource.CYCLE, purpose=purpose, due_on=due,
                         planned_on=planned_workday(due, day),
                         created_by=actor if getattr(actor, "pk", None) else None))
        names[row["pk"]] = row["name"]
    for start in range(0, len(new), BATCH):
        counts["created"] += _insert_visits(new[start:start + BATCH], names, actor)
    return counts


@transaction.atomic
def _insert_visits(visits: list[Visit], names: dict[int, str], actor) -> int:
    """Insert visits (with history) and their tasks; return how many."""
    if not visits:
        return 0
    user = actor if getattr(actor, "pk", None) else None
    created = bulk_create_with_history(visits, Visit, batch_size=BATCH, default_user=user,
                                       default_change_reason="visit plan")
    if any(v.pk is None for v in created):  # a backend that returns no ids: read them back
        keys = {(v.customer_id, v.source, v.occasion_id) for v in visits}
        created = [v for v in Visit.objects.filter(customer_id__in=[v.customer_id for v in visits],
                                                   status=c.VisitStatus.PLANNED)
                   if (v.customer_id, v.source, v.occasion_id) in keys]
    _bulk_visit_tasks(((v.pk, v.assignee_id, v.customer_id, v.org_unit_id, v.planned_on, names.get(v.customer_id, ""))
                       for v in created), created_by=actor)
    return len(created)


# --- Manual plans, reschedule, record -------------------------------------------------------------

def _check_assignee(assignee, errors: dict) -> None:
    if assignee is None:
        errors["assignee"] = _("Choose who makes the visit.")
    elif not assignee.is_active:
        errors["assignee"] = _("%(name)s is no longer active.") % {"name": assignee.display_name}


def plan_visit(*, customer: Customer, planned_on: date, assignee=None, purpose: str = "", actor=None,
               today: date | None = None) -> Visit:
    """Plan one visit by hand. A day in the past is refused (nothing is written)."""
    today = today or timezone.localdate()
    assignee = assignee or customer.primary_manager
    errors: dict[str, str] = {}
    if planned_on is None:
        errors["planned_on"] = _("Give the day of the visit.")
    elif planned_on < today:
        errors["planned_on"] = _("A visit cannot be planned in the past (%(day)s is before today, %(today)s).") % {
            "day": planned_on.isoformat(), "today": today.isoformat()}
    _check_assignee(assignee, errors)
    if customer.is_closed:
        errors["customer"] = _("The customer is closed; no visit can be planned.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        visit = Visit(customer=customer, org_unit_id=customer.org_unit_id, assignee=assignee,
                      source=c.VisitSource.MANUAL, purpose=(purpose or "")[:200], due_on=planned_on,
                      planned_on=planned_on, created_by=actor if getattr(actor, "pk", None) else None)
        _audit(visit, actor)
        visit.save()
        workqueue.open_task(kind=Task.Kind.VISIT, assignee=assignee, customer=customer, org_unit=customer.org_unit,
                            title=_visit_task_title(customer.name), due_at=planned_on, key=visit.task_key,
                            link=reverse("visits:detail", args=[visit.pk]), created_by=actor)
    return visit


def _audit(instance, actor) -> None:
    if getattr(actor, "pk", None):
        instance._history_user = actor


def reschedule_visit(visit: Visit, *, new_date: date, reason: str, actor=None, today: date | None = None) -> Visit:
    """Move a planned visit to another day, with a reason. Audited (history + a reschedule row);
    the visit's task moves with it; an open escalation is closed (the visit has a new date)."""
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if visit.status != c.VisitStatus.PLANNED:
        errors["__all__"] = _("Only a planned visit can be rescheduled; this one is %(status)s.") % {
            "status": visit.get_status_display()}
    if new_date is None:
        errors["new_date"] = _("Give the new day of the visit.")
    elif new_date < today:
        errors["new_date"] = _("A visit cannot be planned in the past (%(day)s is before today, %(today)s).") % {
            "day": new_date.isoformat(), "today": today.isoformat()}
    elif new_date == visit.planned_on:
        errors["new_date"] = _("The visit is already planned for %(day)s.") % {"day": new_date.isoformat()}
    if not reason:
        errors["reason"] = _("Say why the visit moves.")
    elif len(reason) > 500:
        errors["reason"] = _("Keep the reason under 500 characters.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        old = visit.planned_on
        visit.planned_on = new_date
        _audit(visit, actor)
        visit._change_reason = reason[:100]
        visit.save(update_fields=["planned_on"])
        VisitReschedule.objects.create(visit=visit, from_date=old, to_date=new_date, reason=reason,
                                       by=actor if getattr(actor, "pk", None) else None)
        task = Task.objects.filter(key=visit.task_key).first()
        if task is not None and task.is_open:
            task.due_at = _end_of_day(new_date)
            _audit(task, actor)
            task.save(update_fields=["due_at"])
        workqueue.close_by_key(visit.escalation_key, by=actor, result=_("Rescheduled to %(day)s") % {
            "day": new_date.isoformat()})
    return visit


@dataclass
class FollowUp:
    assignee: Staff
    due_on: date
    title: str


def record_visit(visit: Visit, *, done_on: date, participants: Iterable[Staff] = (),
                 contacts_met: Iterable[Contact] = (), findings: str = "", customer_needs: str = "",
                 follow_ups: Iterable[FollowUp] = (), actor=None, today: date | None = None,
                 request_survey: bool = True) -> Visit:
    """Record a visit as done. Validates everything first (nothing written on bad input); then:
    the record, the visit's task closed, escalations closed, a follow-up Task per follow-up, a
    timeline event, the next regular visit planned (cycle visits), and a satisfaction survey
    requested (surveys module)."""
    today = today or timezone.localdate()
    participants = list(participants)
    contacts_met = list(contacts_met)
    follow_ups = list(follow_ups)
    errors: dict[str, str] = {}
    if visit.status != c.VisitStatus.PLANNED:
        errors["__all__"] = _("This visit is already %(status)s.") % {"status": visit.get_status_display()}
    if done_on is None:
        errors["done_on"] = _("Give the day of the visit.")
    elif done_on > today:
        errors["done_on"] = _("A visit cannot be recorded for a day still to come (%(day)s).") % {"day": done_on.isoformat()}
    foreign = [ct.name for ct in contacts_met if ct.customer_id != visit.customer_id]
    if foreign:
        errors["contacts_met"] = _("Not contacts of this customer: %(names)s.") % {"names": ", ".join(foreign)}
    if not (findings or "").strip() and not (customer_needs or "").strip():
        errors["findings"] = _("Write down what was found or what the customer needs.")
    for i, fu in enumerate(follow_ups, start=1):
        if not (fu.title or "").strip():
            errors["follow_ups"] = _("Follow-up %(n)s: say what is to be done.") % {"n": i}
        elif fu.assignee is None or not fu.assignee.is_active:
            errors["follow_ups"] = _("Follow-up %(n)s: choose an active staff member.") % {"n": i}
        elif fu.due_on is None or fu.due_on < today:
            errors["follow_ups"] = _("Follow-up %(n)s: the due date cannot be in the past.") % {"n": i}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        visit.status = c.VisitStatus.DONE
        visit.done_on = done_on
        visit.findings = (findings or "").strip()
        visit.customer_needs = (customer_needs or "").strip()
        visit.recorded_by = actor if getattr(actor, "pk", None) else None
        visit.recorded_at = timezone.now()
        _audit(visit, actor)
        visit.save()
        visit.participants.set(participants or ([actor] if getattr(actor, "pk", None) else []))
        visit.contacts_met.set(contacts_met)
        workqueue.close_by_key(visit.task_key, by=actor, result=_("Visited on %(day)s") % {"day": done_on.isoformat()})
        workqueue.close_by_key(visit.escalation_key, by=actor, result=_("Visited on %(day)s") % {"day": done_on.isoformat()})
        for i, fu in enumerate(follow_ups, start=1):
            workqueue.open_task(kind=Task.Kind.FOLLOW_UP, assignee=fu.assignee, customer=visit.customer,
                                title=fu.title.strip()[:200], due_at=fu.due_on, key=f"visit:{visit.pk}:follow_up:{i}",
                                link=reverse("visits:detail", args=[visit.pk]),
                                detail=_("Follow-up of the visit on %(day)s") % {"day": done_on.isoformat()},
                                created_by=actor)
        detail = "\n".join(filter(None, [
            _("Findings: %(text)s") % {"text": visit.findings} if visit.findings else "",
            _("Customer needs: %(text)s") % {"text": visit.customer_needs} if visit.customer_needs else "",
            _("Contacts met: %(names)s") % {"names": ", ".join(ct.name for ct in contacts_met)} if contacts_met else "",
        ]))
        add_timeline_event(visit.customer, "visit.done", _("Visit made (%(source)s)") % {"source": visit.get_source_display()},
                           detail=detail, actor=actor,
                           occurred_at=timezone.make_aware(datetime.combine(done_on, time(12, 0))))
        if visit.source == c.VisitSource.CYCLE:
            generate_plans(today, customer_ids=[visit.customer_id], actor=actor)
    if request_survey:
        _request_survey(visit, contacts_met, actor)
    return visit


def _request_survey(visit: Visit, contacts_met: list[Contact], actor) -> None:
    """Ask the customer how the visit went (surveys module). A failure to send never undoes the
    visit record: it is logged, and the survey list shows undelivered invitations."""
    try:
        from powerkam.service.surveys.services import request_survey
    except ImportError:  # surveys not installed
        return
    contact = next((ct for ct in contacts_met if ct.email or ct.mobile), None)
    try:
        request_survey(customer=visit.customer, kind="visit", subject=visit, category="visit", contact=contact,
                       actor=actor)
    except Exception:  # noqa: BLE001 - the visit is recorded whatever happens to the survey
        log.exception("survey request for visit %s failed", visit.pk)


# --- Must-visit occasions ------------------------------------------------------------------------

def occasion_customers(occasion: MustVisitOccasion, *, org_unit_paths: list[str] | None = None) -> QuerySet:
    """The active key accounts an occasion concerns: all key accounts, or those matching EVERY
    criterion given (org units incl. sub-units, tiers, usage categories, industries)."""
    qs = Customer.objects.filter(is_key_account=True, lifecycle_status=LifecycleStatus.ACTIVE)
    if occasion.all_key_accounts:
        return qs
    paths = org_unit_paths if org_unit_paths is not None else [u.path for u in occasion.org_units.all()]
    if paths:
        q = Q()
        for p in paths:
            q |= Q(org_unit__path__startswith=p)
        qs = qs.filter(q)
    if occasion.tiers:
        qs = qs.filter(ka_tier__in=occasion.tiers)
    if occasion.usage_categories:
        qs = qs.filter(usage_category__in=occasion.usage_categories)
    if occasion.industries:
        qs = qs.filter(industry__in=occasion.industries)
    return qs


def declare_occasion(*, name: str, kind: str, starts_on: date, ends_on: date, all_key_accounts: bool = False,
                     org_units: Iterable[OrgUnit] = (), tiers: Iterable[str] = (), usage_categories: Iterable[str] = (),
                     industries: Iterable[str] = (), notes: str = "", actor=None,
                     today: date | None = None) -> MustVisitOccasion:
    """Declare a must-visit occasion and plan a visit for each customer it concerns."""
    from powerkam.customers import constants as cc

    today = today or timezone.localdate()
    org_units, tiers, usage_categories, industries = list(org_units), list(tiers), list(usage_categories), list(industries)
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = _("Give the occasion a name.")
    if kind not in c.OccasionKind.values:
        errors["kind"] = _("Unknown occasion kind: %(kind)s.") % {"kind": kind}
    if starts_on is None or ends_on is None:
        errors["ends_on"] = _("Give the window of the visits (from and by).")
    elif ends_on < starts_on:
        errors["ends_on"] = _("The window cannot end before it starts.")
    elif ends_on < today:
        errors["ends_on"] = _("A visit cannot be planned in the past (%(day)s is before today, %(today)s).") % {
            "day": ends_on.isoformat(), "today": today.isoformat()}
    for field, values, allowed in (("tiers", tiers, cc.KeyAccountTier.values),
                                   ("usage_categories", usage_categories, cc.UsageCategory.values),
                                   ("industries", industries, cc.Industry.values)):
        bad = [v for v in values if v not in allowed]
        if bad:
            errors[field] = _("Unknown values: %(values)s.") % {"values": ", ".join(bad)}
    if not all_key_accounts and not (org_units or tiers or usage_categories or industries):
        errors["all_key_accounts"] = _("Say which customers the occasion concerns, or choose all key accounts.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        occasion = MustVisitOccasion(name=name.strip(), kind=kind, starts_on=starts_on, ends_on=ends_on,
                                     all_key_accounts=all_key_accounts, tiers=tiers, usage_categories=usage_categories,
                                     industries=industries, notes=notes or "",
                                     created_by=actor if getattr(actor, "pk", None) else None)
        _audit(occasion, actor)
        occasion.save()
        if org_units:
            occasion.org_units.set(org_units)
        materialize_occasion(occasion, today=today, actor=actor)
    return occasion


def materialize_occasion(occasion: MustVisitOccasion, *, today: date, actor=None) -> int:
    """Plan the occasion's visit for each concerned customer that has none yet (idempotent:
    the unique (occasion, customer) index and the NOT EXISTS below). Returns how many were made."""
    if occasion.ends_on < today:
        return 0
    already = Visit.objects.filter(occasion=occasion, customer_id=OuterRef("pk"))
    rows = (occasion_customers(occasion).filter(primary_manager__isnull=False).exclude(Exists(already))
            .order_by().values_list("pk", "name", "org_unit_id", "primary_manager_id"))
    planned_on = workdays.add_workdays(max(occasion.starts_on, today), 0)
    if planned_on > occasion.ends_on:  # no working day left in the occasion: its last day
        planned_on = planned_workday(occasion.ends_on, today)
    purpose = _("Must visit: %(name)s") % {"name": occasion.name}
    new, names = [], {}
    for pk, name, unit_id, manager_id in rows.iterator(chunk_size=BATCH):
        new.append(Visit(customer_id=pk, org_unit_id=unit_id, assignee_id=manager_id, source=c.VisitSource.OCCASION,
                         occasion=occasion, purpose=purpose[:200], due_on=occasion.ends_on, planned_on=planned_on,
                         created_by=actor if getattr(actor, "pk", None) else None))
        names[pk] = name
    made = 0
    for start in range(0, len(new), BATCH):
        made += _insert_visits(new[start:start + BATCH], names, actor)
    return made


# --- Overdue escalation ----------------------------------------------------------------------------

def supervisor_for_units(unit_ids: Iterable[int]) -> dict[int, int]:
    """{org unit id: staff id of the supervisor of that unit or of its nearest ancestor}. Two queries."""
    return Supervisors().nearest_ids(unit_ids)


def escalate_overdue(day: date, *, actor=None) -> dict:
    """A planned visit `escalate_after_days` past its planned day becomes a Task for the unit
    supervisor (key `visit:{id}:escalation`; idempotent). Set-based."""
    limit = day - timedelta(days=policy().escalate_after_days)
    overdue = list(Visit.objects.filter(status=c.VisitStatus.PLANNED, planned_on__lt=limit)
                   .order_by().values_list("pk", "org_unit_id", "customer_id", "customer__name", "planned_on",
                                           "assignee__full_name", "assignee__username"))
    counts = {"overdue": len(overdue), "escalated": 0, "no_supervisor": 0}
    if not overdue:
        return counts
    sup = supervisor_for_units(u for _p, u, *_rest in overdue)
    existing: set[str] = set()
    keys = [f"visit:{pk}:escalation" for pk, *_rest in overdue]
    for start in range(0, len(keys), BATCH):
        existing.update(workqueue.tasks_with_keys(keys[start:start + BATCH]).values_list("key", flat=True))
    tasks = []
    for pk, unit_id, customer_id, name, planned_on, full_name, username in overdue:
        key = f"visit:{pk}:escalation"
        if key in existing:
            continue
        if unit_id not in sup:
            counts["no_supervisor"] += 1
            continue
        tasks.append(Task(
            kind=Task.Kind.VISIT, assignee_id=sup[unit_id], customer_id=customer_id, org_unit_id=unit_id,
            **workqueue.title_fields(
                phrase(gettext_noop("Overdue visit: %(customer)s (planned %(day)s, %(who)s)"),
                       customer=name, day=planned_on.isoformat(), who=full_name or username),
                phrase(gettext_noop("The visit is %(n)s days past its planned day."), n=(day - planned_on).days)),
            due_at=_end_of_day(day + timedelta(days=2)), key=key, priority=Task.Priority.HIGH,
            link=reverse("visits:detail", args=[pk])))
    if tasks:
        bulk_create_with_history(tasks, Task, batch_size=BATCH)
    counts["escalated"] = len(tasks)
    return counts


def replan_customers(customer_ids: Iterable[int], *, day: date, actor=None) -> dict:
    """The visit plan follows a change of tier or key-account status (issue #15: an approved tier
    proposal): each customer's open regular visit, planned on the old interval, is cancelled (its
    task too, audited), and `generate_plans` plans the next one on the new interval — none when
    the customer is no longer a key account. Visits already done and manual or occasion visits
    stay."""
    ids = list(customer_ids)
    cancelled = 0
    with transaction.atomic():
        for visit in Visit.objects.select_for_update().filter(customer_id__in=ids, status=c.VisitStatus.PLANNED,
                                                                source=c.VisitSource.CYCLE):
            visit.status = c.VisitStatus.CANCELLED
            _audit(visit, actor)
            visit._change_reason = "replanned after a tier change"
            visit.save(update_fields=["status"])
            workqueue.close_by_key(visit.task_key, by=actor, result=_("Replanned after a tier change"),
                                   status=Task.Status.CANCELLED)
            workqueue.close_by_key(visit.escalation_key, by=actor, result=_("Replanned after a tier change"),
                                   status=Task.Status.CANCELLED)
            cancelled += 1
        counts = generate_plans(day, customer_ids=ids, actor=actor)
    return {"cancelled": cancelled, **counts}


def nightly(day: date) -> dict:
    """The nightly job: regular plans, occasions still open (new key accounts they concern), escalation."""
    result = {"plans": generate_plans(day)}
    made = 0
    for occasion in MustVisitOccasion.objects.filter(ends_on__gte=day).prefetch_related("org_units"):
        made += materialize_occasion(occasion, today=day)
    result["occasion_visits"] = made
    result["escalation"] = escalate_overdue(day)
    return result


# --- Care records -----------------------------------------------------------------------------------

def add_care_record(*, customer: Customer, kind: str, occurred_on: date, summary: str, contact: Contact | None = None,
                    actor=None, today: date | None = None) -> CareRecord:
    today = today or timezone.localdate()
    summary = (summary or "").strip()
    errors: dict[str, str] = {}
    if kind not in c.CareKind.values:
        errors["kind"] = _("Unknown kind of care: %(kind)s.") % {"kind": kind}
    if occurred_on is None:
        errors["occurred_on"] = _("Give the day.")
    elif occurred_on > today:
        errors["occurred_on"] = _("Record care once it is given; %(day)s is still to come.") % {"day": occurred_on.isoformat()}
    if not summary:
        errors["summary"] = _("Say what was done.")
    elif len(summary) > 500:
        errors["summary"] = _("Keep the summary under 500 characters.")
    if contact is not None and contact.customer_id != customer.pk:
        errors["contact"] = _("This contact belongs to another customer.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        record = CareRecord(customer=customer, kind=kind, contact=contact, occurred_on=occurred_on, summary=summary,
                            by=actor if getattr(actor, "pk", None) else None)
        _audit(record, actor)
        record.save()
        title = record.get_kind_display() + (f" · {contact.name}" if contact else "")
        add_timeline_event(customer, f"care.{kind}", title, detail=summary, actor=actor,
                           occurred_at=timezone.make_aware(datetime.combine(occurred_on, time(12, 0))))
    return record


def _month_day_window(field: str, start: date, days: int) -> Q:
    """Rows whose `field` (a date) has its month/day within [start, start + days], any year."""
    end = start + timedelta(days=days)
    q = Q()
    d = start
    while d <= end:  # one term per month touched (at most 2–3)
        last = min(end, date(d.year, d.month, calendar.monthrange(d.year, d.month)[1]))
        q |= Q(**{f"{field}__month": d.month, f"{field}__day__gte": d.day, f"{field}__day__lte": last.day})
        d = last + timedelta(days=1)
    return q


def next_anniversary(d: date, today: date) -> date:
    """The next date (today or later) with `d`'s month and day; 29 Feb → 28 Feb in common years."""
    for year in (today.year, today.year + 1):
        day = min(d.day, calendar.monthrange(year, d.month)[1])
        candidate = date(year, d.month, day)
        if candidate >= today:
            return candidate
    return candidate
