"""The money analyses (issue #3 item 7; seed 004 电量分析、单价分析、缴费情况分析、利润贡献度分析).

Plain read functions: each takes the user (for the visibility scope) and a ReportFilter and
returns plain values. Every sum is computed by the database (GROUP BY, conditional SUMs and,
for the Pareto curve, window functions); each report issues a fixed number of queries whatever
the number of customers or bills. Void bills never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from powerkam.billing.models import Bill
from powerkam.core.scoping import scope_to_user, subtree_unit_ids, visible_customers

from . import constants as c

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=20, decimal_places=2)
PRECISE = DecimalField(max_digits=24, decimal_places=6)

# --- months -------------------------------------------------------------------------------------


def add_months(day: date, n: int) -> date:
    """The first day of the month n months after `day`'s month."""
    y, m = divmod(day.year * 12 + day.month - 1 + n, 12)
    return date(y, m + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def month_range(first: date, last: date) -> list[date]:
    out, m = [], first.replace(day=1)
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out


# --- arithmetic -----------------------------------------------------------------------------------


def dec(value: Any) -> Decimal:
    """A database sum as Decimal (SQLite may hand back floats or None)."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def money(value: Any) -> Decimal:
    return dec(value).quantize(c.MONEY_PLACES, ROUND_HALF_UP)


def energy(value: Any) -> Decimal:
    """kWh to two places, the same on SQLite and PostgreSQL."""
    return dec(value).quantize(c.MONEY_PLACES, ROUND_HALF_UP)


def change_pct(current: Any, base: Any) -> Decimal | None:
    """(current − base) ÷ base × 100, one decimal; None when there is no base to compare with."""
    base = dec(base)
    if base == 0:
        return None
    return ((dec(current) - base) * 100 / base).quantize(c.PERCENT_PLACES, ROUND_HALF_UP)


def rate_pct(part: Any, whole: Any) -> Decimal | None:
    """part ÷ whole × 100, two decimals; None when the whole is zero."""
    whole = dec(whole)
    if whole == 0:
        return None
    return (dec(part) * 100 / whole).quantize(c.RATE_PLACES, ROUND_HALF_UP)


def per_kwh(amount: Any, kwh: Any) -> Decimal | None:
    kwh = dec(kwh)
    if kwh == 0:
        return None
    return (dec(amount) / kwh).quantize(c.UNIT_PRICE_PLACES, ROUND_HALF_UP)


def share(part: Any, whole: Any) -> Decimal | None:
    whole = dec(whole)
    if whole == 0:
        return None
    return (dec(part) / whole).quantize(c.SHARE_PLACES, ROUND_HALF_UP)


# --- the filter -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilter:
    """Period (first days of the first and last month, inclusive) and customer attributes."""

    date_from: date
    date_to: date
    org_unit_path: str = ""
    industry: str = ""
    usage_category: str = ""
    ka_tier: str = ""

    @classmethod
    def default(cls, today: date) -> ReportFilter:
        last = today.replace(day=1)
        return cls(add_months(last, -(c.DEFAULT_MONTHS - 1)), last)

    @property
    def months(self) -> list[date]:
        return month_range(self.date_from, self.date_to)

    @property
    def period_end(self) -> date:
        """The last day of the last month."""
        return month_end(self.date_to)

    def customer_q(self, prefix: str = "customer__") -> Q:
        q = Q()
        if self.org_unit_path:
            q &= Q(**{f"{prefix}org_unit__path__startswith": self.org_unit_path})
        for name in ("industry", "usage_category", "ka_tier"):
            if value := getattr(self, name):
                q &= Q(**{f"{prefix}{name}": value})
        return q


def scoped_bills(user, f: ReportFilter) -> QuerySet:
    """The user's visible, non-void bills of customers matching the filter (no period limit)."""
    qs = Bill.objects.exclude(status=Bill.Status.VOID).filter(f.customer_q()).order_by()
    return scope_to_user(qs, user)


def _f(value: Decimal | None) -> float | None:
    """A number for a chart (ECharts); tables and exports keep the Decimal."""
    return None if value is None else float(value)


# --- (a) sales volume -----------------------------------------------------------------------------


def uses_summary(user) -> bool:
    """Whether `user`'s sales-volume and unit-price figures come from the monthly summary
    (analytics.MonthlySales): subtree and company-wide scopes, whose periods hold up to every
    bill of the company. Portfolio scopes (managers, specialists) read their few bills directly."""
    from powerkam.org.models import PORTFOLIO_ROLES

    return bool(user and user.is_authenticated and (user.is_superuser or user.role not in PORTFOLIO_ROLES))


def summary_rows(user, f: ReportFilter) -> QuerySet:
    """The MonthlySales rows in `user`'s scope matching the filter's customer attributes (no
    period limit), in the user's scope (scope_summary)."""
    from .models import MonthlySales

    qs = MonthlySales.objects.order_by()
    if f.org_unit_path:
        qs = qs.filter(org_unit__path__startswith=f.org_unit_path)
    for name in ("industry", "usage_category", "ka_tier"):
        if value := getattr(f, name):
            qs = qs.filter(**{name: value})
    return scope_summary(user, qs)


def scope_summary(user, qs: QuerySet) -> QuerySet:
    """Rows of a per-org-unit summary (MonthlySales, MonthlyCollection) in `user`'s scope, as
    core.scoping.customer_scope_q draws it: every unit for the company roles, the org-unit ids of
    the user's subtree for supervisors and clerks, nothing for portfolios (they read their own
    records live, see uses_summary)."""
    from powerkam.org.models import COMPANY_ROLES, SUBTREE_ROLES

    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser or user.role in COMPANY_ROLES:
        return qs
    if user.role in SUBTREE_ROLES and user.org_unit_id:
        units = subtree_unit_ids(user)
        return qs if units is None else qs.filter(org_unit_id__in=units)
    return qs.none()


def _as_of(*groups) -> Any:
    """The latest refresh time among the summary rows read (None: nothing refreshed yet)."""
    times = [r["as_of"] for rows in groups for r in rows if r.get("as_of")]
    return max(times) if times else None


def _cells(src: QuerySet, category: str, first: date, last: date, measures: dict, *, summary: bool) -> list[dict]:
    """One GROUP BY (billing month, usage category) over [first, last]: the cells every figure of
    the sales-volume and unit-price pages adds up (one scan of the bills or summary rows where
    there used to be one per breakdown)."""
    as_of = {"as_of": Max("refreshed_at")} if summary else {}
    return list(src.filter(period__gte=first, period__lte=last).values("period", category)
                .annotate(**measures, **as_of).order_by())


SKIP = object()


def _roll_up(cells, key, names: tuple[str, ...]) -> dict:
    """{key(cell): {name: sum}} over the cells for which key(cell) is not SKIP. A sum stays None
    when every value is None, as the database's SUM of no value is NULL; `as_of` is the latest."""
    out: dict = {}
    for cell in cells:
        k = key(cell)
        if k is SKIP:
            continue
        agg = out.setdefault(k, dict.fromkeys(names))
        for name in names:
            v = cell.get(name)
            if v is not None:
                agg[name] = v if agg[name] is None else agg[name] + v
        if cell.get("as_of") and (agg.get("as_of") is None or cell["as_of"] > agg["as_of"]):
            agg["as_of"] = cell["as_of"]
    return out


def sales_volume(user, f: ReportFilter, *, from_summary: bool | None = None,
                 today: date | None = None) -> dict[str, Any]:
    """kWh per billing month with month-on-month and year-on-year change, and by usage category.

    The current month (today's, and any later one) is unfinished: its bills are not all issued,
    so it is shown (`unfinished`) but never compared — its MoM and YoY are None, and the YoY of
    the total and of each category compare only the finished months with the same months a year
    before (`compared_months`). Comparing it made every period end on −100 %.

    One query: GROUP BY (month, usage category) over the period and the 12 months before it
    (the YoY and MoM bases); the months and the categories (this period against the same months
    a year before) are added up from those cells — over the monthly summary for subtree and
    company scopes (`uses_summary`; `as_of` is then its refresh time), over the bills for
    portfolios (`as_of` None: live figures; the (customer, period) covering index keeps them
    index-only). `from_summary` forces one source (None: `uses_summary(user)`)."""
    start = add_months(f.date_from, -12)
    ly_from, ly_to = add_months(f.date_from, -12), add_months(f.date_to, -12)
    summary = uses_summary(user) if from_summary is None else from_summary
    if summary:
        src, category, n = summary_rows(user, f), "usage_category", Sum("bills")
    else:
        src, category, n = scoped_bills(user, f), "customer__usage_category", Count("id")
    cells = _cells(src, category, start, f.date_to, {"s_kwh": Sum("kwh"), "s_amount": Sum("total"), "n": n},
                   summary=summary)
    by_month = _roll_up(cells, lambda r: r["period"], ("s_kwh", "s_amount", "n"))
    current = (today or timezone.localdate()).replace(day=1)  # the first unfinished month
    rows = []
    for m in f.months:
        cur = by_month.get(m, {})
        prev = by_month.get(add_months(m, -1), {})
        ly = by_month.get(add_months(m, -12), {})
        kwh = energy(cur.get("s_kwh"))
        finished = m < current
        rows.append({
            "month": m, "kwh": kwh, "amount": money(cur.get("s_amount")), "bills": cur.get("n") or 0,
            "unfinished": not finished,
            "kwh_previous_month": energy(prev.get("s_kwh")),
            "mom_pct": change_pct(kwh, prev.get("s_kwh")) if finished else None,
            "kwh_last_year": energy(ly.get("s_kwh")),
            "yoy_pct": change_pct(kwh, ly.get("s_kwh")) if finished else None,
        })
    # per category: this period's kWh and bills, and the kWh of the same months a year before;
    # the YoY sums (cmp_*) leave out the unfinished months and their months a year before.
    for cell in cells:
        this = f.date_from <= cell["period"] <= f.date_to
        before = not this and ly_from <= cell["period"] <= ly_to
        cell["cur_kwh"], cell["cur_n"] = (cell["s_kwh"], cell["n"]) if this else (None, None)
        cell["ly_kwh"] = cell["s_kwh"] if before else None
        cell["cmp_cur_kwh"] = cell["s_kwh"] if this and cell["period"] < current else None
        cell["cmp_ly_kwh"] = cell["s_kwh"] if before and add_months(cell["period"], 12) < current else None
        cell["counted"] = this or before
    by_category = _roll_up(cells, lambda r: r[category] if r["counted"] else SKIP,
                           ("cur_kwh", "ly_kwh", "cur_n", "cmp_cur_kwh", "cmp_ly_kwh"))
    from powerkam.customers.constants import UsageCategory

    labels = dict(UsageCategory.choices)
    categories = [{
        "usage_category": code,
        "label": str(labels.get(code, code or "—")),
        "kwh": energy(r["cur_kwh"]), "kwh_last_year": energy(r["ly_kwh"]), "bills": r["cur_n"] or 0,
        "yoy_pct": change_pct(r["cmp_cur_kwh"], r["cmp_ly_kwh"]) if r["cmp_cur_kwh"] is not None else None,
    } for code, r in sorted(by_category.items())]
    total = sum((r["kwh"] for r in rows), ZERO)
    total_ly = sum((r["kwh_last_year"] for r in rows), ZERO)
    compared = [r for r in rows if not r["unfinished"]]
    cmp_total = sum((r["kwh"] for r in compared), ZERO)
    cmp_ly = sum((r["kwh_last_year"] for r in compared), ZERO)
    return {
        "rows": rows, "categories": categories, "from_summary": summary,
        "as_of": _as_of(by_month.values()) if summary else None,
        "compared_months": len(compared),
        "total": {"kwh": total, "kwh_last_year": total_ly,
                  "yoy_pct": change_pct(cmp_total, cmp_ly) if compared else None,
                  "amount": sum((r["amount"] for r in rows), ZERO)},
    }


# --- (b) unit price composition -------------------------------------------------------------------

PRICE_COMPONENTS = ("energy_charge", "basic_charge", "pf_adjustment", "surcharges")


def _price_row(r: dict) -> dict[str, Any]:
    """Figures from sums named s_<field>."""
    kwh = energy(r.get("s_kwh"))
    row = {"kwh": kwh, "total": money(r.get("s_total")), "average_price": per_kwh(r.get("s_total"), kwh)}
    for name in PRICE_COMPONENTS:
        row[name] = money(r.get(f"s_{name}"))
        row[f"{name}_per_kwh"] = per_kwh(r.get(f"s_{name}"), kwh)
    return row


def price_composition(user, f: ReportFilter, *, from_summary: bool | None = None) -> dict[str, Any]:
    """Energy, basic charge, PF adjustment and surcharges per kWh, and the average price
    (total ÷ kWh), by billing month and by usage category. One GROUP BY (month, category) query
    whose cells both breakdowns add up, over the monthly summary or the bills as for sales_volume."""
    summary = uses_summary(user) if from_summary is None else from_summary
    src = summary_rows(user, f) if summary else scoped_bills(user, f)
    category = "usage_category" if summary else "customer__usage_category"
    names = tuple(f"s_{name}" for name in (*PRICE_COMPONENTS, "total", "kwh"))
    sums = {f"s_{name}": Sum(name) for name in (*PRICE_COMPONENTS, "total", "kwh")}
    cells = _cells(src, category, f.date_from, f.date_to, sums, summary=summary)
    by_month = _roll_up(cells, lambda r: r["period"], names)
    rows = [{"month": m, **_price_row(by_month.get(m, {}))} for m in f.months]
    from powerkam.customers.constants import UsageCategory

    labels = dict(UsageCategory.choices)
    categories = []
    for code, r in sorted(_roll_up(cells, lambda r: r[category], names).items()):
        categories.append({"usage_category": code, "label": str(labels.get(code, code or "—")), **_price_row(r)})
    totals: dict[str, Any] = {"s_kwh": sum((r["kwh"] for r in rows), ZERO)}
    for name in (*PRICE_COMPONENTS, "total"):
        totals[f"s_{name}"] = sum((r[name] for r in rows), ZERO)
    return {"rows": rows, "categories": categories, "total": _price_row(totals), "from_summary": summary,
            "as_of": _as_of(by_month.values()) if summary else None}


# --- (c) payments by channel ---------------------------------------------------------------------


def payments_by_channel(user, f: ReportFilter) -> dict[str, Any]:
    """Posted payments received in the period (reversed ones left out), amount and count by
    channel and by month of receipt. One GROUP BY (month, channel) query."""
    from powerkam.receivables.models import Payment

    qs = scope_to_user(
        Payment.objects.filter(status=Payment.Status.POSTED, received_on__gte=f.date_from,
                               received_on__lte=f.period_end).filter(f.customer_q()).order_by(), user)
    cells = (qs.annotate(m=TruncMonth("received_on")).values("m", "channel")
             .annotate(s_amount=Sum("amount"), n=Count("id")))
    labels = dict(Payment.Channel.choices)
    grid: dict[date, dict[str, dict]] = {}
    per_channel: dict[str, dict] = {code: {"amount": ZERO, "count": 0} for code in Payment.Channel.values}
    for r in cells:
        cell = {"amount": money(r["s_amount"]), "count": r["n"]}
        grid.setdefault(r["m"], {})[r["channel"]] = cell
        agg = per_channel.setdefault(r["channel"], {"amount": ZERO, "count": 0})
        agg["amount"] += cell["amount"]
        agg["count"] += cell["count"]
    total_amount = sum((v["amount"] for v in per_channel.values()), ZERO)
    channels = [{"channel": code, "label": str(labels.get(code, code)), **v,
                 "share_pct": rate_pct(v["amount"], total_amount)} for code, v in per_channel.items()]
    months = []
    for m in f.months:
        by_channel = grid.get(m, {})
        months.append({"month": m, "by_channel": by_channel,
                       "cells": [by_channel.get(ch["channel"]) for ch in channels],
                       "amount": sum((v["amount"] for v in by_channel.values()), ZERO),
                       "count": sum(v["count"] for v in by_channel.values())})
    return {"months": months, "channels": channels,
            "total": {"amount": total_amount, "count": sum(v["count"] for v in per_channel.values())}}


# --- (d) arrears and ageing -----------------------------------------------------------------------


def bucket_bounds(as_of: date) -> list[tuple[c.AgeingBucket, date | None, date | None]]:
    """Each ageing bucket as a due-date range [earliest, latest] (None = open end).
    d days overdue ⇔ due_on = as_of − d."""
    out = []
    for b in c.AGEING_BUCKETS:
        if b.min_days is None:  # not yet due: due today or later
            out.append((b, as_of, None))
            continue
        earliest = None if b.max_days is None else as_of - timedelta(days=b.max_days)
        out.append((b, earliest, as_of - timedelta(days=b.min_days)))
    return out


def _bucket_q(earliest: date | None, latest: date | None, prefix: str = "") -> Q:
    q = Q()
    if earliest is not None:
        q &= Q(**{f"{prefix}due_on__gte": earliest})
    if latest is not None:
        q &= Q(**{f"{prefix}due_on__lte": latest})
    return q


OUTSTANDING = ExpressionWrapper(F("total") - F("paid_amount"), output_field=MONEY)

ARREARS_SORTS = {
    "outstanding": "outstanding", "oldest_due": "oldest_due", "number": "number",
    "name": "name", **{b.key: b.key for b in c.AGEING_BUCKETS},
}


def _open_bills(user, f: ReportFilter, *, period: bool) -> QuerySet:
    qs = scoped_bills(user, f).filter(status=Bill.Status.OPEN, total__gt=F("paid_amount"))
    if period:
        qs = qs.filter(period__gte=f.date_from, period__lte=f.date_to)
    return qs


def arrears_customers(user, f: ReportFilter, *, as_of: date, period: bool = False, sort: str = "-outstanding") -> QuerySet:
    """One row per customer in arrears — with at least one open bill PAST its due date (due_on <
    as_of; issue #10, as the collections board): arrears (`outstanding`), overdue bill count and
    oldest overdue due date over those bills only, the amount per ageing bucket (the overdue
    buckets add up to the arrears; `not_due`, the customer's bills not yet due, is shown apart)
    — one GROUP BY query, sortable by any column (`sort`, "-" for descending).
    `period=False` (the default) takes every open bill whatever its billing month.

    Grouped by the customer's primary key only (issue #3 performance): the query starts from
    the visible customers (core.scoping.visible_customers, the same scope as the bills') joined
    to their open bills, so PostgreSQL groups by `customer.id` alone (the customer's number and
    name depend on it) instead of sorting every open bill by five text columns. The org unit
    and manager names are correlated subqueries on the grouped row, which PostgreSQL evaluates
    after ORDER BY/LIMIT, i.e. for the rows of the page only. The partial index
    `bill_open_customer_idx` (billing 0006) feeds the grouping in customer order."""
    from powerkam.customers.models import Customer
    from powerkam.org.models import OrgUnit, Staff

    open_q = Q(bills__status=Bill.Status.OPEN, bills__total__gt=F("bills__paid_amount"))
    if period:
        open_q &= Q(bills__period__gte=f.date_from, bills__period__lte=f.date_to)
    outstanding = ExpressionWrapper(F("bills__total") - F("bills__paid_amount"), output_field=MONEY)
    overdue = Q(bills__due_on__lt=as_of)
    bucket_sums = {
        b.key: Coalesce(Sum(outstanding, filter=_bucket_q(lo, hi, prefix="bills__")), Value(ZERO), output_field=MONEY)
        for b, lo, hi in bucket_bounds(as_of)
    }
    desc = sort.startswith("-")
    key = ARREARS_SORTS.get(sort.lstrip("-"), "outstanding")
    order = F(key).desc(nulls_last=True) if desc else F(key).asc(nulls_last=True)
    manager = Staff.objects.filter(pk=OuterRef("primary_manager_id")).order_by()
    customers = visible_customers(user, Customer.objects.filter(f.customer_q(prefix="")).filter(open_q))
    return (
        customers.order_by()
        .values("number", "name", customer_id=F("pk"))
        .annotate(outstanding=Sum(outstanding, filter=overdue), n=Count("bills__id", filter=overdue),
                  oldest_due=Min("bills__due_on", filter=overdue), **bucket_sums)
        .filter(n__gt=0)
        .annotate(
            org_unit=Subquery(OrgUnit.objects.filter(pk=OuterRef("org_unit_id")).order_by().values("name")[:1]),
            manager_full_name=Subquery(manager.values("full_name")[:1]),
            manager_username=Subquery(manager.values("username")[:1]),
        )
        .order_by(order, "number")
    )


# Sorts the trigger-kept ArrearsPosition table can rank by. Its rows are the customers with open
# bills; those in arrears are the ones whose oldest open bill is past due (oldest_due < today),
# and that date is then their oldest overdue one. Its outstanding counts the bills not yet due
# too, so the arrears amount, the bucket columns (they depend on today's date) and a billing-month
# filter (which bills count) group the bills live, over the overdue ones only where they can.
POSITION_SORTS = {"oldest_due": "oldest_due", "number": "number", "name": "customer__name"}


class ArrearsRows:
    """The rows of `arrears_customers` for a paginator, ranked first, grouped for one page only.

    Slicing a page asks for that page's customer ids in the order `arrears_customers` gives
    (the sort key, then the customer number), then groups the open bills of those ids only —
    same rows, same order. The ids come from analytics.ArrearsPosition (kept by triggers) when
    the key is stored there (oldest due date, number, name, every open bill; the customers whose
    oldest open bill is past due); otherwise (the arrears amount, an ageing bucket, or billing
    months chosen) from a grouping of the overdue open bills that computes only the sort key. So the company scope on the day after the billing run
    (100,000 customers, 117,522 open bills) never computes every customer's full row per
    request. `iterator()` (exports) streams the full live query."""

    def __init__(self, user, f: ReportFilter, *, as_of: date, period: bool = False, sort: str = "-outstanding"):
        if sort.lstrip("-") not in ARREARS_SORTS:
            sort = "-outstanding"
        self.user, self.f, self.as_of, self.period, self.sort = user, f, as_of, period, sort

    def _live(self) -> QuerySet:
        return arrears_customers(self.user, self.f, as_of=self.as_of, period=self.period, sort=self.sort)

    def _customers(self) -> QuerySet:
        from powerkam.customers.models import Customer

        return visible_customers(self.user, Customer.objects.filter(self.f.customer_q(prefix="")))

    def uses_position(self) -> bool:
        return not self.period and self.sort.lstrip("-") in POSITION_SORTS

    def keys(self) -> QuerySet:
        desc, name = self.sort.startswith("-"), self.sort.lstrip("-")
        customers = self._customers()
        if self.uses_position():
            from .models import ArrearsPosition

            # The position's columns are NOT NULL: no NULLS LAST, so the ordered indexes apply
            # (a deep page walks arrears_pos_outstanding_idx instead of sorting 100,000 rows).
            key = POSITION_SORTS[name]
            order = F(key).desc() if desc else F(key).asc()
            qs = ArrearsPosition.objects.filter(oldest_due__lt=self.as_of)  # in arrears
            if customers.query.where:  # a scope or a filter: not every customer
                qs = qs.filter(customer_id__in=customers.order_by().values("pk"))
            return qs.order_by(order, "number").values_list("customer_id", flat=True)
        open_q = Q(bills__status=Bill.Status.OPEN, bills__total__gt=F("bills__paid_amount"))
        if self.period:
            open_q &= Q(bills__period__gte=self.f.date_from, bills__period__lte=self.f.date_to)
        overdue = Q(bills__due_on__lt=self.as_of)
        outstanding = ExpressionWrapper(F("bills__total") - F("bills__paid_amount"), output_field=MONEY)
        bucket = {b.key: (lo, hi) for b, lo, hi in bucket_bounds(self.as_of)}
        if name in bucket:
            expr = Coalesce(Sum(outstanding, filter=_bucket_q(*bucket[name], prefix="bills__")), Value(ZERO),
                            output_field=MONEY)
        elif name == "oldest_due":
            expr = Min("bills__due_on")
        elif name in ("number", "name"):
            expr = Min(name)
        else:
            expr = Sum(outstanding)
        order = F("k").desc(nulls_last=True) if desc else F("k").asc(nulls_last=True)
        if name == c.NOT_DUE_BUCKET.key:  # the bills not yet due of the customers in arrears
            grouped = (customers.filter(open_q).order_by().values("pk")
                       .annotate(k=expr, overdue=Count("bills__id", filter=overdue)).filter(overdue__gt=0))
        else:  # every other key is over the overdue bills alone: only those are joined
            grouped = customers.filter(open_q & overdue).order_by().values("pk").annotate(k=expr)
        return grouped.order_by(order, "number").values_list("pk", flat=True)

    def count(self) -> int:
        return self.keys().count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key:key + 1][0]
        ids = list(self.keys()[key])
        if not ids:
            return []
        rows = {r["customer_id"]: r for r in self._live().filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]

    def iterator(self, chunk_size: int = 2000):
        return self._live().iterator(chunk_size=chunk_size)


