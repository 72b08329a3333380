"""Customer archive pages: list, 360 page, edit operations, archive records, data quality.

Thin function views: parse, scope (core.scoping), call a service, render. An htmx request for
the list gets the table partial; a normal request the whole page.
"""

from dataclasses import replace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from powerkam.core.extensions import Glance, customer_glance, customer_tabs
from powerkam.core.params import record_id
from powerkam.core.permissions import require_writer
from powerkam.core.scoping import get_visible_or_404, scope_to_user, visible_customers
from powerkam.imports.exports import FORMATS, Column, export_response
from powerkam.org.models import COMPANY_ROLES, Role
from powerkam.org.selectors import (
    can_reassign,
    org_unit_options,
    visible_org_units,
    visible_portfolio_staff,
)

from . import constants as c
from . import selectors, services
from .filters import CUSTOMER_ORDERING, CustomerFilter, search_customers
from .forms import RECORD_FORMS, CloseCustomerForm, CustomerForm, apply_validation_error
from .models import Customer, DataQualityFinding
from .paging import ListPaginator, search_count_cap
from .quality import RULES, evaluate_all

# --- helpers ----------------------------------------------------------------------------------


def _is_admin(user) -> bool:
    return user.is_superuser or user.role == Role.ADMIN


def _partial_or_page(request, page: str, partial: str, context: dict):
    htmx = getattr(request, "htmx", None)
    template = partial if htmx and not htmx.history_restore_request else page
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def paginate(request, queryset, paginator_class=Paginator, **options):
    """One page of `queryset` (settings.PAGE_SIZE rows) with an elided page range for the pager
    (`options`: the paginator's own, e.g. ListPaginator's count_cap)."""
    paginator = paginator_class(queryset, settings.PAGE_SIZE, **options)
    page = paginator.get_page(request.GET.get("page"))
    if hasattr(paginator, "page_links"):
        page.elided_range = paginator.page_links(page.number, on_each_side=2, on_ends=1)
    else:
        page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _int_param(request, name: str) -> int | None:
    return record_id(request.GET.get(name))


# --- Customer list ----------------------------------------------------------------------------

SORT_COLUMNS = (
    ("number", gettext_lazy("Number")),
    ("name", gettext_lazy("Name")),
    ("capacity", gettext_lazy("Contract capacity (kVA)")),
    ("updated", gettext_lazy("Updated")),
)
DEFAULT_SORT = "number"


# The list page's filter form fields.
FILTER_PARAMS = ("q", "lifecycle_status", "is_key_account", "ka_tier", "industry", "usage_category",
                 "voltage_level", "scope", "cooperation_depth", "org_unit", "manager", "has_open_findings",
                 "show_closed")
# Parameters of the list page and its export that are not CustomerFilter filters.
LIST_NOT_FILTERS = frozenset({"page", "sort", "show_closed", "fmt"})


def _filtered_customers(request):
    """The visible customers narrowed by the shared CustomerFilter; closed ones hidden unless
    asked for (show_closed=1 or lifecycle_status=closed). A search with no other filter (the
    search box as typed) goes straight to search_customers — the same rows without building
    the filter set's form (`filterset` is then None)."""
    base = visible_customers(request.user)
    term = selectors.search_only_term(request.GET, LIST_NOT_FILTERS)
    if term is not None:
        filterset, qs, status = None, search_customers(base, term), ""
    else:
        filterset = CustomerFilter(request.GET or None, queryset=base)
        qs = filterset.qs
        status = filterset.form.cleaned_data.get("lifecycle_status") if filterset.is_bound else ""
    if not status and request.GET.get("show_closed") != "1":
        qs = qs.exclude(lifecycle_status=c.LifecycleStatus.CLOSED)
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort not in CUSTOMER_ORDERING:
        sort = DEFAULT_SORT
    qs = selectors.customer_list_queryset(qs).order_by(CUSTOMER_ORDERING[sort], "pk")
    return filterset, qs, sort


