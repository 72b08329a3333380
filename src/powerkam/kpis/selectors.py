"""Team KPIs, work quality and the executive dashboard (issue #15 items 5–7; seed 002 绩效, seed
004 营销工作质量 and 决策支持). Plain read functions over GROUP BY queries: each page issues a
fixed number of queries whatever the number of people, customers or records.

KPI definitions (per person, one calendar month M):
- satisfaction: mean overall score (1–5) of the survey responses answered in M about customers
  whose primary manager the person was (SurveyResponse.manager);
- complaints: complaint tickets taken in during M about the person (Ticket.about_staff);
- portfolio billed and kWh: the non-void bills of billing month M of the person's current
  portfolio (customers whose primary manager the person is);
- collection rate (回款率): paid ÷ billed of the portfolio's non-void bills due in M (analytics'
  definition);
- service cost: visits done in M × visit rate + care records made in M × care rate + hours of
  ticket stages the person completed in M × hourly rate (CostRate, defaults in constants);
- task completion: tasks due in M done ÷ tasks due in M (cancelled ones left out);
  timeliness: of those, done by their due time ÷ tasks due in M;
- visit plan completion: the person's visits due in M done ÷ visits due in M (cancelled left out);
- portfolio size: customers (not closed) whose primary manager the person is, against 1:15.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, ExpressionWrapper, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from powerkam.analytics.selectors import add_months, dec, money, rate_pct
from powerkam.core.dbfunctions import Unlikely
from powerkam.core.scoping import (
    customer_scope_q,
    scope_to_user,
    subtree_unit_ids,
    visible_customers,
)
from powerkam.org.models import COMPANY_ROLES, PORTFOLIO_ROLES, OrgUnit, Staff
from powerkam.org.selectors import visible_portfolio_staff

from . import constants as c
from . import snapshots

ZERO = Decimal("0")


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month as aware datetimes (local time)."""
    first = month.replace(day=1)
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(add_months(first, 1), time.min))
    return start, end


def last_day(month: date) -> date:
    return add_months(month.replace(day=1), 1) - timedelta(days=1)


def cost_rates() -> dict[str, Decimal]:
    from .models import CostRate

    rates = dict(c.DEFAULT_COST_RATES)
    rates.update(dict(CostRate.objects.values_list("item", "yuan")))
    return rates


def avg1(value: Any) -> Decimal | None:
    return None if value is None else dec(value).quantize(Decimal("0.01"), ROUND_HALF_UP)


# --- team KPIs --------------------------------------------------------------------------------------


def team(user, org_unit: OrgUnit | None = None) -> QuerySet:
    """The people of a scorecard: managers and specialists the user may see, in `org_unit`'s subtree."""
    qs = visible_portfolio_staff(user)
    if org_unit is not None:
        qs = qs.filter(org_unit__path__startswith=org_unit.path)
    return qs.order_by("full_name", "username")


def person_kpis(people: list[Staff], month: date, *, from_summary: bool = False) -> dict[int, dict[str, Any]]:
    """Every KPI of every person for month M: nine grouped queries whatever the number of people
    (eight when the portfolio money comes from the summary, see _portfolio_money)."""
    return _person_kpis(people, month, from_summary=from_summary)[0]


def _portfolio_money(ids: list[int], month: date, *, from_summary: bool) -> tuple[list[dict], datetime | None]:
    """Billed and kWh of the portfolios' bills of billing month M, billed and paid of those due in
    M, per primary manager: rows of (manager, billed, kwh, due_total, due_paid) and the refresh
    time they are as of (None: read live from the bills).

    From the summary (analytics.MonthlyPortfolio: one query, a row per person) when asked and the
    month was refreshed — its mark row (no manager) is read with the people's; else live: two
    grouped queries over the bills of the people's customers, each on one index (billing month;
    due date) rather than an OR of both."""
    from powerkam.analytics.models import MonthlyPortfolio
    from powerkam.billing.models import Bill

    if from_summary:
        rows = list(MonthlyPortfolio.objects.filter(month=month).filter(Q(staff_id__in=ids) | Q(staff__isnull=True))
                    .order_by().values("staff_id", "billed", "kwh", "due_billed", "due_paid", "refreshed_at"))
        if rows:
            return ([{"manager": r["staff_id"], "billed": r["billed"], "kwh": r["kwh"], "due_total": r["due_billed"],
                      "due_paid": r["due_paid"]} for r in rows if r["staff_id"] is not None],
                    max(r["refreshed_at"] for r in rows))
    first, last = month, last_day(month)
    bills = Bill.objects.exclude(status=Bill.Status.VOID).filter(customer__primary_manager_id__in=ids).order_by()
    rows = [{"manager": r["customer__primary_manager_id"], "billed": r["billed"], "kwh": r["kwh"]}
            for r in bills.filter(period=month).values("customer__primary_manager_id")
            .annotate(billed=Sum("total"), kwh=Sum("kwh"))]
    rows += [{"manager": r["customer__primary_manager_id"], "due_total": r["due_total"], "due_paid": r["due_paid"]}
             for r in bills.filter(due_on__gte=first, due_on__lte=last).values("customer__primary_manager_id")
             .annotate(due_total=Sum("total"), due_paid=Sum("paid_amount"))]
    return rows, None