def arrears_rows(user, f: ReportFilter, *, as_of: date, period: bool = False, sort: str = "-outstanding") -> ArrearsRows:
    """What the arrears page and API page through (see ArrearsRows)."""
    return ArrearsRows(user, f, as_of=as_of, period=period, sort=sort)


def arrears_totals(user, f: ReportFilter, *, as_of: date, period: bool = False) -> dict[str, Any]:
    """Totals over every customer in arrears (bills past their due date: arrears, customers, overdue
    bills, oldest overdue due date, per ageing bucket) and, apart, `not_due`: every open bill in
    the scope not yet due. One aggregate query."""
    overdue = Q(due_on__lt=as_of)
    sums = {b.key: Sum(OUTSTANDING, filter=_bucket_q(lo, hi)) for b, lo, hi in bucket_bounds(as_of)}
    agg = _open_bills(user, f, period=period).aggregate(
        outstanding=Sum(OUTSTANDING, filter=overdue), customers=Count("customer_id", distinct=True, filter=overdue),
        n=Count("id", filter=overdue), oldest_due=Min("due_on", filter=overdue), **sums)
    out = {"outstanding": money(agg["outstanding"]), "customers": agg["customers"], "bills": agg["n"],
           "oldest_due": agg["oldest_due"], "not_due": money(agg[c.NOT_DUE_BUCKET.key])}
    out["buckets"] = [{"key": b.key, "label": str(b.label), "amount": money(agg[b.key])} for b in c.AGEING_BUCKETS]
    return out


