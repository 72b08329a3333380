"""Key-account scoring: the business operations (issue #15 items 1–3; seed 002 "大客户识别").

Score of a customer = Σ weight × points ÷ Σ weight, 0–100, two decimals (ROUND_HALF_UP), where a
criterion's points come from its value by the criterion's normalisation:

- percentile: 100 × (customers scored with a smaller value) ÷ (customers with a value − 1) — the
  smallest value gets 0, the largest 100, equal values the same points; a single value gets 100;
- thresholds: the points of the last [value from, points] pair whose "value from" is ≤ the value
  (0 below the first pair).

A criterion without a value for a customer (no bills, no assessment, no payment rating) gives 0
points and says so in the reasons. The tier follows the cut-offs (ScoringModel.tier_for): a score
exactly on a cut-off reaches that tier.

A run is set-based: four reads (customers, the bills of 24 months grouped per customer, current
payment ratings, assessments), the arithmetic in Python, and bulk writes of the scores (COPY on
PostgreSQL) and proposals — so 100,000 customers are scored well under a minute.
"""

from __future__ import annotations

import bisect
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import DecimalField, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from powerkam.analytics.selectors import _cost_expression, _revenue, add_months, purchase_costs
from powerkam.billing.models import Bill
from powerkam.core import workqueue
from powerkam.customers.constants import LifecycleStatus

from . import constants as c
from .models import Assessment, Criterion, CustomerScore, ScoringModel, ScoringRun, TierProposal

ZERO = Decimal("0")
HUNDRED = Decimal("100")
PRECISE = DecimalField(max_digits=24, decimal_places=6)


def _q(value: Decimal) -> Decimal:
    return value.quantize(c.SCORE_PLACES, ROUND_HALF_UP)


def current_tier(is_key_account: bool, ka_tier: str) -> str:
    """A customer's tier as the scoring compares it: "" for not a key account; a key account
    without a tier is a general one (as the visit plan treats it)."""
    if not is_key_account:
        return c.NOT_KEY_ACCOUNT
    return ka_tier or "general"


def proposal_kind(from_tier: str, to_tier: str) -> str:
    if not from_tier:
        return c.ProposalKind.NEW
    if not to_tier:
        return c.ProposalKind.REMOVED
    return c.ProposalKind.UP if c.TIER_RANK[to_tier] > c.TIER_RANK[from_tier] else c.ProposalKind.DOWN


# --- the model: validation, versions, publication -------------------------------------------------------


def _dec(value: Any, errors: dict, key: str, label: str) -> Decimal | None:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        errors[key] = _("%(label)s must be a number.") % {"label": label}
        return None
    if not d.is_finite():
        errors[key] = _("%(label)s must be a number.") % {"label": label}
        return None
    return d


def parse_thresholds(text: str) -> list[list]:
    """"0:0, 1000:50, 5000:100" → [[0, 0], [1000, 50], [5000, 100]] (numbers as strings kept exact)."""
    pairs = []
    for part in (text or "").replace("，", ",").replace("；", ",").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if ":" not in part.replace("：", ":"):
            raise ValueError(part)
        v, p = part.replace("：", ":").split(":", 1)
        pairs.append([v.strip(), p.strip()])
    return pairs


def format_thresholds(pairs: list) -> str:
    return ", ".join(f"{v}:{p}" for v, p in pairs or [])


