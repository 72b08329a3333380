"""Pipeline pages: government key projects (register, detail, weekly report, weekly meeting),
opportunities (board, list, detail), quotes (printable), forecast.

Thin views: parse, scope (pipeline.selectors → core.scoping), call a service, render.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from powerkam.core.params import record_id
from powerkam.core.permissions import require_writer
from powerkam.core.scoping import visible_customers
from powerkam.imports.exports import FORMATS, Column, export_response
from powerkam.org.selectors import (
    assignable_org_units,
    assignable_staff,
    manager_choices,
    org_unit_options,
    visible_org_units,
    visible_portfolio_staff,
)

from . import charts, conversion, selectors, services
from . import constants as c
from .forms import (
    ContactLogForm,
    LossForm,
    MilestonesForm,
    OpportunityForm,
    ProjectContactForm,
    ProjectForm,
    QuoteForm,
    ReportForm,
    apply_validation_error,
)
from .models import (
    Competitor,
    GovernmentProject,
    Milestone,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    Quote,
)


def _is_partial(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.history_restore_request and not htmx.boosted)


def _partial_or_page(request, page: str, partial: str, context: dict):
    response = render(request, partial if _is_partial(request) else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _paginate(request, qs, size=None):
    page = Paginator(qs, size or settings.PAGE_SIZE).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _date(value, default=None):
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _unit_filter(request, qs, field="org_unit"):
    unit = record_id(request.GET.get("unit"))
    if unit:
        path = visible_org_units(request.user).filter(pk=unit).values_list("path", flat=True).first()
        qs = qs.filter(**{f"{field}__path__startswith": path}) if path else qs.none()
    return qs, unit


# --- Government key projects ------------------------------------------------------------------------

PROJECT_SORTS = {"name": "name", "-name": "-name", "created": "created_at", "-created": "-created_at",
                 "energisation": "expected_energisation_on", "-energisation": "-expected_energisation_on",
                 "kva": "expected_capacity_kva", "-kva": "-expected_capacity_kva"}


def _filtered_projects(request):
    qs = selectors.visible_projects(request.user).select_related("org_unit", "primary_manager", "secondary_manager")
    q = (request.GET.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(number__iexact=q) | Q(investor__icontains=q))
    status = request.GET.get("status") or ""
    if status in c.GovStatus.values:
        qs = qs.filter(gov_status=status)
    qs, unit = _unit_filter(request, qs)
    sort = request.GET.get("sort") or "-created"
    qs = qs.order_by(PROJECT_SORTS.get(sort, "-created_at"), "-id")
    return qs, {"q": q, "status": status, "unit": unit, "sort": sort}


def project_export_columns():
    return [
        Column(_("project number"), lambda p: p.number), Column(_("project name"), lambda p: p.name),
        Column(_("government status"), lambda p: p.get_gov_status_display()),
        Column(_("approval document number"), lambda p: p.approval_doc_no),
        Column(_("approval date"), lambda p: p.approval_date),
        Column(_("approving authority"), lambda p: p.approving_authority),
        Column(_("investor"), lambda p: p.investor), Column(_("org unit"), lambda p: p.org_unit.name),
        Column(_("expected load (kW)"), lambda p: p.expected_load_kw),
        Column(_("expected capacity (kVA)"), lambda p: p.expected_capacity_kva),
        Column(_("expected annual consumption (kWh)"), lambda p: p.expected_annual_kwh),
        Column(_("expected energisation"), lambda p: p.expected_energisation_on),
        Column(_("primary manager"), lambda p: p.primary_manager.display_name if p.primary_manager else ""),
        Column(_("secondary manager"), lambda p: p.secondary_manager.display_name if p.secondary_manager else ""),
    ]


@login_required
def project_list(request):
    qs, params = _filtered_projects(request)
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        return export_response(qs.iterator(chunk_size=2000), project_export_columns(), fmt=fmt,
                               filename=_("government key projects"))
    context = {"nav": "pipeline", "page": _paginate(request, qs), "params": params,
               "statuses": c.GovStatus.choices}
    if not _is_partial(request):
        context["org_units"] = org_unit_options(request.user)
    return _partial_or_page(request, "pipeline/projects.html", "pipeline/_projects_table.html", context)


def _project_form(request, project=None, data=None):
    include = [project.primary_manager_id, project.secondary_manager_id] if project else []
    units = assignable_org_units(request.user, include_ids=[project.org_unit_id] if project else [])
    initial = {} if project else {"org_unit": request.user.org_unit_id,
                                  "primary_manager": request.user.pk if request.user.role in ("manager", "specialist") else None}
    return ProjectForm(data, instance=project, units=units, managers=manager_choices(request.user, include_ids=include),
                       initial=initial)


def _save_project_form(request, form, project=None):
    if not form.is_valid():
        return None
    fields = {name: form.cleaned_data.get(name) for name in form.Meta.fields}
    fields = {k: ("" if v is None and k in ("industry", "load_class", "voltage_level", "supply_mode") else v)
              for k, v in fields.items()}
    if project is not None:
        project.refresh_from_db()
    try:
        return services.save_project(actor=request.user, project=project, **fields)
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return None


@login_required
def project_create(request):
    require_writer(request.user)
    form = _project_form(request, data=request.POST or None)
    if request.method == "POST":
        project = _save_project_form(request, form)
        if project:
            messages.success(request, _("Project %(number)s registered.") % {"number": project.number})
            return redirect("pipeline:project", project.pk)
    return render(request, "pipeline/project_form.html", {"nav": "pipeline", "form": form, "project": None})


def _visible_project(request, pk) -> GovernmentProject:
    qs = selectors.visible_projects(request.user).select_related(
        "org_unit", "primary_manager", "secondary_manager", "developed_by", "customer")
    return get_object_or_404(qs, pk=pk)


@login_required
def project_edit(request, pk: int):
    require_writer(request.user)
    project = _visible_project(request, pk)
    form = _project_form(request, project, data=request.POST or None)
    if request.method == "POST":
        saved = _save_project_form(request, form, project)
        if saved:
            messages.success(request, _("Project saved."))
            return redirect("pipeline:project", project.pk)
    return render(request, "pipeline/project_form.html", {"nav": "pipeline", "form": form, "project": project})


def _project_context(request, project, **forms):
    rows = list(project.milestones.select_related("milestone"))
    milestones = [r.milestone for r in rows]
    today = timezone.localdate()
    return {
        "nav": "pipeline", "project": project, "today": today, "milestone_rows": rows,
        "milestones_form": forms.get("milestones_form") or MilestonesForm(rows=rows),
        "log_form": forms.get("log_form") or ContactLogForm(initial={"contacted_on": today}),
        "contact_form": forms.get("contact_form") or ProjectContactForm(),
        "logs": list(project.contact_logs.select_related("by")[:50]),
        "contacts": list(project.contacts.all()),
        "reports": [selectors.label_progress(r, milestones) for r in project.weekly_reports.select_related("by")[:12]],
        "opportunities": list(project.opportunities.select_related("stage", "kind")[:20]),
        "history": list(project.history.select_related("history_user", "primary_manager", "secondary_manager")[:20]),
        "can_edit": not request.user.is_read_only,
        "customers": None,
    }


@login_required
def project_detail(request, pk: int):
    project = _visible_project(request, pk)
    return render(request, "pipeline/project_detail.html", _project_context(request, project))


@login_required
@require_POST
def project_milestones(request, pk: int):
    require_writer(request.user)
    project = _visible_project(request, pk)
    rows = list(project.milestones.select_related("milestone"))
    form = MilestonesForm(request.POST, rows=rows)
    if form.is_valid():
        try:
            for row in rows:
                services.set_milestone(project, row.milestone, planned_on=form.cleaned_data[f"p{row.milestone_id}"],
                                       actual_on=form.cleaned_data[f"a{row.milestone_id}"], actor=request.user)
            messages.success(request, _("Milestones saved."))
            return redirect("pipeline:project", pk)
        except ValidationError as exc:
            for err in exc.error_dict.get("actual_on", exc.error_list if not hasattr(exc, "error_dict") else []):
                form.add_error(None, err)
    return render(request, "pipeline/project_detail.html", _project_context(request, project, milestones_form=form),
                  status=400)


def _project_form_post(request, pk: int, form_class, form_key: str, save, done: str):
    """A form posted on the project page (a government contact, a project contact): saved through
    `save(project, actor=…, **cleaned_data)` then back to the page, or the page again with the
    form's errors (400)."""
    require_writer(request.user)
    project = _visible_project(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            save(project, actor=request.user, **form.cleaned_data)
            messages.success(request, done)
            return redirect("pipeline:project", pk)
        except ValidationError as exc:
            apply_validation_error(form, exc)
    return render(request, "pipeline/project_detail.html", _project_context(request, project, **{form_key: form}),
                  status=400)


@login_required
@require_POST
def project_log(request, pk: int):
    return _project_form_post(request, pk, ContactLogForm, "log_form", services.add_contact_log,
                              _("Government contact recorded."))


@login_required
@require_POST
def project_contact(request, pk: int):
    return _project_form_post(request, pk, ProjectContactForm, "contact_form", services.add_project_contact,
                              _("Contact added."))


@login_required
def project_report(request, pk: int):
    """The weekly report form (周报): progress per milestone, problems, help needed, next steps."""
    project = _visible_project(request, pk)
    milestones = list(Milestone.objects.filter(is_active=True))
    today = timezone.localdate()
    week = services.week_start(_date(request.GET.get("week") or request.POST.get("week"), today))
    existing = project.weekly_reports.filter(week_start=week).first()
    initial = {"week": week}
    if existing:
        initial.update(problems=existing.problems, help_needed=existing.help_needed, next_steps=existing.next_steps,
                       **{f"m_{k}": v for k, v in existing.milestone_progress.items()})
    form = ReportForm(request.POST or None, milestones=milestones, initial=initial)
    if request.method == "POST":
        require_writer(request.user)
        if form.is_valid():
            try:
                services.submit_report(project, week=form.cleaned_data["week"], actor=request.user,
                                       milestone_progress=form.progress(), problems=form.cleaned_data["problems"],
                                       help_needed=form.cleaned_data["help_needed"],
                                       next_steps=form.cleaned_data["next_steps"])
                messages.success(request, _("Weekly report saved."))
                return redirect("pipeline:project", pk)
            except ValidationError as exc:
                apply_validation_error(form, exc)
    return render(request, "pipeline/report_form.html", {
        "nav": "pipeline", "project": project, "form": form, "week": week,
        "due_on": services.report_due_on(week), "existing": existing}, status=400 if form.errors else 200)


def _convert(request, prospect, convert, back: str):
    """Convert a won (approved) prospect: a new customer and its new connection, or, for an
    existing customer's prospect, that customer's capacity increase (pipeline.conversion)."""
    existing = prospect.customer_id is not None
    try:
        customer, connection = convert(prospect, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back, prospect.pk)
    if existing:
        messages.success(request, _("Capacity-increase project %(number)s opened.") % {"number": connection.number})
    else:
        messages.success(request, _("Converted into customer %(number)s.") % {"number": customer.number})
        messages.success(request, _("Connection project %(number)s opened.") % {"number": connection.number})
    return redirect("customers:detail", customer.pk)


@login_required
@require_POST
def project_convert(request, pk: int):
    require_writer(request.user)
    return _convert(request, _visible_project(request, pk), conversion.convert_project, "pipeline:project")


@login_required
@require_POST
def project_link(request, pk: int):
    require_writer(request.user)
    return _link(request, _visible_project(request, pk), "pipeline:project")


def _link(request, prospect, back):
    customer_id = record_id(request.POST.get("customer"))
    customer = visible_customers(request.user).filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        messages.error(request, _("Does not exist or is not visible to you."))
        return redirect(back, prospect.pk)
    try:
        conversion.link_to_customer(prospect, customer, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back, prospect.pk)
    messages.success(request, _("Linked to customer %(number)s.") % {"number": customer.number})
    return redirect(back, prospect.pk)


# --- Weekly meeting ---------------------------------------------------------------------------------

MEETING_PAGE = 100


@login_required
def weekly_meeting(request):
    """The weekly coordination meeting's page: approved projects of a unit, printable, xlsx."""
    today = timezone.localdate()
    week = services.week_start(_date(request.GET.get("week"), today))
    qs, unit = _unit_filter(request, selectors.visible_projects(request.user))
    fmt = request.GET.get("export")
    printing = bool(request.GET.get("print")) or bool(fmt)
    data = selectors.weekly_meeting(qs, week, today, limit=None if printing else MEETING_PAGE)
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        return export_response(data["rows"], meeting_columns(data["milestones"]), fmt=fmt,
                               filename=_("weekly meeting"))
    context = {"nav": "pipeline", "week": week, "prev_week": week.fromordinal(week.toordinal() - 7),
               "next_week": week.fromordinal(week.toordinal() + 7), "data": data, "unit": unit,
               "printing": printing, "org_units": org_unit_options(request.user), "today": today,
               "unit_name": dict(org_unit_options(request.user)).get(unit, "").strip("\u3000") if unit else ""}
    return render(request, "pipeline/weekly.html", context)


def meeting_columns(milestones):
    def progress(row, code):
        return (row.report.milestone_progress.get(code, "") if row.report else "")

    cols = [
        Column(_("project number"), lambda r: r.project.number), Column(_("project name"), lambda r: r.project.name),
        Column(_("org unit"), lambda r: r.project.org_unit.name),
        Column(_("primary manager"), lambda r: r.project.primary_manager.display_name if r.project.primary_manager else ""),
        Column(_("secondary manager"), lambda r: r.project.secondary_manager.display_name
               if r.project.secondary_manager else ""),
        Column(_("reported"), lambda r: r.report is not None),
    ]
    cols += [Column(m.name, lambda r, code=m.code: progress(r, code)) for m in milestones]
    cols += [
        Column(_("problems"), lambda r: r.report.problems if r.report else ""),
        Column(_("help needed from the company"), lambda r: r.report.help_needed if r.report else ""),
        Column(_("next steps"), lambda r: r.report.next_steps if r.report else ""),
        Column(_("slipped milestones"), lambda r: "、".join(f"{m.milestone.name} ({m.planned_on})" for m in r.slipped)),
    ]
    return cols


# --- Opportunities ------------------------------------------------------------------------------------

OPP_SORTS = {"close": "close_on", "-close": "-close_on", "revenue": "expected_annual_revenue_yuan",
             "-revenue": "-expected_annual_revenue_yuan", "probability": "probability", "-probability": "-probability",
             "title": "title", "-title": "-title", "created": "created_at", "-created": "-created_at"}


def _filtered_opportunities(request, *, for_board=False):
    qs = selectors.visible_opportunities(request.user)
    g = request.GET
    q = (g.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(number__iexact=q) | Q(prospect_name__icontains=q)
                       | Q(customer__name__icontains=q))
    params = {"q": q}
    for name, field in (("kind", "kind_id"), ("stage", "stage_id"), ("owner", "owner_id"),
                        ("competitor", "competitors"), ("project", "government_project_id")):
        value = record_id(g.get(name))
        params[name] = value
        if value:
            qs = qs.filter(**{field: value})
    outcome = g.get("outcome") or ""
    if outcome in c.StageOutcome.values:
        qs = qs.filter(stage__outcome=outcome)
    params["outcome"] = outcome
    reason = g.get("loss_reason") or ""
    if reason in c.LossReason.values:
        qs = qs.filter(loss_reason=reason)
    params["loss_reason"] = reason
    month = g.get("month") or ""
    first = _date(f"{month}-01") if len(month) == 7 else None
    if first:
        nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        qs = qs.filter(close_on__gte=first, close_on__lt=nxt)
    params["month"] = month if first else ""
    qs, params["unit"] = _unit_filter(request, qs)
    sort = g.get("sort") or "close"
    params["sort"] = sort
    if not for_board:
        qs = qs.select_related("customer", "kind", "stage", "owner", "org_unit").order_by(
            OPP_SORTS.get(sort, "close_on"), "id")
    return qs, params


def opportunity_export_columns():
    return [
        Column(_("opportunity number"), lambda o: o.number), Column(_("title"), lambda o: o.title),
        Column(_("customer or prospect"), lambda o: o.party_name), Column(_("kind"), lambda o: o.kind.name),
        Column(_("stage"), lambda o: o.stage.name), Column(_("probability (%)"), lambda o: o.probability),
        Column(_("expected capacity (kVA)"), lambda o: o.expected_kva),
        Column(_("expected annual consumption (kWh)"), lambda o: o.expected_annual_kwh),
        Column(_("expected annual revenue (yuan)"), lambda o: o.expected_annual_revenue_yuan),
        Column(_("weighted revenue (yuan)"), lambda o: o.weighted_revenue_yuan),
        Column(_("expected close"), lambda o: o.close_on), Column(_("owner"), lambda o: o.owner.display_name),
        Column(_("org unit"), lambda o: o.org_unit.name), Column(_("next step"), lambda o: o.next_step),
        Column(_("next step on"), lambda o: o.next_step_on),
        Column(_("loss reason"), lambda o: o.get_loss_reason_display()),
    ]


def _filter_choices(request) -> dict:
    return {"kinds": list(OpportunityKind.objects.filter(is_active=True)), "stages": list(OpportunityStage.objects.all()),
            "people": list(visible_portfolio_staff(request.user).order_by("full_name", "username")),
            "competitors": list(Competitor.objects.filter(is_active=True)), "org_units": org_unit_options(request.user),
            "loss_reasons": c.LossReason.choices, "outcomes": c.StageOutcome.choices}


@login_required
def opportunity_list(request):
    qs, params = _filtered_opportunities(request)
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        return export_response(qs.iterator(chunk_size=2000), opportunity_export_columns(), fmt=fmt,
                               filename=_("opportunities"))
    context = {"nav": "pipeline", "page": _paginate(request, qs), "params": params}
    if not _is_partial(request):
        context.update(_filter_choices(request))
    return _partial_or_page(request, "pipeline/opportunities.html", "pipeline/_opportunities_table.html", context)


@login_required
def board(request):
    qs, params = _filtered_opportunities(request, for_board=True)
    context = {"nav": "pipeline", "columns": selectors.board(qs), "params": params,
               "can_edit": not request.user.is_read_only, "loss_form": LossForm()}
    if not _is_partial(request):
        context.update(_filter_choices(request))
    return _partial_or_page(request, "pipeline/board.html", "pipeline/_board.html", context)


def _visible_opportunity(request, pk) -> Opportunity:
    qs = selectors.visible_opportunities(request.user).select_related(
        "customer", "kind", "stage", "owner", "org_unit", "government_project")
    return get_object_or_404(qs, pk=pk)


@login_required
@require_POST
def opportunity_move(request, pk: int):
    """The board's drag and drop (htmx): move to a stage, answer the refreshed board."""
    require_writer(request.user)
    opp = _visible_opportunity(request, pk)
    stage = OpportunityStage.objects.filter(pk=record_id(request.POST.get("stage"))).first()
    if stage is None:
        raise Http404
    try:
        services.move_stage(opp, stage, actor=request.user, loss_reason=request.POST.get("loss_reason", ""),
                            loss_note=request.POST.get("loss_note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if _is_partial(request):
        qs, params = _filtered_opportunities(request, for_board=True)
        response = render(request, "pipeline/_board.html", {
            "columns": selectors.board(qs), "params": params, "can_edit": True, "loss_form": LossForm()})
        patch_vary_headers(response, ["HX-Request"])
        return response
    return redirect(request.POST.get("next") if request.POST.get("next") == reverse("pipeline:board")
                    else reverse("pipeline:opportunity", args=[pk]))


def _opportunity_form(request, opp=None, data=None):
    include_units = [opp.org_unit_id] if opp else []
    staff = assignable_staff(request.user)
    if opp is not None:
        staff = staff | type(opp.owner).objects.filter(pk=opp.owner_id)
    initial = {}
    if opp is None:
        initial = {"owner": request.user.pk, "org_unit": request.user.org_unit_id,
                   "close_on": timezone.localdate().replace(day=28),
                   "stage": OpportunityStage.objects.filter(outcome=c.StageOutcome.OPEN).order_by("order").first()}
        for key in ("customer", "government_project"):
            if record_id(request.GET.get(key)):
                initial[key] = record_id(request.GET.get(key))
    return OpportunityForm(data, instance=opp, initial=initial, customers=visible_customers(request.user),
                           staff=staff.distinct(), units=assignable_org_units(request.user, include_ids=include_units),
                           projects=selectors.visible_projects(request.user))


def _save_opportunity_form(request, form, opp=None):
    if not form.is_valid():
        return None
    data = dict(form.cleaned_data)
    competitors = data.pop("competitors", None)
    data = {k: ("" if v is None and k in ("loss_reason",) else v) for k, v in data.items()}
    if opp is not None:
        opp.refresh_from_db()
    try:
        return services.save_opportunity(actor=request.user, opportunity=opp, competitors=competitors, **data)
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return None


@login_required
def opportunity_create(request):
    require_writer(request.user)
    form = _opportunity_form(request, data=request.POST or None)
    if request.method == "POST":
        opp = _save_opportunity_form(request, form)
        if opp:
            messages.success(request, _("Opportunity %(number)s opened.") % {"number": opp.number})
            return redirect("pipeline:opportunity", opp.pk)
    return render(request, "pipeline/opportunity_form.html", {"nav": "pipeline", "form": form, "opp": None},
                  status=400 if form.errors else 200)


@login_required
def opportunity_edit(request, pk: int):
    require_writer(request.user)
    opp = _visible_opportunity(request, pk)
    form = _opportunity_form(request, opp, data=request.POST or None)
    if request.method == "POST":
        saved = _save_opportunity_form(request, form, opp)
        if saved:
            messages.success(request, _("Opportunity saved."))
            return redirect("pipeline:opportunity", pk)
    return render(request, "pipeline/opportunity_form.html", {"nav": "pipeline", "form": form, "opp": opp},
                  status=400 if form.errors else 200)


@login_required
def opportunity_detail(request, pk: int):
    opp = _visible_opportunity(request, pk)
    return render(request, "pipeline/opportunity_detail.html", {
        "nav": "pipeline", "opp": opp, "competitors": list(opp.competitors.all()),
        "quotes": list(opp.quotes.select_related("created_by", "approved_by")),
        "stages": list(OpportunityStage.objects.all()), "loss_form": LossForm(),
        "history": list(opp.history.select_related("history_user", "stage")[:20]),
        "can_edit": not request.user.is_read_only, "can_quote": opp.kind.is_value_added,
    })


@login_required
@require_POST
def opportunity_convert(request, pk: int):
    require_writer(request.user)
    return _convert(request, _visible_opportunity(request, pk), conversion.convert_opportunity, "pipeline:opportunity")


@login_required
@require_POST
def opportunity_link(request, pk: int):
    require_writer(request.user)
    return _link(request, _visible_opportunity(request, pk), "pipeline:opportunity")


# --- Quotes ---------------------------------------------------------------------------------------------

@login_required
def quote_create(request, pk: int):
    require_writer(request.user)
    opp = _visible_opportunity(request, pk)
    form = QuoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            quote = services.create_quote(opp, lines=form.lines(), actor=request.user,
                                          valid_until=form.cleaned_data["valid_until"], notes=form.cleaned_data["notes"])
            if quote.status == c.QuoteStatus.PENDING:
                messages.warning(request, _("The discount is above the threshold: the quote waits for a supervisor's approval."))
            else:
                messages.success(request, _("Quote v%(version)s created.") % {"version": quote.version})
            return redirect("pipeline:quote", quote.pk)
        except ValidationError as exc:
            apply_validation_error(form, exc)
    return render(request, "pipeline/quote_form.html", {"nav": "pipeline", "opp": opp, "form": form,
                                                        "threshold": services.policy().discount_approval_pct},
                  status=400 if form.errors else 200)


def _visible_quote(request, pk) -> Quote:
    qs = selectors.visible_quotes(request.user).select_related(
        "opportunity", "opportunity__customer", "opportunity__owner", "opportunity__org_unit", "opportunity__kind",
        "created_by", "approved_by")
    return get_object_or_404(qs, pk=pk)


@login_required
def quote_detail(request, pk: int):
    quote = _visible_quote(request, pk)
    return render(request, "pipeline/quote.html", {
        "nav": "pipeline", "quote": quote, "lines": list(quote.lines.select_related("item")),
        "can_approve": services.can_approve(request.user) and quote.status == c.QuoteStatus.PENDING,
        "can_accept": not request.user.is_read_only and quote.status in (c.QuoteStatus.DRAFT, c.QuoteStatus.APPROVED),
        "printing": bool(request.GET.get("print"))})


@login_required
@require_POST
def quote_decide(request, pk: int):
    quote = _visible_quote(request, pk)
    try:
        services.decide_quote(quote, actor=request.user, approve=request.POST.get("decision") != "reject")
        messages.success(request, _("Decision recorded."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("pipeline:quote", pk)


@login_required
@require_POST
def quote_accept(request, pk: int):
    require_writer(request.user)
    quote = _visible_quote(request, pk)
    try:
        services.accept_quote(quote, actor=request.user)
        messages.success(request, _("Quote accepted: the opportunity is won."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("pipeline:quote", pk)
    return redirect("pipeline:opportunity", quote.opportunity_id)


# --- Forecast -----------------------------------------------------------------------------------------------

@login_required
def forecast(request):
    opps, unit = _unit_filter(request, selectors.visible_opportunities(request.user))
    projects, _unit = _unit_filter(request, selectors.visible_projects(request.user))
    data = selectors.forecast(opps, projects)
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        return export_response(data["by_month"], [
            Column(_("close month"), lambda r: r["month"]), Column(_("opportunities"), lambda r: r["n"]),
            Column(_("expected annual revenue (yuan)"), lambda r: r["revenue"]),
            Column(_("weighted revenue (yuan)"), lambda r: r["weighted"])], fmt=fmt, filename=_("forecast"))
    base = reverse("pipeline:opportunities")
    context = {"nav": "pipeline", "data": data, "unit": unit, "org_units": org_unit_options(request.user),
               "charts": charts.forecast_charts(data, base, unit), "list_url": base}
    return render(request, "pipeline/forecast.html", context)