def arrears_row(r: dict, as_of: date) -> dict[str, Any]:
    """A GROUP BY row as the page, the API and the export show it."""
    oldest = r["oldest_due"]
    return {
        "customer_id": r["customer_id"], "number": r["number"], "name": r["name"],
        "org_unit": r["org_unit"],
        "manager": r["manager_full_name"] or r["manager_username"] or "",
        "bills": r["n"], "outstanding": money(r["outstanding"]), "oldest_due": oldest,
        "max_days_overdue": max((as_of - oldest).days, 0) if oldest else 0,
        "buckets": {b.key: money(r[b.key]) for b in c.AGEING_BUCKETS},
        "not_due": money(r[c.NOT_DUE_BUCKET.key]),
    }


# --- (e) collection rate --------------------------------------------------------------------------


def _collection_row(billed: Any, collected: Any, bills: int) -> dict[str, Any]:
    billed, collected = money(billed), money(collected)
    return {"billed": billed, "collected": collected, "uncollected": billed - collected, "bills": bills,
            "rate_pct": rate_pct(collected, billed)}


def collection_rate(user, f: ReportFilter) -> dict[str, Any]:
    """回款率 of the bills due in the period (constants.COLLECTION_RATE_DEFINITION), by month of
    the due date, by the customer's org unit and by primary manager.

    One GROUP BY (month, org unit, manager) over the bills — the three breakdowns are added up
    from its cells — and two small queries for the names of those units (in path order) and
    managers (by name), so the bills are read once instead of three times."""
    from powerkam.org.models import OrgUnit, Staff

    bills = scoped_bills(user, f).filter(due_on__gte=f.date_from, due_on__lte=f.period_end)
    sums = {"billed": Sum("total"), "collected": Sum("paid_amount"), "n": Count("id")}
    names = tuple(sums)
    cells = list(bills.annotate(m=TruncMonth("due_on"))
                 .values("m", "customer__org_unit_id", "customer__primary_manager_id").annotate(**sums).order_by())
    by_month = _roll_up(cells, lambda r: r["m"], names)
    months = []
    for m in f.months:
        r = by_month.get(m, {})
        months.append({"month": m, **_collection_row(r.get("billed"), r.get("collected"), r.get("n") or 0)})
    by_unit = _roll_up(cells, lambda r: r["customer__org_unit_id"], names)
    units = [
        {"org_unit_id": pk, "org_unit": name or "—", **_collection_row(by_unit[pk]["billed"], by_unit[pk]["collected"],
                                                                        by_unit[pk]["n"])}
        for pk, name in OrgUnit.objects.filter(pk__in=list(by_unit)).order_by("path").values_list("pk", "name")
    ]
    by_manager = _roll_up(cells, lambda r: r["customer__primary_manager_id"], names)
    managers = [
        {"manager_id": pk, "manager": full_name or username or "",
         **_collection_row(by_manager[pk]["billed"], by_manager[pk]["collected"], by_manager[pk]["n"])}
        for pk, full_name, username in Staff.objects.filter(pk__in=[k for k in by_manager if k is not None])
        .order_by("full_name", "username").values_list("pk", "full_name", "username")
    ]
    if None in by_manager:  # customers without a primary manager: where the database sorts NULL names
        nobody = {"manager_id": None, "manager": "", **_collection_row(
            by_manager[None]["billed"], by_manager[None]["collected"], by_manager[None]["n"])}
        managers = [*managers, nobody] if connection.features.nulls_order_largest else [nobody, *managers]
    total = _collection_row(sum((r["billed"] for r in months), ZERO), sum((r["collected"] for r in months), ZERO),
                            sum(r["bills"] for r in months))
    return {"months": months, "units": units, "managers": managers, "total": total,
            "definition": str(c.COLLECTION_RATE_DEFINITION)}


