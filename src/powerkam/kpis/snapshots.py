"""Month-end snapshots of the dashboard figures that are states rather than sums of dated records
(issue #15 item 7: "each against last year"): key accounts, customers at churn risk, weighted
pipeline, new capacity expected and arrears. Nothing dated lets them be recomputed for a past
date, so the nightly job keeps them per org unit and month, and the dashboard reads last year's
figure (and a finished month's own figure) from here. Where nothing was kept, the dashboard says
so — never a 0 or a guess.

- `take_snapshot(as_of)`: the figures as they stand, written as the rows of `as_of`'s month
  (delete and insert: running it twice changes nothing). The job runs it for the day before the
  business day, so the 02:00 run of the 1st writes the state at the end of the month just over.
- `backfill_from_history()`: key-account counts of past months recomputed from the customers'
  audit trail (django-simple-history), only for months the trail fully covers.
- `kept_figures(...)`: what the dashboard shows from the snapshots (two queries).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.utils import timezone

from powerkam.analytics.selectors import add_months, money
from powerkam.org.models import COMPANY_ROLES, PORTFOLIO_ROLES

from .models import DashboardSnapshot

# dashboard figure → snapshot field
FIELDS: dict[str, str] = {
    "key_accounts": "key_accounts", "churn_risk": "churn_risk", "pipeline": "pipeline_yuan",
    "new_capacity": "new_capacity_kva", "arrears": "arrears_yuan",
}
INTEGER_FIGURES = {"key_accounts", "churn_risk"}
# How far back the backfill looks for months the audit trail covers.
BACKFILL_MONTHS = 24


def _month_end(month: date) -> date:
    return add_months(month.replace(day=1), 1) - timedelta(days=1)


def current_figures(as_of: date) -> dict[int, dict[str, Any]]:
    """Per org unit, the snapshot figures as they stand now, company-wide, with the dashboard's own
    definitions (kpis.selectors._feeds_from_new_apps and dashboard): five grouped queries.
    new_capacity is the kVA expected in `as_of`'s month."""
    from powerkam.analytics.models import ArrearsPosition
    from powerkam.consumption.analysis import churn_risk_q
    from powerkam.consumption.models import UsageAnomaly
    from powerkam.customers.constants import LifecycleStatus
    from powerkam.customers.models import Customer
    from powerkam.pipeline import constants as pc
    from powerkam.pipeline.models import GovernmentProject, Opportunity
    from powerkam.pipeline.selectors import weighted_sum

    first, last = as_of.replace(day=1), _month_end(as_of)
    out: dict[int, dict[str, Any]] = {}

    def put(unit_id, name, value):
        if unit_id is None:
            return
        row = out.setdefault(unit_id, dict.fromkeys(FIELDS.values(), 0))
        row[name] = (row[name] or 0) + (value or 0)

    for r in (Customer.objects.filter(is_key_account=True).exclude(lifecycle_status=LifecycleStatus.CLOSED)
              .order_by().values("org_unit_id").annotate(n=Count("id"))):
        put(r["org_unit_id"], "key_accounts", r["n"])
    for r in (UsageAnomaly.objects.filter(churn_risk_q(as_of)).order_by().values("customer__org_unit_id")
              .annotate(n=Count("customer_id", distinct=True))):
        put(r["customer__org_unit_id"], "churn_risk", r["n"])
    for r in (Opportunity.objects.filter(stage__outcome=pc.StageOutcome.OPEN).order_by().values("org_unit_id")
              .annotate(w=weighted_sum(), kva=Sum("expected_kva", filter=Q(close_on__gte=first,
                                                                                   close_on__lte=last)))):
        put(r["org_unit_id"], "pipeline_yuan", r["w"])
        put(r["org_unit_id"], "new_capacity_kva", r["kva"])
    for r in (GovernmentProject.objects.filter(gov_status=pc.GovStatus.APPROVED, is_closed=False,
                                               converted_at__isnull=True, expected_energisation_on__gte=first,
                                               expected_energisation_on__lte=last)
              .order_by().values("org_unit_id")
              .annotate(kva=Sum("expected_capacity_kva"))):
        put(r["org_unit_id"], "new_capacity_kva", r["kva"])
    for r in (ArrearsPosition.objects.order_by().values("customer__org_unit_id")
              .annotate(s=Sum("outstanding"))):
        put(r["customer__org_unit_id"], "arrears_yuan", r["s"])
    return out


@transaction.atomic
def take_snapshot(as_of: date) -> dict[str, Any]:
    """Write the month of `as_of`: one row per org unit with any figure (idempotent: the month's
    rows are replaced, including rows recomputed from history)."""
    from powerkam.org.models import OrgUnit

    month = as_of.replace(day=1)
    figures = current_figures(as_of)
    units = set(OrgUnit.objects.filter(pk__in=list(figures)).values_list("pk", flat=True))
    DashboardSnapshot.objects.filter(month=month).delete()
    DashboardSnapshot.objects.bulk_create([
        DashboardSnapshot(month=month, org_unit_id=unit_id, taken_on=as_of, source=DashboardSnapshot.Source.JOB,
                          **{k: (money(v) if k.endswith(("_yuan", "_kva")) else int(v)) for k, v in row.items()})
        for unit_id, row in figures.items() if unit_id in units])
    return {"month": f"{month:%Y-%m}", "units": len(units)}


def snapshot_job(day: date) -> dict[str, Any]:
    """The scheduler's nightly call: the state at the end of the day before (so the run of the 1st
    closes the month just over). The very first run also recomputes what the audit trail allows."""
    out: dict[str, Any] = {}
    if not DashboardSnapshot.objects.exists():
        out["backfilled"] = backfill_from_history(day)["months"]
    return {**take_snapshot(day - timedelta(days=1)), **out}


