"""Credit pages: the customers' credit list, assessments (form, detail, approval, list), and a
customer's credit history (page and 360 tab). Thin views: scope (core.scoping), call services,
render. Every list searches, filters, sorts, paginates and exports within scope."""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, Q, Subquery
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from powerkam.core.params import record_id
from powerkam.core.permissions import require_writer
from powerkam.core.scoping import get_visible_or_404, scope_to_user, visible_customers
from powerkam.customers.models import Customer
from powerkam.imports.exports import FORMATS, Column, export_response
from powerkam.org.selectors import org_unit_options

from . import constants as c
from . import services
from .forms import AssessmentForm
from .models import BehaviourLevel, BehaviourRating, CreditAssessment


def _paginate(request, queryset):
    page = Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _partial_or_page(request, page: str, partial: str, context: dict):
    htmx = getattr(request, "htmx", None)
    response = render(request, partial if htmx and not htmx.history_restore_request else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _levels():
    return list(BehaviourLevel.objects.order_by("rank"))


# --- Customers' credit list (credit:index) ---------------------------------------------------

INDEX_SORTS = {
    "number": "number", "name": "name", "code": "credit_code_value", "limit": "credit_limit_value",
    "assessed": "assessed_value", "level": "level_rank",
}
INDEX_SORT_COLUMNS = (
    ("number", gettext_lazy("Number")),
    ("name", gettext_lazy("Name")),
    ("code", gettext_lazy("Credit rating code")),
    ("limit", gettext_lazy("Credit limit")),
    ("assessed", gettext_lazy("Assessed on")),
    ("level", gettext_lazy("Payment behaviour")),
)


def _index_queryset(request):
    """Visible customers with their latest approved assessment and current behaviour level,
    as correlated subqueries (one SQL statement per page whatever the number of rows)."""
    params = request.GET
    latest = (CreditAssessment.objects.filter(customer=OuterRef("pk"), status=CreditAssessment.Status.APPROVED)
              .order_by("-assessed_on", "-id"))
    rating = BehaviourRating.objects.filter(customer=OuterRef("pk"), is_current=True)
    rank = BehaviourLevel.objects.filter(code=OuterRef("level_value")).values("rank")[:1]
    qs = (visible_customers(request.user).select_related("org_unit", "primary_manager")
          .annotate(credit_code_value=Subquery(latest.values("code")[:1]),
                    credit_limit_value=Subquery(latest.values("credit_limit")[:1]),
                    assessed_value=Subquery(latest.values("assessed_on")[:1]),
                    assessment_id=Subquery(latest.values("id")[:1]),
                    level_value=Subquery(rating.values("level")[:1]),
                    arrears_value=Subquery(rating.values("arrears")[:1]))
          .annotate(level_rank=Subquery(rank)))
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(number__icontains=q))
    if params.get("key_accounts", "1") == "1":
        qs = qs.filter(is_key_account=True)
    if level := params.get("level"):
        qs = qs.filter(level_value=level)
    if tier := params.get("tier"):
        qs = qs.filter(credit_code_value__startswith=tier)
    if grade := record_id(params.get("grade")):
        qs = qs.filter(credit_code_value__endswith=str(grade))
    if params.get("assessed") == "yes":
        qs = qs.filter(assessment_id__isnull=False)
    elif params.get("assessed") == "no":
        qs = qs.filter(assessment_id__isnull=True)
    if unit := record_id(params.get("org_unit")):
        qs = qs.filter(org_unit_id=unit)
    sort = params.get("sort", "number")
    key = sort.lstrip("-")
    if key not in INDEX_SORTS:
        sort, key = "number", "number"
    expr = F(INDEX_SORTS[key])
    expr = expr.desc(nulls_last=True) if sort.startswith("-") else expr.asc(nulls_last=True)
    return qs.order_by(expr, "pk"), sort


@login_required
def index(request):
    qs, sort = _index_queryset(request)
    if (fmt := request.GET.get("export")) in FORMATS:
        return export_response(qs.iterator(chunk_size=2000), INDEX_COLUMNS, fmt=fmt, filename=_("credit-ratings"))
    levels = _levels()
    context = {
        "nav": "money", "page": _paginate(request, qs), "sort": sort, "sort_columns": INDEX_SORT_COLUMNS,
        "levels": levels, "level_names": {lv.code: lv.name for lv in levels},
        "tiers": [t for t, _lower in reversed(c.LIMIT_TIERS)], "grades": range(1, 7),
        "params": request.GET, "export_formats": FORMATS, "can_edit": not request.user.is_read_only,
    }
    htmx = getattr(request, "htmx", None)
    if not (htmx and not htmx.history_restore_request):
        context["org_units"] = org_unit_options(request.user)
    return _partial_or_page(request, "credit/index.html", "credit/_index_table.html", context)