# --- (f) profit contribution and the Pareto curve --------------------------------------------------

# status <> 'void' on the joined bills, written as two range lookups: negating a lookup across the
# multi-valued relation (~Q(bills__status=…)) would drop every customer who has *any* void bill.
NOT_VOID = Q(bills__status__lt=Bill.Status.VOID) | Q(bills__status__gt=Bill.Status.VOID)


def _revenue(prefix: str = ""):
    return ExpressionWrapper(F(f"{prefix}energy_charge") + F(f"{prefix}basic_charge") + F(f"{prefix}pf_adjustment"),
                             output_field=MONEY)


REVENUE = _revenue()


def purchase_costs() -> dict[str, Decimal]:
    """{voltage level: yuan/kWh}: the admin's PurchaseCost rows over the built-in defaults. One query."""
    from .models import PurchaseCost

    costs = dict(c.DEFAULT_PURCHASE_COST_PER_KWH)
    costs.update(dict(PurchaseCost.objects.values_list("voltage_level", "cost_per_kwh")))
    return costs


def _cost_expression(costs: dict[str, Decimal], *, level: str = "customer__voltage_level", kwh: str = "kwh"):
    price = Case(*[When(**{level: lv}, then=Value(p)) for lv, p in costs.items()],
                 default=Value(c.FALLBACK_PURCHASE_COST_PER_KWH), output_field=PRECISE)
    return ExpressionWrapper(F(kwh) * price, output_field=PRECISE)


