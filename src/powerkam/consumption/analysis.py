"""Read side of the load pages and the consumption analysis (issue #14 items 3, 5, 6, 7; seed 004
"电量分析"). Plain query functions: every figure from the daily aggregates (and, for one customer's
curves, that customer's 15-minute readings), bills for billed kWh, always through the one scope.
A constant number of queries per page, whatever the data size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from powerkam.core.scoping import customer_scope_q, scope_to_user

from .models import ConsumptionForecast, DailyAggregate, IntervalReading, UsageAnomaly
from .selectors import SLOT_LABELS

ZERO = Decimal("0")
SLOTS = 96
TOP = 10


# --- the customer load page (item 3) -------------------------------------------------------------

def latest_day(customer_id: int) -> date | None:
    return (DailyAggregate.objects.filter(customer_id=customer_id).order_by("-day")
            .values_list("day", flat=True).first())


def curves(customer_id: int, days: list[date]) -> dict[date, list[float | None]]:
    """The customer's 15-minute curve (kW, all metering points summed) of each day: one query."""
    out: dict[date, list[float | None]] = {d: [None] * SLOTS for d in days}
    rows = (IntervalReading.objects.filter(customer_id=customer_id, day__in=days)
            .values("day", "slot").annotate(kw=Sum("kw")).values_list("day", "slot", "kw"))
    for day, slot, kw in rows:
        if 1 <= slot <= SLOTS:
            out[day][slot - 1] = round(kw, 2)
    return out


def heatmap(customer_id: int, first: date, last: date) -> dict[str, Any]:
    """The year heatmap (day × 15-minute slot, kW) of one customer: one grouped query on that
    customer's readings only (its key leads with customer_id, so the scan is one range)."""
    import numpy as np

    table = connection.ops.quote_name(IntervalReading._meta.db_table)
    adapt = connection.ops.adapt_datefield_value
    offset = "day - %s::date" if connection.vendor == "postgresql" else "CAST(julianday(day) - julianday(%s) AS INTEGER)"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {offset}, slot, SUM(kw) FROM {table} WHERE customer_id = %s AND day BETWEEN %s AND %s "
                       f"GROUP BY day, slot", [adapt(first), customer_id, adapt(first), adapt(last)])
        rows = cursor.fetchall()
    n = (last - first).days + 1
    grid = np.full((n, SLOTS), np.nan)
    if rows:
        data = np.array(rows, dtype=float)
        ok = (data[:, 1] >= 1) & (data[:, 1] <= SLOTS)
        grid[data[ok, 0].astype(int), data[ok, 1].astype(int) - 1] = np.round(data[ok, 2], 1)
    top = float(np.nanmax(grid)) if rows else 0.0
    values = [[None if v != v else v for v in row] for row in grid.tolist()]  # NaN → null
    return {"days": [(first + timedelta(days=i)).isoformat() for i in range(n)], "slots": list(SLOT_LABELS),
            "values": values, "max": round(top, 1), "points": len(rows)}


def _f(value) -> float | None:
    return None if value is None else float(value)


@dataclass
class LoadYear:
    days: list[date]
    rows: dict[date, Any]
    monthly: list[dict]


def load_year(customer, year: int) -> LoadYear:
    """The year's daily aggregates (and last year's, for comparisons): one query; monthly kWh
    against billed kWh: one more."""
    from powerkam.billing.models import Bill

    first, last = date(year, 1, 1), date(year, 12, 31)
    rows = {r.day: r for r in DailyAggregate.objects.filter(customer=customer, day__range=(first, last)).only(
        "day", "kwh_total", "kwh_sharp", "kwh_peak", "kwh_flat", "kwh_valley", "max_demand_kw", "load_factor",
        "avg_power_factor", "complete", "customer_id")}
    billed = dict(Bill.objects.filter(customer=customer, period__range=(first, last)).values("period")
                  .annotate(kwh=Sum("kwh")).values_list("period", "kwh"))
    metered: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for day, r in rows.items():
        metered[day.replace(day=1)] += r.kwh_total
    monthly = [{"month": date(year, m, 1), "metered_kwh": metered.get(date(year, m, 1)),
                "billed_kwh": billed.get(date(year, m, 1))} for m in range(1, 13)]
    return LoadYear(days=[first + timedelta(days=i) for i in range((last - first).days + 1)], rows=rows,
                    monthly=monthly)