def _person_kpis(people: list[Staff], month: date, *, from_summary: bool) -> tuple[dict[int, dict[str, Any]],
                                                                                   datetime | None]:
    """person_kpis, with the refresh time of the portfolio money (None: live)."""
    from powerkam.core.models import Task
    from powerkam.customers.constants import LifecycleStatus
    from powerkam.customers.models import Customer
    from powerkam.service.surveys.models import SurveyResponse
    from powerkam.service.tickets.constants import TicketType
    from powerkam.service.tickets.models import Ticket, TicketStage
    from powerkam.service.visits.constants import VisitStatus
    from powerkam.service.visits.models import CareRecord, Visit

    month = month.replace(day=1)
    ids = [p.pk for p in people]
    start, end = month_bounds(month)
    first, last = month, last_day(month)
    out: dict[int, dict[str, Any]] = {pk: {} for pk in ids}

    def put(rows, key, **names):
        for r in rows:
            if r[key] in out:
                for name, src in names.items():
                    out[r[key]][name] = r[src]

    put(SurveyResponse.objects.filter(manager_id__in=ids, answered_at__gte=start, answered_at__lt=end).order_by()
        .values("manager_id").annotate(s=Avg("overall"), n=Count("id")), "manager_id", satisfaction_avg="s",
        surveys="n")
    put(Ticket.objects.filter(ticket_type=TicketType.COMPLAINT, about_staff_id__in=ids, created_at__gte=start,
                              created_at__lt=end).order_by().values("about_staff_id").annotate(n=Count("id")),
        "about_staff_id", complaints="n")
    money_rows, as_of = _portfolio_money(ids, month, from_summary=from_summary)
    for r in money_rows:
        if r["manager"] in out:
            out[r["manager"]].update((k, v) for k, v in r.items() if k != "manager")
    put(Visit.objects.filter(assignee_id__in=ids).filter(Q(due_on__gte=first, due_on__lte=last)
                                                          | Q(done_on__gte=first, done_on__lte=last))
        .exclude(status=VisitStatus.CANCELLED).order_by().values("assignee_id")
        .annotate(v_due=Count("id", filter=Q(due_on__gte=first, due_on__lte=last)),
                  v_due_done=Count("id", filter=Q(due_on__gte=first, due_on__lte=last, status=VisitStatus.DONE)),
                  v_done=Count("id", filter=Q(done_on__gte=first, done_on__lte=last, status=VisitStatus.DONE))),
        "assignee_id", visits_due="v_due", visits_due_done="v_due_done", visits_done="v_done")
    put(CareRecord.objects.filter(by_id__in=ids, occurred_on__gte=first, occurred_on__lte=last).order_by()
        .values("by_id").annotate(n=Count("id")), "by_id", care_records="n")
    put(TicketStage.objects.filter(owner_id__in=ids, completed_at__gte=start, completed_at__lt=end).order_by()
        .values("owner_id").annotate(s=Sum("duration_seconds")), "owner_id", stage_seconds="s")
    put(Task.objects.filter(assignee_id__in=ids, due_at__gte=start, due_at__lt=end)
        .exclude(status=Task.Status.CANCELLED).order_by().values("assignee_id")
        .annotate(n=Count("id"), done=Count("id", filter=Q(status=Task.Status.DONE)),
                  on_time=Count("id", filter=Q(status=Task.Status.DONE, closed_at__lte=F("due_at")))),
        "assignee_id", tasks_due="n", tasks_done="done", tasks_on_time="on_time")
    # COUNT(*), not of the id: the (primary manager, status) index alone answers it (customers 0011)
    put(Customer.objects.filter(primary_manager_id__in=ids).exclude(lifecycle_status=LifecycleStatus.CLOSED)
        .order_by().values("primary_manager_id").annotate(n=Count("*")), "primary_manager_id", portfolio="n")
    rates = cost_rates()
    for r in out.values():
        hours = (dec(r.get("stage_seconds")) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)
        r["hours"] = hours
        r["service_cost"] = money(rates[c.CostItem.VISIT] * (r.get("visits_done") or 0)
                                  + rates[c.CostItem.CARE] * (r.get("care_records") or 0)
                                  + rates[c.CostItem.HOUR] * hours)
        r["satisfaction"] = avg1(r.get("satisfaction_avg"))
        r["complaints"] = r.get("complaints") or 0
        r["revenue"] = money(r.get("billed"))
        r["kwh"] = money(r.get("kwh"))
        r["collection_rate"] = rate_pct(r.get("due_paid"), r.get("due_total"))
        r["task_completion"] = rate_pct(r.get("tasks_done") or 0, r.get("tasks_due") or 0)
        r["timeliness"] = rate_pct(r.get("tasks_on_time") or 0, r.get("tasks_due") or 0)
        r["visit_completion"] = rate_pct(r.get("visits_due_done") or 0, r.get("visits_due") or 0)
        r["portfolio"] = r.get("portfolio") or 0
        r["portfolio_flag"] = ("below" if r["portfolio"] < c.PORTFOLIO_MIN
                               else "far_above" if r["portfolio"] > c.PORTFOLIO_MIN * c.PORTFOLIO_FAR_ABOVE else "")
    return out, as_of


def _achievement(metric: str, value, target) -> Decimal | None:
    """Value against target in % (for "less is better" metrics, target ÷ value)."""
    if value is None or target is None:
        return None
    if metric in c.LOWER_IS_BETTER:
        return rate_pct(target, value) if dec(value) else Decimal("100.00")
    return rate_pct(value, target)