@login_required
def customer_list(request):
    user = request.user
    filterset, qs, sort = _filtered_customers(request)
    page = paginate(request, qs, paginator_class=ListPaginator,
                    count_cap=search_count_cap(request.GET.get("q")))
    page.object_list = selectors.list_page_rows(page.object_list)
    context = {
        "nav": "customers",
        "page": page,
        "filterset": filterset,
        "sort": sort,
        "sort_columns": SORT_COLUMNS,
        "can_edit": not user.is_read_only,
        "export_formats": FORMATS,
    }
    htmx = getattr(request, "htmx", None)
    if not (htmx and not htmx.history_restore_request):
        context.update({
            "org_units": org_unit_options(user),
            "managers": list(visible_portfolio_staff(user).order_by("full_name", "username")),
            "choices": {
                "lifecycle_status": c.LifecycleStatus.choices,
                "ka_tier": c.KeyAccountTier.choices,
                "industry": c.Industry.choices,
                "usage_category": c.UsageCategory.choices,
                "voltage_level": c.VoltageLevel.choices,
                "scope": c.Scope.choices,
                "cooperation_depth": c.CooperationDepth.choices,
            },
            # Every filter's value ("" if absent) in a plain dict: the form's option loops compare
            # each option with it, and a missing key of request.GET is an exception per lookup.
            "params": {**dict.fromkeys(FILTER_PARAMS, ""), **request.GET.dict()},
        })
    return _partial_or_page(request, "customers/list.html", "customers/_table.html", context)


@login_required
def customer_export(request):
    fmt = request.GET.get("fmt", "xlsx")
    _filterset, qs, _sort = _filtered_customers(request)
    return export_response(qs.iterator(chunk_size=2000), selectors.customer_export_columns(request.user), fmt=fmt,
                           filename=_("customers"))


# --- Customer 360 -----------------------------------------------------------------------------

# Each key names its template, customers/tabs/<key>.html. Higher modules add their own tabs
# through powerkam.core.extensions.register_customer_tab (loaded by htmx from their URL).
DETAIL_TABS = (
    ("overview", gettext_lazy("Overview"), "bi-card-text"),
    ("contacts", gettext_lazy("Contacts"), "bi-people"),
    ("power", gettext_lazy("Power source"), "bi-lightning"),
    ("equipment", gettext_lazy("Equipment"), "bi-cpu"),
    ("metering", gettext_lazy("Metering"), "bi-speedometer2"),
    ("contracts", gettext_lazy("Contracts"), "bi-file-earmark-text"),
    ("quality", gettext_lazy("Data quality"), "bi-exclamation-triangle"),
    ("timeline", gettext_lazy("Timeline"), "bi-clock-history"),
    ("audit", gettext_lazy("Audit trail"), "bi-journal-text"),
)


def _detail_tabs() -> list[tuple]:
    """(key, label, icon, url_name or "") — the archive's own tabs, then registered module tabs
    before the timeline and audit trail."""
    own = [(*t, "") for t in DETAIL_TABS]
    extra = [(t.key, t.label, t.icon, t.url_name) for t in customer_tabs()]
    return own[:-2] + extra + own[-2:]


def _glance(customer: Customer, today, tab_keys: set[str]) -> list[Glance]:
    """The overview's figures at a glance: the modules' (core.extensions.customer_glance), then
    the archive's own open data-quality findings (prefetched: no query); a figure links to its
    tab only when that tab is on the page."""
    findings = len(customer.open_findings_list)
    items = [*customer_glance(customer, today),
             Glance("findings", gettext_lazy("Open data-quality findings"), str(findings), "quality",
                    tone="warning" if findings else "")]
    return [item if item.tab in tab_keys else replace(item, tab="") for item in items]


def _visible_customer(request, pk: int) -> Customer:
    return get_visible_or_404(Customer.objects.select_related("org_unit", "primary_manager", "secondary_manager"),
                              request.user, pk=pk)