def load_charts(customer, year: int, day: date) -> dict[str, Any]:
    """Every chart of the load page as ECharts options (built on the server from the figures)."""
    from django.utils.translation import gettext as _

    data = load_year(customer, year)
    week = [day - timedelta(days=day.weekday()) + timedelta(days=i) for i in range(7)]
    compare = [day, day - timedelta(days=7), day - timedelta(days=364)]
    c = curves(customer.pk, sorted(set(week) | set(compare)))
    labels = list(SLOT_LABELS)
    base = {"tooltip": {"trigger": "axis"}, "legend": {"bottom": 0},
            "grid": {"left": 50, "right": 50, "top": 40, "bottom": 50, "containLabel": True}}

    def titled(text):
        return {**base, "title": {"text": text, "left": "center", "textStyle": {"fontSize": 14}}}

    day_curve = {**titled(_("Load curve of %(day)s (kW)") % {"day": day.isoformat()}),
                 "xAxis": {"type": "category", "data": labels}, "yAxis": {"type": "value", "name": "kW"},
                 "series": [{"name": _("This day"), "type": "line", "showSymbol": False, "data": c[compare[0]]},
                            {"name": _("Same day last week"), "type": "line", "showSymbol": False, "lineStyle": {"type": "dashed"}, "data": c[compare[1]]},
                            {"name": _("Same day last year"), "type": "line", "showSymbol": False, "lineStyle": {"type": "dotted"}, "data": c[compare[2]]}]}
    week_overlay = {**titled(_("Week overlay (kW)")), "xAxis": {"type": "category", "data": labels},
                    "yAxis": {"type": "value", "name": "kW"},
                    "series": [{"name": d.strftime("%m-%d"), "type": "line", "showSymbol": False, "data": c[d]} for d in week]}
    days = data.days
    rows = data.rows

    def col(name, scale=1.0):
        return [None if d not in rows or getattr(rows[d], name) is None else round(float(getattr(rows[d], name)) * scale, 2)
                for d in days]

    day_labels = [d.isoformat() for d in days]
    shares = {**titled(_("Daily kWh by time-of-use period")),
              "xAxis": {"type": "category", "data": day_labels},
              "yAxis": [{"type": "value", "name": "kWh", "pkUnit": "kwh"}],
              "dataZoom": [{"type": "inside"}, {"type": "slider", "bottom": 25}],
              "series": [{"name": _("Sharp and peak"), "type": "bar", "stack": "kwh",
                          "data": [round(float(rows[d].kwh_sharp + rows[d].kwh_peak), 1)
                                   if d in rows and rows[d].split_known else None for d in days]},
                         {"name": _("Flat"), "type": "bar", "stack": "kwh", "data": col("kwh_flat")},
                         {"name": _("Valley"), "type": "bar", "stack": "kwh", "data": col("kwh_valley")},
                         # a day of daily readings without period registers: its kWh, not a guessed split
                         {"name": _("Split unknown"), "type": "bar", "stack": "kwh", "itemStyle": {"color": "#adb5bd"},
                          "data": [round(float(rows[d].kwh_total), 1) if d in rows and not rows[d].split_known else None
                                   for d in days]}]}
    capacity = _f(customer.contract_capacity_kva)
    declared = _declared_demand(customer, year)
    marks = [{"name": _("Contract capacity (kVA)"), "yAxis": capacity}] if capacity else []
    if declared:
        marks.append({"name": _("Declared demand (kW)"), "yAxis": declared})
    demand = {**titled(_("Maximum demand against declared demand and capacity")),
              "xAxis": {"type": "category", "data": day_labels}, "yAxis": {"type": "value", "name": "kW"},
              "dataZoom": [{"type": "inside"}],
              "series": [{"name": _("Maximum demand (kW)"), "type": "line", "showSymbol": False, "data": col("max_demand_kw"),
                          "markLine": {"symbol": "none", "label": {"formatter": "{b}: {c}"}, "data": marks}}]}
    factors = {**titled(_("Load factor and power factor")),
               "xAxis": {"type": "category", "data": day_labels}, "yAxis": {"type": "value", "min": 0, "max": 1},
               "dataZoom": [{"type": "inside"}],
               "series": [{"name": _("Load factor"), "type": "line", "showSymbol": False, "data": col("load_factor")},
                          {"name": _("Average power factor"), "type": "line", "showSymbol": False, "data": col("avg_power_factor")}]}
    months = [m["month"].strftime("%Y-%m") for m in data.monthly]
    monthly = {**titled(_("Monthly kWh: metered against billed")),
               "xAxis": {"type": "category", "data": months}, "yAxis": {"type": "value", "name": "kWh", "pkUnit": "kwh"},
               "series": [{"name": _("Metered kWh"), "type": "bar", "data": [_f(m["metered_kwh"]) for m in data.monthly]},
                          {"name": _("Billed kWh"), "type": "bar", "data": [_f(m["billed_kwh"]) for m in data.monthly]}]}
    total = sum((r.kwh_total for r in rows.values()), ZERO)
    # TOU shares over the days whose split is known (a day of daily readings without period registers
    # has none: the page says how many such days there are)
    split = [r for r in rows.values() if r.split_known]
    split_kwh = sum((r.kwh_total for r in split), ZERO)
    peak = sum((r.kwh_sharp + r.kwh_peak for r in split), ZERO)
    valley = sum((r.kwh_valley for r in split), ZERO)
    summary = {"kwh": total, "days": len(rows), "peak_share": peak / split_kwh * 100 if split_kwh else None,
               "valley_share": valley / split_kwh * 100 if split_kwh else None,
               "split_unknown_days": len(rows) - len(split),
               "max_demand_kw": max((r.max_demand_kw for r in rows.values() if r.max_demand_kw is not None), default=None),
               "capacity_kva": customer.contract_capacity_kva, "declared_kw": declared}
    return {"summary": summary, "monthly": data.monthly, "has_curve": any(v is not None for v in c[day]),
            "charts": [{"id": "chart-day", "options": day_curve, "height": 340},
                       {"id": "chart-week", "options": week_overlay, "height": 340},
                       {"id": "chart-tou", "options": shares, "height": 340},
                       {"id": "chart-demand", "options": demand, "height": 300},
                       {"id": "chart-factors", "options": factors, "height": 300},
                       {"id": "chart-monthly", "options": monthly, "height": 300}]}


