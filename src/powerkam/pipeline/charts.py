"""ECharts options for the forecast page (served locally; drawn by static/pipeline/pipeline.js).
Each bar carries the URL of the records behind it (`pkLinks`), so a click drills down to them."""

from __future__ import annotations

from urllib.parse import urlencode

from django.utils.translation import gettext as _


def _f(value) -> float:
    return float(value or 0)


def _url(base: str, unit, **params) -> str:
    if unit:
        params["unit"] = unit
    return f"{base}?{urlencode({k: v for k, v in params.items() if v not in (None, '')})}"


def _bar(chart_id: str, title: str, labels: list[str], series: list[dict], links: list[str], unit: str = "yuan",
         horizontal: bool = False) -> dict:
    category = {"type": "category", "data": labels}
    value = {"type": "value", "pkUnit": unit}
    options = {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"}, "legend": {"bottom": 0},
        "grid": {"left": 60, "right": 20, "top": 40, "bottom": 50, "containLabel": True},
        "xAxis": value if horizontal else category, "yAxis": category if horizontal else value,
        "series": series, "pkLinks": links,
    }
    return {"id": chart_id, "options": options, "height": 320}


def forecast_charts(data: dict, base: str, unit) -> list[dict]:
    months = [r["month"] for r in data["by_month"]]
    charts = [_bar("chart-month", _("Weighted pipeline by close month"), months, [
        {"name": _("Weighted revenue"), "type": "bar", "data": [_f(r["weighted"]) for r in data["by_month"]]},
        {"name": _("Expected revenue"), "type": "line", "data": [_f(r["revenue"]) for r in data["by_month"]]},
    ], [_url(base, unit, month=m, outcome="open") for m in months])]
    charts.append(_bar("chart-kind", _("Weighted pipeline by kind"), [r["kind__name"] for r in data["by_kind"]], [
        {"name": _("Weighted revenue"), "type": "bar", "data": [_f(r["weighted"]) for r in data["by_kind"]]},
    ], [_url(base, unit, kind=r["kind_id"], outcome="open") for r in data["by_kind"]], horizontal=True))
    cap_months = [r["month"] for r in data["capacity"]]
    charts.append(_bar("chart-capacity", _("Expected new capacity by month (kVA)"), cap_months, [
        {"name": _("Government key projects"), "type": "bar", "stack": "kva",
         "data": [_f(r["gp_kva"]) for r in data["capacity"]]},
        {"name": _("Opportunities"), "type": "bar", "stack": "kva", "data": [_f(r["opp_kva"]) for r in data["capacity"]]},
    ], [_url(base, unit, month=m, outcome="open") for m in cap_months], unit="num"))
    charts.append(_bar("chart-lost", _("Lost reasons"), [r["label"] for r in data["lost_reasons"]], [
        {"name": _("Opportunities lost"), "type": "bar", "data": [r["n"] for r in data["lost_reasons"]]},
    ], [_url(base, unit, outcome="lost", loss_reason=r["reason"]) for r in data["lost_reasons"]], unit="num",
        horizontal=True))
    return charts