def history_covers(month: date) -> bool:
    """The customers' audit trail reaches back before `month`: every customer that existed then has
    a record at or before its end (a trail that starts later says nothing about that month)."""
    from powerkam.customers.models import Customer

    start = timezone.make_aware(datetime.combine(month.replace(day=1), time.min))
    first = Customer.history.aggregate(first=Min("history_date"))["first"]
    return first is not None and first < start


def key_accounts_as_of(day: date) -> dict[int, int]:
    """Key accounts per org unit at the end of `day`, from each customer's last audit record then."""
    from powerkam.customers.constants import LifecycleStatus
    from powerkam.customers.models import Customer

    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    hist = Customer.history.model.objects
    later = hist.filter(id=OuterRef("id"), history_date__lt=end, history_date__gt=OuterRef("history_date"))
    rows = (hist.filter(history_date__lt=end).exclude(history_type="-").filter(~Exists(later))
            .filter(is_key_account=True).exclude(lifecycle_status=LifecycleStatus.CLOSED)
            .order_by().values("org_unit_id").annotate(n=Count("id", distinct=True)))
    return {r["org_unit_id"]: r["n"] for r in rows if r["org_unit_id"] is not None}


@transaction.atomic
def backfill_from_history(today: date, months: int = BACKFILL_MONTHS) -> dict[str, Any]:
    """Key-account counts for the past months without a kept figure that the customers' audit trail
    fully covers (the other figures cannot be recomputed: they start with the first snapshot).
    Never overwrites a kept figure; running it twice changes nothing."""
    from powerkam.org.models import OrgUnit

    this_month = today.replace(day=1)
    kept = set(DashboardSnapshot.objects.filter(key_accounts__isnull=False).values_list("month", flat=True).distinct())
    units = sorted(OrgUnit.objects.values_list("pk", flat=True))
    done = []
    for back in range(months, 0, -1):
        month = add_months(this_month, -back)
        if month in kept or not units or not history_covers(month):
            continue
        counts = key_accounts_as_of(_month_end(month)) or {units[0]: 0}  # no key account then: a kept 0
        DashboardSnapshot.objects.bulk_create([
            DashboardSnapshot(month=month, org_unit_id=unit_id, key_accounts=n, taken_on=today,
                              source=DashboardSnapshot.Source.HISTORY)
            for unit_id, n in counts.items() if unit_id in units])
        done.append(f"{month:%Y-%m}")
    return {"months": done}


# --- reading --------------------------------------------------------------------------------------------


def kept_figures(user, month: date, ly: date, keys: list[Any], find: Callable[[int], Any],
                 today: date | None = None) -> dict[str, Any]:
    """What the dashboard takes from the snapshots, for the user's scope (two queries):

    - `by_key`: per display column (and None: the whole) the kept figures — `<figure>_ly` from last
      year's month, and `<figure>` from the month itself when it is over (the state at its end);
    - `not_kept`: the figures with no kept figure for last year's month;
    - `as_of_today`: the figures whose value is today's state (the current month, or a finished
      month with nothing kept);
    - `first_month`: the first month with a kept figure (None: none yet).

    Snapshots are kept per org unit: company roles read every unit, supervisors and clerks their
    subtree; a portfolio (managers, specialists) has none of its own."""
    from powerkam.core.scoping import subtree_unit_ids

    today = today or timezone.localdate()
    month, ly = month.replace(day=1), ly.replace(day=1)
    by_key: dict[Any, dict[str, Decimal]] = {k: {} for k in keys}
    portfolio = user.role in PORTFOLIO_ROLES and not user.is_superuser
    qs = DashboardSnapshot.objects.all()
    if portfolio:
        qs = qs.none()
    elif not (user.is_superuser or user.role in COMPANY_ROLES):
        unit_ids = subtree_unit_ids(user)
        if unit_ids is not None:
            qs = qs.filter(org_unit_id__in=unit_ids)
    first_month = None if portfolio else qs.aggregate(first=Min("month"))["first"]
    wanted = [ly] + ([month] if month < today.replace(day=1) else [])
    kept: dict[date, set[str]] = {m: set() for m in wanted}
    rows = list(qs.filter(month__in=wanted).order_by().values("month", "org_unit_id", *FIELDS.values())) \
        if first_month is not None else []
    for r in rows:
        suffix = "_ly" if r["month"] == ly else ""
        col = find(r["org_unit_id"])
        for figure, field in FIELDS.items():
            if r[field] is None:
                continue
            kept[r["month"]].add(figure)
            for k in ((col, None) if col is not None else (None,)):
                bucket = by_key.setdefault(k, {})
                bucket[figure + suffix] = bucket.get(figure + suffix, Decimal("0")) + Decimal(r[field])
    # a kept figure is 0 (not "not kept") for a column without a row
    for m, figures in kept.items():
        suffix = "_ly" if m == ly else ""
        for figure in figures:
            for bucket in by_key.values():
                bucket.setdefault(figure + suffix, Decimal("0"))
    for bucket in by_key.values():
        for name, value in list(bucket.items()):
            figure = name.removesuffix("_ly")
            bucket[name] = int(value) if figure in INTEGER_FIGURES else money(value)
    this_kept = kept.get(month, set())
    return {
        "by_key": by_key,
        "not_kept": [f for f in FIELDS if f not in kept[ly]],
        "as_of_today": [f for f in FIELDS if f not in this_kept],
        "first_month": first_month,
        "per_unit_only": portfolio,
    }
