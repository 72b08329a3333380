"""Read side: every list, page, API and export reads through these scoped querysets
(core.scoping.portfolio_scope_q: managers see what they manage, supervisors their subtree,
the company everything)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from powerkam.core.dbfunctions import KeepOffIndex, MonthStart
from powerkam.core.scoping import portfolio_scope_q

from . import constants as c
from .models import (
    GovernmentProject,
    Milestone,
    Opportunity,
    OpportunityStage,
    ProjectMilestone,
    Quote,
    WeeklyReport,
)

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=20, decimal_places=2))


def _scoped(qs: QuerySet, user, *, managers: tuple[str, ...], unit: str = "org_unit") -> QuerySet:
    q = portfolio_scope_q(user, managers=managers, unit=unit)
    if q is None:
        return qs
    return qs.filter(q)


def visible_projects(user) -> QuerySet:
    return _scoped(GovernmentProject.objects.all(), user, managers=("primary_manager", "secondary_manager"))


def visible_opportunities(user) -> QuerySet:
    return _scoped(Opportunity.objects.all(), user, managers=("owner",))


def visible_quotes(user) -> QuerySet:
    return _scoped(Quote.objects.all(), user, managers=("opportunity__owner",), unit="opportunity__org_unit")


def weighted_expr():
    return ExpressionWrapper(F("expected_annual_revenue_yuan") * F("probability") / Value(Decimal("100")),
                             output_field=DecimalField(max_digits=20, decimal_places=2))


# --- Board -----------------------------------------------------------------------------------------

@dataclass
class BoardColumn:
    stage: OpportunityStage
    count: int = 0
    revenue: Decimal = Decimal("0")
    weighted: Decimal = Decimal("0")
    cards: list = field(default_factory=list)


def board(qs: QuerySet, per_stage: int = c.BOARD_CARDS_PER_STAGE) -> list[BoardColumn]:
    """The kanban: one column per stage with its count and sums (one grouped query) and its
    soonest-closing cards (one query per stage: a constant, the configured stages)."""
    stages = list(OpportunityStage.objects.order_by("order", "pk"))
    columns = {s.pk: BoardColumn(stage=s) for s in stages}
    for row in (qs.order_by().values("stage_id")
                .annotate(n=Count("id"), revenue=Coalesce(Sum("expected_annual_revenue_yuan"), ZERO),
                          weighted=Coalesce(Sum(weighted_expr()), ZERO))):
        col = columns.get(row["stage_id"])
        if col:
            col.count, col.revenue, col.weighted = row["n"], row["revenue"], row["weighted"]
    cards = qs.select_related("customer", "owner", "kind").only(
        "id", "number", "title", "prospect_name", "customer__name", "owner__full_name", "owner__username",
        "kind__name", "expected_annual_revenue_yuan", "probability", "close_on", "stage_id", "converted_at")
    for s in stages:
        if columns[s.pk].count:
            order = ("-closed_on", "-id") if s.outcome != c.StageOutcome.OPEN else ("close_on", "id")
            columns[s.pk].cards = list(cards.filter(stage_id=s.pk).order_by(*order)[:per_stage])
    return [columns[s.pk] for s in stages]


# --- Forecast --------------------------------------------------------------------------------------

def _month_key(value) -> str:
    return value.strftime("%Y-%m") if value else ""


def _rollup(rows: list[dict], keys: tuple[str, ...], sums: tuple[str, ...]) -> list[dict]:
    """Sum the fine-grained grouped rows up to `keys` (the first row's labels kept; the rows
    themselves are not changed, each view rolls them up anew)."""
    out: dict[tuple, dict] = {}
    for r in rows:
        k = tuple(r[x] for x in keys)
        acc = out.get(k)
        if acc is None:
            out[k] = dict(r)
        else:
            for x in sums:
                acc[x] += r[x]
    return list(out.values())


def _label_groups(rows: list[dict]) -> None:
    """Add the names of the rows' org units, owners and kinds (as the joins' values() gave them),
    and the kinds' order: three small reads instead of three joins over every opportunity."""
    from powerkam.org.models import OrgUnit, Staff

    from .models import OpportunityKind

    unit_ids = {r["org_unit_id"] for r in rows if "org_unit_id" in r}
    units = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "name")) if unit_ids else {}
    owners = {pk: (full, user) for pk, full, user in Staff.objects.filter(
        pk__in={r["owner_id"] for r in rows}).values_list("pk", "full_name", "username")}
    kinds = {pk: (name, order) for pk, name, order in OpportunityKind.objects.filter(
        pk__in={r["kind_id"] for r in rows}).values_list("pk", "name", "order")}
    for r in rows:
        if "org_unit_id" in r:
            r["org_unit__name"] = units.get(r["org_unit_id"])
        r["owner__full_name"], r["owner__username"] = owners.get(r["owner_id"], (None, None))
        r["kind__name"], r["kind__order"] = kinds.get(r["kind_id"], (None, None))