PROFIT_SORTS = {"profit": "profit", "revenue": "revenue", "kwh": "s_kwh", "cost": "cost", "billed": "billed",
                "number": "number", "name": "name"}


def profit_customers(user, f: ReportFilter, *, costs: dict[str, Decimal], sort: str = "-profit") -> QuerySet:
    """One row per customer over the period: kWh, billed total, revenue, purchase cost, profit.

    Grouped by the customer's primary key only, from the visible customers joined to their
    bills of the period (as arrears_customers: no sort of every bill by text columns); the org
    unit name is a correlated subquery evaluated for the rows of the page."""
    from powerkam.customers.models import Customer
    from powerkam.org.models import OrgUnit

    cost = _cost_expression(costs, level="voltage_level", kwh="bills__kwh")
    revenue = _revenue("bills__")
    desc = sort.startswith("-")
    key = PROFIT_SORTS.get(sort.lstrip("-"), "profit")
    order = F(key).desc(nulls_last=True) if desc else F(key).asc(nulls_last=True)
    billed = Q(bills__period__gte=f.date_from, bills__period__lte=f.date_to) & NOT_VOID
    customers = visible_customers(user, Customer.objects.filter(f.customer_q(prefix="")).filter(billed))
    return (
        customers.order_by()
        .values("number", "name", "voltage_level", customer_id=F("pk"))
        .annotate(s_kwh=Sum("bills__kwh"), billed=Sum("bills__total"), revenue=Sum(revenue), cost=Sum(cost),
                  profit=ExpressionWrapper(Sum(revenue) - Sum(cost), output_field=PRECISE))
        .annotate(org_unit=Subquery(OrgUnit.objects.filter(pk=OuterRef("org_unit_id")).order_by().values("name")[:1]))
        .order_by(order, "number")
    )


