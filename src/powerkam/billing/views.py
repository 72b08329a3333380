"""Billing pages: tariff catalogue, calculator, bills, billing runs. Thin: parse, scope, call a
service, render (htmx requests get the partial)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from powerkam.core.params import record_id
from powerkam.core.scoping import get_visible_or_404
from powerkam.customers.models import Customer
from powerkam.imports.exports import FORMATS, export_response
from powerkam.org.models import COMPANY_ROLES, Role
from powerkam.org.selectors import org_unit_options

from . import constants as c
from . import selectors, services
from .forms import BillingRunForm, CalculatorForm
from .models import (
    Bill,
    BillingRun,
    BillLine,
    MeterReading,
    Tariff,
    TariffSurcharge,
    TariffTimeBand,
)

INLINE_RUN_MAX = 2000  # readings billed inside the request; more run as a background job


def _partial_or_page(request, page: str, partial: str, context: dict):
    htmx = getattr(request, "htmx", None)
    template = partial if htmx and not htmx.history_restore_request else page
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _paginate(request, queryset):
    page = Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


# --- tariff catalogue ----------------------------------------------------------------------------


@login_required
def tariff_list(request):
    """The catalogue, every version, read-only (admins edit it in the Django admin)."""
    show = request.GET.get("show", "current")
    today = timezone.localdate()
    qs = Tariff.objects.prefetch_related(
        Prefetch("surcharges", TariffSurcharge.objects.order_by("sort", "id")),
        Prefetch("time_bands", TariffTimeBand.objects.order_by("season", "start")),
    ).order_by("code", "-effective_from")
    if show != "all":
        qs = qs.filter(pk__in=services.tariffs_in_force(today).values("pk"))
    context = {
        "nav": "money", "tariffs": list(qs), "show": show, "today": today,
        "can_admin": request.user.is_superuser or request.user.role == Role.ADMIN,
    }
    return render(request, "billing/tariffs.html", context)


# --- calculator ----------------------------------------------------------------------------------


def _tariff_choices():
    today = timezone.localdate()
    return list(services.tariffs_in_force(today).order_by("code").values_list("code", "name"))


@login_required
def calculator(request):
    result = None
    initial = {"period": timezone.localdate().strftime("%Y-%m"), "pf_standard": "0.90", "basic_method": c.BasicMethod.CAPACITY}
    if request.GET.get("customer"):
        if cid := record_id(request.GET["customer"]):
            customer = get_visible_or_404(Customer.objects.all(), request.user, pk=cid)
            initial.update({"tariff_code": customer.tariff_code, "capacity_kva": customer.contract_capacity_kva,
                            "pf_standard": customer.pf_standard,
                            "basic_method": c.BasicMethod.DEMAND if customer.basic_charge_method == "demand" else c.BasicMethod.CAPACITY})
    form = CalculatorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.calculate_bill(tariff_code=form.cleaned_data["tariff_code"],
                                             period=form.cleaned_data["period"], load=form.load())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
    context = {"nav": "money", "form": form, "result": result, "tariff_choices": _tariff_choices()}
    return _partial_or_page(request, "billing/calculator.html", "billing/_calculator.html", context)


# --- bills ---------------------------------------------------------------------------------------

BILL_SORT_COLUMNS = (
    ("number", gettext_lazy("Bill number")),
    ("customer", gettext_lazy("Customer")),
    ("period", gettext_lazy("Billing month")),
    ("total", gettext_lazy("Total")),
    ("due", gettext_lazy("Due on")),
)


@login_required
def bill_list(request):
    qs, sort = selectors.bill_list_queryset(request.user, request.GET)
    if (fmt := request.GET.get("export")) in FORMATS:
        return export_response(qs.iterator(chunk_size=2000), selectors.BILL_EXPORT_COLUMNS, fmt=fmt, filename=_("bills"))
    page = _paginate(request, qs)
    context = {
        "nav": "money", "page": page, "sort": sort, "sort_columns": BILL_SORT_COLUMNS,
        "export_formats": FORMATS, "params": request.GET,
    }
    htmx = getattr(request, "htmx", None)
    if not (htmx and not htmx.history_restore_request):
        context.update({
            "org_units": org_unit_options(request.user),
            "statuses": Bill.Status.choices, "sources": Bill.Source.choices,
        })
    return _partial_or_page(request, "billing/bills.html", "billing/_bills_table.html", context)


@login_required
def bill_detail(request, pk: int):
    bill = get_visible_or_404(
        Bill.objects.select_related("customer", "customer__org_unit", "created_by").prefetch_related(
            Prefetch("lines", BillLine.objects.order_by("sort", "id"))),
        request.user, pk=pk)
    return render(request, "billing/bill_detail.html", {"nav": "money", "bill": bill})


@login_required
def customer_bills(request, pk: int):
    """The customer's last 24 bills, an HTML fragment for the 360 page."""
    customer = get_visible_or_404(Customer.objects.all(), request.user, pk=pk)
    bills = list(Bill.objects.filter(customer=customer).order_by("-period")[:24])
    return render(request, "billing/_customer_bills.html", {"customer": customer, "bills": bills})


# --- billing runs --------------------------------------------------------------------------------


def _can_run(user) -> bool:
    return not user.is_read_only and (user.is_superuser or user.role in {Role.ADMIN, Role.CLERK, Role.SUPERVISOR})


def _visible_runs(user):
    """A run lists customer numbers of the starter's scope: its starter sees it, and the roles
    that see the whole company (admins, executives)."""
    qs = BillingRun.objects.select_related("created_by")
    if user.is_superuser or user.role in COMPANY_ROLES:
        return qs
    return qs.filter(created_by=user)


@login_required
def billing_runs(request):
    user = request.user
    form = BillingRunForm(request.POST or None, initial={"period": timezone.localdate().strftime("%Y-%m")})
    if request.method == "POST":
        if not _can_run(user):
            raise PermissionDenied(_("Only billing clerks, supervisors and administrators start billing runs."))
        if form.is_valid():
            period = form.cleaned_data["period"]
            run = BillingRun.objects.create(period=period, created_by=user)
            count = MeterReading.objects.filter(period=period).count()
            if count > INLINE_RUN_MAX:
                from .tasks import run_billing_job

                task_result = run_billing_job.enqueue(run.pk)
                BillingRun.objects.filter(pk=run.pk).update(task_id=str(task_result.id)[:64])
                messages.info(request, _("The billing run for %(month)s started in the background.") % {"month": f"{period:%Y-%m}"})
            else:
                services.run_billing(period, actor=user, scope_user=user, run=run)
                messages.success(request, _("Billing run for %(month)s: %(created)s bills created, %(skipped)s already billed, %(errors)s errors.")
                                 % {"month": f"{period:%Y-%m}", "created": run.created, "skipped": run.skipped, "errors": len(run.errors)})
            return redirect("billing:run_detail", pk=run.pk)
    runs = _visible_runs(user)[:20]
    return render(request, "billing/runs.html", {"nav": "money", "form": form, "runs": runs, "can_run": _can_run(user)})


@login_required
def run_detail(request, pk: int):
    run = services.recover_run_if_lost(get_object_or_404(_visible_runs(request.user), pk=pk))
    return _partial_or_page(request, "billing/run_detail.html", "billing/_run_progress.html",
                            {"nav": "money", "run": run, "can_run": _can_run(request.user)})


