"""Read-side queries for the visit pages, API and 360 tab. Every one is scoped by the caller
(core.scoping) and issues a fixed number of queries whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from powerkam.core.models import Task
from powerkam.core.scoping import scope_to_user
from powerkam.customers.models import Contact, Customer, DataQualityFinding

from . import constants as c
from .models import CareRecord, Visit
from .services import _month_day_window, next_anniversary


def visible_visits(user) -> QuerySet:
    return scope_to_user(Visit.objects.all(), user, customer_field="customer")


def visible_care_records(user) -> QuerySet:
    return scope_to_user(CareRecord.objects.all(), user, customer_field="customer")


def visit_list_queryset(qs: QuerySet) -> QuerySet:
    return qs.select_related("customer", "assignee", "org_unit", "occasion")


# --- Tickets (built by the tickets module; read only if its model is there) ---------------------

def ticket_model():
    try:
        model = apps.get_model("tickets", "Ticket")
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    return model if {"customer", "status"} <= names else None


CLOSED_TICKET_STATUSES = ("closed", "archived", "cancelled", "resolved")


def open_tickets(customer: Customer, limit: int = 10) -> tuple[bool, list, int]:
    """(tickets module present, up to `limit` open tickets, open count). Two queries."""
    model = ticket_model()
    if model is None:
        return False, [], 0
    qs = model.objects.filter(customer=customer).exclude(status__in=CLOSED_TICKET_STATUSES)
    order = "-created_at" if any(f.name == "created_at" for f in model._meta.get_fields()) else "-pk"
    return True, list(qs.order_by(order)[:limit]), qs.count()


# --- Before the visit --------------------------------------------------------------------------

@dataclass
class Briefing:
    last_visits: list
    tickets_available: bool
    tickets: list
    tickets_count: int
    findings: list
    open_tasks: list
    care_records: list = field(default_factory=list)


def briefing(visit: Visit) -> Briefing:
    """What the manager reads before going (seed 003-篇6 "拜访前要查看以往的拜访记录"): the last
    visits, open tickets, open data-quality findings, open tasks and recent care. 6–7 queries."""
    customer = visit.customer
    last = list(Visit.objects.filter(customer=customer, status=c.VisitStatus.DONE).exclude(pk=visit.pk)
                .select_related("assignee").order_by("-done_on", "-pk")[:c.LAST_VISITS_SHOWN])
    available, tickets, n_tickets = open_tickets(customer)
    findings = list(DataQualityFinding.objects.filter(customer=customer, status=DataQualityFinding.Status.OPEN)[:20])
    tasks = list(Task.objects.filter(customer=customer, status=Task.Status.OPEN).exclude(key=visit.task_key)
                 .select_related("assignee").order_by("due_at")[:10])
    care = list(CareRecord.objects.filter(customer=customer).select_related("contact")[:5])
    return Briefing(last, available, tickets, n_tickets, findings, tasks, care)


# --- Calendar ------------------------------------------------------------------------------------

CELL_LIMIT = 6


def calendar_range(view: str, anchor: date) -> tuple[date, date]:
    """[first, last] day shown: whole weeks (Monday first) covering the month, or one week."""
    if view == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6)
    first = anchor.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    last = nxt - timedelta(days=1)
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def calendar_weeks(qs: QuerySet, view: str, anchor: date) -> list[list[dict]]:
    """Weeks of day cells {day, visits (≤ CELL_LIMIT), more, in_month}. Two queries whatever the
    number of visits: a count per day, and at most CELL_LIMIT visits per day (ROW_NUMBER window)."""
    start, end = calendar_range(view, anchor)
    base = qs.filter(planned_on__range=(start, end)).exclude(status=c.VisitStatus.CANCELLED)
    counts = dict(base.order_by().values("planned_on").annotate(n=Count("pk")).values_list("planned_on", "n"))
    by_day: dict[date, list] = {}
    if counts:
        rank = Window(RowNumber(), partition_by=[F("planned_on")], order_by=[F("customer__name").asc(), F("pk").asc()])
        shown = (visit_list_queryset(base).annotate(cell_rank=rank).filter(cell_rank__lte=CELL_LIMIT)
                 .order_by("planned_on", "cell_rank"))
        for v in shown:
            by_day.setdefault(v.planned_on, []).append(v)
    weeks, day = [], start
    while day <= end:
        week = []
        for _i in range(7):
            week.append({"day": day, "visits": by_day.get(day, []), "more": max(counts.get(day, 0) - CELL_LIMIT, 0),
                         "in_month": view == "week" or day.month == anchor.month})
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


# --- Customer 360 service tab -----------------------------------------------------------------------

def service_tab(customer: Customer, today: date) -> dict:
    """Last and next visits, care records, open tickets. Fixed query count (≤ 6)."""
    last = list(Visit.objects.filter(customer=customer, status=c.VisitStatus.DONE).select_related("assignee")
                .order_by("-done_on", "-pk")[:c.LAST_VISITS_SHOWN])
    upcoming = list(Visit.objects.filter(customer=customer, status=c.VisitStatus.PLANNED).select_related("assignee")
                    .order_by("planned_on", "pk")[:5])
    care = list(CareRecord.objects.filter(customer=customer).select_related("contact", "by")[:10])
    available, tickets, n_tickets = open_tickets(customer)
    return {"last_visits": last, "next_visits": upcoming, "care_records": care, "tickets_available": available,
            "tickets": tickets, "tickets_count": n_tickets, "today": today}


# --- Care: upcoming birthdays and anniversaries ----------------------------------------------------

def upcoming_birthdays(user, today: date, days: int = c.UPCOMING_CARE_DAYS) -> list[dict]:
    """Contacts of visible customers whose birthday falls in the next `days` days. One query."""
    qs = (scope_to_user(Contact.objects.filter(birthday__isnull=False), user, customer_field="customer")
          .filter(_month_day_window("birthday", today, days)).select_related("customer"))
    rows = [{"on": next_anniversary(ct.birthday, today), "contact": ct, "customer": ct.customer} for ct in qs[:500]]
    return sorted(rows, key=lambda r: (r["on"], r["customer"].name))


def upcoming_anniversaries(user, today: date, days: int = c.UPCOMING_CARE_DAYS) -> list[dict]:
    """Visible key accounts whose supply anniversary (opened_on) falls in the next `days` days. One query."""
    qs = (scope_to_user(Customer.objects.filter(opened_on__isnull=False, is_key_account=True), user)
          .filter(_month_day_window("opened_on", today, days)).filter(opened_on__lt=today))
    rows = []
    for cu in qs[:500]:
        on = next_anniversary(cu.opened_on, today)
        if on.year > cu.opened_on.year:  # at least one full year of supply
            rows.append({"on": on, "customer": cu, "years": on.year - cu.opened_on.year})
    return sorted(rows, key=lambda r: (r["on"], r["customer"].name))


# --- Analysis: plan completion -------------------------------------------------------------------------

def completion_counts(qs: QuerySet, group_by: list[str], *, start: date, end: date, today: date | None = None) -> list[dict]:
    """Visits DUE in [start, end] (cancelled excluded) grouped by `group_by`, with planned / done on
    time / done late / overdue / not yet due. One SQL aggregate."""
    today = today or timezone.localdate()
    done = Q(status=c.VisitStatus.DONE)
    rows = (qs.filter(due_on__range=(start, end)).exclude(status=c.VisitStatus.CANCELLED)
            .order_by().values(*group_by)
            .annotate(planned=Count("pk"),
                      on_time=Count("pk", filter=done & Q(done_on__lte=F("due_on"))),
                      late=Count("pk", filter=done & Q(done_on__gt=F("due_on"))),
                      overdue=Count("pk", filter=Q(status=c.VisitStatus.PLANNED, due_on__lt=today)),
                      pending=Count("pk", filter=Q(status=c.VisitStatus.PLANNED, due_on__gte=today))))
    out = []
    for r in rows:
        r = dict(r)
        r["rate"] = round(100 * r["on_time"] / r["planned"], 1) if r["planned"] else None
        out.append(r)
    return out