def profit_row(r: dict, costs: dict[str, Decimal]) -> dict[str, Any]:
    revenue, cost = money(r["revenue"]), money(r["cost"])
    return {
        "customer_id": r["customer_id"], "number": r["number"], "name": r["name"],
        "org_unit": r["org_unit"], "voltage_level": r["voltage_level"],
        "cost_per_kwh": costs.get(r["voltage_level"], c.FALLBACK_PURCHASE_COST_PER_KWH),
        "kwh": energy(r["s_kwh"]), "billed": money(r["billed"]), "revenue": revenue, "cost": cost,
        "profit": revenue - cost, "margin_pct": rate_pct(revenue - cost, revenue),
    }


def profit_totals(user, f: ReportFilter, *, costs: dict[str, Decimal], customers: int) -> dict[str, Any]:
    """Sums over the period; `customers` comes from the Pareto query (a COUNT DISTINCT here would
    cost a second sort of every bill)."""
    agg = (scoped_bills(user, f).filter(period__gte=f.date_from, period__lte=f.date_to)
           .aggregate(s_kwh=Sum("kwh"), billed=Sum("total"), revenue=Sum(REVENUE), cost=Sum(_cost_expression(costs))))
    revenue, cost = money(agg["revenue"]), money(agg["cost"])
    return {"customers": customers, "kwh": energy(agg["s_kwh"]), "billed": money(agg["billed"]),
            "revenue": revenue, "cost": cost, "profit": revenue - cost, "margin_pct": rate_pct(revenue - cost, revenue)}


