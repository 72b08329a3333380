"""Reads of the scoring pages and API, every one through the one visibility scope."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.utils import timezone

from powerkam.analytics.selectors import add_months, dec
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


def _capacity_requests(today: date) -> QuerySet:
    """Connection projects (#12) that put an existing customer on track: an open new-connection or
    capacity-increase project requesting at least POTENTIAL_PROJECT_KVA, or a capacity increase, open
    or energised in the last 12 months, of at least POTENTIAL_CAPACITY_INCREASE_PCT % of the
    customer's contract capacity and at least POTENTIAL_INCREASE_MIN_KVA."""
    from powerkam.projects import constants as pc
    from powerkam.projects.models import Project

    large = Q(status=pc.Status.OPEN, application_type__in=[pc.ApplicationType.NEW, pc.ApplicationType.INCREASE],
              requested_capacity_kva__gte=c.POTENTIAL_PROJECT_KVA)
    share = ExpressionWrapper(F("customer__contract_capacity_kva") * c.POTENTIAL_CAPACITY_INCREASE_PCT / 100,
                              output_field=DecimalField(max_digits=14, decimal_places=2))
    increase = (Q(application_type=pc.ApplicationType.INCREASE, requested_capacity_kva__gte=c.POTENTIAL_INCREASE_MIN_KVA)
                & Q(requested_capacity_kva__gte=share)
                & (Q(status=pc.Status.OPEN) | Q(status=pc.Status.ENERGISED, energised_on__gte=_year_before(today))))
    return Project.objects.filter(customer__isnull=False).filter(large | increase)


def _year_before(today: date) -> date:
    try:
        return today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28)


def _large_opportunities() -> QuerySet:
    """Open opportunities of existing customers expecting at least POTENTIAL_OPPORTUNITY_KVA or
    POTENTIAL_OPPORTUNITY_REVENUE a year (pipeline, #13)."""
    from powerkam.pipeline.constants import StageOutcome
    from powerkam.pipeline.models import Opportunity

    return Opportunity.objects.filter(stage__outcome=StageOutcome.OPEN, customer__isnull=False).filter(
        Q(expected_kva__gte=c.POTENTIAL_OPPORTUNITY_KVA)
        | Q(expected_annual_revenue_yuan__gte=c.POTENTIAL_OPPORTUNITY_REVENUE))


def _bill_growth(period: date, customers: QuerySet | list[int]) -> QuerySet:
    """kWh of the 12 billing months before `period` and of the 12 before those, per customer (the
    scoring run's window, collect_values), from the bills: for customers the latest run has not
    scored."""
    from powerkam.billing.models import Bill

    first, prev_first, last = add_months(period, -c.WINDOW_MONTHS), add_months(period, -2 * c.WINDOW_MONTHS), \
        add_months(period, -1)
    this = Q(period__gte=first)
    return (Bill.objects.exclude(status=Bill.Status.VOID)
            .filter(period__gte=prev_first, period__lte=last, customer_id__in=customers).order_by()
            .values("customer_id").annotate(kwh12=Sum("kwh", filter=this), kwh_prev=Sum("kwh", filter=~this)))


def _growing(period: date, customers: QuerySet) -> QuerySet:
    """The customers among `customers` whose kWh grew at least POTENTIAL_GROWTH_PCT on at least
    POTENTIAL_MIN_KWH (the scoring run's rule, from the bills)."""
    factor = 1 + c.POTENTIAL_GROWTH_PCT / 100
    return (_bill_growth(period, customers)
            .filter(Q(kwh12__gte=c.POTENTIAL_MIN_KWH), Q(kwh_prev__gt=0),
                    Q(kwh12__gte=ExpressionWrapper(F("kwh_prev") * factor, output_field=DecimalField())))
            .values("customer_id"))


_LATEST = object()
# Up to this many customers the latest run did not score are looked up by id (one more query).
UNSCORED_BY_ID = 5000