@dataclass
class Scorecard:
    month: date
    rows: list[dict]
    unit: dict[str, Any]
    sort: str
    # revenue, kWh and the collection rate from the monthly portfolio summary, as of its refresh
    from_summary: bool = False
    as_of: datetime | None = None


def scorecard(user, month: date, *, org_unit: OrgUnit | None = None, sort: str = "revenue",
              from_summary: bool | None = None) -> Scorecard:
    """Every visible person's KPIs with targets and a ranking by `sort`, and the unit's totals.

    Revenue, kWh and the collection rate come from the monthly portfolio summary
    (analytics.MonthlyPortfolio, as of `as_of`) for subtree and company scopes when the month was
    refreshed, and from the bills (live) for a manager's or specialist's own scorecard and for
    months never refreshed — as the dashboard (analytics.selectors.uses_summary). The other
    figures are live everywhere. `from_summary` forces the source (None: uses_summary(user))."""
    from powerkam.analytics.selectors import uses_summary

    from .models import Target

    if sort not in c.Metric.values:
        sort = c.Metric.REVENUE
    month = month.replace(day=1)
    people = list(team(user, org_unit))
    figures, as_of = _person_kpis(people, month,
                                  from_summary=uses_summary(user) if from_summary is None else from_summary)
    targets: dict[tuple[int, str], Decimal] = {
        (t["staff_id"], t["metric"]): t["value"]
        for t in Target.objects.filter(month=month, staff_id__in=[p.pk for p in people]).values("staff_id", "metric", "value")}
    rows = []
    for p in people:
        f = figures[p.pk]
        cells = {m: {"value": f.get(m), "target": targets.get((p.pk, m)),
                     "achievement": _achievement(m, f.get(m), targets.get((p.pk, m)))} for m in c.Metric.values}
        rows.append({"staff": p, "figures": f, "cells": cells})
    reverse = sort not in c.LOWER_IS_BETTER

    def key(r):
        v = r["figures"].get(sort)
        return (v is None, -(dec(v)) if reverse and v is not None else dec(v) if v is not None else 0,
                r["staff"].display_name)

    rows.sort(key=key)
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    tot = {k: sum((dec(figures[p.pk].get(k)) for p in people), ZERO) for k in (
        "billed", "kwh", "due_total", "due_paid", "complaints", "service_cost", "tasks_due", "tasks_done",
        "tasks_on_time", "visits_due", "visits_due_done", "portfolio", "surveys")}
    sat_sum = sum((dec(figures[p.pk].get("satisfaction_avg")) * (figures[p.pk].get("surveys") or 0) for p in people),
                  ZERO)
    unit = {
        "people": len(people), "revenue": money(tot["billed"]), "kwh": money(tot["kwh"]),
        "collection_rate": rate_pct(tot["due_paid"], tot["due_total"]), "complaints": int(tot["complaints"]),
        "service_cost": money(tot["service_cost"]),
        "task_completion": rate_pct(tot["tasks_done"], tot["tasks_due"]),
        "timeliness": rate_pct(tot["tasks_on_time"], tot["tasks_due"]),
        "visit_completion": rate_pct(tot["visits_due_done"], tot["visits_due"]),
        "portfolio": int(tot["portfolio"]),
        "satisfaction": avg1(sat_sum / tot["surveys"]) if tot["surveys"] else None,
        "below_1_15": sum(1 for p in people if figures[p.pk]["portfolio_flag"] == "below"),
    }
    return Scorecard(month=month, rows=rows, unit=unit, sort=sort, from_summary=as_of is not None, as_of=as_of)


def drill_down(user, staff: Staff, metric: str, month: date) -> tuple[str, QuerySet]:
    """The records behind one person's figure (kind, queryset), through the user's scope."""
    from powerkam.billing.models import Bill
    from powerkam.core.models import Task
    from powerkam.customers.constants import LifecycleStatus
    from powerkam.customers.models import Customer
    from powerkam.service.surveys.models import SurveyResponse
    from powerkam.service.tickets.constants import TicketType
    from powerkam.service.tickets.models import Ticket
    from powerkam.service.visits.constants import VisitStatus
    from powerkam.service.visits.models import Visit

    month = month.replace(day=1)
    start, end = month_bounds(month)
    first, last = month, last_day(month)
    if metric == c.Metric.SATISFACTION:
        return "surveys", scope_to_user(SurveyResponse.objects.filter(manager=staff, answered_at__gte=start,
                                                                      answered_at__lt=end).select_related("customer")
                                        .order_by("-answered_at"), user)
    if metric == c.Metric.COMPLAINTS:
        return "tickets", scope_to_user(Ticket.objects.filter(ticket_type=TicketType.COMPLAINT, about_staff=staff,
                                                              created_at__gte=start, created_at__lt=end)
                                        .select_related("customer").order_by("-created_at"), user)
    if metric in (c.Metric.REVENUE, c.Metric.KWH):
        return "bills", scope_to_user(Bill.objects.exclude(status=Bill.Status.VOID).filter(
            customer__primary_manager=staff, period=month).select_related("customer").order_by("-total"), user)
    if metric == c.Metric.COLLECTION_RATE:
        return "bills", scope_to_user(Bill.objects.exclude(status=Bill.Status.VOID).filter(
            customer__primary_manager=staff, due_on__gte=first, due_on__lte=last).select_related("customer")
            .order_by("due_on", "number"), user)
    if metric in (c.Metric.TASK_COMPLETION, c.Metric.TIMELINESS):
        qs = Task.objects.filter(assignee=staff, due_at__gte=start, due_at__lt=end).exclude(
            status=Task.Status.CANCELLED).select_related("customer").order_by("due_at")
        q = customer_scope_q(user, prefix="customer__")
        return "tasks", qs if q is None else qs.filter(q | Q(customer__isnull=True, assignee=staff))
    if metric in (c.Metric.VISIT_COMPLETION, c.Metric.SERVICE_COST):
        return "visits", scope_to_user(Visit.objects.filter(assignee=staff).filter(
            Q(due_on__gte=first, due_on__lte=last) | Q(done_on__gte=first, done_on__lte=last))
            .exclude(status=VisitStatus.CANCELLED).select_related("customer").order_by("due_on"), user)
    return "customers", visible_customers(user, Customer.objects.filter(primary_manager=staff).exclude(
        lifecycle_status=LifecycleStatus.CLOSED).select_related("org_unit").order_by("number"))