@login_required
def customer_detail(request, pk: int):
    user = request.user
    try:
        customer = selectors.customer_360(visible_customers(user), pk)
    except Customer.DoesNotExist as exc:
        raise Http404 from exc
    today = timezone.localdate()
    tabs = _detail_tabs()
    tab_keys = {t[0] for t in tabs}
    context = {
        "nav": "customers",
        "customer": customer,
        "tabs": tabs,
        "active_tab": tab if (tab := request.GET.get("tab")) in tab_keys else "overview",
        "glance": _glance(customer, today, tab_keys),
        "can_edit": not user.is_read_only,
        "can_reassign": can_reassign(user),
        "id_number": customer.id_number if user.can_see_full_id else customer.masked_id_number(),
        "transformers": selectors.transformer_summary(customer),
        "timeline": selectors.timeline(customer),
        "audit": selectors.audit_trail(customer, can_see_full_id=user.can_see_full_id),
        "today": today,
    }
    return render(request, "customers/detail.html", context)


# --- Create / edit / close / reopen -------------------------------------------------------------


@login_required
def customer_create(request):
    user = request.user
    require_writer(user)
    form = CustomerForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.create_customer(actor=user, **form.service_fields())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            if visible_customers(user).filter(pk=customer.pk).exists():
                return redirect("customers:detail", pk=customer.pk)
            return redirect("customers:list")
    return render(request, "customers/form.html", {"nav": "customers", "form": form, "customer": None})


