"""Scoring pages: models (edit, try out, publish, run), tier proposals, the key account list,
potential key accounts, the 80/20 report and the 360 score tab. Thin: parse, scope, call a
service, render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from powerkam.analytics.forms import ReportFilterForm
from powerkam.core.params import record_id
from powerkam.core.scoping import get_visible_or_404, scope_to_user
from powerkam.customers.constants import CooperationDepth, KeyAccountTier, Scope
from powerkam.customers.models import Customer
from powerkam.imports.exports import FORMATS, Column, export_response
from powerkam.org.models import PORTFOLIO_ROLES, Role
from powerkam.org.selectors import org_unit_options, visible_portfolio_staff

from . import constants as c
from . import selectors, services
from .models import Assessment, ScoringModel, TierProposal

PAGE_SIZE = 50


def is_admin(user) -> bool:
    return user.is_superuser or user.role == Role.ADMIN


def can_review(user) -> bool:
    return not user.is_read_only and (user.is_superuser or user.role in (Role.SUPERVISOR, Role.ADMIN))


def _require(ok: bool) -> None:
    if not ok:
        raise PermissionDenied(_("Your role cannot do this."))


def _page(request, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


# --- models --------------------------------------------------------------------------------------


@login_required
def index(request):
    models_ = list(ScoringModel.objects.all()[:20])
    run = selectors.latest_run()
    return render(request, "scoring/index.html", {
        "nav": "scoring", "models": models_, "run": run, "is_admin": is_admin(request.user),
        "can_review": can_review(request.user),
        "pending": selectors.proposals(request.user).count(),
    })


@login_required
@require_POST
def model_new(request):
    _require(is_admin(request.user))
    source = ScoringModel.objects.filter(pk=record_id(request.POST.get("source"))).first() or \
        ScoringModel.objects.order_by("-version").first()
    model = services.new_version_from(source, actor=request.user)
    messages.success(request, _("Version %(v)s created as a draft.") % {"v": model.version})
    return redirect("scoring:model", pk=model.pk)


def _definition_rows(model: ScoringModel, data=None) -> list[dict]:
    existing = {cr.code: cr for cr in model.criteria.all()}
    rows = []
    for d in c.CRITERIA:
        cr = existing.get(d.code)
        rows.append({
            "code": d.code, "label": d.label, "source": d.source,
            "weight": data.get(f"{d.code}_weight", "") if data is not None else (cr.weight if cr else "0"),
            "normalisation": (data.get(f"{d.code}_normalisation", "") if data is not None
                              else (cr.normalisation if cr else c.Normalisation.THRESHOLDS)),
            "thresholds": (data.get(f"{d.code}_thresholds", "") if data is not None
                           else services.format_thresholds(cr.thresholds if cr else [])),
        })
    return rows


@login_required
def model_detail(request, pk: int):
    model = get_object_or_404(ScoringModel, pk=pk)
    errors: dict = {}
    data = None
    if request.method == "POST":
        _require(is_admin(request.user))
        data = request.POST
        criteria = [{"code": d.code, "weight": data.get(f"{d.code}_weight") or "0",
                     "normalisation": data.get(f"{d.code}_normalisation"),
                     "thresholds": data.get(f"{d.code}_thresholds", "")} for d in c.CRITERIA]
        cutoffs = {k: data.get(k, "") for k in ("key_account_cutoff", "medium_cutoff", "premium_cutoff")}
        try:
            services.save_model(model=model, name=data.get("name", ""), cutoffs=cutoffs, criteria=criteria,
                                actor=request.user, notes=data.get("notes", ""))
        except ValidationError as exc:
            errors = _field_errors(exc)
        else:
            messages.success(request, _("Version %(v)s saved.") % {"v": model.version})
            return redirect("scoring:model", pk=model.pk)
    values = data if data is not None else {
        "name": model.name, "notes": model.notes, "key_account_cutoff": model.key_account_cutoff,
        "medium_cutoff": model.medium_cutoff, "premium_cutoff": model.premium_cutoff}
    return render(request, "scoring/model.html", {
        "nav": "scoring", "model": model, "rows": _definition_rows(model, data), "values": values,
        "errors": errors, "is_admin": is_admin(request.user), "normalisations": c.Normalisation.choices,
        "tryout": request.session.pop(f"scoring_tryout_{model.pk}", None),
        "tier_labels": dict(_tier_choices()), "runs": list(model.runs.order_by("-started_at")[:12]),
    }, status=400 if errors else 200)


def _tier_choices():
    return [("", _("Not a key account")), *KeyAccountTier.choices]


@login_required
@require_POST
def model_try(request, pk: int):
    _require(is_admin(request.user))
    model = get_object_or_404(ScoringModel, pk=pk)
    try:
        services.validate_definition(*services.definition_of(model))
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in _field_errors(exc).values() for m in ms))
        return redirect("scoring:model", pk=pk)
    result = services.try_out(model)
    request.session[f"scoring_tryout_{pk}"] = result
    return redirect("scoring:model", pk=pk)


@login_required
@require_POST
def model_publish(request, pk: int):
    _require(is_admin(request.user))
    model = get_object_or_404(ScoringModel, pk=pk)
    try:
        services.publish_model(model, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in _field_errors(exc).values() for m in ms))
    else:
        messages.success(request, _("Version %(v)s is published: the monthly job scores with it.") % {"v": model.version})
    return redirect("scoring:model", pk=pk)


@login_required
@require_POST
def model_run(request, pk: int):
    """Score every customer now with a published model (the monthly job does the same)."""
    _require(is_admin(request.user))
    model = get_object_or_404(ScoringModel, pk=pk, status=ScoringModel.Status.PUBLISHED)
    run = services.run_scoring(model, timezone.localdate(), actor=request.user)
    messages.success(request, _("%(n)s customers scored; %(p)s tier changes proposed.") % {
        "n": run.customers, "p": run.proposals})
    return redirect("scoring:proposals")


# --- proposals -----------------------------------------------------------------------------------


@login_required
def proposal_list(request):
    status = request.GET.get("status", c.ProposalStatus.PENDING)
    if status not in c.ProposalStatus.values and status != "all":
        status = c.ProposalStatus.PENDING
    kind = request.GET.get("kind", "")
    if kind not in c.ProposalKind.values:
        kind = ""
    qs = selectors.proposals(request.user, status="" if status == "all" else status, kind=kind)
    return render(request, "scoring/proposals.html", {
        "nav": "scoring", "page": _page(request, qs), "status": status, "kind": kind,
        "statuses": c.ProposalStatus.choices, "kinds": c.ProposalKind.choices, "can_review": can_review(request.user),
        "tier_labels": dict(_tier_choices()),
    })


@login_required
@require_POST
def proposal_decide(request, pk: int):
    _require(can_review(request.user))
    proposal = get_visible_or_404(TierProposal.objects.all(), request.user, pk=pk)
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("decision") == "approve":
            services.approve_proposal(proposal, actor=request.user, reason=reason)
            messages.success(request, _("Approved: %(customer)s is now %(tier)s.") % {
                "customer": proposal.customer.name, "tier": dict(_tier_choices())[proposal.to_tier]})
        else:
            services.reject_proposal(proposal, actor=request.user, reason=reason)
            messages.success(request, _("Rejected: %(customer)s keeps its tier.") % {"customer": proposal.customer.name})
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in _field_errors(exc).values() for m in ms))
    return redirect(request.POST.get("next") if str(request.POST.get("next", "")).startswith("/scoring/")
                    else "scoring:proposals")


# --- key account list ----------------------------------------------------------------------------

KA_COLUMNS = [
    Column(gettext_lazy("Customer number"), lambda cu: cu.number),
    Column(gettext_lazy("Customer name"), lambda cu: cu.name),
    Column(gettext_lazy("Org unit"), lambda cu: cu.org_unit.name),
    Column(gettext_lazy("Key account tier"), lambda cu: cu.get_ka_tier_display()),
    Column(gettext_lazy("Scope"), lambda cu: cu.get_scope_display()),
    Column(gettext_lazy("Cooperation depth"), lambda cu: cu.get_cooperation_depth_display()),
    Column(gettext_lazy("Primary manager"), lambda cu: cu.primary_manager.display_name if cu.primary_manager else ""),
    Column(gettext_lazy("Contract capacity (kVA)"), lambda cu: cu.contract_capacity_kva),
    Column(gettext_lazy("Latest score"), lambda cu: getattr(cu, "latest_score", None)),
]


def _unit_path(request) -> str:
    from powerkam.org.models import OrgUnit

    unit = record_id(request.GET.get("org_unit"))
    return OrgUnit.objects.filter(pk=unit).values_list("path", flat=True).first() or "" if unit else ""


@login_required
def key_account_list(request):
    tier = request.GET.get("tier", "") if request.GET.get("tier", "") in KeyAccountTier.values else ""
    scope = request.GET.get("scope", "") if request.GET.get("scope", "") in Scope.values else ""
    depth = request.GET.get("depth", "") if request.GET.get("depth", "") in CooperationDepth.values else ""
    qs = selectors.key_accounts(request.user, org_unit_path=_unit_path(request), tier=tier, scope=scope, depth=depth)
    if request.GET.get("export"):
        return export_response(qs.iterator(chunk_size=2000), KA_COLUMNS, fmt=request.GET["export"],
                               filename=_("key-account-list"))
    return render(request, "scoring/key_accounts.html", {
        "nav": "scoring", "page": _page(request, qs), "export_formats": FORMATS,
        "org_units": org_unit_options(request.user), "tiers": KeyAccountTier.choices, "scopes": Scope.choices,
        "depths": CooperationDepth.choices, "segments": selectors.segmentation_counts(request.user),
        "params": {"tier": tier, "scope": scope, "depth": depth, "org_unit": request.GET.get("org_unit", "")},
    })


# --- potential key accounts ---------------------------------------------------------------------


@login_required
def potential_list(request):
    run = selectors.latest_run()
    qs = selectors.potential_key_accounts(request.user, run=run)
    page = _page(request, qs)
    rows = list(page.object_list)
    selectors.attach_potential_reasons(request.user, rows, run)
    page.object_list = rows
    return render(request, "scoring/potential.html", {
        "nav": "scoring", "page": page, "run": run, "can_plan": not request.user.is_read_only,
        "managers": list(visible_portfolio_staff(request.user).order_by("full_name", "username")),
    })


@login_required
@require_POST
def potential_visit(request, pk: int):
    _require(not request.user.is_read_only)
    customer = get_visible_or_404(Customer.objects.all(), request.user, customer_field="pk", pk=pk)
    assignee = None
    staff_id = record_id(request.POST.get("assignee"))
    if staff_id:
        assignee = visible_portfolio_staff(request.user).filter(pk=staff_id).first()
    if assignee is None and request.user.role in PORTFOLIO_ROLES:
        assignee = request.user
    assignee = assignee or customer.primary_manager
    try:
        visit = services.plan_potential_visit(customer, assignee=assignee, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in _field_errors(exc).values() for m in ms))
    else:
        messages.success(request, _("Visit planned for %(who)s on %(day)s.") % {
            "who": visit.assignee.display_name, "day": visit.planned_on.isoformat()})
    return redirect("scoring:potential")


# --- 80/20 ---------------------------------------------------------------------------------------


@login_required
def pareto(request):
    form = ReportFilterForm(request.GET, user=request.user, today=timezone.localdate())
    data = selectors.pareto_by_group(request.user, form.report_filter()) if form.is_valid() else None
    return render(request, "scoring/pareto.html", {"nav": "scoring", "form": form, "data": data})


# --- the 360 tab ---------------------------------------------------------------------------------


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = [*c.ASSESSMENT_CODES, "note"]


@login_required
def customer_tab(request, pk: int):
    customer = get_visible_or_404(Customer.objects.all(), request.user, customer_field="pk", pk=pk)
    form = AssessmentForm()
    if request.method == "POST":
        _require(not request.user.is_read_only)
        form = AssessmentForm(request.POST)
        if form.is_valid():
            services.record_assessment(customer=customer, actor=request.user, note=form.cleaned_data["note"],
                                       **{k: form.cleaned_data[k] for k in c.ASSESSMENT_CODES})
            form = AssessmentForm()
            messages.success(request, _("Assessment recorded; the next scoring run uses it."))
    history = selectors.score_history(customer)
    latest = Assessment.objects.filter(customer=customer).order_by("-assessed_on", "-id").first()
    return render(request, "scoring/customer_tab.html", {
        "customer": customer, "history": history, "labels": {d.code: d.label for d in c.CRITERIA},
        "form": form, "latest": latest, "can_assess": not request.user.is_read_only,
        "tier_labels": dict(_tier_choices()),
        "pending": scope_to_user(TierProposal.objects.filter(customer=customer, status=c.ProposalStatus.PENDING),
                                 request.user).first(),
    })