def forecast(opps: QuerySet, projects: QuerySet) -> dict:
    """The forecast page's figures (a constant number of grouped queries):
    weighted pipeline (probability × expected annual revenue) of open opportunities by close
    month, unit, owner and kind; expected new kVA and kWh by month from open opportunities (close
    month) and followed government projects (expected energisation month) together; win rate and
    average cycle by kind and owner; lost reasons; competitors.

    The open opportunities are read once, grouped by (month, unit, owner, kind) — about a
    thousand groups for 33,000 open opportunities — and rolled up here into the four views and
    the totals; the closed ones once, grouped by (kind, owner, stage, loss reason). Sums of
    exact decimals are the same whichever way they are grouped. On SQLite both grouped reads come
    from covering indexes in their GROUP BY order (pipeline.sqlite_indexes)."""
    stages = {s.pk: s.outcome for s in OpportunityStage.objects.all()}
    open_ids = [pk for pk, outcome in stages.items() if outcome == c.StageOutcome.OPEN]
    # read from opp_open_month_sqlite_idx on SQLite, whatever its statistics (pipeline.sqlite_indexes)
    open_opps = opps.alias(open_stage=KeepOffIndex("stage_id")).filter(open_stage__in=open_ids).order_by()
    money = ("n", "revenue", "weighted")
    fine = list(open_opps.annotate(m=MonthStart("close_on"))
                .values("m", "org_unit_id", "owner_id", "kind_id")
                .annotate(n=Count("id"), revenue=Coalesce(Sum("expected_annual_revenue_yuan"), ZERO),
                          weighted=Coalesce(Sum(weighted_expr()), ZERO),
                          kva=Coalesce(Sum("expected_kva"), ZERO), kwh=Coalesce(Sum("expected_annual_kwh"), ZERO)))
    closed = opps.filter(stage_id__in=[pk for pk in stages if pk not in open_ids]).order_by()
    coarse = list(closed.values("kind_id", "owner_id", "stage_id", "loss_reason")
                  .annotate(n=Count("id"), revenue=Coalesce(Sum("expected_annual_revenue_yuan"), ZERO),
                            cycle_sum=Coalesce(Sum("cycle_days"), 0), cycle_n=Count("cycle_days")))
    _label_groups(fine + coarse)

    def view(keys, labels, order):
        rows = [{k: r[k] for k in (*keys, *labels, *money)} for r in _rollup(fine, keys, (*money, "kva", "kwh"))]
        return sorted(rows, key=order)

    months = sorted(_rollup(fine, ("m",), (*money, "kva", "kwh")), key=lambda r: (r["m"] is None, r["m"] or date.min))
    by_month = [{"month": _month_key(r["m"]), **{k: r[k] for k in money}} for r in months]
    heaviest = lambda r: -r["weighted"]  # noqa: E731
    by_unit = view(("org_unit_id",), ("org_unit__name",), heaviest)
    by_owner = view(("owner_id",), ("owner__full_name", "owner__username"), heaviest)
    by_kind = view(("kind_id",), ("kind__name",), heaviest)

    capacity: dict[str, dict] = defaultdict(lambda: {"opp_kva": Decimal("0"), "opp_kwh": Decimal("0"),
                                                     "gp_kva": Decimal("0"), "gp_kwh": Decimal("0")})
    for r in months:
        capacity[_month_key(r["m"])].update(opp_kva=r["kva"], opp_kwh=r["kwh"])
    for r in (projects.filter(is_closed=False, converted_at__isnull=True, expected_energisation_on__isnull=False)
              .order_by().annotate(m=MonthStart("expected_energisation_on")).values("m")
              .annotate(kva=Coalesce(Sum("expected_capacity_kva"), ZERO), kwh=Coalesce(Sum("expected_annual_kwh"), ZERO))):
        capacity[_month_key(r["m"])].update(gp_kva=r["kva"], gp_kwh=r["kwh"])
    capacity_rows = [{"month": m, **v, "kva": v["opp_kva"] + v["gp_kva"], "kwh": v["opp_kwh"] + v["gp_kwh"]}
                     for m, v in sorted(capacity.items())]

    for r in coarse:
        outcome = stages.get(r["stage_id"])
        won = outcome == c.StageOutcome.WON
        r.update(outcome=outcome, closed=r["n"], won=r["n"] if won else 0,
                 won_cycle_sum=r["cycle_sum"] if won else 0, won_cycle_n=r["cycle_n"] if won else 0)

    def rates(keys, labels):
        rows = []
        for r in _rollup(coarse, keys, ("closed", "won", "won_cycle_sum", "won_cycle_n")):
            rows.append({**{k: r[k] for k in (*keys, *labels)}, "closed": r["closed"], "won": r["won"],
                         "win_rate": round(100 * r["won"] / r["closed"], 1) if r["closed"] else None,
                         "cycle": round(r["won_cycle_sum"] / r["won_cycle_n"], 1) if r["won_cycle_n"] else None})
        return rows

    win_kind = sorted(rates(("kind_id",), ("kind__name", "kind__order")), key=lambda r: (r["kind__order"], r["kind_id"]))
    for r in win_kind:
        del r["kind__order"]
    win_owner = sorted(rates(("owner_id",), ("owner__full_name", "owner__username")), key=lambda r: -r["won"])
    labels = dict(c.LossReason.choices)
    lost_reasons = sorted(
        ({"reason": r["loss_reason"], "label": str(labels.get(r["loss_reason"], r["loss_reason"])),
          "n": r["n"], "revenue": r["revenue"]}
         for r in _rollup([r for r in coarse if r["outcome"] == c.StageOutcome.LOST], ("loss_reason",),
                          ("n", "revenue"))),
        key=lambda r: -r["n"])
    # per competitor and stage, read from the opportunities' side (the scope filters them directly,
    # no IN subquery), won and lost from the stages' outcomes
    by_competitor: dict[int, dict] = {}
    for r in (opps.order_by().filter(competitors__isnull=False)
              .values("competitors", "competitors__name", "stage_id").annotate(n=Count("id"))):
        row = by_competitor.setdefault(r["competitors"], {"competitor_id": r["competitors"],
                                                          "competitor__name": r["competitors__name"],
                                                          "n": 0, "won": 0, "lost": 0})
        row["n"] += r["n"]
        outcome = stages.get(r["stage_id"])
        if outcome == c.StageOutcome.WON:
            row["won"] += r["n"]
        elif outcome == c.StageOutcome.LOST:
            row["lost"] += r["n"]
    competitors = sorted(by_competitor.values(), key=lambda r: (-r["n"], r["competitor__name"]))
    totals = {"n": sum(r["n"] for r in fine), "revenue": sum((r["revenue"] for r in fine), Decimal("0")),
              "weighted": sum((r["weighted"] for r in fine), Decimal("0"))}
    return {"by_month": by_month, "by_unit": by_unit, "by_owner": by_owner, "by_kind": by_kind,
            "capacity": capacity_rows, "win_kind": win_kind, "win_owner": win_owner, "lost_reasons": lost_reasons,
            "competitors": competitors, "totals": totals}