def pareto(user, f: ReportFilter, *, measure: str, costs: dict[str, Decimal]) -> dict[str, Any]:
    """The 80/20 curve: customers ranked by `measure` ("revenue" or "profit"), largest first;
    x = cumulative share of customers, y = cumulative share of the measure.

    One query: the per-customer GROUP BY wrapped in window functions (ROW_NUMBER, running SUM,
    COUNT(*) OVER (), SUM OVER ()); only the first customer of each whole percent of customers
    comes back (≤ 101 rows), so the curve costs the same for 100 or 100,000 customers.
    `top_share` is the measure's share held by the top PARETO_TOP_SHARE (20 %) of customers,
    i.e. by the first ⌈0.2 × n⌉ customers — exactly, whatever n."""
    bills = scoped_bills(user, f).filter(period__gte=f.date_from, period__lte=f.date_to)
    if measure == "profit":
        value = ExpressionWrapper(Sum(REVENUE) - Sum(_cost_expression(costs)), output_field=PRECISE)
    else:
        value = Sum(REVENUE)
    inner = bills.values("customer_id").annotate(val=value).values("customer_id", "val").order_by()
    sql, params = inner.query.sql_with_params()
    qn = connection.ops.quote_name
    wrapped = f"""
        SELECT rn, n, cum, tot FROM (
            SELECT ROW_NUMBER() OVER (ORDER BY p.{qn("val")} DESC, p.{qn("customer_id")}) AS rn,
                   COUNT(*) OVER () AS n,
                   SUM(p.{qn("val")}) OVER (ORDER BY p.{qn("val")} DESC, p.{qn("customer_id")}
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
                   SUM(p.{qn("val")}) OVER () AS tot
            FROM ({sql}) p
        ) r
        WHERE rn = n OR (rn * 100) / n <> ((rn - 1) * 100) / n
        ORDER BY rn"""
    with connection.cursor() as cursor:
        cursor.execute(wrapped, params)
        ranked = cursor.fetchall()
    return _curve(measure, [row[:4] for row in ranked])


def _curve(measure: str, ranked: list) -> dict[str, Any]:
    """The Pareto curve from the sampled (rn, n, cum, tot) rows."""
    points = [{"customers_share": ZERO, "value_share": ZERO}]
    top_share = None
    n = ranked[0][1] if ranked else 0
    top_n = int((Decimal(n) * c.PARETO_TOP_SHARE).to_integral_value(rounding="ROUND_CEILING")) if n else 0
    for rn, _n, cum, tot in ranked:
        point = {"customers_share": share(rn, n), "value_share": share(cum, tot)}
        points.append(point)
        if rn == top_n:
            top_share = point["value_share"]
    return {"measure": measure, "customers": n, "points": points, "top_customers": top_n,
            "top_share": top_share,
            "top_share_pct": None if top_share is None else (top_share * 100).quantize(c.RATE_PLACES)}