def potential_key_accounts(user, *, run: ScoringRun | None | object = _LATEST, today: date | None = None) -> QuerySet:
    """Customers not yet key accounts that are on track (seed 000), scored or not: kWh growth of at
    least POTENTIAL_GROWTH_PCT on at least POTENTIAL_MIN_KWH over 12 months (the latest run's figure
    for the customers it scored, the bills for the others), a score within POTENTIAL_SCORE_MARGIN
    of the key-account cut-off, a capacity request or a large connection project, or a large open
    opportunity. Customers annotated with the latest run's `score`, `score_kwh` and `growth_pct`
    (None: not scored). One query per page (and its count), after one for the unscored customers'
    ids."""
    run = latest_run() if run is _LATEST else run
    today = today or timezone.localdate()
    period = today.replace(day=1)
    base = visible_customers(user).filter(is_key_account=False).exclude(lifecycle_status=LifecycleStatus.CLOSED)
    qs = base
    on_track = (Q(pk__in=_capacity_requests(today).values("customer_id"))
                | Q(pk__in=_large_opportunities().values("customer_id")))
    if run is None:
        qs = qs.annotate(score=Value(None, output_field=DecimalField()),
                         score_kwh=Value(None, output_field=DecimalField()),
                         growth_pct=Value(None, output_field=DecimalField()))
        on_track |= Q(pk__in=_growing(period, base.values("pk")))
    else:
        near = run.model.key_account_cutoff - c.POTENTIAL_SCORE_MARGIN
        # the customers the run did not score (those added since): usually few, so their ids first and
        # the bills read through the (customer, period) index rather than a scan of every bill
        unscored = list(base.exclude(pk__in=CustomerScore.objects.filter(run=run).values("customer_id"))
                        .values_list("pk", flat=True)[:UNSCORED_BY_ID + 1])
        if len(unscored) > UNSCORED_BY_ID:
            unscored = base.exclude(pk__in=CustomerScore.objects.filter(run=run).values("customer_id")).values("pk")
        qs = qs.annotate(latest=FilteredRelation("ka_scores", condition=Q(ka_scores__run=run))).annotate(
            score=F("latest__score"), score_kwh=F("latest__kwh"), growth_pct=F("latest__growth_pct"))
        # on the annotations, not latest__…: one join of the scores, not two
        on_track |= (Q(growth_pct__gte=c.POTENTIAL_GROWTH_PCT, score_kwh__gte=c.POTENTIAL_MIN_KWH)
                     | Q(score__gte=near))
        if unscored:
            on_track |= Q(pk__in=_growing(period, unscored))
    return (qs.filter(on_track).select_related("org_unit", "primary_manager")
            .order_by(F("score").desc(nulls_last=True), "number"))


def potential_reasons(row, run: ScoringRun | None) -> list[str]:
    """The latest run's reasons for one potential key account (its growth, its score)."""
    from django.utils.translation import gettext as _

    out = []
    if run is None or row.score is None:
        return out
    if row.growth_pct is not None and row.growth_pct >= c.POTENTIAL_GROWTH_PCT and \
            (row.score_kwh or 0) >= c.POTENTIAL_MIN_KWH:
        out.append(_("kWh grew %(pct)s %% over 12 months (%(kwh)s kWh)") % {"pct": row.growth_pct, "kwh": row.score_kwh})
    if row.score >= run.model.key_account_cutoff - c.POTENTIAL_SCORE_MARGIN:
        out.append(_("Score %(score)s, near the key-account cut-off %(cut)s") % {
            "score": row.score, "cut": run.model.key_account_cutoff})
    return out


def attach_potential_reasons(user, rows: list, run: ScoringRun | None, today: date | None = None) -> None:
    """`row.reasons` for a page of potential key accounts: the latest run's reasons, the growth from
    the bills of the customers it has not scored, and the capacity requests, connection projects
    and opportunities the user may see (at most three queries whatever the page size)."""
    from django.utils.translation import gettext as _

    from powerkam.pipeline.selectors import visible_opportunities
    from powerkam.projects import constants as pc
    from powerkam.projects.scoping import visible_projects

    today = today or timezone.localdate()
    ids = [r.pk for r in rows]
    extra: dict[int, list[str]] = {}
    unscored = [r.pk for r in rows if r.score is None]
    if unscored:
        for g in _bill_growth(today.replace(day=1), unscored):
            kwh12, prev = dec(g["kwh12"]), dec(g["kwh_prev"])
            if prev > 0 and kwh12 >= c.POTENTIAL_MIN_KWH and kwh12 >= prev * (1 + c.POTENTIAL_GROWTH_PCT / 100):
                pct = ((kwh12 - prev) * 100 / prev).quantize(Decimal("0.1"), ROUND_HALF_UP)
                extra.setdefault(g["customer_id"], []).append(
                    _("kWh grew %(pct)s %% over 12 months (%(kwh)s kWh), from the bills: not scored yet") % {
                        "pct": pct, "kwh": kwh12.quantize(Decimal("0.01"), ROUND_HALF_UP)})
    for p in (visible_projects(user, _capacity_requests(today).filter(customer_id__in=ids))
              .select_related("customer").order_by("accepted_on", "pk")):
        if p.status == pc.Status.ENERGISED:
            text = _("Capacity increase project %(number)s energised on %(day)s: %(kva)s kVA more") % {
                "number": p.number, "day": p.energised_on.isoformat(), "kva": p.requested_capacity_kva}
        else:
            text = _("Open %(type)s project %(number)s: %(kva)s kVA requested") % {
                "type": p.get_application_type_display().lower(), "number": p.number, "kva": p.requested_capacity_kva}
        extra.setdefault(p.customer_id, []).append(text)
    for o in (_large_opportunities().filter(customer_id__in=ids, pk__in=visible_opportunities(user).values("pk"))
              .order_by("close_on", "pk")):
        extra.setdefault(o.customer_id, []).append(
            _("Open opportunity %(number)s: %(kva)s kVA, %(revenue)s yuan a year expected (%(prob)s %%)") % {
                "number": o.number, "kva": o.expected_kva, "revenue": o.expected_annual_revenue_yuan,
                "prob": o.probability})
    for r in rows:
        r.reasons = potential_reasons(r, run) + extra.get(r.pk, [])


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
