"""Load page, anomaly watch, churn risk, forecasts and consumption analysis (issue #14 items 3, 5,
6, 7). Thin function views: parse, scope through the one visibility helper, call a selector or a
service, render (or export, ?export=xlsx|csv)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from powerkam.core.scoping import get_visible_or_404
from powerkam.customers.models import Customer
from powerkam.imports.exports import FORMATS, export_response

from . import analysis, anomalies
from . import exports_analysis as ex
from .advice import has_advice_data
from .forms_analysis import AnomalyFilterForm, PeriodForm, ReasonForm
from .models import ConsumptionForecast, UsageAnomaly

PAGE_SIZE = 50


def _page(request, rows):
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- the customer load page (item 3) -------------------------------------------------------------

@login_required
def load_page(request, pk: int):
    customer = get_visible_or_404(Customer.objects.select_related("org_unit"), request.user, pk=pk)
    latest = analysis.latest_day(customer.pk) or timezone.localdate()
    day = _parse_day(request.GET.get("day")) or latest
    bad_day = bool(request.GET.get("day")) and _parse_day(request.GET.get("day")) is None
    year = day.year
    data = analysis.load_charts(customer, year, day)
    return render(request, "consumption/analysis/load.html", {
        "nav": "consumption", "customer": customer, "day": day, "year": year, "latest": latest, "bad_day": bad_day,
        **data,
    })


@login_required
def load_heatmap(request, pk: int):
    """The year heatmap's data (JSON, fetched by the page after it has drawn the rest)."""
    customer = get_visible_or_404(Customer.objects.all(), request.user, pk=pk)
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = (analysis.latest_day(customer.pk) or timezone.localdate()).year
    return JsonResponse(analysis.heatmap(customer.pk, date(year, 1, 1), date(year, 12, 31)))


@login_required
def customer_tab(request, pk: int):
    """The 360 page's load tab: recent kWh, forecast, open anomalies, and the links to the load page
    and — when the customer has the months it needs — the usage advice letter."""
    customer = get_visible_or_404(Customer.objects.all(), request.user, pk=pk)
    today = timezone.localdate()
    return render(request, "consumption/analysis/customer_tab.html", {
        "customer": customer, "data": analysis.customer_summary(customer, today),
        "has_advice": has_advice_data(customer.pk, today)})


# --- anomalies and churn risk (item 5) -------------------------------------------------------------

@login_required
def anomaly_list(request):
    form = AnomalyFilterForm(request.GET, user=request.user)
    f = form.cleaned_data if form.is_valid() else {}
    rows = analysis.anomaly_list(request.user, status=f.get("status", ""), kind=f.get("kind", ""),
                                 org_unit=f.get("org_unit"))
    if request.GET.get("export"):
        return export_response(rows.iterator(chunk_size=2000), ex.ANOMALIES, fmt=request.GET["export"],
                               filename=_("consumption-anomalies"))
    return render(request, "consumption/analysis/anomalies.html", {
        "nav": "consumption", "form": form, "page": _page(request, rows), "export_formats": FORMATS})