# --- units ------------------------------------------------------------------------------------------------


def display_units(user) -> tuple[list[OrgUnit], str]:
    """The columns of the work-quality page and the rows of the dashboard: for company roles the
    units directly under the company root; otherwise the children of the user's own unit (or the
    unit itself when it has none). Also the path of the whole (the company or the user's unit)."""
    units = list(OrgUnit.objects.filter(is_active=True).order_by("path"))
    if user.is_superuser or user.role in COMPANY_ROLES or not user.org_unit_id:
        roots = [u for u in units if u.parent_id is None]
        if len(roots) == 1:
            root = roots[0]
            return [u for u in units if u.parent_id == root.pk], root.path
        return roots, ""
    own = next((u for u in units if u.pk == user.org_unit_id), None)
    if own is None:
        return [], "/nonexistent/"
    children = [u for u in units if u.parent_id == own.pk]
    return children or [own], own.path


def _unit_of(paths: dict[int, str], columns: list[OrgUnit]):
    """org unit id → the display column whose subtree holds it (None: outside every column)."""
    memo: dict[int | None, int | None] = {}

    def find(unit_id):
        if unit_id not in memo:
            path = paths.get(unit_id, "")
            memo[unit_id] = next((col.pk for col in columns if path.startswith(col.path)), None) if path else None
        return memo[unit_id]

    return find


# --- work quality -------------------------------------------------------------------------------------------


def _process_sources(user, month: date) -> dict[str, tuple[QuerySet, Q, str]]:
    """Per process: (items due in the month, in scope), the "late" condition, the org-unit field."""
    from powerkam.core.models import Task
    from powerkam.service.outages.constants import ADVANCE_NOTICE, OutageStatus
    from powerkam.service.outages.models import Outage, OutageNotice
    from powerkam.service.tickets.constants import TicketType
    from powerkam.service.tickets.models import TicketStage
    from powerkam.service.visits.constants import VisitStatus
    from powerkam.service.visits.models import Visit

    start, end = month_bounds(month)
    first, last = month.replace(day=1), last_day(month)
    now = timezone.now()
    today = timezone.localdate()
    stages = scope_to_user(TicketStage.objects.filter(due_at__gte=start, due_at__lt=end), user, "ticket__customer")
    stage_late = Q(sla_met=False) | Q(completed_at__isnull=True, due_at__lt=now)
    task_late = Q(status=Task.Status.DONE, closed_at__gt=F("due_at")) | Q(status=Task.Status.OPEN, due_at__lt=now)

    def tasks(kind):
        return scope_to_user(Task.objects.filter(kind=kind, due_at__gte=start, due_at__lt=end)
                             .exclude(status=Task.Status.CANCELLED), user)

    outages = Outage.objects.filter(starts_at__gte=start, starts_at__lt=end).exclude(status=OutageStatus.CANCELLED)
    if not (user.is_superuser or user.role in COMPANY_ROLES):
        if user.role in PORTFOLIO_ROLES:
            outages = outages.filter(pk__in=scope_to_user(OutageNotice.objects.all(), user).values("outage_id"))
        else:
            units = subtree_unit_ids(user)
            if units is not None:
                outages = outages.filter(org_unit_id__in=units)
    notice_late = Q(notified_at__isnull=True, starts_at__lt=now)
    for kind, lead in ADVANCE_NOTICE.items():
        notice_late |= Q(kind=kind, notified_at__gt=ExpressionWrapper(F("starts_at") - lead,
                                                                       output_field=outages.model._meta.get_field("starts_at")))
    return {
        c.Process.TICKET_STAGES: (stages.exclude(ticket__ticket_type=TicketType.COMPLAINT), stage_late,
                                  "ticket__customer__org_unit_id"),
        c.Process.COMPLAINT_STAGES: (stages.filter(ticket__ticket_type=TicketType.COMPLAINT), stage_late,
                                     "ticket__customer__org_unit_id"),
        c.Process.VISITS: (scope_to_user(Visit.objects.filter(due_on__gte=first, due_on__lte=last)
                                         .exclude(status=VisitStatus.CANCELLED), user),
                           Q(status=VisitStatus.DONE, done_on__gt=F("due_on"))
                           | Q(status=VisitStatus.PLANNED, due_on__lt=today), "customer__org_unit_id"),
        c.Process.OUTAGE_NOTICES: (outages, notice_late, "org_unit_id"),
        c.Process.COLLECTION_STEPS: (tasks(Task.Kind.LADDER_STEP), task_late, "customer__org_unit_id"),
        c.Process.DATA_QUALITY: (tasks(Task.Kind.DATA_QUALITY), task_late, "customer__org_unit_id"),
        c.Process.CONNECTION_STAGES: (_connection_stages(user, first, last), stage_record_late(today),
                                      "project__org_unit_id"),
        c.Process.WEEKLY_REPORTS: (_weekly_report_tasks(user, start, end), task_late, "org_unit_id"),
    }