def _declared_demand(customer, year: int) -> float | None:
    """The latest declared demand (kW) the billing readings hold for the year, if any."""
    from powerkam.billing.models import MeterReading

    value = (MeterReading.objects.filter(customer=customer, period__year=year, declared_demand_kw__isnull=False)
             .order_by("-period").values_list("declared_demand_kw", flat=True).first())
    return _f(value)


def customer_summary(customer, today: date) -> dict[str, Any]:
    """The 360 tab: the last 30 days' kWh, the open anomalies, the forecast. Three queries."""
    since = today - timedelta(days=30)
    agg = DailyAggregate.objects.filter(customer=customer, day__gte=since).aggregate(
        kwh=Sum("kwh_total"), days=Count("day"))
    anomalies = list(UsageAnomaly.objects.filter(customer=customer, status=UsageAnomaly.Status.OPEN))
    forecast = ConsumptionForecast.objects.filter(customer=customer).first()
    return {"kwh_30d": agg["kwh"], "days_30d": agg["days"], "anomalies": anomalies, "forecast": forecast,
            "next_7d_kwh": forecast.next_7d_kwh if forecast else None}


# --- anomalies and churn risk (item 5) -----------------------------------------------------------

def anomaly_list(user, *, status: str = "", kind: str = "", org_unit=None):
    qs = scope_to_user(UsageAnomaly.objects.all(), user).select_related(
        "customer", "customer__org_unit", "customer__primary_manager", "reason")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if org_unit is not None:
        qs = qs.filter(customer__org_unit__path__startswith=org_unit.path)
    return qs.order_by("status", "-detected_on", "-id")


CHURN_WINDOW_DAYS = 180


