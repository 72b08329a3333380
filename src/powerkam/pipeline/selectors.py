"""Read side: every list, page, API and export reads through these scoped querysets
(core.scoping.portfolio_scope_q: managers see what they manage, supervisors their subtree,
the company everything)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from powerkam.core.dbfunctions import KeepOffIndex, MonthStart, PercentSum
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


def weighted_sum() -> PercentSum:
    """Σ expected annual revenue × probability / 100 (the weighted pipeline), an exact Decimal."""
    return PercentSum("expected_annual_revenue_yuan", "probability")


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
                .annotate(n=Count("*"), revenue=Coalesce(Sum("expected_annual_revenue_yuan"), ZERO),
                          weighted=weighted_sum())):
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


def _add(acc: dict, key, values: tuple) -> None:
    """Add `values` element-wise into acc[key] (a list of running sums)."""
    row = acc.get(key)
    if row is None:
        acc[key] = list(values)
    else:
        for i, v in enumerate(values):
            row[i] += v


def _labels(unit_ids, owner_ids, kind_ids) -> tuple[dict, dict, dict]:
    """The names of the groups' org units, owners and kinds and the kinds' order: three small reads
    instead of three joins over every opportunity (none for an empty set)."""
    from powerkam.org.models import OrgUnit, Staff

    from .models import OpportunityKind

    units = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "name")) if unit_ids else {}
    owners = {pk: (full, user) for pk, full, user in Staff.objects.filter(
        pk__in=owner_ids).values_list("pk", "full_name", "username")}
    kinds = {pk: (name, order) for pk, name, order in OpportunityKind.objects.filter(
        pk__in=kind_ids).values_list("pk", "name", "order")}
    return units, owners, kinds


def forecast(opps: QuerySet, projects: QuerySet) -> dict:
    """The forecast page's figures (a constant number of grouped queries):
    weighted pipeline (probability × expected annual revenue) of open opportunities by close
    month, unit, owner and kind; expected new kVA and kWh by month from open opportunities (close
    month) and followed government projects (expected energisation month) together; win rate and
    average cycle by kind and owner; lost reasons; competitors.

    The open opportunities are read once, grouped by (month, unit, owner, kind) — about a
    thousand groups for 33,000 open opportunities — and rolled up here, in one pass, into the four
    views and the totals; the closed ones once, grouped by (kind, owner, stage, loss reason). Sums
    of exact decimals are the same whichever way they are grouped (the weighted sums too:
    `weighted_sum` is exact on both databases). Both grouped reads come from covering indexes:
    on SQLite in their GROUP BY order (pipeline.sqlite_indexes), on PostgreSQL one index-only scan
    each (`opp_forecast_pg_idx`, migration pipeline 0005)."""
    stages = {s.pk: s.outcome for s in OpportunityStage.objects.all()}
    open_ids = [pk for pk, outcome in stages.items() if outcome == c.StageOutcome.OPEN]
    # read from opp_open_month_sqlite_idx on SQLite, whatever its statistics (pipeline.sqlite_indexes);
    # COUNT(*), not COUNT(id): the covering indexes hold no id on PostgreSQL
    open_opps = opps.alias(open_stage=KeepOffIndex("stage_id")).filter(open_stage__in=open_ids).order_by()
    fine = (open_opps.annotate(m=MonthStart("close_on")).values_list("m", "org_unit_id", "owner_id", "kind_id")
            .annotate(n=Count("*"), revenue=Sum("expected_annual_revenue_yuan"), weighted=weighted_sum(),
                      kva=Sum("expected_kva"), kwh=Sum("expected_annual_kwh")))
    # one pass over the groups, the sums added in place (a thousand groups, four views)
    months: dict = {}
    by_unit_acc: dict = {}
    by_owner_acc: dict = {}
    by_kind_acc: dict = {}
    for m, unit_id, owner_id, kind_id, n, revenue, weighted, kva, kwh in fine:
        _add(months, m, (n, revenue, weighted, kva, kwh))
        _add(by_unit_acc, unit_id, (n, revenue, weighted))
        _add(by_owner_acc, owner_id, (n, revenue, weighted))
        _add(by_kind_acc, kind_id, (n, revenue, weighted))

    closed = opps.filter(stage_id__in=[pk for pk in stages if pk not in open_ids]).order_by()
    coarse = list(closed.values_list("kind_id", "owner_id", "stage_id", "loss_reason")
                  .annotate(n=Count("*"), revenue=Sum("expected_annual_revenue_yuan"),
                            cycle_sum=Sum("cycle_days"), cycle_n=Count("cycle_days")))
    units, owners, kinds = _labels(set(by_unit_acc), set(by_owner_acc) | {r[1] for r in coarse},
                                   set(by_kind_acc) | {r[0] for r in coarse})

    def owner(pk) -> dict:
        full_name, username = owners.get(pk, (None, None))
        return {"owner_id": pk, "owner__full_name": full_name, "owner__username": username}

    def kind(pk) -> dict:
        return {"kind_id": pk, "kind__name": kinds.get(pk, (None, None))[0]}

    def heaviest(acc: dict, label) -> list[dict]:
        return sorted(({**label(k), "n": n, "revenue": revenue, "weighted": weighted}
                       for k, (n, revenue, weighted) in acc.items()), key=lambda r: -r["weighted"])

    by_unit = heaviest(by_unit_acc, lambda pk: {"org_unit_id": pk, "org_unit__name": units.get(pk)})
    by_owner = heaviest(by_owner_acc, owner)
    by_kind = heaviest(by_kind_acc, kind)
    month_keys = sorted(months, key=lambda m: (m is None, m or date.min))
    by_month = [{"month": _month_key(m), "n": months[m][0], "revenue": months[m][1], "weighted": months[m][2]}
                for m in month_keys]

    zero = Decimal("0")
    capacity: dict[str, dict] = {}
    for m in month_keys:
        capacity[_month_key(m)] = {"opp_kva": months[m][3], "opp_kwh": months[m][4], "gp_kva": zero, "gp_kwh": zero}
    for m, kva, kwh in (projects.filter(is_closed=False, converted_at__isnull=True,
                                        expected_energisation_on__isnull=False)
                        .order_by().annotate(m=MonthStart("expected_energisation_on")).values_list("m")
                        .annotate(kva=Coalesce(Sum("expected_capacity_kva"), ZERO),
                                  kwh=Coalesce(Sum("expected_annual_kwh"), ZERO))):
        row = capacity.setdefault(_month_key(m), {"opp_kva": zero, "opp_kwh": zero})
        row.update(gp_kva=kva, gp_kwh=kwh)
    capacity_rows = [{"month": m, **v, "kva": v["opp_kva"] + v["gp_kva"], "kwh": v["opp_kwh"] + v["gp_kwh"]}
                     for m, v in sorted(capacity.items())]

    # (closed, won, won cycle sum, won cycle count) by kind and by owner; lost (n, revenue) by reason
    rate_kind: dict = {}
    rate_owner: dict = {}
    lost_acc: dict = {}
    for kind_id, owner_id, stage_id, loss_reason, n, revenue, cycle_sum, cycle_n in coarse:
        outcome = stages.get(stage_id)
        if outcome == c.StageOutcome.WON:
            counts = (n, n, cycle_sum or 0, cycle_n)
        else:
            counts = (n, 0, 0, 0)
            if outcome == c.StageOutcome.LOST:
                _add(lost_acc, loss_reason, (n, revenue))
        _add(rate_kind, kind_id, counts)
        _add(rate_owner, owner_id, counts)

    def rate(closed_n, won, won_cycle_sum, won_cycle_n) -> dict:
        return {"closed": closed_n, "won": won, "win_rate": round(100 * won / closed_n, 1) if closed_n else None,
                "cycle": round(won_cycle_sum / won_cycle_n, 1) if won_cycle_n else None}

    win_kind = [{**kind(k), **rate(*v)}
                for k, v in sorted(rate_kind.items(), key=lambda kv: (kinds.get(kv[0], (None, None))[1], kv[0]))]
    win_owner = sorted(({**owner(k), **rate(*v)} for k, v in rate_owner.items()), key=lambda r: -r["won"])
    labels = dict(c.LossReason.choices)
    lost_reasons = sorted(({"reason": k, "label": str(labels.get(k, k)), "n": n, "revenue": revenue}
                           for k, (n, revenue) in lost_acc.items()), key=lambda r: -r["n"])
    # per competitor and stage, read from the opportunities' side (the scope filters them directly,
    # no IN subquery), won and lost from the stages' outcomes
    by_competitor: dict[int, dict] = {}
    for competitor_id, name, stage_id, n in (opps.order_by().filter(competitors__isnull=False)
                                             .values_list("competitors", "competitors__name", "stage_id")
                                             .annotate(n=Count("*"))):
        row = by_competitor.setdefault(competitor_id, {"competitor_id": competitor_id, "competitor__name": name,
                                                       "n": 0, "won": 0, "lost": 0})
        row["n"] += n
        outcome = stages.get(stage_id)
        if outcome == c.StageOutcome.WON:
            row["won"] += n
        elif outcome == c.StageOutcome.LOST:
            row["lost"] += n
    competitors = sorted(by_competitor.values(), key=lambda r: (-r["n"], r["competitor__name"]))
    totals = {"n": sum(r["n"] for r in by_month), "revenue": sum((r["revenue"] for r in by_month), zero),
              "weighted": sum((r["weighted"] for r in by_month), zero)}
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