def stage_record_late(today: date) -> Q:
    """A connection-project stage past its deadline: ended after it, or still open (not paused)
    after it."""
    return (Q(ended_on__isnull=False, ended_on__gt=F("deadline"))
            | Q(ended_on__isnull=True, is_paused=False, deadline__lt=today))


def _connection_stages(user, first: date, last: date) -> QuerySet:
    """Connection-project stages due (deadline) in the month, of the projects the user sees
    (projects.scoping: portfolio, tracker, subtree)."""
    from powerkam.projects.models import StageRecord
    from powerkam.projects.scoping import project_scope_q

    qs = StageRecord.objects.filter(deadline__gte=first, deadline__lte=last).select_related("project")
    q = project_scope_q(user)
    if q is not None:
        from powerkam.projects.models import Project

        qs = qs.filter(project__in=Project.objects.filter(q).values("pk"))
    return qs


def _weekly_report_tasks(user, start: datetime, end: datetime) -> QuerySet:
    """The weekly report tasks of government projects due in the month (pipeline.services.report_key;
    the supervisor escalations left out), scoped as the pipeline scopes its projects: managers their
    own, supervisors their subtree, the company everything."""
    from powerkam.core.models import Task
    from powerkam.core.scoping import portfolio_scope_q

    qs = (Task.objects.filter(key__startswith="pipeline:report:", due_at__gte=start, due_at__lt=end)
          .exclude(key__endswith=":escalation").exclude(status=Task.Status.CANCELLED))
    q = portfolio_scope_q(user, managers=("assignee",), unit="org_unit")
    return qs if q is None else qs.filter(q)


def work_quality(user, month: date) -> dict[str, Any]:
    """SLA compliance of every process by display unit for one month: one GROUP BY per process."""
    month = month.replace(day=1)
    columns, _whole = display_units(user)
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    find = _unit_of(paths, columns)
    rows = []
    for process, (qs, late, unit_field) in _process_sources(user, month).items():
        cells: dict[int | None, list[int]] = {}
        for r in qs.order_by().values(unit_field).annotate(n=Count("pk"), late=Count("pk", filter=late)):
            col = find(r[unit_field])
            agg = cells.setdefault(col, [0, 0])
            agg[0] += r["n"]
            agg[1] += r["late"]
        total = [sum(v[0] for v in cells.values()), sum(v[1] for v in cells.values())]

        def cell(n_late, col_id):
            n, late_n = n_late
            return {"unit_id": col_id, "items": n, "late": late_n, "compliance": rate_pct(n - late_n, n)}

        rows.append({"process": process, "label": c.Process(process).label,
                     "cells": [cell(cells.get(col.pk, [0, 0]), col.pk) for col in columns],
                     "total": cell(total, None)})
    return {"month": month, "units": columns, "rows": rows, "missing": []}


def late_items(user, process: str, month: date, unit: OrgUnit | None = None) -> QuerySet:
    """The late items behind one work-quality figure."""
    qs, late, unit_field = _process_sources(user, month.replace(day=1))[process]
    qs = qs.filter(late)
    if unit is not None:
        units = OrgUnit.objects.filter(path__startswith=unit.path).values("pk")
        qs = qs.filter(**{f"{unit_field.removesuffix('_id')}__in": units})
    return qs


# --- executive dashboard ------------------------------------------------------------------------------------