def churn_risk_q(today: date) -> Q:
    """A customer at risk of leaving: an open drop or zero-reading anomaly, or one explained in the
    last half year with a reason marked as churn (relocation, self-generation, incremental network,
    closure)."""
    return (Q(status=UsageAnomaly.Status.OPEN, kind__in=[UsageAnomaly.Kind.DROP, UsageAnomaly.Kind.ZERO])
            | Q(status=UsageAnomaly.Status.EXPLAINED, reason__churn=True,
                explained_at__date__gte=today - timedelta(days=CHURN_WINDOW_DAYS)))


def churn_risk(user, today: date, org_unit=None) -> dict[str, Any]:
    """The churn-risk list and its counts by unit and by manager (three queries)."""
    base = scope_to_user(UsageAnomaly.objects.filter(churn_risk_q(today)), user)
    if org_unit is not None:
        base = base.filter(customer__org_unit__path__startswith=org_unit.path)
    lost = F("expected_kwh") - F("last_kwh")
    by_unit = list(base.values("customer__org_unit__name").annotate(
        customers=Count("customer", distinct=True), kwh_per_day=Sum(lost)).order_by("-kwh_per_day"))
    by_manager = list(base.values("customer__primary_manager__full_name", "customer__primary_manager__username")
                      .annotate(customers=Count("customer", distinct=True), kwh_per_day=Sum(lost)).order_by("-kwh_per_day"))
    rows = base.select_related("customer", "customer__org_unit", "customer__primary_manager", "reason").annotate(
        lost_kwh=lost).order_by("-lost_kwh", "-id")
    return {"by_unit": by_unit, "by_manager": by_manager, "rows": rows}


# --- forecasts (item 6) ---------------------------------------------------------------------------

def forecasts(user, org_unit=None):
    """Key accounts' forecasts the user may see, with the backtest."""
    qs = scope_to_user(ConsumptionForecast.objects.filter(customer__isnull=False), user).select_related(
        "customer", "customer__org_unit")
    if org_unit is not None:
        qs = qs.filter(customer__org_unit__path__startswith=org_unit.path)
    return qs.order_by("customer__number")


def unit_forecasts(units):
    return ConsumptionForecast.objects.filter(org_unit__in=units).select_related("org_unit").order_by("org_unit__path")


def backtest_summary(qs) -> dict[str, Any]:
    """Average backtest MAPEs: of the fitted models, of seasonal naive, and of the forecasts used
    (per series the naive's MAPE where naive is used — decision 0007), and how often naive is used."""
    from django.db.models import Avg, Case, When

    M = ConsumptionForecast.Model
    naive_daily = Q(daily_model=M.SEASONAL_NAIVE)
    naive_monthly = Q(monthly_model__in=[M.SEASONAL_NAIVE, M.LAST_MONTH])
    return qs.aggregate(
        daily=Avg("daily_mape"), daily_naive=Avg("daily_naive_mape"),
        monthly=Avg("monthly_mape"), monthly_naive=Avg("monthly_naive_mape"), n=Count("id"),
        daily_used=Avg(Case(When(naive_daily, then=F("daily_naive_mape")), default=F("daily_mape"))),
        monthly_used=Avg(Case(When(naive_monthly, then=F("monthly_naive_mape")), default=F("monthly_mape"))),
        daily_naive_used=Count("id", filter=naive_daily), monthly_naive_used=Count("id", filter=naive_monthly))


def forecast_chart(forecast, history: list[tuple[date, float]]) -> list[dict]:
    from django.utils.translation import gettext as _

    daily = {"title": {"text": _("Next 7 days (kWh)"), "left": "center", "textStyle": {"fontSize": 14}},
             "tooltip": {"trigger": "axis"}, "legend": {"bottom": 0},
             "grid": {"left": 50, "right": 30, "top": 40, "bottom": 50, "containLabel": True},
             "xAxis": {"type": "category", "data": [d.isoformat() for d, _v in history] + [d for d, _v in forecast.daily]},
             "yAxis": {"type": "value", "name": "kWh", "pkUnit": "kwh"},
             "series": [{"name": _("Actual"), "type": "line", "data": [round(v, 1) for _d, v in history] + [None] * len(forecast.daily)},
                        {"name": _("Forecast"), "type": "line", "lineStyle": {"type": "dashed"},
                         "data": [None] * len(history) + [v for _d, v in forecast.daily]}]}
    monthly = {"title": {"text": _("Next 12 months (kWh)"), "left": "center", "textStyle": {"fontSize": 14}},
               "tooltip": {"trigger": "axis"}, "legend": {"bottom": 0},
               "grid": {"left": 50, "right": 30, "top": 40, "bottom": 50, "containLabel": True},
               "xAxis": {"type": "category", "data": [d[:7] for d, _v in forecast.monthly]},
               "yAxis": {"type": "value", "name": "kWh", "pkUnit": "kwh"},
               "series": [{"name": _("Forecast"), "type": "bar", "data": [v for _d, v in forecast.monthly]}]}
    return [{"id": "chart-forecast-daily", "options": daily, "height": 300},
            {"id": "chart-forecast-monthly", "options": monthly, "height": 300}]