@login_required
@require_http_methods(["GET", "POST"])
def anomaly_detail(request, pk: int):
    anomaly = get_visible_or_404(UsageAnomaly.objects.select_related(
        "customer", "customer__org_unit", "customer__primary_manager", "reason", "explained_by", "task"),
        request.user, pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            anomalies.record_reason(anomaly, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"],
                                    by=request.user)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Reason recorded; the task is closed."))
            return redirect("consumption_analysis:anomaly", pk=anomaly.pk)
    history = analysis.recent_daily(anomaly.customer_id, days=42, end=anomaly.checked_on)
    chart = {"id": "chart-anomaly", "height": 280, "options": {
        "tooltip": {"trigger": "axis"}, "legend": {"bottom": 0},
        "grid": {"left": 50, "right": 30, "top": 20, "bottom": 50, "containLabel": True},
        "xAxis": {"type": "category", "data": [d.isoformat() for d, _v in history]},
        "yAxis": {"type": "value", "name": "kWh", "pkUnit": "kwh"},
        "series": [{"name": _("Daily kWh"), "type": "bar", "data": [round(v, 1) for _d, v in history],
                    "markLine": {"symbol": "none", "data": [{"name": _("Expected kWh"), "yAxis": float(anomaly.expected_kwh)}]}}]}}
    return render(request, "consumption/analysis/anomaly.html", {
        "nav": "consumption", "anomaly": anomaly, "form": form, "chart": chart}, status=400 if form.errors else 200)


@login_required
def churn_risk(request):
    form = AnomalyFilterForm(request.GET, user=request.user)
    unit = form.cleaned_data.get("org_unit") if form.is_valid() else None
    data = analysis.churn_risk(request.user, timezone.localdate(), org_unit=unit)
    if request.GET.get("export"):
        return export_response(data["rows"].iterator(chunk_size=2000), ex.CHURN, fmt=request.GET["export"],
                               filename=_("churn-risk"))
    return render(request, "consumption/analysis/churn.html", {
        "nav": "consumption", "form": form, "data": data, "page": _page(request, data["rows"]), "export_formats": FORMATS})


# --- forecasts (item 6) ----------------------------------------------------------------------------

@login_required
def forecast_page(request):
    from powerkam.org.selectors import visible_org_units

    form = AnomalyFilterForm(request.GET, user=request.user)
    unit = form.cleaned_data.get("org_unit") if form.is_valid() else None
    rows = analysis.forecasts(request.user, org_unit=unit)
    if request.GET.get("export"):
        return export_response(rows.iterator(chunk_size=2000), ex.FORECASTS, fmt=request.GET["export"],
                               filename=_("consumption-forecasts"))
    units = visible_org_units(request.user)
    if unit is not None:
        units = units.filter(path__startswith=unit.path)
    unit_rows = list(analysis.unit_forecasts(units))
    chosen, history, subject = None, [], None
    customer_pk = request.GET.get("customer")
    if customer_pk and customer_pk.isdigit():
        chosen = get_visible_or_404(ConsumptionForecast.objects.select_related("customer"), request.user,
                                    customer_id=int(customer_pk))
        subject = chosen.customer
        history = analysis.recent_daily(chosen.customer_id)
    elif unit_rows:
        chosen = unit_rows[0]
        subject = chosen.org_unit
        history = analysis.recent_daily(None, org_unit=chosen.org_unit)
    return render(request, "consumption/analysis/forecasts.html", {
        "nav": "consumption", "form": form, "page": _page(request, rows), "unit_rows": unit_rows,
        "summary": analysis.backtest_summary(rows), "chosen": chosen, "subject": subject,
        "charts": analysis.forecast_chart(chosen, history) if chosen else [], "export_formats": FORMATS})


# --- consumption analysis (item 7) ----------------------------------------------------------------

TABLES = ("months", "units", "industry", "voltage", "growers")


@login_required
def analysis_page(request):
    form = PeriodForm(request.GET, user=request.user, today=timezone.localdate())
    context = {"nav": "consumption", "form": form, "export_formats": FORMATS, "tables": TABLES}
    if not form.is_valid():
        return render(request, "consumption/analysis/analysis.html", context, status=400)
    period, unit = form.period(), form.cleaned_data.get("org_unit")
    supply = analysis.supply_vs_sales(request.user, period, unit)
    categories = analysis.by_category(request.user, period, unit)
    movers = analysis.growers(request.user, period, unit)
    share = analysis.key_account_share(request.user, period, unit)
    table = request.GET.get("table", "units")
    if request.GET.get("export") and table in TABLES:
        rows, columns = {
            "months": (supply["months"], ex.SUPPLY), "units": (supply["units"], ex.SUPPLY),
            "industry": (categories["industry"], ex.CATEGORY), "voltage": (categories["voltage_level"], ex.CATEGORY),
            "growers": (movers["up"] + movers["down"], ex.GROWERS)}[table]
        return export_response(rows, columns, fmt=request.GET["export"], filename=_("consumption-analysis"))
    chart = {"id": "chart-supply", "height": 320, "options": {
        "tooltip": {"trigger": "axis"}, "legend": {"bottom": 0},
        "grid": {"left": 50, "right": 30, "top": 20, "bottom": 50, "containLabel": True},
        "xAxis": {"type": "category", "data": [r["label"] for r in supply["months"]]},
        "yAxis": {"type": "value", "name": "kWh", "pkUnit": "kwh"},
        "series": [{"name": _("Metered kWh (collection system)"), "type": "bar", "data": [float(r["metered_kwh"]) for r in supply["months"]]},
                   {"name": _("Billed kWh"), "type": "bar", "data": [float(r["billed_kwh"]) for r in supply["months"]]}]}}
    context.update(period=period, unit=unit, supply=supply, categories=categories, movers=movers, share=share,
                   chart=chart)
    return render(request, "consumption/analysis/analysis.html", context)
