"""Read-side queries: the invitation list, satisfaction analysis, manager KPIs, loss rate.

Every function takes an already scoped queryset (core.scoping) or a user and scopes itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Avg, Case, Count, Q, QuerySet, Value, When
from django.db.models import CharField as CharF
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from powerkam.core.scoping import scope_to_user, visible_customers
from powerkam.customers import constants as cc

from . import constants as c
from .models import SurveyInvitation, SurveyResponse


def invitations(user) -> QuerySet:
    """Visible invitations with `state` = queued / sent / answered / expired / failed (one SQL CASE)."""
    now = timezone.now()
    return (scope_to_user(SurveyInvitation.objects.all(), user)
            .select_related("customer", "customer__org_unit", "customer__primary_manager", "contact", "subject_type", "response")
            .annotate(state=Case(
                When(status=c.Status.SENT, expires_at__lte=now, then=Value(c.Status.EXPIRED)),
                default="status", output_field=CharF())))


def responses(user) -> QuerySet:
    return scope_to_user(SurveyResponse.objects.all(), user)


def start_of(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def period_filter(qs: QuerySet, start: date | None, end: date | None, field: str = "answered_at") -> QuerySet:
    if start:
        qs = qs.filter(**{f"{field}__gte": start_of(start)})
    if end:
        qs = qs.filter(**{f"{field}__lt": start_of(end) + timezone.timedelta(days=1)})
    return qs


# --- satisfaction analysis ----------------------------------------------------------------------

DIMENSIONS = {
    # key: (group-by value fields, label builder)
    "unit": ("org_unit_id", "org_unit__name"),
    "manager": ("manager_id", "manager__full_name"),
    "category": ("category", "category"),
    "month": ("month", "month"),
    "kind": ("kind", "kind"),
}


@dataclass
class Row:
    key: object
    label: str
    responses: int
    overall: float | None
    responsiveness: float | None
    professionalism: float | None
    communication: float | None
    satisfied: int
    dissatisfied: int

    @property
    def satisfied_rate(self) -> float | None:
        """Share of responses scoring 4 or 5, in percent."""
        return round(100.0 * self.satisfied / self.responses, 1) if self.responses else None


def _r(value) -> float | None:
    return round(float(value), 2) if value is not None else None


def satisfaction_by(qs: QuerySet, dimension: str, *, category_labels: dict | None = None) -> list[Row]:
    """One row per unit / manager / ticket type / month / kind: count, averages, satisfied (4–5)
    and dissatisfied (≤ constants.DISSATISFIED_AT_OR_BELOW). One query."""
    key_field, label_field = DIMENSIONS[dimension]
    if dimension == "month":
        qs = qs.annotate(month=TruncMonth("answered_at"))
    fields = [key_field] if key_field == label_field else [key_field, label_field]
    rows = (qs.values(*fields)
            .annotate(n=Count("id"), overall_avg=Avg("overall"), resp_avg=Avg("responsiveness"),
                      prof_avg=Avg("professionalism"), comm_avg=Avg("communication"),
                      good=Count("id", filter=Q(overall__gte=4)),
                      bad=Count("id", filter=Q(overall__lte=c.DISSATISFIED_AT_OR_BELOW)))
            .order_by(key_field))
    kinds = dict(c.Kind.choices)
    out = []
    for r in rows:
        key = r[key_field]
        label = r[label_field]
        if dimension == "month":
            label = timezone.localtime(key).strftime("%Y-%m") if isinstance(key, datetime) and timezone.is_aware(key) \
                else (key.strftime("%Y-%m") if key else "")
        elif dimension == "kind":
            label = str(kinds.get(key, key))
        elif dimension == "category":
            label = str((category_labels or {}).get(key, key)) if key else _("(none)")
        elif not label:
            label = _("(none)")
        out.append(Row(key, str(label), r["n"], _r(r["overall_avg"]), _r(r["resp_avg"]), _r(r["prof_avg"]),
                       _r(r["comm_avg"]), r["good"], r["bad"]))
    return out


def totals(qs: QuerySet) -> Row:
    r = qs.aggregate(n=Count("id"), overall_avg=Avg("overall"), resp_avg=Avg("responsiveness"),
                     prof_avg=Avg("professionalism"), comm_avg=Avg("communication"),
                     good=Count("id", filter=Q(overall__gte=4)),
                     bad=Count("id", filter=Q(overall__lte=c.DISSATISFIED_AT_OR_BELOW)))
    return Row("total", _("Total"), r["n"], _r(r["overall_avg"]), _r(r["resp_avg"]), _r(r["prof_avg"]),
               _r(r["comm_avg"]), r["good"], r["bad"])


def manager_kpi(manager, start: date, end: date) -> dict:
    """Satisfaction KPI of one key account manager (seed 002 "KPIs per person: satisfaction"):
    responses credited to the manager who was the primary manager when the customer answered."""
    qs = period_filter(SurveyResponse.objects.filter(manager=manager).exclude(kind=c.Kind.EXIT), start, end)
    row = totals(qs)
    return {"responses": row.responses, "average": row.overall, "satisfied_rate": row.satisfied_rate,
            "dissatisfied": row.dissatisfied}


# --- customer loss rate -------------------------------------------------------------------------


@dataclass
class LossRow:
    unit_id: int | None
    unit: str
    active_at_start: int
    lost: int

    @property
    def rate(self) -> float | None:
        """Loss rate in percent: customers active at the start who closed within the period."""
        return round(100.0 * self.lost / self.active_at_start, 2) if self.active_at_start else None


def _active_at(start: date) -> Q:
    existed = Q(opened_on__lt=start) | Q(opened_on__isnull=True, created_at__lt=start_of(start))
    still_there = (Q(closed_on__isnull=True, lifecycle_status__in=[cc.LifecycleStatus.ACTIVE, cc.LifecycleStatus.SUSPENDED])
                   | Q(lifecycle_status=cc.LifecycleStatus.CLOSED, closed_on__gte=start))
    return existed & still_there


def loss_by_unit(user, start: date, end: date) -> tuple[list[LossRow], LossRow]:
    """Customer loss rate per supply unit: closed in [start, end] / active at `start`. One query."""
    base = _active_at(start)
    lost = base & Q(lifecycle_status=cc.LifecycleStatus.CLOSED, closed_on__gte=start, closed_on__lte=end)
    rows = (visible_customers(user).values("org_unit_id", "org_unit__name")
            .annotate(active=Count("id", filter=base), lost=Count("id", filter=lost))
            .filter(Q(active__gt=0) | Q(lost__gt=0)).order_by("org_unit__name"))
    out = [LossRow(r["org_unit_id"], r["org_unit__name"], r["active"], r["lost"]) for r in rows]
    total = LossRow(None, _("Total"), sum(r.active_at_start for r in out), sum(r.lost for r in out))
    return out, total


def lost_customers(user, start: date, end: date) -> QuerySet:
    """Customers active at `start` and closed within the period, with their exit survey if any."""
    base = _active_at(start)
    return (visible_customers(user).filter(base, lifecycle_status=cc.LifecycleStatus.CLOSED,
                                           closed_on__gte=start, closed_on__lte=end)
            .select_related("org_unit", "primary_manager").order_by("-closed_on", "number"))


def exit_reasons(user, start: date, end: date) -> list[tuple[str, str, int]]:
    """(reason, label, count) from the exit surveys answered by customers lost in the period."""
    lost_ids = lost_customers(user, start, end).values("pk")
    rows = (SurveyResponse.objects.filter(kind=c.Kind.EXIT, customer_id__in=lost_ids)
            .values("exit_reason").annotate(n=Count("id")).order_by("-n", "exit_reason"))
    labels = dict(c.ExitReason.choices)
    return [(r["exit_reason"], str(labels.get(r["exit_reason"], r["exit_reason"])), r["n"]) for r in rows]