def validate_definition(cutoffs: dict, criteria: list[dict]) -> tuple[dict, list[dict]]:
    """Check a model's definition; return it cleaned (Decimals) or raise ValidationError with
    one message per field: keys "key_account_cutoff" …, "<code>_weight", "<code>_thresholds",
    "weights" (sum), "cutoffs" (order). Nothing is written here."""
    errors: dict[str, str] = {}
    clean_cut = {}
    for key, label in (("key_account_cutoff", _("Key account cut-off")), ("medium_cutoff", _("Medium cut-off")),
                       ("premium_cutoff", _("Premium cut-off"))):
        d = _dec(cutoffs.get(key), errors, key, label)
        if d is not None and not (ZERO <= d <= HUNDRED):
            errors[key] = _("%(label)s must lie between 0 and 100.") % {"label": label}
        clean_cut[key] = d
    ka, med, prem = clean_cut["key_account_cutoff"], clean_cut["medium_cutoff"], clean_cut["premium_cutoff"]
    if not errors and not (ka < med < prem):
        errors["cutoffs"] = _("The cut-offs must rise: key account (%(ka)s) < medium (%(med)s) < premium (%(prem)s).") % {
            "ka": ka, "med": med, "prem": prem}
    clean_criteria = []
    seen = set()
    total = ZERO
    for row in criteria:
        code = row.get("code")
        if code not in c.CRITERIA_BY_CODE:
            errors["criteria"] = _("Unknown criterion %(code)s.") % {"code": code}
            continue
        if code in seen:
            errors[f"{code}_weight"] = _("This criterion is given twice.")
            continue
        seen.add(code)
        label = str(c.CRITERIA_BY_CODE[code].label)
        weight = _dec(row.get("weight", "0") or "0", errors, f"{code}_weight", label)
        if weight is not None and weight < 0:
            errors[f"{code}_weight"] = _("A weight cannot be negative (%(label)s: %(weight)s).") % {
                "label": label, "weight": weight}
        norm = row.get("normalisation") or c.Normalisation.THRESHOLDS
        if norm not in c.Normalisation.values:
            errors[f"{code}_normalisation"] = _("Choose percentile or thresholds.")
        pairs = []
        if norm == c.Normalisation.THRESHOLDS and weight:
            raw = row.get("thresholds") or []
            if isinstance(raw, str):
                try:
                    raw = parse_thresholds(raw)
                except ValueError:
                    errors[f"{code}_thresholds"] = _("Write the thresholds as value:points pairs separated by commas, "
                                                     "e.g. 0:0, 1000:50, 5000:100.")
                    raw = []
            for v, p in raw:
                dv = _dec(v, errors, f"{code}_thresholds", label)
                dp = _dec(p, errors, f"{code}_thresholds", label)
                if dv is None or dp is None:
                    break
                if not (ZERO <= dp <= HUNDRED):
                    errors[f"{code}_thresholds"] = _("Points must lie between 0 and 100.")
                    break
                if pairs and dv <= pairs[-1][0]:
                    errors[f"{code}_thresholds"] = _("The threshold values must rise from one pair to the next.")
                    break
                pairs.append([dv, dp])
            if not pairs and f"{code}_thresholds" not in errors:
                errors[f"{code}_thresholds"] = _("Give at least one value:points pair.")
        if weight is not None and weight > 0:
            total += weight
        clean_criteria.append({"code": code, "weight": weight or ZERO, "normalisation": norm,
                               "thresholds": [[str(v), str(p)] for v, p in pairs]})
    if not any(k.endswith("_weight") for k in errors) and total <= 0:
        errors["weights"] = _("The weights sum to zero: give at least one criterion a positive weight.")
    if errors:
        raise ValidationError(errors)
    return clean_cut, clean_criteria


def _next_version() -> int:
    last = ScoringModel.objects.order_by("-version").values_list("version", flat=True).first()
    return (last or 0) + 1


def _audited(instance, actor) -> None:
    if getattr(actor, "pk", None):
        instance._history_user = actor


@transaction.atomic
def save_model(*, name: str, cutoffs: dict, criteria: list[dict], actor=None, model: ScoringModel | None = None,
               notes: str = "") -> ScoringModel:
    """Create a new draft version, or change a draft. A published or retired version is frozen:
    changing it is refused (make a new version). Invalid input writes nothing."""
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the model a name.")
    if model is not None and not model.is_draft:
        errors["__all__"] = _("Version %(v)s is %(status)s and frozen: make a new version to change it.") % {
            "v": model.version, "status": model.get_status_display()}
    try:
        clean_cut, clean_criteria = validate_definition(cutoffs, criteria)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if model is None:
        model = ScoringModel(version=_next_version(), created_by=actor if getattr(actor, "pk", None) else None)
    model.name, model.notes = name[:100], notes
    model.key_account_cutoff = clean_cut["key_account_cutoff"]
    model.medium_cutoff = clean_cut["medium_cutoff"]
    model.premium_cutoff = clean_cut["premium_cutoff"]
    _audited(model, actor)
    model.save()
    existing = {cr.code: cr for cr in model.criteria.all()}
    for row in clean_criteria:
        cr = existing.pop(row["code"], None) or Criterion(model=model, code=row["code"])
        cr.weight, cr.normalisation, cr.thresholds = row["weight"], row["normalisation"], row["thresholds"]
        _audited(cr, actor)
        cr.save()
    for cr in existing.values():
        _audited(cr, actor)
        cr.delete()
    return model