def dashboard(user, month: date, *, from_summary: bool | None = None) -> dict[str, Any]:
    """The company (or the user's unit) and each display unit: each figure this month, the same
    month last year and the target. A fixed number of grouped queries (summaries where they exist).

    Billed, kWh, the collection rate and the arrears come from the monthly summaries for subtree
    and company scopes (`as_of`: their refresh time), from the bills and arrears positions for
    portfolios (`as_of` None: live) — as the sales-volume page (analytics.selectors.uses_summary).
    Arrears are live everywhere: the open bills past their due date (issue #10).
    `from_summary` forces one source (None: uses_summary(user))."""
    from powerkam.analytics.selectors import uses_summary
    from powerkam.customers.constants import LifecycleStatus
    from powerkam.service.surveys.models import SurveyResponse
    from powerkam.service.tickets.constants import TicketType
    from powerkam.service.tickets.models import ComplaintStageSummary, TicketMonthlySummary

    from .models import Target

    month = month.replace(day=1)
    ly = add_months(month, -12)
    columns, whole_path = display_units(user)
    units = list(OrgUnit.objects.values_list("pk", "path"))
    paths = dict(units)
    find = _unit_of(paths, columns)
    keys = [col.pk for col in columns] + [None]  # None: the whole
    fig: dict[Any, dict[str, Any]] = {k: {} for k in keys}

    def add(unit_id, name, value):
        """Add to the unit's column (if it lies in one) and to the whole (the data is scoped already)."""
        if value is None:
            return
        col = find(unit_id)
        for k in ((col, None) if col is not None else (None,)):
            bucket = fig.setdefault(k, {})
            bucket[name] = bucket.get(name, ZERO) + dec(value)

    # revenue and kWh, collection rate: the monthly sales and collection summaries for subtree and
    # company scopes (as of their refresh), a portfolio's own bills live; arrears live for all
    summary = uses_summary(user) if from_summary is None else from_summary
    if summary:
        as_of = _dashboard_summaries(user, month, ly, add)
    else:
        as_of = None
        _dashboard_live_money(user, month, ly, add)
    _dashboard_arrears(user, add)
    # complaints (the ticket summary) and complaint-stage SLA (the stage summary)
    unit_ids = subtree_unit_ids(user) if user.role not in COMPANY_ROLES and not user.is_superuser else None
    tsum = TicketMonthlySummary.objects.filter(month__in=[month, ly], ticket_type=TicketType.COMPLAINT)
    ssum = ComplaintStageSummary.objects.filter(month__in=[month, ly])
    if user.role in PORTFOLIO_ROLES and not user.is_superuser:
        tsum, ssum = tsum.none(), ssum.none()
    elif unit_ids is not None:
        tsum, ssum = tsum.filter(customer_unit_id__in=unit_ids), ssum.filter(customer_unit_id__in=unit_ids)
    for r in tsum.order_by().values("month", "customer_unit_id").annotate(n=Sum("n")):
        add(r["customer_unit_id"], "complaints" + ("" if r["month"] == month else "_ly"), r["n"])
    for r in ssum.order_by().values("month", "customer_unit_id").annotate(done=Sum("completed"), met=Sum("met")):
        suffix = "" if r["month"] == month else "_ly"
        add(r["customer_unit_id"], "stages_done" + suffix, r["done"])
        add(r["customer_unit_id"], "stages_met" + suffix, r["met"])
    # satisfaction
    start, end = month_bounds(month)
    ly_start, ly_end = month_bounds(ly)
    now_q, ly_q = Q(answered_at__gte=start, answered_at__lt=end), Q(answered_at__gte=ly_start, answered_at__lt=ly_end)
    for r in (scope_to_user(SurveyResponse.objects.filter(now_q | ly_q), user).order_by().values("customer__org_unit_id")
              .annotate(s=Sum("overall", filter=now_q), n=Count("id", filter=now_q),
                        s_ly=Sum("overall", filter=ly_q), n_ly=Count("id", filter=ly_q))):
        for name in ("s", "n", "s_ly", "n_ly"):
            add(r["customer__org_unit_id"], "sat_" + name, r[name])
    # key accounts now
    for r in (visible_customers(user).filter(is_key_account=True).exclude(lifecycle_status=LifecycleStatus.CLOSED)
              .order_by().values("org_unit_id").annotate(n=Count("id"))):
        add(r["org_unit_id"], "key_accounts", r["n"])
    _feeds_from_new_apps(user, month, ly, add)
    kept = snapshots.kept_figures(user, month, ly, keys, find)  # last year's states (and a past month's)
    # targets: per display unit (and the whole: the root's or the user's unit)
    whole_unit = next((pk for pk, path in units if path == whole_path), None)
    target_units = {col.pk: col.pk for col in columns}
    if whole_unit:
        target_units[whole_unit] = None
    targets: dict[tuple[Any, str], Decimal] = {}
    for t in Target.objects.filter(month=month, staff__isnull=True, org_unit_id__in=list(target_units)).values(
            "org_unit_id", "metric", "value"):
        targets[(target_units[t["org_unit_id"]], t["metric"])] = t["value"]

    def figures(k):
        kd = kept["by_key"].get(k, {})
        d = {**fig.get(k, {}), **{n: v for n, v in kd.items() if not n.endswith("_ly")}}
        sat = (d["sat_s"] / d["sat_n"]) if d.get("sat_n") else None
        sat_ly = (d["sat_s_ly"] / d["sat_n_ly"]) if d.get("sat_n_ly") else None
        unit_price = (d["revenue"] / d["kwh"]).quantize(Decimal("0.0001")) if d.get("kwh") else None
        unit_price_ly = (d["revenue_ly"] / d["kwh_ly"]).quantize(Decimal("0.0001")) if d.get("kwh_ly") else None
        items = [
            ("revenue", money(d.get("revenue")), money(d.get("revenue_ly"))),
            ("kwh", money(d.get("kwh")), money(d.get("kwh_ly"))),
            ("unit_price", unit_price, unit_price_ly),
            ("arrears", money(d.get("arrears")), kd.get("arrears_ly")),
            ("collection_rate", rate_pct(d.get("due_p"), d.get("due_b")), rate_pct(d.get("due_p_ly"), d.get("due_b_ly"))),
            ("complaints", int(d.get("complaints") or 0), int(d.get("complaints_ly") or 0)),
            ("sla", rate_pct(d.get("stages_met"), d.get("stages_done")),
             rate_pct(d.get("stages_met_ly"), d.get("stages_done_ly"))),
            ("satisfaction", avg1(sat), avg1(sat_ly)),
            ("key_accounts", int(d.get("key_accounts") or 0), kd.get("key_accounts_ly")),
            ("churn_risk", int(d.get("churn_risk") or 0), kd.get("churn_risk_ly")),
            ("pipeline", money(d.get("pipeline")), kd.get("pipeline_ly")),
            ("new_capacity", money(d.get("new_capacity")), kd.get("new_capacity_ly")),
            ("project_cycle_time", cycle_mean(d, ""), cycle_mean(d, "_ly")),
            ("project_within", rate_pct(d.get("cycle_within"), d.get("cycle_judged")),
             rate_pct(d.get("cycle_within_ly"), d.get("cycle_judged_ly"))),
        ]
        return {name: {"value": v, "last_year": lyv, "target": targets.get((k, name))} for name, v, lyv in items}

    return {"month": month, "last_year": ly, "whole": figures(None),
            "units": [{"unit": col, "figures": figures(col.pk)} for col in columns],
            "missing": [], "not_kept": kept["not_kept"], "as_of_today": kept["as_of_today"],
            "kept_from": kept["first_month"], "per_unit_only": kept["per_unit_only"],
            "from_summary": summary, "as_of": as_of}


