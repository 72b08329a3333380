"""Read side of tickets: who sees which ticket, the list query, and the complaint analysis.

Visibility (core.scoping) plus first-contact responsibility: a ticket is visible to everyone
who may see its customer, and always to its first-contact owner, its current owner and anyone
who held one of its stages — the clerk who took a call keeps seeing "their" ticket whatever
customer it concerns, and a stage owner sees what became of the work they handed on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from powerkam.core.scoping import customer_scope_q, subtree_unit_ids
from powerkam.org.models import SUBTREE_ROLES, OrgUnit

from . import constants as c
from .models import (
    ComplaintStageBucket,
    ComplaintStageSummary,
    Ticket,
    TicketMonthlySummary,
    TicketStage,
    TicketSummaryRefresh,
)


def ticket_scope_q(user, *, customer_q: Q | None = None) -> Q | None:
    """The filter for tickets `user` may see, or None for everything. `customer_q` replaces the
    customer part (core.scoping) by an equivalent the caller has built (the complaint analysis)."""
    q = customer_scope_q(user, prefix="customer__")
    if q is None:
        return None
    if customer_q is not None:
        q = customer_q
    if not user or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    held = TicketStage.objects.filter(ticket_id=OuterRef("pk"), owner_id=user.pk)
    return q | Q(first_contact_owner_id=user.pk) | Q(assignee_id=user.pk) | Exists(held)


def visible_tickets(user, queryset: QuerySet | None = None) -> QuerySet:
    qs = Ticket.objects.all() if queryset is None else queryset
    q = ticket_scope_q(user)
    return qs if q is None else qs.filter(q)


def list_queryset(qs: QuerySet) -> QuerySet:
    return qs.select_related("customer", "org_unit", "first_contact_owner", "assignee", "about_staff")


# --- list filters ---------------------------------------------------------------------------------

SORTS = {
    "created": "created_at", "-created": "-created_at",
    "due": "due_at", "-due": "-due_at",
    "number": "number", "-number": "-number",
    "customer": "customer__name", "-customer": "-customer__name",
}
DEFAULT_SORT = "-created"


@dataclass
class ListParams:
    q: str = ""
    ticket_type: str = ""
    status: str = ""
    stage: str = ""
    channel: str = ""
    org_unit: int | None = None
    overdue: bool = False
    mine: str = ""
    sort: str = DEFAULT_SORT
    errors: dict = field(default_factory=dict)


def parse_params(data) -> ListParams:
    p = ListParams()
    p.q = (data.get("q") or "").strip()[:100]
    p.ticket_type = data.get("ticket_type", "") if data.get("ticket_type") in c.TicketType.values else ""
    p.status = data.get("status", "") if data.get("status") in c.Status.values or data.get("status") == "active" else ""
    p.stage = data.get("stage", "") if data.get("stage") in c.Stage.values else ""
    p.channel = data.get("channel", "") if data.get("channel") in c.Channel.values else ""
    try:
        p.org_unit = int(data.get("org_unit") or 0) or None
    except (TypeError, ValueError):
        p.org_unit = None
    p.overdue = data.get("overdue") in ("1", "true", "on")
    p.mine = data.get("mine", "") if data.get("mine") in ("first_contact", "assigned", "about") else ""
    p.sort = data.get("sort") if data.get("sort") in SORTS else DEFAULT_SORT
    return p


def filter_tickets(qs: QuerySet, p: ListParams, user, *, now: datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    if p.q:
        qs = qs.filter(Q(number__icontains=p.q) | Q(subject__icontains=p.q) | Q(customer__name__icontains=p.q)
                       | Q(customer__number=p.q) | Q(contact_phone=p.q) | Q(contact_name=p.q))
    if p.ticket_type:
        qs = qs.filter(ticket_type=p.ticket_type)
    if p.status == "active":
        qs = qs.exclude(status=c.Status.CLOSED)
    elif p.status:
        qs = qs.filter(status=p.status)
    if p.stage:
        qs = qs.filter(stage=p.stage)
    if p.channel:
        qs = qs.filter(channel=p.channel)
    if p.org_unit:
        unit = OrgUnit.objects.filter(pk=p.org_unit).values_list("path", flat=True).first()
        qs = qs.filter(org_unit__path__startswith=unit) if unit else qs.none()
    if p.overdue:
        qs = qs.exclude(status=c.Status.CLOSED).filter(due_at__lt=now)
    if p.mine == "first_contact":
        qs = qs.filter(first_contact_owner_id=user.pk)
    elif p.mine == "assigned":
        qs = qs.filter(assignee_id=user.pk)
    elif p.mine == "about":
        qs = qs.filter(about_staff_id=user.pk)
    return qs.order_by(SORTS[p.sort], "-id")


# --- ticket detail ---------------------------------------------------------------------------------


def ticket_detail_queryset() -> QuerySet:
    return Ticket.objects.select_related("customer", "customer__org_unit", "org_unit", "contact",
                                         "first_contact_owner", "assignee", "about_staff", "created_by",
                                         "current_stage", "current_stage__owner")


def ticket_stages(ticket: Ticket) -> list[TicketStage]:
    return list(ticket.stages.select_related("owner", "completed_by").order_by("started_at", "id"))


def ticket_events(ticket: Ticket) -> list:
    return list(ticket.events.select_related("actor", "target", "stage").order_by("occurred_at", "id"))


# --- complaint analysis ------------------------------------------------------------------------------


@dataclass
class AnalysisParams:
    date_from: date
    date_to: date  # inclusive
    org_unit: int | None = None
    unit_path: str = ""


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months up to today."""
    months = today.year * 12 + today.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1), today


