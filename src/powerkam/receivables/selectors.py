"""Read queries of receivables: constant query counts whatever the data size."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, DecimalField, F, Max, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from powerkam.billing.models import Bill
from powerkam.core.scoping import scope_to_user, visible_customers
from powerkam.imports.exports import Column

from .models import LadderStep, Payment
from .services import money

PAYMENT_ORDERING = {
    "received": "received_on", "-received": "-received_on",
    "amount": "amount", "-amount": "-amount",
    "number": "number", "-number": "-number",
    "customer": "customer__name", "-customer": "-customer__name",
}

BOARD_ORDERING = {
    "outstanding": "outstanding", "-outstanding": "-outstanding",
    "overdue": "-oldest_due", "-overdue": "oldest_due",  # more days overdue = older due date
    "step": "step", "-step": "-step",
    "name": "name", "-name": "-name",
}


def payments(user, params) -> tuple:
    qs = scope_to_user(Payment.objects.select_related("customer", "created_by"), user)
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(customer__number__icontains=q)
                       | Q(reference__icontains=q) | Q(payer__icontains=q))
    if params.get("channel") in Payment.Channel.values:
        qs = qs.filter(channel=params["channel"])
    if params.get("status") in Payment.Status.values:
        qs = qs.filter(status=params["status"])
    for name, lookup in (("date_from", "received_on__gte"), ("date_to", "received_on__lte")):
        try:
            if params.get(name):
                qs = qs.filter(**{lookup: date.fromisoformat(params[name])})
        except ValueError:
            pass
    sort = params.get("sort") or "-received"
    if sort not in PAYMENT_ORDERING:
        sort = "-received"
    return qs.order_by(PAYMENT_ORDERING[sort], "-pk"), sort


PAYMENT_COLUMNS = [
    Column(_("Payment number"), lambda p: p.number),
    Column(_("Customer number"), lambda p: p.customer.number),
    Column(_("Customer"), lambda p: p.customer.name),
    Column(_("Received on"), lambda p: p.received_on),
    Column(_("Channel"), lambda p: p.get_channel_display()),
    Column(_("Amount"), lambda p: p.amount),
    Column(_("Allocated"), lambda p: p.allocated_amount),
    Column(_("Advance held"), lambda p: p.unallocated),
    Column(_("Refunded"), lambda p: p.refunded_amount),
    Column(_("Reference"), lambda p: p.reference),
    Column(_("Payer"), lambda p: p.payer),
    Column(_("Status"), lambda p: p.get_status_display()),
]


def board(user, params, today: date) -> tuple:
    """Every visible customer with open arrears: outstanding, oldest due date, current ladder step."""
    open_q = Q(bills__status=Bill.Status.OPEN) & Q(bills__total__gt=F("bills__paid_amount"))
    step_sq = Subquery(LadderStep.objects.filter(customer=OuterRef("pk"), bill__status=Bill.Status.OPEN)
                       .values("customer").annotate(m=Max("step")).values("m")[:1])
    qs = (visible_customers(user)
          .filter(open_q)
          .annotate(outstanding=Sum(F("bills__total") - F("bills__paid_amount"), filter=open_q,
                                    output_field=DecimalField(max_digits=16, decimal_places=2)),
                    open_bills=Count("bills", filter=open_q),
                    oldest_due=Min("bills__due_on", filter=open_q),
                    step=Coalesce(step_sq, Value(0)))
          .select_related("org_unit", "primary_manager"))
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(number__icontains=q))
    try:
        if params.get("step", "") != "":
            qs = qs.filter(step=int(params["step"]))
    except ValueError:
        pass
    try:
        if params.get("org_unit"):
            from powerkam.org.models import OrgUnit
            path = OrgUnit.objects.filter(pk=int(params["org_unit"])).values_list("path", flat=True).first()
            if path:
                qs = qs.filter(org_unit__path__startswith=path)
    except ValueError:
        pass
    try:
        if params.get("manager"):
            qs = qs.filter(primary_manager_id=int(params["manager"]))
    except ValueError:
        pass
    if params.get("overdue_only") == "1":
        qs = qs.filter(oldest_due__lt=today)
    sort = params.get("sort") or "-outstanding"
    if sort not in BOARD_ORDERING:
        sort = "-outstanding"
    return qs.order_by(BOARD_ORDERING[sort], "pk"), sort


def board_columns(today: date, step_labels: dict) -> list[Column]:
    return [
        Column(_("Customer number"), lambda r: r.number),
        Column(_("Customer"), lambda r: r.name),
        Column(_("Org unit"), lambda r: r.org_unit.name if r.org_unit_id else ""),
        Column(_("Manager"), lambda r: r.primary_manager.display_name if r.primary_manager_id else ""),
        Column(_("Open bills"), lambda r: r.open_bills),
        Column(_("Outstanding"), lambda r: money(r.outstanding)),
        Column(_("Oldest due date"), lambda r: r.oldest_due),
        Column(_("Days overdue"), lambda r: max((today - r.oldest_due).days, 0)),
        Column(_("Ladder step"), lambda r: step_labels.get(r.step, "")),
    ]