def recent_daily(customer_id: int | None, org_unit=None, days: int = 28, end: date | None = None) -> list[tuple[date, float]]:
    """The last `days` days of kWh of a customer, or of an org unit's customers summed: one query."""
    qs = DailyAggregate.objects.all()
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    else:
        qs = qs.filter(customer__org_unit__path__startswith=org_unit.path)
    if end is None:
        end = qs.order_by("-day").values_list("day", flat=True).first()
        if end is None:
            return []
    rows = qs.filter(day__range=(end - timedelta(days=days - 1), end)).values("day").annotate(
        kwh=Sum("kwh_total")).order_by("day").values_list("day", "kwh")
    return [(d, float(k)) for d, k in rows]


# --- consumption analysis (item 7, seed 004 "电量分析") ---------------------------------------------

@dataclass(frozen=True)
class Period:
    first: date  # first day of the first month
    last: date   # last day of the last month

    @property
    def last_year(self) -> Period:
        return Period(_years_back(self.first), _years_back(self.last))


def _years_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _customers(user, org_unit=None) -> Q:
    q = customer_scope_q(user, prefix="customer__") or Q()
    if org_unit is not None:
        q &= Q(customer__org_unit__path__startswith=org_unit.path)
    return q


def supply_vs_sales(user, period: Period, org_unit=None) -> dict[str, Any]:
    """Metered (collection system) against billed kWh, by month, and by the child units of
    `org_unit` (or the top units) for drill-down. Two grouped queries on aggregates, two on bills."""
    from powerkam.billing.models import Bill
    from powerkam.org.models import OrgUnit

    scope = _customers(user, org_unit)
    agg = DailyAggregate.objects.filter(scope, day__range=(period.first, period.last))
    bills = Bill.objects.filter(scope, period__range=(period.first, period.last))
    by_month_metered = dict(agg.annotate(m=TruncMonth("day")).values("m").annotate(kwh=Sum("kwh_total")).values_list("m", "kwh"))
    by_month_billed = dict(bills.values("period").annotate(kwh=Sum("kwh")).values_list("period", "kwh"))
    months = sorted({_as_month(m) for m in by_month_metered} | {_as_month(m) for m in by_month_billed})
    metered_m = {_as_month(k): v for k, v in by_month_metered.items()}
    billed_m = {_as_month(k): v for k, v in by_month_billed.items()}
    month_rows = [_row(m.strftime("%Y-%m"), metered_m.get(m), billed_m.get(m)) for m in months]
    per_unit_metered = dict(agg.values("customer__org_unit").annotate(kwh=Sum("kwh_total")).values_list("customer__org_unit", "kwh"))
    per_unit_billed = dict(bills.values("customer__org_unit").annotate(kwh=Sum("kwh")).values_list("customer__org_unit", "kwh"))
    units = {u.pk: u for u in OrgUnit.objects.only("id", "name", "path", "parent_id")}
    if org_unit is not None:
        heads = [u for u in units.values() if u.parent_id == org_unit.pk]
        own = org_unit
    else:
        heads = [u for u in units.values() if u.parent_id is None]
        own = None
    unit_rows = []
    for head in sorted(heads, key=lambda u: u.path):
        members = [pk for pk, u in units.items() if u.path.startswith(head.path)]
        m = sum((per_unit_metered.get(pk) or ZERO for pk in members), ZERO)
        b = sum((per_unit_billed.get(pk) or ZERO for pk in members), ZERO)
        if m or b:
            unit_rows.append({**_row(head.name, m, b), "unit": head})
    if own is not None and (per_unit_metered.get(own.pk) or per_unit_billed.get(own.pk)):
        unit_rows.append({**_row(own.name, per_unit_metered.get(own.pk), per_unit_billed.get(own.pk)), "unit": None})
    return {"months": month_rows, "units": unit_rows}