def default_definition() -> tuple[dict, list[dict]]:
    cut = {f"{k}_cutoff": v for k, v in c.DEFAULT_CUTOFFS.items()}
    rows = [{"code": code, "weight": w, "normalisation": n, "thresholds": t} for code, w, n, t in c.DEFAULT_CRITERIA]
    return cut, rows


def definition_of(model: ScoringModel) -> tuple[dict, list[dict]]:
    cut = {"key_account_cutoff": model.key_account_cutoff, "medium_cutoff": model.medium_cutoff,
           "premium_cutoff": model.premium_cutoff}
    rows = [{"code": cr.code, "weight": cr.weight, "normalisation": cr.normalisation, "thresholds": cr.thresholds}
            for cr in model.criteria.all()]
    return cut, rows


def new_version_from(source: ScoringModel | None, *, actor=None) -> ScoringModel:
    """A new draft copying `source` (or the default model when there is none)."""
    if source is None:
        cut, rows = default_definition()
        return save_model(name=_("Key-account scoring"), cutoffs=cut, criteria=rows, actor=actor)
    cut, rows = definition_of(source)
    return save_model(name=source.name, cutoffs=cut, criteria=rows, actor=actor, notes=source.notes)


def published_model() -> ScoringModel | None:
    return ScoringModel.objects.filter(status=ScoringModel.Status.PUBLISHED).first()


@transaction.atomic
def publish_model(model: ScoringModel, *, actor=None) -> ScoringModel:
    """Publish a draft: the monthly job scores with it from now on; the version published so far
    is retired. Audited (simple-history, with the acting user)."""
    if not model.is_draft:
        raise ValidationError({"__all__": _("Only a draft can be published; version %(v)s is %(status)s.") % {
            "v": model.version, "status": model.get_status_display()}})
    validate_definition(*definition_of(model))
    for old in ScoringModel.objects.select_for_update().filter(status=ScoringModel.Status.PUBLISHED):
        old.status = ScoringModel.Status.RETIRED
        _audited(old, actor)
        old.save(update_fields=["status"])
    model.status = ScoringModel.Status.PUBLISHED
    model.published_at = timezone.now()
    model.published_by = actor if getattr(actor, "pk", None) else None
    _audited(model, actor)
    model.save(update_fields=["status", "published_at", "published_by"])
    return model


# --- assessments ------------------------------------------------------------------------------------------


def record_assessment(*, customer, actor=None, assessed_on: date | None = None, note: str = "",
                      **values: int) -> Assessment:
    """The manager's assessment of one customer (1–5 per criterion); invalid values write nothing."""
    assessment = Assessment(customer=customer, assessed_by=actor if getattr(actor, "pk", None) else None,
                            assessed_on=assessed_on or timezone.localdate(), note=note or "",
                            **{k: values.get(k) for k in c.ASSESSMENT_CODES})
    assessment.full_clean()
    _audited(assessment, actor)
    assessment.save()
    return assessment


# --- collecting the values --------------------------------------------------------------------------------


@dataclass
class Collected:
    """Per customer: its current tier, org unit and every criterion's value (None: no data)."""

    period: date
    tiers: dict[int, str] = field(default_factory=dict)
    values: dict[int, dict[str, Decimal | None]] = field(default_factory=dict)