INDEX_COLUMNS = [
    Column(gettext_lazy("Customer number"), lambda r: r.number),
    Column(gettext_lazy("Customer"), lambda r: r.name),
    Column(gettext_lazy("Org unit"), lambda r: r.org_unit.name if r.org_unit_id else ""),
    Column(gettext_lazy("Manager"), lambda r: r.primary_manager.display_name if r.primary_manager_id else ""),
    Column(gettext_lazy("Credit rating code"), lambda r: r.credit_code_value or ""),
    Column(gettext_lazy("Credit limit"), lambda r: r.credit_limit_value),
    Column(gettext_lazy("Assessed on"), lambda r: r.assessed_value),
    Column(gettext_lazy("Payment behaviour"), lambda r: r.level_value or ""),
    Column(gettext_lazy("Arrears"), lambda r: r.arrears_value),
]


# --- Assessments --------------------------------------------------------------------------------

ASSESSMENT_SORTS = {"assessed": "assessed_on", "limit": "credit_limit", "grade": "grade", "customer": "customer__name",
                    "code": "code"}
ASSESSMENT_SORT_COLUMNS = (
    ("customer", gettext_lazy("Customer")),
    ("assessed", gettext_lazy("Assessed on")),
    ("code", gettext_lazy("Credit rating code")),
    ("limit", gettext_lazy("Credit limit")),
    ("grade", gettext_lazy("Grade")),
)
ASSESSMENT_COLUMNS = [
    Column(gettext_lazy("Customer number"), lambda a: a.customer.number),
    Column(gettext_lazy("Customer"), lambda a: a.customer.name),
    Column(gettext_lazy("Assessed on"), lambda a: a.assessed_on),
    Column(gettext_lazy("Status"), lambda a: a.get_status_display()),
    Column(gettext_lazy("Credit rating code"), lambda a: a.code),
    Column(gettext_lazy("Credit limit"), lambda a: a.credit_limit),
    Column(gettext_lazy("Limit tier"), lambda a: a.limit_tier),
    Column(gettext_lazy("Grade"), lambda a: a.grade),
    Column(gettext_lazy("Characteristic score"), lambda a: a.characteristic_total),
    Column(gettext_lazy("Evaluation value"), lambda a: a.evaluation_value),
    Column(gettext_lazy("Current ratio"), lambda a: a.current_ratio),
    Column(gettext_lazy("Quick ratio"), lambda a: a.quick_ratio),
    Column(gettext_lazy("Debt ratio"), lambda a: a.debt_ratio),
    Column(gettext_lazy("Prepared by"), lambda a: a.prepared_by.display_name if a.prepared_by_id else ""),
    Column(gettext_lazy("Approved by"), lambda a: a.approved_by.display_name if a.approved_by_id else ""),
]


@login_required
def assessment_list(request):
    params = request.GET
    qs = scope_to_user(CreditAssessment.objects.select_related("customer", "prepared_by", "approved_by"),
                       request.user, "customer")
    if q := (params.get("q") or "").strip():
        qs = qs.filter(Q(customer__name__icontains=q) | Q(customer__number__icontains=q) | Q(code__iexact=q))
    if (st := params.get("status")) in CreditAssessment.Status.values:
        qs = qs.filter(status=st)
    if tier := params.get("tier"):
        qs = qs.filter(limit_tier=tier)
    if grade := record_id(params.get("grade")):
        qs = qs.filter(grade=grade)
    sort = params.get("sort", "-assessed")
    key = sort.lstrip("-")
    if key not in ASSESSMENT_SORTS:
        sort, key = "-assessed", "assessed"
    qs = qs.order_by(("-" if sort.startswith("-") else "") + ASSESSMENT_SORTS[key], "-id")
    if (fmt := params.get("export")) in FORMATS:
        return export_response(qs.iterator(chunk_size=2000), ASSESSMENT_COLUMNS, fmt=fmt, filename=_("credit-assessments"))
    context = {
        "nav": "money", "page": _paginate(request, qs), "sort": sort, "sort_columns": ASSESSMENT_SORT_COLUMNS,
        "statuses": CreditAssessment.Status.choices, "tiers": [t for t, _lower in reversed(c.LIMIT_TIERS)],
        "grades": range(1, 7), "params": params, "export_formats": FORMATS,
    }
    return _partial_or_page(request, "credit/assessments.html", "credit/_assessment_table.html", context)


def _form_context(request, form, customer, assessment=None):
    return {"nav": "money", "form": form, "customer": customer, "assessment": assessment,
            "score_max": c.SCORE_MAX, "characteristic_max": c.CHARACTERISTIC_MAX,
            "grade_thresholds": services.grade_thresholds()}


