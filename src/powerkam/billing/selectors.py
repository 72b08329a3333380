"""Read-side queries for billing pages, the API and exports (all scoped by the caller)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from powerkam.core.params import record_id
from powerkam.core.scoping import scope_to_user
from powerkam.imports.exports import Column

from .models import Bill

BILL_ORDERING = {
    "number": "number", "-number": "-number",
    "period": "period", "-period": "-period",
    "customer": "customer__number", "-customer": "-customer__number",
    "total": "total", "-total": "-total",
    "due": "due_on", "-due": "-due_on",
}
DEFAULT_BILL_SORT = "-period"


def parse_month(value: str | None):
    if not value:
        return None
    for fmt in ("%Y-%m", "%Y-%m-%d"):
        try:
            return datetime.strptime(value.strip(), fmt).date().replace(day=1)
        except ValueError:
            continue
    return None


def filter_bills(qs: QuerySet, params) -> QuerySet:
    """Narrow bills by the list/API parameters: q, period, period_from, period_to, status, source,
    org_unit (subtree), customer, tariff_code."""
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(customer__number__icontains=q) | Q(customer__name__icontains=q))
    if period := parse_month(params.get("period")):
        qs = qs.filter(period=period)
    if period_from := parse_month(params.get("period_from")):
        qs = qs.filter(period__gte=period_from)
    if period_to := parse_month(params.get("period_to")):
        qs = qs.filter(period__lte=period_to)
    if (status := params.get("status")) in Bill.Status.values:
        qs = qs.filter(status=status)
    if (source := params.get("source")) in Bill.Source.values:
        qs = qs.filter(source=source)
    if (tariff := (params.get("tariff_code") or "").strip()):
        qs = qs.filter(tariff_code=tariff)
    if unit := record_id(params.get("org_unit")):
        from powerkam.org.models import OrgUnit

        path = OrgUnit.objects.filter(pk=unit).values_list("path", flat=True).first()
        qs = qs.filter(customer__org_unit__path__startswith=path) if path else qs.none()
    if customer := record_id(params.get("customer")):
        qs = qs.filter(customer_id=customer)
    return qs


def visible_bills(user) -> QuerySet:
    return scope_to_user(Bill.objects.all(), user)


def bill_list_queryset(user, params) -> tuple[QuerySet, str]:
    sort = params.get("sort") or DEFAULT_BILL_SORT
    if sort not in BILL_ORDERING:
        sort = DEFAULT_BILL_SORT
    qs = filter_bills(visible_bills(user), params).select_related("customer", "customer__org_unit")
    return qs.order_by(BILL_ORDERING[sort], "pk"), sort


BILL_EXPORT_COLUMNS = [
    Column(_("Bill number"), lambda b: b.number),
    Column(_("Customer number"), lambda b: b.customer.number),
    Column(_("Customer"), lambda b: b.customer.name),
    Column(_("Org unit"), lambda b: b.customer.org_unit.name if b.customer.org_unit_id else ""),
    Column(_("Billing month"), lambda b: f"{b.period:%Y-%m}"),
    Column(_("Tariff code"), lambda b: b.tariff_code),
    Column(_("kWh"), lambda b: b.kwh),
    Column(_("kvarh"), lambda b: b.kvarh),
    Column(_("Power factor"), lambda b: b.power_factor),
    Column(_("Energy charge"), lambda b: b.energy_charge),
    Column(_("Basic charge"), lambda b: b.basic_charge),
    Column(_("PF adjustment"), lambda b: b.pf_adjustment),
    Column(_("Funds and surcharges"), lambda b: b.surcharges),
    Column(_("Total"), lambda b: b.total),
    Column(_("Paid"), lambda b: b.paid_amount),
    Column(_("Outstanding"), lambda b: b.outstanding),
    Column(_("Issued on"), lambda b: b.issued_on),
    Column(_("Due on"), lambda b: b.due_on),
    Column(_("Status"), lambda b: b.get_status_display()),
    Column(_("Source"), lambda b: b.get_source_display()),
]
