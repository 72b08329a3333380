"""Writes of the analytics app: the monthly sales summary (analytics.MonthlySales), the
monthly collection summary (analytics.MonthlyCollection) and the monthly portfolio summary
(analytics.MonthlyPortfolio).

`refresh_monthly_sales` rebuilds the summary of some billing months (or all of them) from the
bills, set-based: one DELETE of those months' rows, one GROUP BY over their non-void bills and
a bulk INSERT of the groups, in one transaction — so a reader sees either the old or the new
figures, and running it twice gives the same rows (idempotent). `refresh_monthly_collection`
does the same for the bills by due month, `refresh_monthly_portfolio` for the bills of each
primary manager's portfolio by billing month and by due month. `refresh_summaries` runs all
three (the nightly job).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from powerkam.billing.models import Bill
from powerkam.core.dbfunctions import MonthStart

from .models import MonthlyCollection, MonthlyPortfolio, MonthlySales
from .selectors import energy, money, month_end

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


# A bill in arrears: open with something left to pay (ArrearsPosition's rule, migration 0003).
OPEN = Q(status=Bill.Status.OPEN, total__gt=F("paid_amount"))


def refresh_monthly_collection(months: Iterable[date] | None = None) -> dict[str, int]:
    """Rebuild the collection summary rows of the due months `months` (any day of the month;
    None = every due month, and the rows of months without bills any more go). Returns counts.

    One GROUP BY (due date, customer's org unit) over the non-void bills — by day rather than
    by month, which needs no date function (SQLite's is a Python call per row) — added up into
    months here; a few hundred groups per month."""
    now = timezone.now()
    bills = Bill.objects.exclude(status=Bill.Status.VOID).order_by()
    summary = MonthlyCollection.objects.all()
    if months is not None:
        firsts = sorted({m.replace(day=1) for m in months})
        within = Q(pk__in=[])
        for first in firsts:
            within |= Q(due_on__gte=first, due_on__lte=month_end(first))
        bills = bills.filter(within)
        summary = summary.filter(due_month__in=firsts)
    groups = (bills.values("due_on", "customer__org_unit_id")
              .annotate(n=Count("id"), billed=Sum("total"), paid=Sum("paid_amount"),
                        n_open=Count("id", filter=OPEN), owed=Sum(F("total") - F("paid_amount"), filter=OPEN))
              .order_by())
    cells: dict[tuple[date, int | None], dict] = {}
    for g in groups.iterator(chunk_size=BATCH):
        cell = cells.setdefault((g["due_on"].replace(day=1), g["customer__org_unit_id"]),
                                {"bills": 0, "billed": 0, "paid": 0, "open_bills": 0, "outstanding": 0})
        cell["bills"] += g["n"]
        cell["open_bills"] += g["n_open"]
        for name, value in (("billed", g["billed"]), ("paid", g["paid"]), ("outstanding", g["owed"])):
            cell[name] += money(value)
    rows = [MonthlyCollection(due_month=month, org_unit_id=unit, refreshed_at=now, **figures)
            for (month, unit), figures in cells.items()]
    with transaction.atomic():
        deleted, _ = summary.delete()
        MonthlyCollection.objects.bulk_create(rows, batch_size=BATCH)
    return {"deleted": deleted, "rows": len(rows), "months": len({r.due_month for r in rows})}


def refresh_monthly_portfolio(months: Iterable[date] | None = None) -> dict[str, int]:
    """Rebuild the portfolio summary rows of `months` (any day of the month; None = every month
    with bills billed or due in it, and the rows of other months go). Returns counts.

    Two GROUP BYs over the non-void bills, by the customer's primary manager (today's): one by
    billing month (billed, kWh), one by due month (billed, paid) — the two sums the scorecard read
    live (kpis.selectors.person_kpis), so the figures are the same. Each refreshed month also gets
    its row with no manager (the bills of customers without one; zeros if none), the mark that
    the month was refreshed."""
    now = timezone.now()
    bills = Bill.objects.exclude(status=Bill.Status.VOID).order_by()
    by_period, by_due = bills, bills
    summary = MonthlyPortfolio.objects.all()
    firsts: list[date] = []
    if months is not None:
        firsts = sorted({m.replace(day=1) for m in months})
        within = Q(pk__in=[])
        for first in firsts:
            within |= Q(due_on__gte=first, due_on__lte=month_end(first))
        by_period, by_due = bills.filter(period__in=firsts), bills.filter(within)
        summary = summary.filter(month__in=firsts)
    manager = "customer__primary_manager_id"
    cells: dict[tuple[date, int | None], dict] = {}

    def cell(month: date, staff_id: int | None) -> dict:
        return cells.setdefault((month, staff_id), {"bills": 0, "billed": Decimal("0"), "kwh": Decimal("0"),
                                                    "due_bills": 0, "due_billed": Decimal("0"),
                                                    "due_paid": Decimal("0")})

    for g in (by_period.values("period", manager).annotate(n=Count("id"), billed=Sum("total"), kwh=Sum("kwh"))
              .order_by().iterator(chunk_size=BATCH)):
        c = cell(g["period"].replace(day=1), g[manager])
        c["bills"] += g["n"]
        c["billed"] += money(g["billed"])
        c["kwh"] += energy(g["kwh"])
    for g in (by_due.annotate(due_month=MonthStart("due_on")).values("due_month", manager)
              .annotate(n=Count("id"), billed=Sum("total"), paid=Sum("paid_amount"))
              .order_by().iterator(chunk_size=BATCH)):
        c = cell(g["due_month"], g[manager])
        c["due_bills"] += g["n"]
        c["due_billed"] += money(g["billed"])
        c["due_paid"] += money(g["paid"])
    for month in {m for m, _staff in cells} | set(firsts):
        cell(month, None)  # the month's mark
    rows = [MonthlyPortfolio(month=month, staff_id=staff_id, refreshed_at=now, **figures)
            for (month, staff_id), figures in cells.items()]
    with transaction.atomic():
        deleted, _ = summary.delete()
        MonthlyPortfolio.objects.bulk_create(rows, batch_size=BATCH)
    return {"deleted": deleted, "rows": len(rows), "months": len({r.month for r in rows})}


def refresh_summaries(months: Iterable[date] | None = None) -> dict[str, dict[str, int]]:
    """The three summaries of `months` (billing months for the sales, due months for the
    collection, both for the portfolios; None = every month)."""
    months = None if months is None else list(months)
    return {"monthly_sales": refresh_monthly_sales(months), "monthly_collection": refresh_monthly_collection(months),
            "monthly_portfolio": refresh_monthly_portfolio(months)}


def nightly_refresh(day: date) -> dict[str, dict[str, int]]:
    """The nightly job: every month (a bill of any month may have been voided, re-imported or paid)."""
    return refresh_summaries()