@login_required
def customer_edit(request, pk: int):
    user = request.user
    require_writer(user)
    customer = _visible_customer(request, pk)
    if customer.is_closed:
        messages.error(request, _("This customer is closed; reopen it before editing."))
        return redirect("customers:detail", pk=pk)
    # The form works on its own copy: a ModelForm writes into its instance while validating,
    # and the service must compare against the stored values.
    form = CustomerForm(request.POST or None, instance=Customer.objects.get(pk=pk), user=user)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_customer(customer, actor=user, **form.service_fields())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if changed:
                messages.success(request, _("Changes saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("customers:detail", pk=pk)
    return render(request, "customers/form.html", {"nav": "customers", "form": form, "customer": customer})


@login_required
def customer_close(request, pk: int):
    user = request.user
    require_writer(user)
    customer = _visible_customer(request, pk)
    form = CloseCustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.close_customer(customer, actor=user, reason=form.cleaned_data["reason"],
                                    closed_on=form.cleaned_data["closed_on"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Customer closed."))
            return redirect("customers:detail", pk=pk)
    return render(request, "customers/close.html", {"nav": "customers", "form": form, "customer": customer})


@login_required
@require_POST
def customer_reopen(request, pk: int):
    user = request.user
    require_writer(user)
    customer = _visible_customer(request, pk)
    try:
        services.reopen_customer(customer, actor=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Customer reopened."))
    return redirect("customers:detail", pk=pk)


# --- Archive records (contacts, supply points, transformers, metering points, contracts) ------


def _record_kind(kind: str):
    try:
        return RECORD_FORMS[kind]
    except KeyError as exc:
        raise Http404 from exc


def _back_to_tab(customer: Customer, tab: str) -> str:
    return f"{reverse('customers:detail', args=[customer.pk])}?tab={tab}#tab-{tab}"


@login_required
def record_edit(request, pk: int, kind: str, record_pk: int | None = None):
    user = request.user
    require_writer(user)
    form_class, tab = _record_kind(kind)
    customer = _visible_customer(request, pk)
    model = form_class._meta.model
    instance = None
    if record_pk is not None:
        instance = get_visible_or_404(model.objects.filter(customer=customer), user, pk=record_pk)
    if customer.is_closed:
        messages.error(request, _("This customer is closed; reopen it before editing."))
        return redirect(_back_to_tab(customer, tab))
    form = form_class(request.POST or None, request.FILES or None, instance=instance, customer=customer, user=user)
    if request.method == "POST" and form.is_valid():
        record = form.instance
        record.customer = customer
        try:
            services.save_record(record, actor=user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_back_to_tab(customer, tab))
    return render(request, "customers/record_form.html", {
        "nav": "customers", "form": form, "customer": customer, "kind": kind, "tab": tab,
        "model_name": model._meta.verbose_name, "record": instance,
        "back_url": _back_to_tab(customer, tab),
    })


@login_required
def record_delete(request, pk: int, kind: str, record_pk: int):
    user = request.user
    require_writer(user)
    form_class, tab = _record_kind(kind)
    customer = _visible_customer(request, pk)
    model = form_class._meta.model
    record = get_visible_or_404(model.objects.filter(customer=customer), user, pk=record_pk)
    if request.method == "POST":
        if customer.is_closed:
            messages.error(request, _("This customer is closed; reopen it before editing."))
        else:
            services.delete_record(record, actor=user)
            messages.success(request, _("Removed."))
        return redirect(_back_to_tab(customer, tab))
    return render(request, "customers/record_delete.html", {
        "nav": "customers", "customer": customer, "record": record, "kind": kind,
        "model_name": model._meta.verbose_name, "back_url": _back_to_tab(customer, tab),
    })


# --- Data quality -----------------------------------------------------------------------------


def _quality_filters(request):
    user = request.user
    rule = request.GET.get("rule", "")
    if rule not in {r.code for r in RULES}:
        rule = ""
    unit_id = _int_param(request, "org_unit")
    unit = visible_org_units(user).filter(pk=unit_id).first() if unit_id else None
    scoped = scope_to_user(DataQualityFinding.objects.all(), user)
    findings = selectors.open_findings(scoped, rule=rule, org_unit=unit)
    return rule, unit, findings


QUALITY_EXPORT_COLUMNS = (
    Column(gettext_lazy("customer number"), lambda f: f.customer.number),
    Column(gettext_lazy("customer name"), lambda f: f.customer.name),
    Column(gettext_lazy("supply station"), lambda f: f.customer.org_unit.name),
    Column(gettext_lazy("primary manager"), lambda f: f.customer.primary_manager.display_name if f.customer.primary_manager else ""),
    Column(gettext_lazy("rule"), lambda f: f.rule_label),
    Column(gettext_lazy("details"), lambda f: f.text),
    Column(gettext_lazy("detected at"), lambda f: f.detected_at),
)


@login_required
def quality(request):
    user = request.user
    rule, unit, findings = _quality_filters(request)
    # The summaries cover the whole scope; the list below follows the filters.
    all_open = selectors.open_findings(scope_to_user(DataQualityFinding.objects.all(), user))
    customers = selectors.customers_with_findings(visible_customers(user), findings)
    page = paginate(request, customers)
    context = {
        "nav": "quality",
        "by_unit": selectors.findings_by_org_unit(all_open),
        "by_rule": selectors.findings_by_rule(all_open),
        "page": page,
        "rules": RULES,
        "rule": rule,
        "unit": unit,
        "org_units": org_unit_options(user),
        "can_rerun": _is_admin(user),
        "export_formats": FORMATS,
    }
    return _partial_or_page(request, "customers/quality.html", "customers/_quality_list.html", context)


@login_required
def quality_export(request):
    _rule, _unit, findings = _quality_filters(request)
    rows = findings.select_related("customer__org_unit", "customer__primary_manager").order_by(
        "customer__org_unit__path", "customer__number", "rule")
    return export_response(rows.iterator(chunk_size=2000), QUALITY_EXPORT_COLUMNS,
                           fmt=request.GET.get("fmt", "xlsx"), filename=_("data-quality"))


@login_required
@require_POST
def quality_rerun(request):
    user = request.user
    if not _is_admin(user):
        raise PermissionDenied(_("Only administrators can re-run the checks."))
    ids = None if (user.is_superuser or user.role in COMPANY_ROLES) else visible_customers(user).values_list("pk", flat=True)
    result = evaluate_all(customer_ids=ids)
    messages.success(request, _("Checked %(customers)s customers: %(opened)s new findings, %(resolved)s resolved.") % result)
    return redirect("customers:quality")