def collect_values(period: date, customer_ids: list[int] | None = None) -> Collected:
    """Every criterion's value for every open customer (or `customer_ids`), for the run of month
    `period` (first day): the 12 billing months before it, and the 12 before those for growth.
    Four queries whatever the number of customers."""
    from powerkam.credit.models import BehaviourRating
    from powerkam.customers.models import Customer

    period = period.replace(day=1)
    first, prev_first, last = add_months(period, -c.WINDOW_MONTHS), add_months(period, -2 * c.WINDOW_MONTHS), \
        add_months(period, -1)
    customers = Customer.objects.exclude(lifecycle_status=LifecycleStatus.CLOSED).order_by()
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
    out = Collected(period=period)
    for pk, is_ka, tier, voltage, capacity, lifecycle in customers.values_list(
            "pk", "is_key_account", "ka_tier", "voltage_level", "contract_capacity_kva", "lifecycle_status").iterator(
            chunk_size=5000):
        out.tiers[pk] = current_tier(is_ka, tier)
        out.values[pk] = {
            "voltage": Decimal(c.VOLTAGE_ORDINAL.get(voltage, 1)), "capacity": capacity,
            "lifecycle": Decimal(c.LIFECYCLE_ORDINAL.get(lifecycle, 0)),
            "annual_revenue": None, "profit": None, "kwh": None, "growth": None, "payment": None,
            **dict.fromkeys(c.ASSESSMENT_CODES),
        }
    costs = purchase_costs()
    this = Q(period__gte=first, period__lte=last)
    bills = Bill.objects.exclude(status=Bill.Status.VOID).filter(period__gte=prev_first, period__lte=last).order_by()
    if customer_ids is not None:
        bills = bills.filter(customer_id__in=customer_ids)
    revenue = _revenue()
    cost = _cost_expression(costs)
    rows = bills.values("customer_id").annotate(
        kwh12=Sum("kwh", filter=this), kwh_prev=Sum("kwh", filter=~this),
        rev12=Sum(revenue, filter=this), cost12=Sum(cost, filter=this),
    ).values_list("customer_id", "kwh12", "kwh_prev", "rev12", "cost12")
    for pk, kwh12, kwh_prev, rev12, cost12 in rows.iterator(chunk_size=5000):
        vals = out.values.get(pk)
        if vals is None:
            continue
        kwh12 = _decimal(kwh12).quantize(Decimal("0.01"), ROUND_HALF_UP)
        kwh_prev = _decimal(kwh_prev)
        rev = _decimal(rev12)
        vals["kwh"] = kwh12
        vals["annual_revenue"] = rev.quantize(Decimal("0.01"), ROUND_HALF_UP)
        vals["profit"] = (rev - _decimal(cost12)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if kwh_prev > 0:
            vals["growth"] = ((kwh12 - kwh_prev) * HUNDRED / kwh_prev).quantize(Decimal("0.1"), ROUND_HALF_UP)
    ratings = BehaviourRating.objects.filter(is_current=True, on_time_rate__isnull=False).order_by()
    if customer_ids is not None:
        ratings = ratings.filter(customer_id__in=customer_ids)
    for pk, rate in ratings.values_list("customer_id", "on_time_rate").iterator(chunk_size=5000):
        if pk in out.values:
            out.values[pk]["payment"] = (_decimal(rate) * HUNDRED).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assessments = Assessment.objects.order_by("customer_id", "-assessed_on", "-id")
    if customer_ids is not None:
        assessments = assessments.filter(customer_id__in=customer_ids)
    seen = set()
    for row in assessments.values_list("customer_id", *c.ASSESSMENT_CODES).iterator(chunk_size=5000):
        pk = row[0]
        if pk in seen or pk not in out.values:
            continue
        seen.add(pk)
        for code, v in zip(c.ASSESSMENT_CODES, row[1:], strict=True):
            out.values[pk][code] = Decimal(v)
    return out


def _decimal(v: Any) -> Decimal:
    if v is None:
        return ZERO
    return v if isinstance(v, Decimal) else Decimal(str(v))


# --- scoring ------------------------------------------------------------------------------------------------


@dataclass
class Scored:
    score: Decimal
    tier: str
    current: str
    reasons: dict[str, list]
    kwh: Decimal | None = None
    growth: Decimal | None = None


def _points_thresholds(value: Decimal, pairs: list[tuple[Decimal, Decimal]]) -> Decimal:
    points = ZERO
    for v, p in pairs:
        if value >= v:
            points = p
        else:
            break
    return points


def score_customers(model: ScoringModel, collected: Collected) -> dict[int, Scored]:
    """Score every collected customer with `model` (pure arithmetic, no query but the criteria)."""
    criteria = list(model.criteria.all())
    active = [cr for cr in criteria if cr.weight > 0]
    total_weight = sum((cr.weight for cr in active), ZERO)
    sorted_values: dict[str, list[Decimal]] = {}
    pairs: dict[str, list[tuple[Decimal, Decimal]]] = {}
    for cr in active:
        if cr.normalisation == c.Normalisation.PERCENTILE:
            sorted_values[cr.code] = sorted(v[cr.code] for v in collected.values.values() if v[cr.code] is not None)
        else:
            pairs[cr.code] = [(Decimal(str(v)), Decimal(str(p))) for v, p in cr.thresholds]
    out: dict[int, Scored] = {}
    for pk, vals in collected.values.items():
        weighted = ZERO
        reasons: dict[str, list] = {}
        for cr in active:
            value = vals.get(cr.code)
            if value is None:
                points = ZERO
            elif cr.normalisation == c.Normalisation.PERCENTILE:
                ranked = sorted_values[cr.code]
                n = len(ranked)
                points = HUNDRED if n <= 1 else _q(HUNDRED * bisect.bisect_left(ranked, value) / (n - 1))
            else:
                points = _points_thresholds(value, pairs[cr.code])
            weighted += cr.weight * points
            reasons[cr.code] = [None if value is None else str(value), str(_q(points))]
        score = _q(weighted / total_weight) if total_weight else ZERO
        out[pk] = Scored(score=score, tier=model.tier_for(score), current=collected.tiers[pk], reasons=reasons,
                         kwh=vals.get("kwh"), growth=vals.get("growth"))
    return out


def tier_changes(scored: dict[int, Scored]) -> dict[str, Any]:
    """How many customers a run would move, and where: the try-out's answer."""
    moves = Counter((s.current, s.tier) for s in scored.values() if s.current != s.tier)
    kinds = Counter(proposal_kind(a, b) for (a, b), n in moves.items() for _ in range(n))
    tiers = Counter(s.tier for s in scored.values())
    return {
        "customers": len(scored), "changes": sum(moves.values()),
        "by_kind": {k: kinds.get(k, 0) for k in c.ProposalKind.values},
        "moves": sorted(([a, b, n] for (a, b), n in moves.items()), key=lambda m: -m[2]),
        "tiers": {t: tiers.get(t, 0) for t in c.TIER_RANK},
    }


def try_out(model: ScoringModel, period: date | None = None) -> dict[str, Any]:
    """Score the current data with `model` without writing anything (the dry run before publishing)."""
    period = (period or timezone.localdate()).replace(day=1)
    return tier_changes(score_customers(model, collect_values(period)))


@transaction.atomic
def run_scoring(model: ScoringModel, period: date, *, actor=None, customer_ids: list[int] | None = None) -> ScoringRun:
    """Score every open customer with `model` for month `period`, keep each score with its reasons,
    and propose every tier change (TierProposal, pending). A customer's earlier pending proposal
    is superseded by the new run's (or simply closed when the new run proposes no change)."""
    period = period.replace(day=1)
    collected = collect_values(period, customer_ids)
    scored = score_customers(model, collected)
    run = ScoringRun.objects.create(model=model, period=period, created_by=actor if getattr(actor, "pk", None) else None)
    workqueue.copy_rows(
        CustomerScore, ("run_id", "customer_id", "score", "tier", "current_tier", "reasons", "kwh", "growth_pct"),
        ((run.pk, pk, s.score, s.tier, s.current, json.dumps(s.reasons, cls=DjangoJSONEncoder), s.kwh, s.growth)
         for pk, s in scored.items()))
    pending = TierProposal.objects.filter(status=c.ProposalStatus.PENDING)
    if customer_ids is not None:
        pending = pending.filter(customer_id__in=customer_ids)
    superseded = list(pending.values_list("pk", flat=True))
    if superseded:
        now = timezone.now()
        for start in range(0, len(superseded), 5000):
            TierProposal.objects.filter(pk__in=superseded[start:start + 5000]).update(
                status=c.ProposalStatus.SUPERSEDED, decided_at=now)
        workqueue.insert_history_rows_many(TierProposal, superseded, user_id=getattr(actor, "pk", None),
                                           reason="superseded by a later scoring run", history_type="~")
    proposals = [TierProposal(run=run, customer_id=pk, kind=proposal_kind(s.current, s.tier), from_tier=s.current,
                              to_tier=s.tier, score=s.score)
                 for pk, s in scored.items() if s.current != s.tier]
    created = TierProposal.objects.bulk_create(proposals, batch_size=2000)
    workqueue.insert_history_rows_many(TierProposal, [p.pk for p in created if p.pk],
                                       user_id=getattr(actor, "pk", None), reason="proposed by a scoring run")
    summary = tier_changes(scored)
    run.customers = len(scored)
    run.proposals = len(proposals)
    run.tier_counts = summary["tiers"]
    run.finished_at = timezone.now()
    run.save(update_fields=["customers", "proposals", "tier_counts", "finished_at"])
    return run


def scoring_day() -> int:
    try:
        return min(max(int(os.environ.get("POWERKAM_SCORING_DAY", c.DEFAULT_SCORING_DAY)), 1), 28)
    except ValueError:
        return c.DEFAULT_SCORING_DAY


def monthly_job(day: date) -> dict:
    """The scheduler's daily call: on the scoring day, score every customer with the published
    model (once per month: a second call the same month does nothing)."""
    if day.day != scoring_day():
        return {"skipped": "not the scoring day"}
    model = published_model()
    if model is None:
        return {"skipped": "no published scoring model"}
    period = day.replace(day=1)
    if ScoringRun.objects.filter(model=model, period=period).exists():
        return {"skipped": "already scored this month"}
    run = run_scoring(model, period)
    return {"run": run.pk, "customers": run.customers, "proposals": run.proposals}


# --- tier proposals ---------------------------------------------------------------------------------------


def _check_pending(proposal: TierProposal) -> None:
    if proposal.status != c.ProposalStatus.PENDING:
        raise ValidationError({"__all__": _("This proposal is already %(status)s.") % {
            "status": proposal.get_status_display()}})


@transaction.atomic
def approve_proposal(proposal: TierProposal, *, actor, reason: str = "", today: date | None = None) -> TierProposal:
    """Approve a tier change: the customer's tier changes (audited, on its timeline) and its visit
    plan follows the new tier (visits.services.replan_customers)."""
    from powerkam.customers.services import update_customer
    from powerkam.service.visits.services import replan_customers

    proposal = TierProposal.objects.select_for_update().select_related("customer").get(pk=proposal.pk)
    _check_pending(proposal)
    customer = proposal.customer
    if current_tier(customer.is_key_account, customer.ka_tier) != proposal.from_tier:
        raise ValidationError({"__all__": _("The customer's tier has changed since the run; wait for the next run.")})
    update_customer(customer, actor=actor, is_key_account=bool(proposal.to_tier), ka_tier=proposal.to_tier)
    proposal.status = c.ProposalStatus.APPROVED
    proposal.decided_by, proposal.decided_at, proposal.reason = actor, timezone.now(), (reason or "").strip()[:500]
    _audited(proposal, actor)
    proposal.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    replan_customers([customer.pk], day=today or timezone.localdate(), actor=actor)
    return proposal


@transaction.atomic
def reject_proposal(proposal: TierProposal, *, actor, reason: str) -> TierProposal:
    """Reject a tier change: a reason is required; the customer and its visit plan stay as they are."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the change is rejected.")})
    proposal = TierProposal.objects.select_for_update().get(pk=proposal.pk)
    _check_pending(proposal)
    proposal.status = c.ProposalStatus.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.reason = actor, timezone.now(), reason[:500]
    _audited(proposal, actor)
    proposal.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    return proposal


# --- potential key accounts: the one-click visit ---------------------------------------------------------


def plan_potential_visit(customer, *, assignee, actor, today: date | None = None):
    """A visit for a manager to go and see a potential key account (a planned visit with its
    work-queue task, through the visits service)."""
    from powerkam.service.visits.services import plan_visit

    today = today or timezone.localdate()
    return plan_visit(customer=customer, planned_on=today + timedelta(days=c.POTENTIAL_VISIT_DAYS), assignee=assignee,
                      purpose=_("Potential key account: assess and develop"), actor=actor, today=today)