@login_required
def assessment_create(request, customer_pk: int):
    customer = get_visible_or_404(Customer.objects.all(), request.user, pk=customer_pk)
    require_writer(request.user)
    if request.method == "POST":
        form = AssessmentForm(request.POST)
        if form.is_valid():
            try:
                assessment = services.create_assessment(
                    customer=customer, actor=request.user, data=form.service_data(),
                    assessed_on=form.cleaned_data["assessed_on"], statement_date=form.cleaned_data["statement_date"],
                    note=form.cleaned_data["note"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Assessment saved as a draft: code %(code)s.") % {"code": assessment.code})
                return redirect("credit:assessment", pk=assessment.pk)
        context = _form_context(request, form, customer)
    else:
        prefilled = services.prefill(customer, today=timezone.localdate())
        form = AssessmentForm(initial=AssessmentForm.initial_from_prefill(prefilled))
        context = {**_form_context(request, form, customer), "prefill_sources": prefilled.sources}
    return render(request, "credit/assessment_form.html", context)


def _visible_assessment(request, pk: int) -> CreditAssessment:
    return get_visible_or_404(CreditAssessment.objects.select_related("customer", "prepared_by", "approved_by"),
                              request.user, "customer", pk=pk)


@login_required
def assessment_edit(request, pk: int):
    assessment = _visible_assessment(request, pk)
    require_writer(request.user)
    if not assessment.is_draft:
        messages.error(request, _("An approved assessment cannot be changed; start a new one."))
        return redirect("credit:assessment", pk=pk)
    if request.method == "POST":
        form = AssessmentForm(request.POST)
        if form.is_valid():
            try:
                services.update_assessment(assessment, actor=request.user, data=form.service_data(),
                                           statement_date=form.cleaned_data["statement_date"],
                                           note=form.cleaned_data["note"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Assessment updated: code %(code)s.") % {"code": assessment.code})
                return redirect("credit:assessment", pk=pk)
    else:
        form = AssessmentForm(initial=AssessmentForm.initial_from(assessment))
    return render(request, "credit/assessment_form.html", _form_context(request, form, assessment.customer, assessment))


def _score_sections(assessment):
    scores = assessment.scores or {}
    out = []
    for _cat, cat_label, items in c.CHARACTERISTICS:
        rows, subtotal = [], 0
        for item, item_label, aspects in items:
            values = scores.get(item) or [c.SCORE_DEFAULT] * c.ASPECTS_PER_ITEM
            subtotal += sum(values)
            rows.append((services.label(item_label), list(zip([services.label(a) for a in aspects], values, strict=False)),
                         sum(values)))
        out.append((services.label(cat_label), rows, subtotal, len(items) * c.ASPECTS_PER_ITEM * c.SCORE_MAX))
    return out


@login_required
def assessment_detail(request, pk: int):
    assessment = _visible_assessment(request, pk)
    user = request.user
    context = {
        "nav": "money", "a": assessment, "customer": assessment.customer,
        "reasons": [services.reason_text(r) for r in assessment.reasons],
        "sections": _score_sections(assessment),
        "can_edit": assessment.is_draft and not user.is_read_only,
        "can_approve": assessment.is_draft and services.can_approve(user, assessment),
        "figures": [(f.verbose_name, getattr(assessment, f.name)) for f in
                    (CreditAssessment._meta.get_field(n) for n in services.FINANCIAL_FIELDS)],
        "ratios": [(CreditAssessment._meta.get_field(n).verbose_name, _ratio_text(getattr(assessment, n), n))
                   for n in RATIO_NAMES],
    }
    return render(request, "credit/assessment_detail.html", context)


RATIO_NAMES = ("current_ratio", "quick_ratio", "cash_ratio", "debt_ratio", "inventory_turnover", "sales_margin",
               "gross_margin", "cost_profit_ratio")
PERCENT_RATIOS = {"debt_ratio", "sales_margin", "gross_margin", "cost_profit_ratio"}


def _ratio_text(value, name: str) -> str:
    if value is None:
        return "—"
    if name in PERCENT_RATIOS:
        return f"{(value * 100).quantize(Decimal('0.01'))} %"
    return str(value)


@login_required
@require_POST
def assessment_approve(request, pk: int):
    assessment = _visible_assessment(request, pk)
    require_writer(request.user)
    try:
        services.approve_assessment(assessment, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Assessment approved."))
    return redirect("credit:assessment", pk=pk)


# --- One customer's credit (page and 360 tab) -------------------------------------------------


def _customer_context(request, customer):
    ratings = list(BehaviourRating.objects.filter(customer=customer).order_by("-since", "-id")[:60])
    for r in ratings:
        r.reason_texts = [services.reason_text(x) for x in r.reasons]
    assessments = list(CreditAssessment.objects.filter(customer=customer).select_related("approved_by")
                       .order_by("-assessed_on", "-id")[:30])
    current = next((a for a in assessments if a.status == CreditAssessment.Status.APPROVED), None)
    levels = _levels()
    return {"customer": customer, "ratings": ratings, "assessments": assessments, "current": current,
            "rating": next((r for r in ratings if r.is_current), None),
            "level_names": {lv.code: lv.name for lv in levels},
            "can_edit": not request.user.is_read_only}


@login_required
def customer_credit(request, pk: int):
    customer = get_visible_or_404(Customer.objects.all(), request.user, pk=pk)
    context = _customer_context(request, customer)
    context["nav"] = "money"
    return render(request, "credit/customer.html", context)


@login_required
def customer_tab(request, pk: int):
    customer = get_visible_or_404(Customer.objects.all(), request.user, pk=pk)
    context = _customer_context(request, customer)
    context["full_url"] = reverse("credit:customer", args=[pk])
    return render(request, "credit/_customer_credit.html", context)