def _as_month(value) -> date:
    if hasattr(value, "date") and callable(value.date):
        value = value.date()
    return date(value.year, value.month, 1)


def _row(label: str, metered, billed) -> dict:
    metered = metered or ZERO
    billed = billed or ZERO
    diff = metered - billed
    return {"label": label, "metered_kwh": metered, "billed_kwh": billed, "difference_kwh": diff,
            "difference_pct": (diff / metered * 100) if metered else None}


def by_category(user, period: Period, org_unit=None) -> dict[str, list]:
    """Metered kWh by industry and by voltage class, this period and the same period last year."""
    from powerkam.customers import constants as cc

    scope = _customers(user, org_unit)
    out = {}
    for field, choices in (("industry", cc.Industry), ("voltage_level", cc.VoltageLevel)):
        key = f"customer__{field}"
        now = dict(DailyAggregate.objects.filter(scope, day__range=(period.first, period.last)).values(key)
                   .annotate(kwh=Sum("kwh_total")).values_list(key, "kwh"))
        ly = period.last_year
        before = dict(DailyAggregate.objects.filter(scope, day__range=(ly.first, ly.last)).values(key)
                      .annotate(kwh=Sum("kwh_total")).values_list(key, "kwh"))
        labels = dict(choices.choices)
        rows = []
        for value in sorted(set(now) | set(before), key=lambda v: -(now.get(v) or 0)):
            kwh, prev = now.get(value) or ZERO, before.get(value) or ZERO
            rows.append({"label": labels.get(value, value or "—"), "value": value, "kwh": kwh, "kwh_last_year": prev,
                         "yoy_pct": ((kwh - prev) / prev * 100) if prev else None})
        out[field] = rows
    return out


def growers(user, period: Period, org_unit=None, top: int = TOP) -> dict[str, list]:
    """Top growers and decliners: customers' metered kWh this period against the same period last
    year, in one grouped query (conditional sums), the top and bottom `top` by change."""
    from powerkam.customers.models import Customer

    ly = period.last_year
    scope = _customers(user, org_unit)
    base = (DailyAggregate.objects.filter(scope).filter(Q(day__range=(period.first, period.last)) | Q(day__range=(ly.first, ly.last)))
            .values("customer").annotate(kwh=Sum("kwh_total", filter=Q(day__range=(period.first, period.last)), default=ZERO),
                                         kwh_last_year=Sum("kwh_total", filter=Q(day__range=(ly.first, ly.last)), default=ZERO))
            .annotate(change=F("kwh") - F("kwh_last_year")))
    up = list(base.filter(change__gt=0).order_by("-change")[:top])
    down = list(base.filter(change__lt=0).order_by("change")[:top])
    names = Customer.objects.in_bulk({r["customer"] for r in up + down})
    for r in up + down:
        r["customer_obj"] = names.get(r["customer"])
        r["change_pct"] = (r["change"] / r["kwh_last_year"] * 100) if r["kwh_last_year"] else None
    return {"up": up, "down": down}


def key_account_share(user, period: Period, org_unit=None) -> dict[str, Any]:
    """Key accounts' share of metered and of billed kWh (seed 004)."""
    from powerkam.billing.models import Bill

    scope = _customers(user, org_unit)
    agg = DailyAggregate.objects.filter(scope, day__range=(period.first, period.last)).aggregate(
        total=Sum("kwh_total"), key=Sum("kwh_total", filter=Q(customer__is_key_account=True)))
    bills = Bill.objects.filter(scope, period__range=(period.first, period.last)).aggregate(
        total=Sum("kwh"), key=Sum("kwh", filter=Q(customer__is_key_account=True)))

    def share(part, whole):
        return (part or ZERO) / whole * 100 if whole else None

    return {"metered_total": agg["total"], "metered_key": agg["key"], "metered_share": share(agg["key"], agg["total"]),
            "billed_total": bills["total"], "billed_key": bills["key"], "billed_share": share(bills["key"], bills["total"])}