def _bounds(p: AnalysisParams) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(p.date_from, time.min))
    end = timezone.make_aware(datetime.combine(p.date_to, time.max))
    return start, end


def analysis_base(user, p: AnalysisParams) -> QuerySet:
    start, end = _bounds(p)
    qs = visible_tickets(user).filter(created_at__gte=start, created_at__lte=end)
    if p.unit_path:
        qs = qs.filter(org_unit__path__startswith=p.unit_path)
    return qs


def _pct(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _hours(seconds) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _p90_by_stage(stages: QuerySet) -> dict[str, int]:
    """90th percentile (discrete: the smallest duration at or above 90 % of the values) of stage
    durations, per stage, computed in the database."""
    stages = stages.filter(duration_seconds__isnull=False)
    if connection.vendor == "postgresql":
        from django.db.models import Aggregate, FloatField

        class PercentileDisc(Aggregate):
            function = "PERCENTILE_DISC"
            template = "%(function)s(0.9) WITHIN GROUP (ORDER BY %(expressions)s)"
            output_field = FloatField()

        rows = stages.values("stage").annotate(p90=PercentileDisc("duration_seconds")).order_by()
        return {r["stage"]: int(r["p90"]) for r in rows}
    inner, params = stages.values("stage", "duration_seconds").order_by().query.sql_with_params()
    sql = ("SELECT stage, MIN(duration_seconds) FROM (SELECT stage, duration_seconds, "
           "CUME_DIST() OVER (PARTITION BY stage ORDER BY duration_seconds) AS cd FROM (" + inner + ") AS d) AS r "
           "WHERE cd >= 0.9 GROUP BY stage")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {stage: int(value) for stage, value in cursor.fetchall()}


def complaint_analysis(user, p: AnalysisParams) -> dict:
    """Everything the analysis page shows, in a fixed number of grouped queries.

    Subtree and company-wide users (supervisors, clerks, executives, administrators) read the
    nightly summaries for the full months of the period before the last refresh and count the
    rest live (`_hybrid_analysis`); key account managers and specialists, whose scope is a
    portfolio, get the live computation (`live_complaint_analysis`). Both give the same figures
    for the data as of the refresh (tests/tickets/test_analysis_summary.py)."""
    units = _summary_units(user)
    if units is _LIVE:
        return live_complaint_analysis(user, p)
    return _hybrid_analysis(user, p, units)


def live_complaint_analysis(user, p: AnalysisParams) -> dict:
    """The analysis computed from the tickets alone, in a fixed number of grouped queries (9)."""
    base = analysis_base(user, p)
    complaints = base.filter(ticket_type=c.TicketType.COMPLAINT)

    # One scan of the period's tickets, grouped by (month, type): by type, by month and the
    # complaint totals are all sums of these few rows (at most months × 6).
    cells = list(base.values("created_month", "ticket_type").annotate(
        n=Count("id"), closed=Count("id", filter=Q(status=c.Status.CLOSED)),
        reopened=Count("id", filter=Q(reopen_count__gt=0)), close_n=Count("hours_to_close"),
        close_sum=Sum("hours_to_close")).order_by())
    type_labels = dict(c.TicketType.choices)
    types: dict[str, dict] = {}
    months: dict = {}
    for r in cells:
        for bucket in (types.setdefault(r["ticket_type"], _zero()), months.setdefault(r["created_month"], _zero())):
            _add(bucket, r)
        if r["ticket_type"] == c.TicketType.COMPLAINT:
            months[r["created_month"]]["complaints"] += r["n"]
    by_type = sorted(({"key": k, "label": type_labels.get(k, k), "count": v["n"], "closed": v["closed"],
                       "avg_close_hours": _avg(v)} for k, v in types.items()), key=lambda r: (-r["count"], r["key"]))

    cause_labels = dict(c.Cause.choices)
    by_cause = [{"key": r["cause"], "label": cause_labels.get(r["cause"], _("Not classified")), "count": r["n"]}
                for r in complaints.values("cause").annotate(n=Count("id")).order_by("-n", "cause")]

    by_unit = [{"key": r["org_unit_id"], "label": r["org_unit__name"] or "—", "count": r["n"],
                "open": r["open"], "avg_close_hours": _round1(r["avg_close"])}
               for r in complaints.values("org_unit_id", "org_unit__name").annotate(
                   n=Count("id"), open=Count("id", filter=~Q(status=c.Status.CLOSED)),
                   avg_close=Avg("hours_to_close")).order_by("-n", "org_unit__name")]

    by_person = [{"key": r["about_staff_id"], "label": r["about_staff__full_name"] or r["about_staff__username"],
                  "unit": r["about_staff__org_unit__name"] or "", "count": r["n"]}
                 for r in complaints.filter(about_staff__isnull=False).values(
                     "about_staff_id", "about_staff__full_name", "about_staff__username",
                     "about_staff__org_unit__name").annotate(n=Count("id")).order_by("-n", "about_staff_id")[:20]]

    stages = TicketStage.objects.filter(ticket__in=complaints.values("pk"))
    stage_rows = {r["stage"]: r for r in stages.filter(completed_at__isnull=False).values("stage").annotate(
        n=Count("id"), avg=Avg("duration_seconds"), met=Count("id", filter=Q(sla_met=True)),
        longest=Max("duration_seconds")).order_by()}
    p90 = _p90_by_stage(stages)
    stage_durations = []
    total_done = total_met = 0
    for stage in c.COMPLAINT_STAGES:
        r = stage_rows.get(stage)
        n, met = (r["n"], r["met"]) if r else (0, 0)
        total_done += n
        total_met += met
        stage_durations.append({
            "key": stage, "label": c.Stage(stage).label, "count": n,
            "avg_hours": _hours(r["avg"]) if r else None, "p90_hours": _hours(p90.get(stage)),
            "max_hours": _hours(r["longest"]) if r else None, "sla_pct": _pct(met, n),
        })

    monthly = [{"month": m, "count": v["n"], "complaints": v["complaints"], "closed": v["closed"],
                "avg_close_hours": _avg(v)} for m, v in sorted(months.items(), key=lambda kv: (kv[0] is None, kv[0]))]
    cv = types.get(c.TicketType.COMPLAINT, _zero())
    totals = {"n": cv["n"], "closed": cv["closed"], "reopened": cv["reopened"], "avg_close": _avg(cv)}
    return {
        "by_type": by_type, "by_cause": by_cause, "by_unit": by_unit, "by_person": by_person,
        "stage_durations": stage_durations, "monthly": monthly,
        "totals": {"complaints": totals["n"], "closed": totals["closed"], "reopened": totals["reopened"],
                   "avg_close_hours": _round1(totals["avg_close"]), "sla_pct": _pct(total_met, total_done),
                   "tickets": sum(r["count"] for r in by_type)},
    }


# --- complaint analysis from the summaries ----------------------------------------------------------
#
# The summaries (models.TicketMonthlySummary, models.ComplaintStageSummary) hold, per month and
# per (customer's unit, ticket's unit), the same sums the live queries compute, for every ticket
# taken in before the refresh day; the 90th percentile comes from counts per 6-minute bucket,
# which is exact at the precision shown (hours with one decimal). The period is split in two: its
# full months (and the current month up to the refresh day, when the period reaches it) come from
# the summaries, the rest (partial months at either end, today) from the tickets, and the two are
# added before anything is rounded, ranked or sorted. Exact on PostgreSQL (numeric sums); SQLite
# sums decimals as floats in both paths, and the figures, rounded to 0.1, agree (the tests).

_LIVE = object()
PERSON = ("about_staff_id", "about_staff__full_name", "about_staff__username", "about_staff__org_unit__name")
P90 = 0.9
BUCKET_SECONDS = 360  # 0.1 hour: the precision the page shows durations with
COARSE_BUCKETS = 100  # 10 hours: the slices of the coarse histogram (ComplaintStageSummary.coarse)


def _summary_units(user):
    """The org units whose customers' tickets `user` sees in the summaries: None for every unit,
    a list for a subtree, or _LIVE when the scope is not an org subtree (portfolio roles)."""
    if not user or not user.is_authenticated or not user.is_active:
        return _LIVE
    if customer_scope_q(user) is None:
        return None
    if user.role in SUBTREE_ROLES and user.org_unit_id:
        return subtree_unit_ids(user)
    return _LIVE


def _next_month(m: date) -> date:
    return date(m.year + m.month // 12, m.month % 12 + 1, 1)


def _summary_span(p: AnalysisParams, covered_until: date | None) -> tuple[date, date] | None:
    """[first, end): the days of the period read from the summaries, or None. They start on the
    first of a month and end on the first of a month — or on `covered_until` (the refresh day)
    when the period reaches it, since the summaries hold the current month up to that day."""
    if covered_until is None:
        return None
    first = p.date_from if p.date_from.day == 1 else _next_month(p.date_from)
    after = p.date_to + timedelta(days=1)
    end = covered_until if covered_until <= after else min(after.replace(day=1), covered_until)
    return (first, end) if first < end else None


def _p90_rank(n: int) -> int:
    """The position (1-based) of the 90th percentile among n sorted values, exactly as the live
    query finds it: PERCENTILE_DISC on PostgreSQL (ceil(0.9 × n) in float8), the smallest value
    whose CUME_DIST() >= 0.9 on SQLite."""
    k = max(1, math.ceil(P90 * n))
    if connection.vendor != "postgresql":
        while k > 1 and (k - 1) / n >= P90:
            k -= 1
        while k < n and k / n < P90:
            k += 1
    return k


def _personal_ticket_ids(user, since: datetime, until: datetime, units: list[int]) -> list[int]:
    """Tickets taken in from `since` to `until` that `user` sees only because they took them in,
    hold them or held one of their stages (ticket_scope_q): their customers are outside the user's
    subtree, so the summaries do not count them for the user; they are counted live."""
    personal = (Ticket.objects.filter(first_contact_owner_id=user.pk).values("pk").order_by()
                .union(Ticket.objects.filter(assignee_id=user.pk).values("pk").order_by(),
                       TicketStage.objects.filter(owner_id=user.pk).values("ticket_id").order_by()))
    return list(Ticket.objects.filter(pk__in=personal, created_at__gte=since, created_at__lt=until)
                .exclude(customer__org_unit_id__in=units).values_list("pk", flat=True).order_by())


def _hybrid_analysis(user, p: AnalysisParams, units: list[int] | None) -> dict:
    state = TicketSummaryRefresh.objects.order_by("-refreshed_at").first()
    months = _summary_span(p, state.covered_until if state else None)
    start, end = _bounds(p)
    live_q, live = Q(), True  # the part counted from the tickets: all of the period, or what is left
    if months is not None:
        s_start = timezone.make_aware(datetime.combine(months[0], time.min))
        s_end = timezone.make_aware(datetime.combine(months[1], time.min))
        live_q, live = Q(pk__in=[]), False
        if start < s_start:
            live_q, live = live_q | Q(created_at__gte=start, created_at__lt=s_start), True
        if s_end <= end:
            live_q, live = live_q | Q(created_at__gte=s_end, created_at__lte=end), True
        if units is not None:
            personal = _personal_ticket_ids(user, s_start, s_end, units)
            if personal:
                live_q, live = live_q | Q(pk__in=personal), True
    org_units = list(OrgUnit.objects.order_by("name", "pk").values_list("pk", "name", "path"))
    names = {pk: name for pk, name, _path in org_units}
    rank = {pk: i for i, (pk, _name, _path) in enumerate(org_units)}
    # Where the live ORDER BY name puts a ticket without org unit (NULL): last on PostgreSQL, first on SQLite.
    null_rank = len(org_units) if connection.vendor == "postgresql" else -1

    cells: list[dict] = []
    groups: list[dict] = []  # complaints per (org_unit_id, cause, about_staff_id)
    stage_rows: list[dict] = []  # complaint stages per (stage, coarse) from the summary, (stage, bucket) live
    complaint = c.TicketType.COMPLAINT
    bucket_summary = None
    if months is not None:
        in_span = Q(month__gte=months[0], month__lt=months[1])
        if units is not None:
            in_span &= Q(customer_unit_id__in=units)
        if p.unit_path:
            in_span &= Q(org_unit_id__in=[pk for pk, _name, path in org_units if path.startswith(p.unit_path)])
        summary = TicketMonthlySummary.objects.filter(in_span).order_by()
        stage_summary = ComplaintStageSummary.objects.filter(in_span).order_by()
        bucket_summary = ComplaintStageBucket.objects.filter(in_span).order_by()
        cells += summary.values("ticket_type", created_month=F("month")).annotate(
            n=Sum("n"), closed=Sum("closed"), reopened=Sum("reopened"), close_n=Sum("close_n"),
            close_sum=Sum("close_sum"))
        groups += summary.filter(ticket_type=complaint).values("org_unit_id", "cause", *PERSON).annotate(
            n=Sum("n"), closed=Sum("closed"), close_n=Sum("close_n"), close_sum=Sum("close_sum"))
        stage_rows += stage_summary.values("stage", "coarse").annotate(
            timed=Sum("timed"), completed=Sum("completed"), met=Sum("met"), done_timed=Sum("done_timed"),
            done_seconds=Sum("done_seconds"), done_longest=Max("done_longest"))
    if live:
        base = Ticket.objects.filter(live_q, created_at__gte=start, created_at__lte=end)
        if units is not None:
            # visible_tickets, with the customer's unit read per ticket (a scalar subquery on the
            # customer's primary key): the live part is a few thousand tickets, and a join would
            # hash every customer of the company for them.
            from powerkam.customers.models import Customer

            base = base.alias(customer_unit=Subquery(
                Customer.objects.filter(pk=OuterRef("customer_id")).order_by().values("org_unit_id")[:1])).filter(
                ticket_scope_q(user, customer_q=Q(customer_unit__in=units)))
        if p.unit_path:
            base = base.filter(org_unit__path__startswith=p.unit_path)
        complaints = base.filter(ticket_type=complaint)
        cells += base.values("created_month", "ticket_type").annotate(
            n=Count("id"), closed=Count("id", filter=Q(status=c.Status.CLOSED)),
            reopened=Count("id", filter=Q(reopen_count__gt=0)), close_n=Count("hours_to_close"),
            close_sum=Sum("hours_to_close")).order_by()
        groups += complaints.values("org_unit_id", "cause", *PERSON).annotate(
            n=Count("id"), closed=Count("id", filter=Q(status=c.Status.CLOSED)), close_n=Count("hours_to_close"),
            close_sum=Sum("hours_to_close")).order_by()
        done = Q(completed_at__isnull=False)
        stage_rows += TicketStage.objects.filter(ticket__in=complaints.values("pk")).annotate(
            bucket=(F("duration_seconds") + Value(BUCKET_SECONDS // 2)) / Value(BUCKET_SECONDS)).values(
            "stage", "bucket").annotate(
            timed=Count("duration_seconds"), completed=Count("id", filter=done),
            met=Count("id", filter=done & Q(sla_met=True)), done_timed=Count("duration_seconds", filter=done),
            done_seconds=Sum("duration_seconds", filter=done), done_longest=Max("duration_seconds", filter=done),
        ).order_by()

    # By type, by month, totals: as the live computation, from the (month, type) cells.
    type_labels = dict(c.TicketType.choices)
    types: dict[str, dict] = {}
    by_month: dict = {}
    for r in cells:
        for bucket in (types.setdefault(r["ticket_type"], _zero()), by_month.setdefault(r["created_month"], _zero())):
            _add(bucket, r)
        if r["ticket_type"] == complaint:
            by_month[r["created_month"]]["complaints"] += r["n"]
    by_type = sorted(({"key": k, "label": type_labels.get(k, k), "count": v["n"], "closed": v["closed"],
                       "avg_close_hours": _avg(v)} for k, v in types.items()), key=lambda r: (-r["count"], r["key"]))

    # By cause, unit and person: sums of the complaint groups, sorted as the live ORDER BY.
    causes: dict[str, int] = {}
    unit_sums: dict = {}
    people: dict[int, int] = {}
    person_rows: dict[int, dict] = {}
    for r in groups:
        causes[r["cause"]] = causes.get(r["cause"], 0) + r["n"]
        u = unit_sums.setdefault(r["org_unit_id"], {"n": 0, "closed": 0, "close_n": 0, "close_sum": Decimal(0)})
        u["n"] += r["n"]
        u["closed"] += r["closed"]
        u["close_n"] += r["close_n"]
        u["close_sum"] += Decimal(r["close_sum"] or 0)
        if r["about_staff_id"] is not None:
            people[r["about_staff_id"]] = people.get(r["about_staff_id"], 0) + r["n"]
            person_rows[r["about_staff_id"]] = r
    cause_labels = dict(c.Cause.choices)
    by_cause = [{"key": k, "label": cause_labels.get(k, _("Not classified")), "count": n}
                for k, n in sorted(causes.items(), key=lambda kv: (-kv[1], kv[0])) if n]
    by_unit = [{"key": k, "label": names.get(k) or "—", "count": u["n"], "open": u["n"] - u["closed"],
                "avg_close_hours": _round1(u["close_sum"] / u["close_n"]) if u["close_n"] else None}
               for k, u in sorted(unit_sums.items(), key=lambda kv: (-kv[1]["n"], rank.get(kv[0], null_rank)))
               if u["n"]]
    top = [(pk, n) for pk, n in sorted(people.items(), key=lambda kv: (-kv[1], kv[0])) if n][:20]
    by_person = [{"key": pk, "label": person_rows[pk]["about_staff__full_name"] or person_rows[pk]["about_staff__username"],
                  "unit": person_rows[pk]["about_staff__org_unit__name"] or "", "count": n} for pk, n in top]

    # Stage durations: sums per stage. The 90th percentile: the 10-hour slice that holds it from
    # the coarse counts, then the 6-minute bucket inside that slice from the fine counts.
    stats: dict[str, dict] = {}
    for r in stage_rows:
        s = stats.setdefault(r["stage"], {"timed": 0, "completed": 0, "met": 0, "done_timed": 0, "done_seconds": 0,
                                          "done_longest": None, "coarse": {}, "fine": {}})
        for key in ("timed", "completed", "met", "done_timed"):
            s[key] += r[key] or 0
        s["done_seconds"] += r["done_seconds"] or 0
        if r["done_longest"] is not None and (s["done_longest"] is None or r["done_longest"] > s["done_longest"]):
            s["done_longest"] = r["done_longest"]
        coarse = r["coarse"] if "coarse" in r else (None if r["bucket"] is None else r["bucket"] // COARSE_BUCKETS)
        if coarse is not None and r["timed"]:
            s["coarse"][coarse] = s["coarse"].get(coarse, 0) + r["timed"]
            if "bucket" in r:
                s["fine"][r["bucket"]] = s["fine"].get(r["bucket"], 0) + r["timed"]
    slices = {}  # stage → (coarse slice holding the percentile, stages below it, rank)
    for stage, s in stats.items():
        if s["timed"]:
            k, below = _p90_rank(s["timed"]), 0
            for cb in sorted(s["coarse"]):
                if below + s["coarse"][cb] >= k:
                    slices[stage] = (cb, below, k)
                    break
                below += s["coarse"][cb]
    if bucket_summary is not None and slices:
        in_slice = Q()
        for stage, (cb, _below, _k) in slices.items():
            in_slice |= Q(stage=stage, bucket__gte=cb * COARSE_BUCKETS, bucket__lt=(cb + 1) * COARSE_BUCKETS)
        for r in bucket_summary.filter(in_slice).values("stage", "bucket").annotate(n=Sum("timed")):
            fine = stats[r["stage"]]["fine"]
            fine[r["bucket"]] = fine.get(r["bucket"], 0) + r["n"]
    stage_durations = []
    total_done = total_met = 0
    for stage in c.COMPLAINT_STAGES:
        s = stats.get(stage)
        n, met = (s["completed"], s["met"]) if s else (0, 0)
        total_done += n
        total_met += met
        p90 = None
        if stage in slices:
            cb, seen, k = slices[stage]
            for b in sorted(b for b in s["fine"] if b // COARSE_BUCKETS == cb):
                seen += s["fine"][b]
                if seen >= k:
                    p90 = (Decimal(b) * BUCKET_SECONDS / 3600).quantize(Decimal("0.1"))
                    break
        done = s if s and n else None
        stage_durations.append({
            "key": stage, "label": c.Stage(stage).label, "count": n,
            "avg_hours": _hours(done["done_seconds"] / done["done_timed"]) if done and done["done_timed"] else None,
            "p90_hours": p90, "max_hours": _hours(done["done_longest"]) if done else None, "sla_pct": _pct(met, n),
        })

    monthly = [{"month": m, "count": v["n"], "complaints": v["complaints"], "closed": v["closed"],
                "avg_close_hours": _avg(v)} for m, v in sorted(by_month.items(), key=lambda kv: (kv[0] is None, kv[0]))]
    cv = types.get(complaint, _zero())
    return {
        "by_type": by_type, "by_cause": by_cause, "by_unit": by_unit, "by_person": by_person,
        "stage_durations": stage_durations, "monthly": monthly,
        "totals": {"complaints": cv["n"], "closed": cv["closed"], "reopened": cv["reopened"],
                   "avg_close_hours": _avg(cv), "sla_pct": _pct(total_met, total_done),
                   "tickets": sum(r["count"] for r in by_type)},
        "as_of": state.refreshed_at if months is not None else None,
    }


def _zero() -> dict:
    return {"n": 0, "closed": 0, "reopened": 0, "close_n": 0, "close_sum": Decimal(0), "complaints": 0}


def _add(bucket: dict, row: dict) -> None:
    for key in ("n", "closed", "reopened", "close_n"):
        bucket[key] += row[key]
    bucket["close_sum"] += Decimal(row["close_sum"] or 0)


def _avg(bucket: dict) -> Decimal | None:
    return _round1(bucket["close_sum"] / bucket["close_n"]) if bucket["close_n"] else None


def _round1(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)
