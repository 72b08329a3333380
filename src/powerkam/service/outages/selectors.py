"""Read-side queries for outages: visibility, the list, the per-outage report."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from powerkam.core.scoping import customer_scope_q, scope_to_user
from powerkam.org.models import COMPANY_ROLES

from . import constants as c
from .models import Outage, OutageDelivery, OutageNotice


def visible_outages(user) -> QuerySet:
    """Outages of the user's org subtree, plus any outage that notified a customer the user sees
    (a key account manager sees the outages that touch the portfolio). Company roles: all."""
    qs = Outage.objects.all()
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_superuser or user.role in COMPANY_ROLES:
        return qs
    cond = Q(pk__in=[])
    if user.org_unit_id:
        cond |= Q(org_unit__path__startswith=user.org_unit.path)
    scope = customer_scope_q(user, prefix="customer__")
    if scope is not None:
        cond |= Q(Exists(OutageNotice.objects.filter(scope, outage=OuterRef("pk"))))
    return qs.filter(cond)


def outage_substations(user) -> QuerySet:
    """Substations a user may record an outage on: those of the units they see (the outage then
    belongs to that unit, so they see it too), and those of no unit (the outage is then the
    user's unit's). Company roles: every substation. The page and the API offer the same."""
    from powerkam.customers.models import Substation
    from powerkam.org.selectors import visible_org_units

    qs = Substation.objects.order_by("name")
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_superuser or user.role in COMPANY_ROLES:
        return qs
    return qs.filter(Q(org_unit__in=visible_org_units(user).order_by().values("pk")) | Q(org_unit__isnull=True))


def outage_supply_lines(user) -> QuerySet:
    """Supply lines leaving the substations of outage_substations."""
    from powerkam.customers.models import SupplyLine

    return (SupplyLine.objects.filter(substation__in=outage_substations(user).order_by().values("pk"))
            .select_related("substation").order_by("substation__name", "name"))


def outage_list(user) -> QuerySet:
    return (visible_outages(user).select_related("substation", "org_unit", "created_by")
            .prefetch_related("supply_lines")
            .annotate(n_notices=Count("notices", distinct=True),
                      n_missed=Count("notices", filter=~Q(notices__missed_reason=""), distinct=True),
                      n_acked=Count("notices", filter=Q(notices__acknowledged_at__isnull=False), distinct=True)))


def report_notices(outage: Outage, user) -> QuerySet:
    """The notices of one outage the user may see, with their deliveries (3 queries in all)."""
    return (scope_to_user(OutageNotice.objects.filter(outage=outage), user)
            .select_related("customer", "customer__primary_manager", "acknowledged_by", "call_task")
            .prefetch_related(Prefetch("deliveries", queryset=OutageDelivery.objects.order_by("channel", "id")))
            .order_by("customer__number"))


def report_summary(notices) -> dict:
    notices = list(notices)
    deliveries = [d for n in notices for d in n.deliveries.all()]
    return {
        "customers": len(notices),
        "reached": sum(1 for n in notices if not n.missed_reason),
        "missed": sum(1 for n in notices if n.missed_reason),
        "acknowledged": sum(1 for n in notices if n.acknowledged_at),
        "key_accounts": sum(1 for n in notices if n.is_key_account),
        "email": sum(1 for d in deliveries if d.channel == c.Channel.EMAIL and d.status == c.DeliveryStatus.SENT),
        "sms": sum(1 for d in deliveries if d.channel == c.Channel.SMS and d.status == c.DeliveryStatus.SENT),
        "failed": sum(1 for d in deliveries if d.status == c.DeliveryStatus.FAILED),
        # written but never confirmed sent: the process stopped between the commit and the send
        "queued": sum(1 for d in deliveries if d.status == c.DeliveryStatus.QUEUED),
    }
