"""ECharts options for the analysis pages, built on the server from the same figures as the
tables (so the chart and the table can never disagree). Numbers become floats here only.

An axis (or a pie series) with "pkUnit" ("yuan", "kwh", "price", "pct") gets its labels and
tooltips written by static/analytics/charts.js as core/numbers.py writes figures: thousands
separators, and in Chinese 万元 / 万kWh from 10,000 up."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import constants as c


def _f(value) -> float | None:
    return None if value is None else float(value)


def _month(m) -> str:
    return m.strftime("%Y-%m")


def _base(title: str) -> dict[str, Any]:
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 60, "right": 60, "top": 40, "bottom": 50, "containLabel": True},
    }


def sales_volume(data: dict) -> list[dict]:
    rows = data["rows"]
    months = [_month(r["month"]) for r in rows]
    volume = {**_base(_("Sales volume (kWh)")),
              "xAxis": {"type": "category", "data": months},
              "yAxis": [{"type": "value", "name": "kWh", "pkUnit": "kwh"},
                        {"type": "value", "name": "%", "splitLine": {"show": False}, "pkUnit": "pct"}],
              "series": [
                  {"name": _("This year"), "type": "bar", "data": [_f(r["kwh"]) for r in rows]},
                  {"name": _("Same month last year"), "type": "bar", "data": [_f(r["kwh_last_year"]) for r in rows]},
                  {"name": _("Year-on-year %"), "type": "line", "yAxisIndex": 1, "data": [_f(r["yoy_pct"]) for r in rows]},
                  {"name": _("Month-on-month %"), "type": "line", "yAxisIndex": 1, "data": [_f(r["mom_pct"]) for r in rows]},
              ]}
    cats = data["categories"]
    by_cat = {**_base(_("Sales volume by usage category (kWh)")), "tooltip": {"trigger": "item"},
              "series": [{"type": "pie", "radius": ["35%", "65%"], "pkUnit": "kwh",
                          "data": [{"name": r["label"], "value": _f(r["kwh"])} for r in cats]}]}
    return [{"id": "chart-volume", "options": volume, "height": 380},
            {"id": "chart-volume-categories", "options": by_cat, "height": 320}]


COMPONENT_LABELS = {
    "energy_charge": gettext_lazy("Energy charge"), "basic_charge": gettext_lazy("Basic electricity charge"),
    "pf_adjustment": gettext_lazy("PF adjustment"), "surcharges": gettext_lazy("Funds and surcharges"),
}


def price_composition(data: dict) -> list[dict]:
    from .selectors import PRICE_COMPONENTS

    rows = data["rows"]
    months = [_month(r["month"]) for r in rows]
    series = [{"name": str(COMPONENT_LABELS[n]), "type": "bar", "stack": "price",
               "data": [_f(r[f"{n}_per_kwh"]) for r in rows]} for n in PRICE_COMPONENTS]
    series.append({"name": _("Average price"), "type": "line", "data": [_f(r["average_price"]) for r in rows]})
    by_month = {**_base(_("Unit price composition (yuan/kWh)")), "xAxis": {"type": "category", "data": months},
                "yAxis": {"type": "value", "name": _("yuan/kWh"), "pkUnit": "price"}, "series": series}
    cats = data["categories"]
    cat_series = [{"name": str(COMPONENT_LABELS[n]), "type": "bar", "stack": "price",
                   "data": [_f(r[f"{n}_per_kwh"]) for r in cats]} for n in PRICE_COMPONENTS]
    by_cat = {**_base(_("Average price by usage category (yuan/kWh)")),
              "xAxis": {"type": "category", "data": [r["label"] for r in cats]},
              "yAxis": {"type": "value", "name": _("yuan/kWh"), "pkUnit": "price"}, "series": cat_series}
    return [{"id": "chart-price", "options": by_month, "height": 380},
            {"id": "chart-price-categories", "options": by_cat, "height": 320}]


def payments(data: dict) -> list[dict]:
    rows = data["months"]
    months = [_month(r["month"]) for r in rows]
    channels = data["channels"]
    series = [{"name": ch["label"], "type": "bar", "stack": "amount",
               "data": [_f(r["by_channel"].get(ch["channel"], {}).get("amount")) for r in rows]} for ch in channels]
    by_month = {**_base(_("Payments by channel and month (yuan)")), "xAxis": {"type": "category", "data": months},
                "yAxis": {"type": "value", "name": _("yuan"), "pkUnit": "yuan"}, "series": series}
    pie = {**_base(_("Share of channels (amount)")), "tooltip": {"trigger": "item"},
           "series": [{"type": "pie", "radius": ["35%", "65%"], "pkUnit": "yuan",
                       "data": [{"name": ch["label"], "value": _f(ch["amount"])} for ch in channels]}]}
    return [{"id": "chart-payments", "options": by_month, "height": 380},
            {"id": "chart-payments-channels", "options": pie, "height": 320}]


def arrears(totals: dict, top: list[dict]) -> list[dict]:
    buckets = [b for b in totals["buckets"] if b["key"] != "not_due"]  # arrears are past due only
    ageing = {**_base(_("Arrears by age (yuan)")), "legend": {"show": False},
              "xAxis": {"type": "category", "data": [b["label"] for b in buckets]},
              "yAxis": {"type": "value", "name": _("yuan"), "pkUnit": "yuan"},
              "series": [{"name": _("Outstanding"), "type": "bar", "data": [_f(b["amount"]) for b in buckets]}]}
    biggest = {**_base(_("Largest arrears (yuan)")), "legend": {"show": False},
               "xAxis": {"type": "value", "name": _("yuan"), "axisLabel": {"rotate": 45}, "pkUnit": "yuan"},
               "yAxis": {"type": "category", "inverse": True, "data": [r["name"] for r in top]},
               "series": [{"name": _("Outstanding"), "type": "bar", "data": [_f(r["outstanding"]) for r in top]}]}
    return [{"id": "chart-ageing", "options": ageing, "height": 320},
            {"id": "chart-arrears-top", "options": biggest, "height": 320}]


def collection(data: dict) -> list[dict]:
    months = data["months"]
    trend = {**_base(_("Collection rate by due month")),
             "xAxis": {"type": "category", "data": [_month(r["month"]) for r in months]},
             "yAxis": [{"type": "value", "name": _("yuan"), "pkUnit": "yuan"},
                       {"type": "value", "name": "%", "max": 100, "splitLine": {"show": False}, "pkUnit": "pct"}],
             "series": [
                 {"name": _("Billed"), "type": "bar", "data": [_f(r["billed"]) for r in months]},
                 {"name": _("Collected"), "type": "bar", "data": [_f(r["collected"]) for r in months]},
                 {"name": _("Collection rate %"), "type": "line", "yAxisIndex": 1,
                  "data": [_f(r["rate_pct"]) for r in months]},
             ]}
    units = data["units"]
    by_unit = {**_base(_("Collection rate by unit (%)")), "legend": {"show": False},
               "xAxis": {"type": "category", "data": [r["org_unit"] for r in units]},
               "yAxis": {"type": "value", "name": "%", "max": 100, "pkUnit": "pct"},
               "series": [{"name": _("Collection rate %"), "type": "bar", "data": [_f(r["rate_pct"]) for r in units]}]}
    return [{"id": "chart-collection", "options": trend, "height": 360},
            {"id": "chart-collection-units", "options": by_unit, "height": 320}]


def pareto(revenue: dict, profit: dict) -> list[dict]:
    def line(p: dict, name: str) -> dict:
        return {"name": name, "type": "line", "showSymbol": False,
                "data": [[_f(pt["customers_share"] * 100), _f(pt["value_share"] * 100)] for pt in p["points"]]}

    top = float(c.PARETO_TOP_SHARE * 100)
    options = {**_base(_("Pareto curve (cumulative share, %)")),
               "xAxis": {"type": "value", "name": _("Customers %"), "min": 0, "max": 100},
               "yAxis": {"type": "value", "name": "%"},
               "series": [line(revenue, _("Revenue")), line(profit, _("Profit")),
                          {"name": _("Equal shares"), "type": "line", "showSymbol": False,
                           "lineStyle": {"type": "dashed"}, "data": [[0, 0], [100, 100]],
                           "markLine": {"symbol": "none", "data": [{"xAxis": top}]}}]}
    return [{"id": "chart-pareto", "options": options, "height": 380}]


def customer_money(data: dict) -> list[dict]:
    series = data["series"]
    months = [_month(r["month"]) for r in series]
    kwh = {**_base(_("kWh, last 24 months")), "legend": {"show": False},
           "xAxis": {"type": "category", "data": months}, "yAxis": {"type": "value", "name": "kWh", "pkUnit": "kwh"},
           "series": [{"name": "kWh", "type": "bar", "data": [_f(r["kwh"]) for r in series]}]}
    money = {**_base(_("Billed by month and paid on those bills, last 24 months (yuan)")),
             "xAxis": {"type": "category", "data": months}, "yAxis": {"type": "value", "name": _("yuan"), "pkUnit": "yuan"},
             "series": [{"name": _("Billed"), "type": "bar", "data": [_f(r["billed"]) for r in series]},
                        {"name": _("Paid"), "type": "bar", "data": [_f(r["paid"]) for r in series]}]}
    return [{"id": "chart-money-kwh", "options": kwh, "height": 280},
            {"id": "chart-money-amounts", "options": money, "height": 280}]