def _exact(value: Any, places: int = 6) -> Decimal:
    """A raw-cursor sum as Decimal at `places` (SQLite hands back floats: as Django's converter
    does for a DecimalField, quantizing removes the float noise)."""
    return dec(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def profit_overview(user, f: ReportFilter, *, costs: dict[str, Decimal]) -> tuple[dict, dict, dict]:
    """(revenue curve, profit curve, totals) — what `pareto` twice and `profit_totals` give, in
    one query: the per-customer GROUP BY is computed once (a CTE) and ranked twice (UNION ALL),
    and the totals are window sums over the same per-customer rows."""
    bills = scoped_bills(user, f).filter(period__gte=f.date_from, period__lte=f.date_to)
    cost = _cost_expression(costs)
    inner = (bills.values("customer_id")
             .annotate(rev=Sum(REVENUE), prof=ExpressionWrapper(Sum(REVENUE) - Sum(cost), output_field=PRECISE),
                       s_kwh=Sum("kwh"), billed=Sum("total"), s_cost=Sum(cost))
             .values("customer_id", "rev", "prof", "s_kwh", "billed", "s_cost").order_by())
    sql, params = inner.query.sql_with_params()
    qn = connection.ops.quote_name

    def ranked(kind: int, val: str) -> str:
        v, cid = f"p.{qn(val)}", f"p.{qn('customer_id')}"
        return f"""
            SELECT {kind} AS kind, rn, n, cum, tot, t_kwh, t_billed, t_rev, t_cost FROM (
                SELECT ROW_NUMBER() OVER (ORDER BY {v} DESC, {cid}) AS rn,
                       COUNT(*) OVER () AS n,
                       SUM({v}) OVER (ORDER BY {v} DESC, {cid} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
                       SUM({v}) OVER () AS tot,
                       SUM(p.{qn("s_kwh")}) OVER () AS t_kwh, SUM(p.{qn("billed")}) OVER () AS t_billed,
                       SUM(p.{qn("rev")}) OVER () AS t_rev, SUM(p.{qn("s_cost")}) OVER () AS t_cost
                FROM p
            ) r
            WHERE rn = n OR (rn * 100) / n <> ((rn - 1) * 100) / n"""

    wrapped = f"WITH p AS ({sql}) {ranked(0, 'rev')} UNION ALL {ranked(1, 'prof')} ORDER BY 1, 2"
    with connection.cursor() as cursor:
        cursor.execute(wrapped, params)
        rows = cursor.fetchall()
    revenue_curve = _curve("revenue", [r[1:5] for r in rows if r[0] == 0])
    profit_curve = _curve("profit", [r[1:5] for r in rows if r[0] == 1])
    t_kwh, t_billed, t_rev, t_cost = rows[0][5:9] if rows else (None, None, None, None)
    revenue, total_cost = money(_exact(t_rev)), money(_exact(t_cost))
    totals = {"customers": revenue_curve["customers"], "kwh": energy(_exact(t_kwh, 2)), "billed": money(_exact(t_billed, 2)),
              "revenue": revenue, "cost": total_cost, "profit": revenue - total_cost,
              "margin_pct": rate_pct(revenue - total_cost, revenue)}
    return revenue_curve, profit_curve, totals


# --- the customer 360 money tab ---------------------------------------------------------------------


def customer_money(customer, *, today: date, months: int = 24) -> dict[str, Any]:
    """Everything the 360 money tab shows for one customer, in eight queries whatever the
    history: bills (last 12), payments (last 10), balance, the last `months` billing months
    (kWh, billed, paid), the highest ladder step reached by an open bill, the latest approved
    credit code and the current payment-behaviour level."""
    from powerkam.credit.models import BehaviourLevel, BehaviourRating, CreditAssessment
    from powerkam.receivables.models import LadderStep, Payment

    bills = Bill.objects.filter(customer=customer).exclude(status=Bill.Status.VOID)
    recent = list(Bill.objects.filter(customer=customer).order_by("-period", "-id")[:12])
    balance = bills.filter(status=Bill.Status.OPEN).aggregate(
        outstanding=Sum(OUTSTANDING), overdue=Sum(OUTSTANDING, filter=Q(due_on__lt=today)),
        open_bills=Count("id", filter=Q(total__gt=F("paid_amount"))), oldest_due=Min("due_on"))
    first = add_months(today.replace(day=1), -(months - 1))
    per_month = {r["period"]: r for r in bills.filter(period__gte=first).values("period")
                 .annotate(s_kwh=Sum("kwh"), billed=Sum("total"), paid=Sum("paid_amount"))}
    series = []
    for m in month_range(first, today.replace(day=1)):
        r = per_month.get(m, {})
        series.append({"month": m, "kwh": energy(r.get("s_kwh")), "billed": money(r.get("billed")),
                       "paid": money(r.get("paid"))})
    payments = list(Payment.objects.filter(customer=customer).order_by("-received_on", "-id")[:10])
    step = (LadderStep.objects.filter(customer=customer, bill__status=Bill.Status.OPEN)
            .order_by("-step", "-reached_on").values("step", "reached_on", "bill__number").first())
    if step:
        step["label"] = str(LadderStep.Step(step["step"]).label)
    assessment = (CreditAssessment.objects.filter(customer=customer, status=CreditAssessment.Status.APPROVED)
                  .order_by("-assessed_on", "-id").values("code", "limit_tier", "grade", "credit_limit",
                                                          "assessed_on").first())
    level_name = BehaviourLevel.objects.filter(code=OuterRef("level")).values("name")[:1]
    rating = (BehaviourRating.objects.filter(customer=customer, is_current=True)
              .annotate(level_name=Subquery(level_name))
              .values("level", "level_name", "since", "rated_on", "on_time_rate", "max_days_overdue", "reasons")
              .first())
    return {
        "bills": recent, "payments": payments, "ladder_step": step, "credit": assessment, "behaviour": rating,
        "balance": {"outstanding": money(balance["outstanding"]), "overdue": money(balance["overdue"]),
                    "open_bills": balance["open_bills"], "oldest_due": balance["oldest_due"]},
        "series": series,
    }
