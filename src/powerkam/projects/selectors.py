"""Read side of connection projects: who sees which project, the list and board queries, the
project page's data and the cycle-time report (issue #12 items 7 and 8).

Visibility goes through the one project scope (projects.scoping over core.scoping), which the
API uses too. Every page here runs a fixed number of queries whatever the number of projects (the tests
assert it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from powerkam.core.dbfunctions import KeepOffIndex, MonthStart
from powerkam.customers import constants as cc
from powerkam.org.models import OrgUnit

from . import analysis, deadlines, scoping
from . import constants as c
from .models import Pause, Project, StageRecord, TimingRule

# --- visibility: the one project scope (scoping.py, over core.scoping) ---------------------------------

visible_projects = scoping.visible_projects


def row_queryset(qs: QuerySet) -> QuerySet:
    """The columns a list row, a board card and an export row show."""
    return qs.select_related("customer", "org_unit", "tracker", "first_contact_owner")


# --- list and board filters ------------------------------------------------------------------------

SORTS = {
    "due": ("due_on", "id"), "-due": ("-due_on", "-id"),
    "number": ("number",), "-number": ("-number",),
    "accepted": ("accepted_on", "id"), "-accepted": ("-accepted_on", "-id"),
    "applicant": ("applicant_name", "id"), "-applicant": ("-applicant_name", "-id"),
    "capacity": ("requested_capacity_kva", "id"), "-capacity": ("-requested_capacity_kva", "-id"),
}
DEFAULT_SORT = "due"


@dataclass
class ListParams:
    q: str = ""
    org_unit: int | None = None
    tracker: int | None = None
    application_type: str = ""
    voltage_level: str = ""
    stage: str = ""
    status: str = c.Status.OPEN
    overdue: bool = False
    green: bool = False
    # drill-down from the cycle-time report
    done_stage: str = ""
    ended_from: date | None = None
    ended_to: date | None = None
    energised_from: date | None = None
    energised_to: date | None = None
    sort: str = DEFAULT_SORT
    extra: dict = field(default_factory=dict)


def _int(value) -> int | None:
    try:
        number = int(value or 0)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def parse_params(data) -> ListParams:
    """The list's (and board's) filters from a query string; an unknown value is ignored."""
    p = ListParams()
    p.q = (data.get("q") or "").replace("\x00", "").strip()[:100]
    p.org_unit = _int(data.get("org_unit"))
    p.tracker = _int(data.get("tracker"))
    p.application_type = v if (v := data.get("application_type")) in c.ApplicationType.values else ""
    p.voltage_level = v if (v := data.get("voltage_level")) in cc.VoltageLevel.values else ""
    p.stage = v if (v := data.get("stage")) in c.Stage.values else ""
    status = data.get("status")
    p.status = status if status in c.Status.values or status == "all" else c.Status.OPEN
    p.overdue = data.get("overdue") in ("1", "true", "on")
    p.green = data.get("green") in ("1", "true", "on")
    p.done_stage = v if (v := data.get("done_stage")) in c.Stage.values else ""
    p.ended_from, p.ended_to = _date(data.get("ended_from")), _date(data.get("ended_to"))
    p.energised_from, p.energised_to = _date(data.get("energised_from")), _date(data.get("energised_to"))
    p.sort = data.get("sort") if data.get("sort") in SORTS else DEFAULT_SORT
    return p


def search_projects(qs: QuerySet, term: str) -> QuerySet:
    """Number, applicant, site address, customer number or name — a fragment of any length, so
    a two-character Chinese term (钢铁, 城北) finds what contains it."""
    term = (term or "").strip()
    if not term:
        return qs
    return qs.filter(Q(number__icontains=term) | Q(applicant_name__icontains=term) | Q(site_address__icontains=term)
                     | Q(customer__name__icontains=term) | Q(customer__number__startswith=term)
                     | Q(legacy_number=term))


def filter_projects(qs: QuerySet, p: ListParams, *, today: date | None = None, board: bool = False) -> QuerySet:
    today = today or timezone.localdate()
    qs = search_projects(qs, p.q)
    if p.org_unit:
        path = OrgUnit.objects.filter(pk=p.org_unit).values_list("path", flat=True).first()
        qs = qs.filter(org_unit__path__startswith=path) if path else qs.none()
    if p.tracker:
        qs = qs.filter(tracker_id=p.tracker)
    if p.application_type:
        qs = qs.filter(application_type=p.application_type)
    if p.voltage_level:
        qs = qs.filter(voltage_level=p.voltage_level)
    if p.stage and not board:
        qs = qs.filter(stage=p.stage)
    if board:
        qs = qs.filter(status=c.Status.OPEN)
    elif p.status != "all":
        qs = qs.filter(status=p.status)
    if p.overdue:
        qs = qs.filter(status=c.Status.OPEN, is_paused=False, due_on__lt=today)
    if p.green:
        qs = qs.filter(green_channel=True)
    if p.energised_from:
        qs = qs.filter(energised_on__gte=p.energised_from)
    if p.energised_to:
        qs = qs.filter(energised_on__lte=p.energised_to)
    if p.done_stage or p.ended_from or p.ended_to:
        done = StageRecord.objects.filter(project_id=OuterRef("pk"), ended_on__isnull=False)
        if p.done_stage:
            done = done.filter(stage=p.done_stage)
        if p.ended_from:
            done = done.filter(ended_on__gte=p.ended_from)
        if p.ended_to:
            done = done.filter(ended_on__lte=p.ended_to)
        qs = qs.filter(Exists(done))
    return qs


def ordered(qs: QuerySet, sort: str) -> QuerySet:
    """Green-channel projects first everywhere (issue #12 §3), then the chosen order."""
    return qs.order_by("-green_channel", *SORTS.get(sort, SORTS[DEFAULT_SORT]))


def list_queryset(user, p: ListParams) -> QuerySet:
    """The list's rows with their labels' joins (the export streams these)."""
    return ordered(row_queryset(filter_projects(visible_projects(user), p)), p.sort)


def list_ids(user, p: ListParams) -> QuerySet:
    """The list's project ids in the list's order, over the bare project rows: the page's ids are
    sorted and sliced before any join (joining the customers, org units and staff first made
    PostgreSQL join and sort every project in scope — 100,000 customers hashed — to show 25);
    `rows_by_id` then reads the page's rows."""
    return ordered(filter_projects(visible_projects(user), p), p.sort).values_list("pk", flat=True)


def rows_by_id(ids, today: date) -> list:
    """The rows of these project ids, in the order of `ids`, with what a row or card shows
    (one query)."""
    ids = list(ids)
    rows = {r.pk: r for r in prepare_rows(row_queryset(Project.objects.filter(pk__in=ids)).order_by(), today)}
    return [rows[pk] for pk in ids if pk in rows]


# --- board ---------------------------------------------------------------------------------------

BOARD_CARDS = 15  # cards per column; the column's count shows how many more the list holds


def prepare_rows(rows, today: date) -> list:
    """The projects with what a board card or list row shows, computed once per row with one
    {code: label} map per choice field (the template engine resolving get_FOO_display and
    includes per card was most of the board's cost): `url`, `type_label`, `voltage_label`,
    `mode_label`, `stage_label`, `tracker_name`, `overdue`."""
    from django.urls import reverse

    marker = 987654321
    prefix, suffix = reverse("projects:detail", args=[marker]).split(str(marker))
    types = {k: str(v) for k, v in c.ApplicationType.choices}
    voltages = {k: str(v) for k, v in cc.VoltageLevel.choices}
    modes = {k: str(v) for k, v in c.SupplyMode.choices}
    stages = {k: str(v) for k, v in c.Stage.choices}
    rows = list(rows)
    for p in rows:
        p.url = f"{prefix}{p.pk}{suffix}"
        p.type_label = types.get(p.application_type, p.application_type)
        p.voltage_label = voltages.get(p.voltage_level, p.voltage_level)
        p.mode_label = modes.get(p.supply_mode, p.supply_mode)
        p.stage_label = stages.get(p.stage, p.stage)
        p.tracker_name = p.tracker.display_name
        p.overdue = p.status == c.Status.OPEN and not p.is_paused and p.due_on is not None and p.due_on < today
    return rows


def board(user, p: ListParams, *, today: date | None = None, per_column: int = BOARD_CARDS) -> list[dict]:
    """Open projects by stage: one column per stage with its count, overdue count and first
    cards (green channel first, then the soonest deadline). Three queries whatever the size."""
    today = today or timezone.localdate()
    qs = filter_projects(visible_projects(user), p, today=today, board=True)
    counts = {r["stage"]: r for r in qs.order_by().values("stage").annotate(
        n=Count("id"), overdue=Count("id", filter=Q(is_paused=False, due_on__lt=today)))}
    # The first cards of every column: their ids ranked in one window query over the bare
    # project rows (no joins), then those rows with what a card shows.
    ranked = list(qs.annotate(rank=Window(
        RowNumber(), partition_by=[F("stage")],
        order_by=[F("green_channel").desc(), F("due_on").asc(nulls_last=True), F("id").asc()])).filter(
        rank__lte=per_column).order_by("stage", "rank").values_list("pk", flat=True))
    cards: dict[str, list] = defaultdict(list)
    for row in rows_by_id(ranked, today):
        cards[row.stage].append(row)
    columns = []
    for stage, label in c.Stage.choices:
        r = counts.get(stage, {"n": 0, "overdue": 0})
        columns.append({"stage": stage, "label": label, "count": r["n"], "overdue": r["overdue"],
                        "cards": cards.get(stage, []), "more": max(r["n"] - len(cards.get(stage, [])), 0)})
    return columns


# --- the project page ------------------------------------------------------------------------------


def detail_queryset() -> QuerySet:
    return Project.objects.select_related("customer", "org_unit", "tracker", "first_contact_owner", "created_by",
                                          "current_stage", "current_stage__owner")


@dataclass
class StageClock:
    """One stage on the project page: both clocks against its commitment."""

    record: StageRecord
    grid_workdays: int
    customer_workdays: int
    limit_workdays: int | None
    used_pct: int | None
    within: bool | None
    is_open: bool
    overdue: bool
    pauses: list = field(default_factory=list)


def _live_clock(record: StageRecord, pauses: list[Pause], today: date) -> tuple[int, int]:
    """(grid-side, customer-side) working days of a stage still running, up to today: the
    closed pauses' working days and an open pause counted to today (deadlines.clocks)."""
    paused = sum(p.workdays or 0 for p in pauses if p.ended_on)
    paused += sum(deadlines.paused_workdays(p.started_on, today) for p in pauses if not p.ended_on)
    return deadlines.clocks(record.started_on, today, side=record.side, paused=paused)


def stage_clocks(project: Project, today: date | None = None) -> list[StageClock]:
    """Every stage record of the project, oldest first, with its clocks (two queries)."""
    today = today or timezone.localdate()
    records = list(project.stages.select_related("owner", "completed_by").order_by("started_on", "id"))
    pauses: dict[int, list] = defaultdict(list)
    for pause in Pause.objects.filter(project=project).select_related("started_by").order_by("started_on", "id"):
        pauses[pause.stage_record_id].append(pause)
    out = []
    for r in records:
        mine = pauses.get(r.pk, [])
        if r.ended_on is not None and r.grid_workdays is not None:
            grid, customer = r.grid_workdays, r.customer_workdays or 0
        else:
            grid, customer = _live_clock(r, mine, today)
        limit = r.limit_workdays
        used = round(grid * 100 / limit) if limit else None
        within = r.within_commitment if r.ended_on else (grid <= limit if limit else None)
        overdue = r.ended_on is None and not r.is_paused and r.deadline is not None and r.deadline < today
        out.append(StageClock(record=r, grid_workdays=grid, customer_workdays=customer, limit_workdays=limit,
                              used_pct=used, within=within, is_open=r.ended_on is None, overdue=overdue,
                              pauses=mine))
    return out


def stage_limits(project: Project) -> list[dict]:
    """The project's time limits per stage of its flow and the grid-side total, from the timing
    table (the one-time notice prints them): one query."""
    rules = {r.stage: r for r in TimingRule.objects.filter(
        application_type=project.application_type, voltage_level=project.voltage_level,
        supply_mode=project.supply_mode, green_channel=project.green_channel)}
    rows = [{"stage": s, "label": c.Stage(s).label, "workdays": rules[s].workdays if s in rules else None,
             "side": c.side_of(s)} for s in project.flow]
    total = rules.get(c.TOTAL)
    return rows + [{"stage": c.TOTAL, "label": None, "workdays": total.workdays if total else None,
                    "side": c.Side.GRID}]


def gantt_data(project: Project, clocks: list[StageClock], today: date) -> dict:
    """The timeline chart's data: a row per stage of the flow, a bar per stage record (grid or
    customer side), a bar per pause and a marker per deadline."""
    flow = list(project.flow)
    for clock in clocks:
        if clock.record.stage not in flow:
            flow.append(clock.record.stage)
    rows = [str(c.Stage(s).label) for s in flow]
    bars, deadlines = [], []
    for clock in clocks:
        r = clock.record
        row = flow.index(r.stage)
        kind = "customer" if r.side == c.Side.CUSTOMER else ("overdue" if clock.overdue else
                                                              ("done" if r.ended_on else "grid"))
        label = f"{c.Stage(r.stage).label}: {r.started_on:%Y-%m-%d} → {r.ended_on or today:%Y-%m-%d}"
        bars.append({"row": row, "start": r.started_on.isoformat(), "end": (r.ended_on or today).isoformat(),
                     "kind": kind, "label": label})
        for pause in clock.pauses:
            end = pause.ended_on or today
            bars.append({"row": row, "start": pause.started_on.isoformat(), "end": end.isoformat(), "kind": "pause",
                         "label": f"{pause.get_reason_display()}: {pause.started_on:%Y-%m-%d} → {end:%Y-%m-%d}"})
        if r.deadline:
            deadlines.append({"row": row, "date": r.deadline.isoformat(),
                              "label": f"{c.Stage(r.stage).label}: {r.deadline:%Y-%m-%d}"})
    return {"rows": rows, "bars": bars, "deadlines": deadlines, "today": today.isoformat()}


# --- the cycle-time report (item 8) -------------------------------------------------------------------


@dataclass
class ReportParams:
    date_from: date
    date_to: date  # inclusive
    org_unit: int | None = None
    unit_path: str = ""
    application_type: str = ""
    voltage_level: str = ""
    green: bool = False


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months: from the first day of the month eleven months ago to today."""
    return analysis.month_starts(today)[0], today


def report_base(user, p: ReportParams) -> QuerySet:
    # The scope's customer side resolved once (scoping.project_scope_q): the report filters the
    # projects five times, and a region's or a tracker's scope joined every customer each time.
    qs = visible_projects(user, resolve=True)
    if p.unit_path:
        qs = qs.filter(org_unit__path__startswith=p.unit_path)
    if p.application_type:
        qs = qs.filter(application_type=p.application_type)
    if p.voltage_level:
        qs = qs.filter(voltage_level=p.voltage_level)
    if p.green:
        qs = qs.filter(green_channel=True)
    return qs


def _stats_row(key, label, h: analysis.Histogram, customer_sum: int, extra: dict | None = None) -> dict:
    s = h.stats()
    return {"key": key, "label": label, "count": s.count, "mean": s.mean, "median": s.median, "p90": s.p90,
            "within_pct": s.within_pct, "longest": s.longest,
            "customer_mean": analysis.mean_of(customer_sum, s.count),
            **(extra or {})}


def cycle_time_report(user, p: ReportParams) -> dict:
    """Cycle time of the projects energised in the period (whole project: grid-side working days
    against the grid-side total commitment, customer-side days beside them) by unit, voltage
    level, application type and month, and of the stages completed in the period, per stage;
    the 12-month trend ends with the period's last month. Six queries whatever the size."""
    base = report_base(user, p)
    months = analysis.month_starts(p.date_to)
    trend_from = min(months[0], p.date_from)
    energised = base.filter(status=c.Status.ENERGISED, energised_on__gte=trend_from, energised_on__lte=p.date_to)
    # Within the grid-side total commitment the project was accepted with (None: no commitment).
    energised = energised.annotate(within=Case(
        When(commitment_workdays__isnull=True, then=Value(None)),
        When(grid_workdays__lte=F("commitment_workdays"), then=Value(True)),
        default=Value(False), output_field=BooleanField()))
    in_period = energised.filter(energised_on__gte=p.date_from)

    def grouped(qs, *dims):
        return list(qs.values(*dims, "grid_workdays", "within").annotate(
            n=Count("id"), customer=Sum("customer_workdays")).order_by())

    def histos(rows, key):
        hs: dict = {}
        cust: dict = defaultdict(int)
        for row in rows:
            k = key(row)
            hs.setdefault(k, analysis.Histogram()).add(row["grid_workdays"], row["n"], within=row["within"])
            cust[k] += row["customer"] or 0
        return hs, cust

    # Projects: by month (the trend covers 12 months, the tables the period), unit, voltage, type.
    month_rows = grouped(energised.annotate(month=MonthStart("energised_on")), "month")
    by_month_h, by_month_c = histos(month_rows, lambda r: _as_date(r["month"]))
    unit_rows = grouped(in_period, "org_unit_id")
    by_unit_h, by_unit_c = histos(unit_rows, lambda r: r["org_unit_id"])
    voltage_rows = grouped(in_period, "voltage_level")
    by_voltage_h, by_voltage_c = histos(voltage_rows, lambda r: r["voltage_level"])
    type_rows = grouped(in_period, "application_type")
    by_type_h, by_type_c = histos(type_rows, lambda r: r["application_type"])

    # The totals are the sum of the unit rows (exactly the period; the trend's months may reach
    # further back).
    total_h, total_c = analysis.Histogram(), 0
    for k, h in by_unit_h.items():
        total_h.merge(h)
        total_c += by_unit_c[k]

    # Stages completed in the period.
    stage_rows = list(stage_groups(base, p))
    stage_h: dict = {}
    stage_c: dict = defaultdict(int)
    stage_limits: dict = defaultdict(lambda: [0, 0])
    for row in stage_rows:
        stage_h.setdefault(row["stage"], analysis.Histogram()).add(
            row["grid_workdays"], row["n"], within=row["within_commitment"])
        stage_c[row["stage"]] += row["customer"] or 0
        if row["limit"] is not None:
            stage_limits[row["stage"]][0] += row["limit"]
            stage_limits[row["stage"]][1] += row["n"]

    units = dict(OrgUnit.objects.filter(pk__in=[k for k in by_unit_h if k]).values_list("pk", "name"))
    voltage_labels, type_labels = dict(cc.VoltageLevel.choices), dict(c.ApplicationType.choices)
    by_stage = []
    for stage, label in c.Stage.choices:
        h = stage_h.get(stage, analysis.Histogram())
        limit_sum, limit_n = stage_limits.get(stage, (0, 0))
        by_stage.append(_stats_row(stage, label, h, stage_c.get(stage, 0), {
            "commitment": round(limit_sum / limit_n, 1) if limit_n else None,
            "side": c.side_of(stage)}))
    return {
        "totals": _stats_row("total", "", total_h, total_c),
        "by_stage": by_stage,
        "by_unit": sorted((_stats_row(k, units.get(k, "—"), h, by_unit_c[k]) for k, h in by_unit_h.items()),
                          key=lambda r: (-r["count"], str(r["label"]))),
        "by_voltage": [_stats_row(k, voltage_labels.get(k, k), by_voltage_h[k], by_voltage_c[k])
                       for k in cc.VoltageLevel.values if k in by_voltage_h],
        "by_type": [_stats_row(k, type_labels.get(k, k), by_type_h[k], by_type_c[k])
                    for k in c.ApplicationType.values if k in by_type_h],
        "by_month": [_stats_row(m, m, by_month_h.get(m, analysis.Histogram()), by_month_c.get(m, 0),
                                {"month_end": _month_end(m)}) for m in months],
        "months": months,
    }


def stage_groups(base: QuerySet, p: ReportParams) -> QuerySet:
    """The stage records completed in the period (of `base`'s projects when it is filtered),
    grouped by (stage, grid-side days, within commitment): count and the customer-side days' and
    time limits' sums.

    Grouped in the order of stage_cycle_cover_idx's leading columns, an index that holds every
    column read here: the database scans that index once, in group order, with no table lookups
    and no sort. The period's bounds are kept off SQLite's indexes (KeepOffIndex): otherwise its
    planner takes a range scan of an `ended_on` index for the period (60 % of the table), a table
    lookup per record and a sort for the grouping (decision record 0017)."""
    stages = StageRecord.objects.alias(ended=KeepOffIndex("ended_on")).filter(
        ended__gte=p.date_from, ended__lte=p.date_to, grid_workdays__isnull=False)
    if base.query.where:  # a scope or a filter: only their projects' stages
        stages = stages.filter(project__in=base.values("pk"))
    return stages.values("stage", "grid_workdays", "within_commitment").annotate(
        n=Count("id"), customer=Sum("customer_workdays"), limit=Sum("limit_workdays")).order_by()


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _month_end(m: date) -> date:
    return (m.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
