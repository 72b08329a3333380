"""Analysis pages (issue #3 item 7, seed 004) and the customer 360 money tab (item 8).

Thin function views: parse the filter form, call a selector (every figure from the database,
scoped to the user), render the page or export its table (?export=xlsx|csv).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from powerkam.core.scoping import get_visible_or_404
from powerkam.customers.models import Customer
from powerkam.imports.exports import FORMATS, export_response

from . import charts, exports, selectors
from . import constants as c
from .forms import ReportFilterForm

PAGE_SIZE = 50
TOP_ARREARS = 10

# The hub: (url name, title, icon, description). Money pages are ours; service analyses show
# when their module defines the URL (the template resolves them with `{% url ... as %}`).
MONEY_REPORTS = (
    ("analytics:sales_volume", gettext_lazy("Sales volume"), "bi-lightning-charge",
     gettext_lazy("kWh by month, year-on-year and month-on-month, by usage category.")),
    ("analytics:price", gettext_lazy("Unit price"), "bi-currency-yen",
     gettext_lazy("Energy, basic charge, PF adjustment and surcharges per kWh; average price.")),
    ("analytics:payments", gettext_lazy("Payments by channel"), "bi-credit-card",
     gettext_lazy("Amount and count of payments by channel and month.")),
    ("analytics:arrears", gettext_lazy("Arrears"), "bi-hourglass-split",
     gettext_lazy("Customers with outstanding bills, amounts and ageing.")),
    ("analytics:collection", gettext_lazy("Collection rate"), "bi-percent",
     gettext_lazy("Collection rate by unit and by manager.")),
    ("analytics:profit", gettext_lazy("Profit contribution"), "bi-graph-up-arrow",
     gettext_lazy("Revenue minus purchase cost by customer, with the 80/20 curve.")),
)
SERVICE_REPORTS = (
    ("tickets:analysis", gettext_lazy("Complaint analysis"), "bi-chat-left-text",
     gettext_lazy("Tickets and complaints by type, unit and SLA compliance.")),
    ("visits:analysis", gettext_lazy("Visit analysis"), "bi-calendar-check",
     gettext_lazy("Visits done against the plan.")),
    ("surveys:analysis", gettext_lazy("Satisfaction analysis"), "bi-emoji-smile",
     gettext_lazy("Survey results (needs analysis).")),
    ("surveys:loss", gettext_lazy("Loss analysis"), "bi-person-dash",
     gettext_lazy("Customers lost and why.")),
)


@login_required
def index(request):
    return render(request, "analytics/index.html", {
        "nav": "analytics", "money_reports": MONEY_REPORTS, "service_reports": SERVICE_REPORTS,
    })


# --- shared plumbing --------------------------------------------------------------------------------


def _form(request) -> ReportFilterForm:
    return ReportFilterForm(request.GET, user=request.user, today=timezone.localdate())


def _page(request, rows, count: int | None = None):
    """One page of `rows`; `count` when the caller already knows it (saves a second GROUP BY)."""
    paginator = Paginator(rows, PAGE_SIZE)
    if count is not None:
        paginator.count = count
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _render(request, template: str, title, form, context: dict):
    return render(request, template, {
        "nav": "analytics", "title": title, "form": form, "export_formats": FORMATS, **context,
    })


def _export(request, rows, columns, filename: str):
    return export_response(rows, columns, fmt=request.GET.get("export"), filename=filename)


# --- (a) sales volume ---------------------------------------------------------------------------------


@login_required
def sales_volume(request):
    form = _form(request)
    title = _("Sales volume")
    if not form.is_valid():
        return _render(request, "analytics/sales_volume.html", title, form, {})
    f = form.report_filter()
    data = selectors.sales_volume(request.user, f)
    if request.GET.get("export"):
        return _export(request, data["rows"], exports.SALES_VOLUME, _("sales-volume"))
    return _render(request, "analytics/sales_volume.html", title, form, {
        "data": data, "charts": charts.sales_volume(data), "definition": c.VOLUME_DEFINITION,
    })


@login_required
def price(request):
    form = _form(request)
    title = _("Unit price")
    if not form.is_valid():
        return _render(request, "analytics/price.html", title, form, {})
    f = form.report_filter()
    data = selectors.price_composition(request.user, f)
    if request.GET.get("export"):
        return _export(request, data["rows"], exports.PRICE, _("unit-price"))
    return _render(request, "analytics/price.html", title, form, {
        "data": data, "charts": charts.price_composition(data), "definition": c.PRICE_DEFINITION,
    })


@login_required
def payments(request):
    form = _form(request)
    title = _("Payments by channel")
    if not form.is_valid():
        return _render(request, "analytics/payments.html", title, form, {})
    f = form.report_filter()
    data = selectors.payments_by_channel(request.user, f)
    if request.GET.get("export"):
        return _export(request, exports.payment_rows(data), exports.payment_columns(data), _("payments-by-channel"))
    return _render(request, "analytics/payments.html", title, form, {
        "data": data, "charts": charts.payments(data),
    })


# --- (d) arrears ---------------------------------------------------------------------------------------


@login_required
def arrears(request):
    form = _form(request)
    title = _("Arrears")
    if not form.is_valid():
        return _render(request, "analytics/arrears.html", title, form, {})
    f = form.report_filter()
    today = timezone.localdate()
    # Arrears are a position today: every open bill past its due date counts unless the user picks
    # billing months; bills not yet due are shown apart.
    by_period = bool(request.GET.get("from_month") or request.GET.get("to_month"))
    sort = request.GET.get("sort") or "-outstanding"
    if sort.lstrip("-") not in selectors.ARREARS_SORTS:
        sort = "-outstanding"
    rows = selectors.arrears_rows(request.user, f, as_of=today, period=by_period, sort=sort)
    if request.GET.get("export"):
        return _export(request, (selectors.arrears_row(r, today) for r in rows.iterator(chunk_size=2000)),
                       exports.ARREARS, _("arrears"))
    totals = selectors.arrears_totals(request.user, f, as_of=today, period=by_period)
    page = _page(request, rows, count=totals["customers"])  # one row per customer with arrears
    page_rows = [selectors.arrears_row(r, today) for r in page.object_list]
    top = page_rows[:TOP_ARREARS] if sort == "-outstanding" and page.number == 1 else \
        [selectors.arrears_row(r, today) for r in
         selectors.arrears_rows(request.user, f, as_of=today, period=by_period)[:TOP_ARREARS]]
    return _render(request, "analytics/arrears.html", title, form, {
        "totals": totals, "page": page, "rows": page_rows, "sort": sort, "as_of": today, "by_period": by_period,
        "buckets": c.OVERDUE_BUCKETS, "charts": charts.arrears(totals, top), "definition": c.ARREARS_DEFINITION,
    })


# --- (e) collection rate -------------------------------------------------------------------------------


@login_required
def collection(request):
    form = _form(request)
    title = _("Collection rate")
    if not form.is_valid():
        return _render(request, "analytics/collection.html", title, form, {"definition": c.COLLECTION_RATE_DEFINITION})
    f = form.report_filter()
    data = selectors.collection_rate(request.user, f)
    if request.GET.get("export"):
        return _export(request, exports.collection_rows(data), exports.COLLECTION, _("collection-rate"))
    return _render(request, "analytics/collection.html", title, form, {
        "data": data, "charts": charts.collection(data), "definition": c.COLLECTION_RATE_DEFINITION,
    })


# --- (f) profit contribution ---------------------------------------------------------------------------


@login_required
def profit(request):
    form = _form(request)
    title = _("Profit contribution")
    context = {"definitions": [c.REVENUE_DEFINITION, c.COST_DEFINITION]}
    if not form.is_valid():
        return _render(request, "analytics/profit.html", title, form, context)
    f = form.report_filter()
    costs = selectors.purchase_costs()
    sort = request.GET.get("sort") or "-profit"
    if sort.lstrip("-") not in selectors.PROFIT_SORTS:
        sort = "-profit"
    rows = selectors.profit_customers(request.user, f, costs=costs, sort=sort)
    if request.GET.get("export"):
        return _export(request, (selectors.profit_row(r, costs) for r in rows.iterator(chunk_size=2000)),
                       exports.PROFIT, _("profit-contribution"))
    revenue, profit_curve, totals = selectors.profit_overview(request.user, f, costs=costs)
    page = _page(request, rows, count=revenue["customers"])  # one row per customer billed in the period
    return _render(request, "analytics/profit.html", title, form, {
        **context, "totals": totals, "page": page, "rows": [selectors.profit_row(r, costs) for r in page.object_list],
        "sort": sort, "pareto_revenue": revenue, "pareto_profit": profit_curve, "costs": sorted(costs.items()),
        "top_pct": int(c.PARETO_TOP_SHARE * 100), "charts": charts.pareto(revenue, profit_curve),
    })


# --- customer 360 money tab ----------------------------------------------------------------------------


@login_required
def customer_money(request, pk: int):
    customer = get_visible_or_404(Customer.objects.all(), request.user, pk=pk)
    today = timezone.localdate()
    data = selectors.customer_money(customer, today=today)
    return render(request, "analytics/customer_money.html", {
        "customer": customer, "data": data, "charts": charts.customer_money(data), "today": today,
    })