def _dashboard_summaries(user, month: date, ly: date, add) -> datetime | None:
    """Billed and kWh of the month and of the same month last year (analytics.MonthlySales), the
    bills due in those months and what is paid on them (analytics.MonthlyCollection):
    two grouped queries over the summaries, one row per unit each. Returns the refresh time of the
    figures (the older of the two summaries'; None when neither was ever refreshed)."""
    from powerkam.analytics.models import MonthlyCollection, MonthlySales
    from powerkam.analytics.selectors import scope_summary

    times = []
    sales = (scope_summary(user, MonthlySales.objects.order_by()).filter(period__in=[month, ly])
             .values("org_unit_id").annotate(t=Sum("total", filter=Q(period=month)), k=Sum("kwh", filter=Q(period=month)),
                                             t_ly=Sum("total", filter=Q(period=ly)), k_ly=Sum("kwh", filter=Q(period=ly)),
                                             as_of=Max("refreshed_at")))
    for r in sales:
        for name, src in (("revenue", "t"), ("kwh", "k"), ("revenue_ly", "t_ly"), ("kwh_ly", "k_ly")):
            add(r["org_unit_id"], name, r[src])
        times.append(r["as_of"])
    collection = (scope_summary(user, MonthlyCollection.objects.order_by()).values("org_unit_id").annotate(
        b=Sum("billed", filter=Q(due_month=month)), p=Sum("paid", filter=Q(due_month=month)),
        b_ly=Sum("billed", filter=Q(due_month=ly)), p_ly=Sum("paid", filter=Q(due_month=ly)),
        as_of=Max("refreshed_at")))
    collection_times = []
    for r in collection:
        for name, src in (("due_b", "b"), ("due_p", "p"), ("due_b_ly", "b_ly"), ("due_p_ly", "p_ly")):
            add(r["org_unit_id"], name, r[src])
        collection_times.append(r["as_of"])
    # the sales rows read are those of two months only: when neither has any, the collection
    # summary's time (same job) stands for both
    latest = [t for t in (max(filter(None, times), default=None), max(filter(None, collection_times), default=None))
              if t is not None]
    return min(latest, default=None)


def _dashboard_live_money(user, month: date, ly: date, add) -> None:
    """The same figures for a portfolio (a manager's or specialist's few bills), from the bills,
    through the user's scope: three grouped queries."""
    from powerkam.billing.models import Bill

    for r in (scope_to_user(Bill.objects.exclude(status=Bill.Status.VOID).filter(period__in=[month, ly]), user)
              .order_by().values("period", "customer__org_unit_id").annotate(t=Sum("total"), k=Sum("kwh"))):
        suffix = "" if r["period"] == month else "_ly"
        add(r["customer__org_unit_id"], "revenue" + suffix, r["t"])
        add(r["customer__org_unit_id"], "kwh" + suffix, r["k"])
    # one range on the due-date index per month (an OR of the two ranges scans every bill on SQLite)
    for suffix, first in (("", month), ("_ly", ly)):
        for r in (scope_to_user(Bill.objects.exclude(status=Bill.Status.VOID)
                                .filter(due_on__gte=first, due_on__lte=last_day(first)), user).order_by()
                  .values("customer__org_unit_id").annotate(b=Sum("total"), p=Sum("paid_amount"))):
            add(r["customer__org_unit_id"], "due_b" + suffix, r["b"])
            add(r["customer__org_unit_id"], "due_p" + suffix, r["p"])


def _dashboard_arrears(user, add) -> None:
    """Arrears now, for every scope: the open bills past their due date (issue #10), not those not
    yet due (the arrears position and the collection summary count those too), with the number of
    customers owing.

    The past-due condition is marked `Unlikely` (core.dbfunctions): without it SQLite, which cannot
    tell how few open bills are past due, walks every customer of the scope and probes its open
    bills (`bill_open_customer_idx`) instead of reading the past-due ones by `bill_open_due_idx`
    (status, due_on) — 146 ms of the company dashboard's 180 at 100,000 customers. A portfolio
    still starts from its customers. PostgreSQL gets the same SQL as before."""
    from powerkam.billing.models import Bill

    for r in (scope_to_user(Bill.objects.filter(status=Bill.Status.OPEN, total__gt=F("paid_amount"))
                            .filter(Unlikely(Q(due_on__lt=timezone.localdate()))), user)
              .order_by().values("customer__org_unit_id")
              .annotate(s=Sum(F("total") - F("paid_amount")), n=Count("customer_id", distinct=True))):
        add(r["customer__org_unit_id"], "arrears", r["s"])
        add(r["customer__org_unit_id"], "arrears_customers", r["n"])