# --- Weekly meeting --------------------------------------------------------------------------------

@dataclass
class MeetingRow:
    project: GovernmentProject
    report: WeeklyReport | None
    slipped: list[ProjectMilestone]


def weekly_meeting(projects: QuerySet, monday: date, today: date, *, limit: int | None = None) -> dict:
    """The weekly coordination meeting (seed 001): approved projects of a unit, this week's report,
    milestones slipped (planned before today, not reached), and who has not reported. Six queries
    whatever the number of projects."""
    approved = (projects.filter(gov_status=c.GovStatus.APPROVED, is_closed=False)
                .select_related("primary_manager", "secondary_manager", "org_unit").order_by("org_unit__path", "name"))
    total = approved.count()
    rows_qs = approved[:limit] if limit else approved
    project_list = list(rows_qs)
    ids = [p.pk for p in project_list]
    reports = {r.project_id: r for r in WeeklyReport.objects.filter(week_start=monday, project_id__in=ids)
               .select_related("by")}
    slipped: dict[int, list] = defaultdict(list)
    for ms in (ProjectMilestone.objects.filter(project_id__in=ids, actual_on__isnull=True, planned_on__lt=today)
               .select_related("milestone")):
        slipped[ms.project_id].append(ms)
    milestones = list(Milestone.objects.filter(is_active=True))
    for r in reports.values():
        label_progress(r, milestones)
    rows = [MeetingRow(p, reports.get(p.pk), slipped.get(p.pk, [])) for p in project_list]
    missing = approved.exclude(pk__in=WeeklyReport.objects.filter(week_start=monday).values("project_id")).count()
    return {"rows": rows, "total": total, "missing": missing, "shown": len(rows), "milestones": milestones}


def label_progress(report: WeeklyReport, milestones: list[Milestone]) -> WeeklyReport:
    """`report.progress_rows`: (milestone name, progress) in the milestones' order, for display."""
    names = {m.code: m.name for m in milestones}
    report.progress_rows = [(names.get(code, code), text) for code, text in report.milestone_progress.items()]
    return report
