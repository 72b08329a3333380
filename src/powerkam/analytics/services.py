"""Writes of the analytics app: the monthly sales summary (analytics.MonthlySales).

`refresh_monthly_sales` rebuilds the summary of some billing months (or all of them) from the
bills, set-based: one DELETE of those months' rows, one GROUP BY over their non-void bills and
a bulk INSERT of the groups, in one transaction — so a reader sees either the old or the new
figures, and running it twice gives the same rows (idempotent).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from powerkam.billing.models import Bill

from .models import MonthlySales
from .selectors import energy, money

SUMMED = ("kwh", "energy_charge", "basic_charge", "pf_adjustment", "surcharges", "total")
# summary column → the bill's customer attribute it groups by
KEYS = {
    "org_unit_id": "customer__org_unit_id",
    "usage_category": "customer__usage_category",
    "industry": "customer__industry",
    "ka_tier": "customer__ka_tier",
    "is_key_account": "customer__is_key_account",
}
BATCH = 2000


def refresh_monthly_sales(periods: Iterable[date] | None = None) -> dict[str, int]:
    """Rebuild the summary rows of `periods` (billing months, any day of the month; None = every
    month that has bills, and the rows of months that no longer have any go). Returns counts."""
    now = timezone.now()
    bills = Bill.objects.exclude(status=Bill.Status.VOID).order_by()
    summary = MonthlySales.objects.all()
    if periods is not None:
        months = sorted({p.replace(day=1) for p in periods})
        bills = bills.filter(period__in=months)
        summary = summary.filter(period__in=months)
    groups = (
        bills.values("period", *KEYS.values())
        .annotate(n_bills=Count("id"), n_customers=Count("customer_id", distinct=True),
                  **{f"s_{name}": Sum(name) for name in SUMMED})
        .order_by()
    )
    with transaction.atomic():
        deleted, _ = summary.delete()
        rows = [
            MonthlySales(
                period=g["period"], org_unit_id=g["customer__org_unit_id"],
                usage_category=g["customer__usage_category"] or "", industry=g["customer__industry"] or "",
                ka_tier=g["customer__ka_tier"] or "", is_key_account=bool(g["customer__is_key_account"]),
                bills=g["n_bills"], customers=g["n_customers"], kwh=energy(g["s_kwh"]),
                energy_charge=money(g["s_energy_charge"]), basic_charge=money(g["s_basic_charge"]),
                pf_adjustment=money(g["s_pf_adjustment"]), surcharges=money(g["s_surcharges"]),
                total=money(g["s_total"]), refreshed_at=now,
            )
            for g in groups.iterator(chunk_size=BATCH)
        ]
        MonthlySales.objects.bulk_create(rows, batch_size=BATCH)
    return {"deleted": deleted, "rows": len(rows), "months": len({r.period for r in rows})}


def nightly_refresh(day: date) -> dict[str, int]:
    """The nightly job: every month (a bill of any month may have been voided or re-imported)."""
    return refresh_monthly_sales()