def cycle_mean(d: dict, suffix: str) -> Decimal | None:
    """Mean grid-side working days of the energised projects (the projects app's rounding)."""
    from powerkam.projects.analysis import mean_of

    return mean_of(d.get("cycle_days" + suffix) or 0, int(d.get("cycle_n" + suffix) or 0))


def _feeds_from_new_apps(user, month: date, ly: date, add) -> None:
    """The dashboard's figures from the consumption, pipeline and connection-project apps, each
    through that app's own scope and definitions (five grouped queries):

    - churn_risk: customers at churn risk today (consumption.analysis.churn_risk_q: an open drop or
      zero-reading anomaly, or a churn reason recorded in the last half year);
    - pipeline: weighted pipeline today (probability × expected annual revenue of the open
      opportunities, pipeline.selectors.weighted_sum: an exact Decimal on both databases);
    - new_capacity: kVA expected in the month (and the same month last year): open opportunities
      closing in it and approved, open, unconverted government projects expected to be energised
      in it (the pipeline forecast's capacity definition, restricted to approved projects);
    - project_cycle_time / project_within: mean grid-side working days of the connection projects
      energised in the month and the share within their commitment (projects.analysis)."""
    from django.db.models.functions import TruncMonth

    from powerkam.consumption.analysis import churn_risk_q
    from powerkam.consumption.models import UsageAnomaly
    from powerkam.pipeline import constants as pc
    from powerkam.pipeline.selectors import visible_opportunities, weighted_sum
    from powerkam.pipeline.selectors import visible_projects as visible_gov_projects
    from powerkam.projects import constants as prc
    from powerkam.projects.scoping import visible_projects

    today = timezone.localdate()
    for r in (scope_to_user(UsageAnomaly.objects.filter(churn_risk_q(today)), user).order_by()
              .values("customer__org_unit_id").annotate(n=Count("customer_id", distinct=True))):
        add(r["customer__org_unit_id"], "churn_risk", r["n"])
    open_opps = visible_opportunities(user).filter(stage__outcome=pc.StageOutcome.OPEN).order_by()
    for r in open_opps.values("org_unit_id").annotate(
            w=weighted_sum(),
            kva=Sum("expected_kva", filter=Q(close_on__gte=month, close_on__lte=last_day(month))),
            kva_ly=Sum("expected_kva", filter=Q(close_on__gte=ly, close_on__lte=last_day(ly)))):
        add(r["org_unit_id"], "pipeline", r["w"])
        add(r["org_unit_id"], "new_capacity", r["kva"])
        add(r["org_unit_id"], "new_capacity_ly", r["kva_ly"])
    for r in (visible_gov_projects(user).filter(gov_status=pc.GovStatus.APPROVED, is_closed=False,
                                                converted_at__isnull=True)
              .filter(Q(expected_energisation_on__gte=month, expected_energisation_on__lte=last_day(month))
                      | Q(expected_energisation_on__gte=ly, expected_energisation_on__lte=last_day(ly)))
              .order_by().annotate(m=TruncMonth("expected_energisation_on")).values("m", "org_unit_id")
              .annotate(kva=Sum("expected_capacity_kva"))):
        m = r["m"].date() if hasattr(r["m"], "date") and callable(r["m"].date) else r["m"]
        add(r["org_unit_id"], "new_capacity" + ("" if m == month else "_ly"), r["kva"])
    energised = visible_projects(user).filter(status=prc.Status.ENERGISED).filter(
        Q(energised_on__gte=month, energised_on__lte=last_day(month))
        | Q(energised_on__gte=ly, energised_on__lte=last_day(ly)))
    for r in (energised.order_by().values("org_unit_id").annotate(
            n=Count("id", filter=Q(energised_on__gte=month)),
            days=Sum("grid_workdays", filter=Q(energised_on__gte=month)),
            judged=Count("id", filter=Q(energised_on__gte=month, commitment_workdays__isnull=False)),
            within=Count("id", filter=Q(energised_on__gte=month, grid_workdays__lte=F("commitment_workdays"))),
            n_ly=Count("id", filter=Q(energised_on__lt=month)),
            days_ly=Sum("grid_workdays", filter=Q(energised_on__lt=month)),
            judged_ly=Count("id", filter=Q(energised_on__lt=month, commitment_workdays__isnull=False)),
            within_ly=Count("id", filter=Q(energised_on__lt=month, grid_workdays__lte=F("commitment_workdays"))))):
        for suffix in ("", "_ly"):
            add(r["org_unit_id"], "cycle_n" + suffix, r["n" + suffix])
            add(r["org_unit_id"], "cycle_days" + suffix, r["days" + suffix])
            add(r["org_unit_id"], "cycle_judged" + suffix, r["judged" + suffix])
            add(r["org_unit_id"], "cycle_within" + suffix, r["within" + suffix])
