"""Reads of the scoring pages and API, every one through the one visibility scope."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from powerkam.core.scoping import scope_to_user, visible_customers
from powerkam.customers.constants import CooperationDepth, Industry, LifecycleStatus, Scope

from . import constants as c
from .models import CustomerScore, ScoringModel, ScoringRun, TierProposal


def proposals(user, *, status: str = c.ProposalStatus.PENDING, kind: str = "") -> QuerySet:
    qs = scope_to_user(TierProposal.objects.select_related("customer", "customer__org_unit", "run", "decided_by"), user)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-score", "id")


def latest_run() -> ScoringRun | None:
    """The latest finished run of the published model (else of any model)."""
    runs = ScoringRun.objects.filter(finished_at__isnull=False).select_related("model")
    return (runs.filter(model__status=ScoringModel.Status.PUBLISHED).order_by("-started_at", "-id").first()
            or runs.order_by("-started_at", "-id").first())


def key_accounts(user, *, org_unit_path: str = "", tier: str = "", scope: str = "", depth: str = "") -> QuerySet:
    """大客户清单: the visible key accounts by unit, with their latest score."""
    qs = visible_customers(user).filter(is_key_account=True).exclude(lifecycle_status=LifecycleStatus.CLOSED)
    if org_unit_path:
        qs = qs.filter(org_unit__path__startswith=org_unit_path)
    if tier:
        qs = qs.filter(ka_tier=tier)
    if scope:
        qs = qs.filter(scope=scope)
    if depth:
        qs = qs.filter(cooperation_depth=depth)
    run = latest_run()
    score = CustomerScore.objects.filter(customer_id=OuterRef("pk"), run=run).values("score")[:1] if run else None
    qs = qs.select_related("org_unit", "primary_manager")
    if score is not None:
        qs = qs.annotate(latest_score=Subquery(score))
    return qs.order_by("org_unit__path", "number")


def segmentation_counts(user) -> dict[str, Any]:
    """Key accounts by scope × cooperation depth (one GROUP BY)."""
    cells = (visible_customers(user).filter(is_key_account=True).exclude(lifecycle_status=LifecycleStatus.CLOSED)
             .order_by().values("scope", "cooperation_depth").annotate(n=Count("id")))
    grid: dict[tuple[str, str], int] = {(r["scope"], r["cooperation_depth"] or ""): r["n"] for r in cells}
    depths = [("", "—"), *CooperationDepth.choices]
    rows = []
    for code, label in Scope.choices:
        counts = [grid.get((code, d), 0) for d, _l in depths]
        rows.append({"scope": code, "label": label, "counts": counts, "total": sum(counts)})
    totals = [sum(r["counts"][i] for r in rows) for i in range(len(depths))]
    return {"depths": depths, "rows": rows, "totals": totals, "total": sum(totals)}


def _large_projects() -> QuerySet:
    """Open new-connection or capacity-increase projects of existing customers requesting at
    least POTENTIAL_PROJECT_KVA (connection projects, #12)."""
    from powerkam.projects import constants as pc
    from powerkam.projects.models import Project

    return Project.objects.filter(status=pc.Status.OPEN, customer__isnull=False,
                                  application_type__in=[pc.ApplicationType.NEW, pc.ApplicationType.INCREASE],
                                  requested_capacity_kva__gte=c.POTENTIAL_PROJECT_KVA)


def _large_opportunities() -> QuerySet:
    """Open opportunities of existing customers expecting at least POTENTIAL_OPPORTUNITY_KVA or
    POTENTIAL_OPPORTUNITY_REVENUE a year (pipeline, #13)."""
    from powerkam.pipeline.constants import StageOutcome
    from powerkam.pipeline.models import Opportunity

    return Opportunity.objects.filter(stage__outcome=StageOutcome.OPEN, customer__isnull=False).filter(
        Q(expected_kva__gte=c.POTENTIAL_OPPORTUNITY_KVA)
        | Q(expected_annual_revenue_yuan__gte=c.POTENTIAL_OPPORTUNITY_REVENUE))


def potential_key_accounts(user, *, run: ScoringRun | None = None) -> QuerySet:
    """Customers not yet key accounts that the latest run puts on track (seed 000): kWh growth of
    at least POTENTIAL_GROWTH_PCT on at least POTENTIAL_MIN_KWH, a score within
    POTENTIAL_SCORE_MARGIN of the key-account cut-off, an open large connection project or an
    open large opportunity. One query per page."""
    run = run or latest_run()
    if run is None:
        return CustomerScore.objects.none()
    near = run.model.key_account_cutoff - c.POTENTIAL_SCORE_MARGIN
    growing = Q(growth_pct__gte=c.POTENTIAL_GROWTH_PCT, kwh__gte=c.POTENTIAL_MIN_KWH)
    projects = Q(customer_id__in=_large_projects().values("customer_id"))
    opportunities = Q(customer_id__in=_large_opportunities().values("customer_id"))
    qs = (CustomerScore.objects.filter(run=run, customer__is_key_account=False)
          .exclude(customer__lifecycle_status=LifecycleStatus.CLOSED)
          .filter(growing | Q(score__gte=near) | projects | opportunities)
          .select_related("customer", "customer__org_unit", "customer__primary_manager"))
    return scope_to_user(qs, user).order_by("-score", "customer__number")


def potential_reasons(row: CustomerScore, run: ScoringRun) -> list[str]:
    from django.utils.translation import gettext as _

    out = []
    if row.growth_pct is not None and row.growth_pct >= c.POTENTIAL_GROWTH_PCT and (row.kwh or 0) >= c.POTENTIAL_MIN_KWH:
        out.append(_("kWh grew %(pct)s %% over 12 months (%(kwh)s kWh)") % {"pct": row.growth_pct, "kwh": row.kwh})
    if row.score >= run.model.key_account_cutoff - c.POTENTIAL_SCORE_MARGIN:
        out.append(_("Score %(score)s, near the key-account cut-off %(cut)s") % {
            "score": row.score, "cut": run.model.key_account_cutoff})
    return out


def attach_potential_reasons(user, rows: list[CustomerScore], run: ScoringRun) -> None:
    """`row.reasons` for a page of potential key accounts: the scoring reasons and the open large
    connection projects and opportunities the user may see (two queries whatever the page size)."""
    from django.utils.translation import gettext as _

    from powerkam.pipeline.selectors import visible_opportunities
    from powerkam.projects.scoping import visible_projects

    ids = [r.customer_id for r in rows]
    extra: dict[int, list[str]] = {}
    for p in visible_projects(user, _large_projects().filter(customer_id__in=ids)).order_by("accepted_on", "pk"):
        extra.setdefault(p.customer_id, []).append(
            _("Open %(type)s project %(number)s: %(kva)s kVA requested") % {
                "type": p.get_application_type_display().lower(), "number": p.number, "kva": p.requested_capacity_kva})
    for o in (_large_opportunities().filter(customer_id__in=ids, pk__in=visible_opportunities(user).values("pk"))
              .order_by("close_on", "pk")):
        extra.setdefault(o.customer_id, []).append(
            _("Open opportunity %(number)s: %(kva)s kVA, %(revenue)s yuan a year expected (%(prob)s %%)") % {
                "number": o.number, "kva": o.expected_kva, "revenue": o.expected_annual_revenue_yuan,
                "prob": o.probability})
    for r in rows:
        r.reasons = potential_reasons(r, run) + extra.get(r.customer_id, [])


def score_history(customer, limit: int = 24) -> list[CustomerScore]:
    return list(CustomerScore.objects.filter(customer=customer).select_related("run", "run__model")
                .order_by("-run__period", "-run_id")[:limit])


def pareto_by_group(user, f, *, today: date | None = None) -> dict[str, Any]:
    """The 80/20 report (seed 002): for the whole scope, each region or station directly under the
    company, and each industry, the share of revenue and of profit the top 20 % of customers
    bring (analytics' profit-contribution Pareto, one query per group)."""
    from dataclasses import replace

    from powerkam.analytics.selectors import profit_overview, purchase_costs
    from powerkam.org.models import OrgUnit

    costs = purchase_costs()

    def row(label, ff):
        revenue, profit, totals = profit_overview(user, ff, costs=costs)
        return {"label": label, "customers": revenue["customers"], "top_customers": revenue["top_customers"],
                "revenue": totals["revenue"], "profit": totals["profit"],
                "revenue_top_pct": revenue["top_share_pct"], "profit_top_pct": profit["top_share_pct"],
                "revenue_curve": revenue, "profit_curve": profit}

    from django.utils.translation import gettext as _

    overall = row(_("All customers in scope"), f)
    roots = list(OrgUnit.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    units = OrgUnit.objects.filter(parent_id__in=roots, is_active=True).order_by("path")
    by_unit = [row(u.name, replace(f, org_unit_path=u.path)) for u in units]
    present = set(visible_customers(user).exclude(industry="").order_by().values_list("industry", flat=True).distinct())
    by_industry = [row(label, replace(f, industry=code)) for code, label in Industry.choices if code in present]
    return {"overall": overall, "units": [r for r in by_unit if r["customers"]],
            "industries": [r for r in by_industry if r["customers"]], "as_of": timezone.now()}
