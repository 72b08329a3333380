"""Read queries of receivables: constant query counts whatever the data size."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Max, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from powerkam.billing.models import Bill
from powerkam.core.scoping import scope_to_user, visible_customers
from powerkam.imports.exports import Column

from .models import BlacklistEntry, LadderStep, Payment
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


BOARD_VIEWS = ("arrears", "not_due")
# In the "not yet due" view the amount and date columns are the not-yet-due ones.
NOT_DUE_ORDERING = {**BOARD_ORDERING, "outstanding": "not_due", "-outstanding": "-not_due",
                    "overdue": "next_due", "-overdue": "-next_due"}


def board_view(params) -> str:
    view = params.get("view") or "arrears"
    return view if view in BOARD_VIEWS else "arrears"


def board(user, params, today: date) -> tuple:
    """The collections board. Arrears (欠费) are the open amounts of bills PAST their due date
    (due_on < today: a bill due today is not yet overdue, as for the late-payment penalty); a
    customer is "in arrears" only with such a bill. Open bills not yet due are shown beside
    them (`not_due`, `next_due`) and listed on their own in the "not_due" view (`view=not_due`).
    Per customer: arrears, overdue bills, oldest overdue due date, amount not yet due, next due
    date, current ladder step of its open bills. One grouped query over the open bills."""
    open_q = Q(bills__status=Bill.Status.OPEN) & Q(bills__total__gt=F("bills__paid_amount"))
    overdue_q = open_q & Q(bills__due_on__lt=today)
    not_due_q = open_q & Q(bills__due_on__gte=today)
    amount = F("bills__total") - F("bills__paid_amount")
    money_field = DecimalField(max_digits=16, decimal_places=2)
    step_sq = Subquery(LadderStep.objects.filter(customer=OuterRef("pk"), bill__status=Bill.Status.OPEN)
                       .values("customer").annotate(m=Max("step")).values("m")[:1])
    qs = (visible_customers(user)
          .filter(open_q)
          .annotate(outstanding=Coalesce(Sum(amount, filter=overdue_q, output_field=money_field),
                                         Value(Decimal("0.00")), output_field=money_field),
                    open_bills=Count("bills", filter=overdue_q),
                    oldest_due=Min("bills__due_on", filter=overdue_q),
                    not_due=Coalesce(Sum(amount, filter=not_due_q, output_field=money_field),
                                     Value(Decimal("0.00")), output_field=money_field),
                    not_due_bills=Count("bills", filter=not_due_q),
                    next_due=Min("bills__due_on", filter=not_due_q),
                    step=Coalesce(step_sq, Value(0)))
          .select_related("org_unit", "primary_manager"))
    view = board_view(params)
    qs = qs.filter(open_bills__gt=0) if view == "arrears" else qs.filter(not_due_bills__gt=0)
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
    sort = params.get("sort") or "-outstanding"
    if sort not in BOARD_ORDERING:
        sort = "-outstanding"
    ordering = BOARD_ORDERING if view == "arrears" else NOT_DUE_ORDERING
    return qs.order_by(ordering[sort], "pk"), sort


def board_columns(today: date, step_labels: dict) -> list[Column]:
    return [
        Column(_("Customer number"), lambda r: r.number),
        Column(_("Customer"), lambda r: r.name),
        Column(_("Org unit"), lambda r: r.org_unit.name if r.org_unit_id else ""),
        Column(_("Manager"), lambda r: r.primary_manager.display_name if r.primary_manager_id else ""),
        Column(_("Overdue bills"), lambda r: r.open_bills),
        Column(_("Arrears (past due)"), lambda r: money(r.outstanding)),
        Column(_("Oldest due date"), lambda r: r.oldest_due or ""),
        Column(_("Days overdue"), lambda r: (today - r.oldest_due).days if r.oldest_due else 0),
        Column(_("Not yet due"), lambda r: money(r.not_due)),
        Column(_("Next due date"), lambda r: r.next_due or ""),
        Column(_("Ladder step"), lambda r: step_labels.get(r.step, "")),
    ]


BLACKLIST_ORDERING = {"customer": "customer__name", "-customer": "-customer__name",
                      "listed": "listed_on", "-listed": "-listed_on"}


def blacklist(user, params) -> tuple:
    """The blacklist register: who, why, since when, by whom (the ladder when nobody), removal.
    Current entries by default; `status=lifted` or `status=all` for the others."""
    qs = scope_to_user(BlacklistEntry.objects.select_related(
        "customer", "customer__org_unit", "bill", "listed_by", "removal_requested_by", "removal_decided_by"), user)
    status = params.get("status") or "current"
    if status == "current":
        qs = qs.filter(lifted_on__isnull=True)
    elif status == "lifted":
        qs = qs.filter(lifted_on__isnull=False)
    elif status == "removal":
        qs = qs.filter(lifted_on__isnull=True, removal=BlacklistEntry.Removal.REQUESTED)
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(customer__name__icontains=q) | Q(customer__number__icontains=q) | Q(reason__icontains=q))
    sort = params.get("sort") or "-listed"
    if sort not in BLACKLIST_ORDERING:
        sort = "-listed"
    return qs.order_by(BLACKLIST_ORDERING[sort], "-pk"), sort


def _listed_by(e) -> str:
    return e.listed_by.display_name if e.listed_by_id else str(_("Receivables ladder (30 days overdue)"))


BLACKLIST_COLUMNS = [
    Column(_("Customer number"), lambda e: e.customer.number),
    Column(_("Customer"), lambda e: e.customer.name),
    Column(_("Org unit"), lambda e: e.customer.org_unit.name if e.customer.org_unit_id else ""),
    Column(_("Listed on"), lambda e: e.listed_on),
    Column(_("Reason"), lambda e: e.reason),
    Column(_("Bill"), lambda e: e.bill.number if e.bill_id else ""),
    Column(_("Listed by"), _listed_by),
    Column(_("Removal"), lambda e: e.get_removal_display() if e.removal else ""),
    Column(_("Lifted on"), lambda e: e.lifted_on or ""),
]
