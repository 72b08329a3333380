"""Connection project pages (issue #12 item 7, 8): the list, the board by stage, the project page
with its actions, the printable one-time notice, the cycle-time analysis and the customer 360 tab.

Thin function views: parse, scope (selectors.visible_projects over core.scoping), call a
service, render. An htmx request gets the named partial; a normal request the page.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from powerkam.core.params import record_id
from powerkam.core.permissions import require_writer
from powerkam.core.scoping import get_visible_or_404, visible_customers
from powerkam.customers import constants as cc
from powerkam.customers.models import Customer
from powerkam.imports.exports import FORMATS, export_response
from powerkam.org.models import Staff
from powerkam.org.selectors import org_unit_options, visible_org_units

from . import constants as c
from . import exports, licences, selectors, services
from .forms import (
    AdvanceForm,
    ClearDefectForm,
    ContractForm,
    ContractorForm,
    DefectForm,
    DocumentForm,
    IntakeForm,
    MeteringPointForm,
    PauseForm,
    ReasonForm,
    ReportForm,
    ResumeForm,
    SupplyPointForm,
    TrackerForm,
    TransformerForm,
    apply_errors,
)
from .models import Defect, Project
from .services import OVERRIDE_ROLES


def _htmx(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.history_restore_request)


def _visible_project(request, pk: int, queryset=None) -> Project:
    qs = selectors.visible_projects(request.user, queryset if queryset is not None else selectors.detail_queryset())
    try:
        return qs.get(pk=pk)
    except Project.DoesNotExist as exc:
        raise Http404 from exc


def _tracker_options(user) -> list[tuple[int, str]]:
    """The trackers the filter offers: staff of the units the user sees (one query)."""
    units = visible_org_units(user).values("pk")
    return [(pk, full or name) for pk, full, name in Staff.objects.filter(
        org_unit__in=units, is_active=True, role__in=["manager", "specialist", "supervisor", "clerk"]).order_by(
        "full_name", "username").values_list("pk", "full_name", "username")]


def _filter_choices(user) -> dict:
    return {
        "org_units": org_unit_options(user), "trackers": _tracker_options(user),
        "application_type": c.ApplicationType.choices, "voltage_level": cc.VoltageLevel.choices,
        "stage": c.Stage.choices, "status": c.Status.choices,
    }


# --- list ------------------------------------------------------------------------------------------

SORT_LABELS = (("number", gettext_lazy("Project number")), ("applicant", gettext_lazy("Applicant")),
               ("capacity", gettext_lazy("Requested capacity (kVA)")), ("accepted", gettext_lazy("Accepted on")),
               ("due", gettext_lazy("Stage deadline")))


@login_required
def project_list(request):
    user = request.user
    params = selectors.parse_params(request.GET)
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        return export_response(selectors.list_queryset(user, params).iterator(chunk_size=2000), exports.project_columns(), fmt=fmt,
                               filename=_("connection-projects"))
    today = timezone.localdate()
    # Page over the bare ids (sorted and sliced without joins), then read that page's rows.
    page = Paginator(selectors.list_ids(user, params), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.rows_by_id(page.object_list, today)
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    context = {"nav": "projects", "page": page, "params": params, "today": today,
               "export_formats": FORMATS, "sort_columns": SORT_LABELS, "sort": params.sort,
               "can_edit": not user.is_read_only}
    if _htmx(request):
        response = render(request, "projects/_table.html", context)
    else:
        context["choices"] = _filter_choices(user)
        response = render(request, "projects/list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- board -----------------------------------------------------------------------------------------

@login_required
def project_board(request):
    user = request.user
    params = selectors.parse_params(request.GET)
    today = timezone.localdate()
    context = {"nav": "projects", "columns": selectors.board(user, params, today=today), "params": params,
               "today": today, "can_edit": not user.is_read_only,
               "labels": {"green": _("Green channel"), "paused": _("Paused for the customer"), "overdue": _("Overdue")}}
    if _htmx(request):
        response = render(request, "projects/_board.html", context)
    else:
        context["choices"] = _filter_choices(user)
        response = render(request, "projects/board.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- the customer 360 tab ------------------------------------------------------------------------------

@login_required
def customer_tab(request, pk: int):
    """The customer's connection projects (the 360 page loads it with htmx)."""
    customer = get_visible_or_404(Customer.objects.all(), request.user, pk=pk)
    projects = list(selectors.row_queryset(Project.objects.filter(customer=customer)).order_by(
        "-green_channel", "-accepted_on", "-id")[:50])
    return render(request, "projects/customer_tab.html", {"customer": customer, "projects": projects,
                                                          "today": timezone.localdate(),
                                                          "can_edit": not request.user.is_read_only})


# --- intake ------------------------------------------------------------------------------------------

INTAKE_FIELDS = ("application_type", "applicant_type", "applicant_name", "applicant_credit_code", "applicant_contact",
                 "applicant_phone", "site_address", "requested_capacity_kva", "voltage_level", "supply_mode",
                 "industry", "usage_category", "expected_energisation_on", "is_key_project", "green_channel", "notes")


@login_required
def project_create(request):
    """Accept an application: the receiver becomes its first-contact owner, names its tracker,
    and the one-time notice opens to be printed."""
    user = request.user
    require_writer(user)
    if request.method == "POST":
        form = IntakeForm(request.POST, user=user)
        if form.is_valid():
            d = form.cleaned_data
            app = services.Application(customer=d["customer"], **{k: d[k] for k in INTAKE_FIELDS})
            try:
                project = services.accept_application(app, actor=user, tracker=d["tracker"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Application %(number)s accepted; you are its first-contact owner. "
                                            "Print the one-time notice for the applicant.") % {"number": project.number})
                return redirect("projects:notice", project.pk)
    else:
        initial = {"tracker": user.pk}
        if pk := record_id(request.GET.get("customer")):
            customer = visible_customers(user).filter(pk=pk).first()
            if customer is not None:
                initial.update(customer=customer.number, applicant_type=c.ApplicantType.EXISTING,
                               application_type=c.ApplicationType.INCREASE)
        form = IntakeForm(initial=initial, user=user)
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/create.html", {"nav": "projects", "form": form}, status=status)


# --- the one-time notice -------------------------------------------------------------------------------

@login_required
def project_notice(request, pk: int):
    """The printable one-time notice (一次性告知书): every document the applicant brings and the
    commitments; the browser's print gives the PDF (print CSS hides everything else)."""
    project = _visible_project(request, pk)
    documents = list(project.documents.select_related("received_by").order_by("position", "id"))
    rules = selectors.stage_limits(project)
    return render(request, "projects/notice.html", {
        "nav": "projects", "project": project, "documents": documents, "commitments": c.NOTICE_COMMITMENTS,
        "limits": rules, "printed_on": timezone.localdate()})


# --- the project page and its actions ---------------------------------------------------------------------

def _detail_context(request, project: Project, **forms) -> dict:
    user = request.user
    today = timezone.localdate()
    clocks = selectors.stage_clocks(project, today)
    documents = list(project.documents.select_related("received_by").order_by("position", "id"))
    defects = list(project.defects.select_related("recorded_by", "cleared_by").order_by("id"))
    contractors = list(project.contractors.select_related("override_by").order_by("role"))
    open_defects = [d for d in defects if d.cleared_at is None]
    licence_warnings = licences.licence_problems(project, today, contractors) if project.is_open else []
    overridden = licences.is_overridden(project, contractors)
    can_edit = not user.is_read_only and project.is_open
    current = project.current_stage
    flow = list(project.flow)
    builder = licences.builder_of(project, contractors)
    # The licence matters from the customer's construction on (or once a builder is recorded).
    show_licence = builder is not None or (project.stage in flow and c.Stage.CONSTRUCTION in flow
                                           and flow.index(project.stage) >= flow.index(c.Stage.CONSTRUCTION))
    gantt = selectors.gantt_data(project, clocks, today)
    gantt["labels"] = {"today": _("Today")}
    return {
        "nav": "projects", "project": project, "today": today, "clocks": clocks,
        "grid_total": sum(k.grid_workdays for k in clocks), "customer_total": sum(k.customer_workdays for k in clocks),
        "documents": documents, "documents_missing": sum(1 for d in documents if d.received_on is None),
        "defects": defects, "open_defects": open_defects, "contractors": contractors,
        "licence_warnings": licence_warnings, "licence_overridden": overridden,
        "can_override": can_edit and (user.is_superuser or user.role in OVERRIDE_ROLES),
        "events": list(project.events.select_related("actor", "target", "stage_record").order_by("occurred_at", "id")),
        "supply_points": list(project.supply_points.select_related("substation", "supply_line", "archived")),
        "transformers": list(project.transformers.select_related("supply_point", "archived")),
        "metering_points": list(project.metering_points.select_related("supply_point", "archived")),
        "gantt": gantt, "builder": builder, "show_licence": show_licence,
        "can_edit": can_edit, "is_last_stage": project.stage == c.Stage.ENERGISATION,
        "creates_customer": project.application_type in c.CREATES_CUSTOMER and not project.customer_id,
        "flow": [(s, c.Stage(s).label) for s in project.flow],
        "current_clock": next((k for k in clocks if current is not None and k.record.pk == current.pk), None),
        "advance_form": forms.get("advance_form") or AdvanceForm(initial={"stage": project.stage}, user=user),
        "pause_form": forms.get("pause_form") or PauseForm(prefix="pause"),
        "resume_form": forms.get("resume_form") or ResumeForm(prefix="resume"),
        "contractor_form": forms.get("contractor_form") or ContractorForm(prefix="contractor"),
        "override_form": forms.get("override_form") or ReasonForm(prefix="override"),
        "defect_form": forms.get("defect_form") or DefectForm(prefix="defect"),
        "clear_form": forms.get("clear_form"),
        "document_form": forms.get("document_form"),
        "tracker_form": forms.get("tracker_form") or TrackerForm(prefix="tracker", user=user),
        "archive_form": forms.get("archive_form"),
        "supply_point_form": forms.get("supply_point_form") or SupplyPointForm(prefix="sp"),
        "transformer_form": forms.get("transformer_form") or TransformerForm(prefix="tr"),
        "metering_form": forms.get("metering_form") or MeteringPointForm(prefix="mp"),
        "contract_form": forms.get("contract_form") or ContractForm(prefix="contract", initial={
            "number": project.contract_number, "valid_from": project.contract_valid_from,
            "valid_to": project.contract_valid_to, "signed_on": project.contract_signed_on}),
    }


def _render_detail(request, project: Project, status: int = 200, **forms):
    response = render(request, "projects/detail.html", _detail_context(request, project, **forms), status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def project_detail(request, pk: int):
    return _render_detail(request, _visible_project(request, pk))


def _action(request, pk: int, form_class, form_name: str, run, *, success: str, prefix: str | None = None,
            anchor: str = "", with_user: bool = False):
    """Every action of the project page: a POST form, one service call, the page again (with the
    errors on the form that was sent, status 400, nothing written) or a redirect."""
    user = request.user
    require_writer(user)
    project = _visible_project(request, pk)
    kwargs = {"prefix": prefix} if prefix else {}
    if with_user:
        kwargs["user"] = user
    form = form_class(request.POST, request.FILES, **kwargs)
    if form.is_valid():
        try:
            run(project, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(reverse("projects:detail", args=[project.pk]) + (f"#{anchor}" if anchor else ""))
    return _render_detail(request, _visible_project(request, pk), status=400, **{form_name: form})


@login_required
@require_POST
def project_advance(request, pk: int):
    def run(project, d):
        if d["stage"] == c.Stage.ENERGISATION:
            services.energise(project, actor=request.user, energised_on=d["ended_on"] or None, note=d["note"],
                              customer_number=d["customer_number"])
        else:
            services.advance(project, actor=request.user, stage=d["stage"], ended_on=d["ended_on"] or None,
                             note=d["note"], next_owner=d["next_owner"])
    return _action(request, pk, AdvanceForm, "advance_form", run, success=_("Stage completed."), with_user=True)


@login_required
@require_POST
def project_pause(request, pk: int):
    return _action(request, pk, PauseForm, "pause_form", lambda p, d: services.pause(
        p, actor=request.user, reason=d["reason"], started_on=d["started_on"] or None, note=d["note"]),
        success=_("Paused: the grid-side clock stops while waiting for the customer."), prefix="pause")


@login_required
@require_POST
def project_resume(request, pk: int):
    return _action(request, pk, ResumeForm, "resume_form", lambda p, d: services.resume(
        p, actor=request.user, ended_on=d["ended_on"] or None),
        success=_("Resumed: the deadline moved by the paused working days."), prefix="resume")


@login_required
@require_POST
def project_document(request, pk: int):
    def run(project, d):
        document = project.documents.filter(pk=d["document"]).first()
        if document is None:
            raise ValidationError({"document": _("Unknown document.")})
        services.receive_document(document, actor=request.user, received_on=d["received_on"] or None)
    return _action(request, pk, DocumentForm, "document_form", run, success=_("Document ticked off as received."),
                   anchor="documents")


@login_required
@require_POST
def project_contractor(request, pk: int):
    return _action(request, pk, ContractorForm, "contractor_form", lambda p, d: services.set_contractor(
        p, actor=request.user, role=d["role"], name=d["name"], licence_number=d["licence_number"],
        licence_class=d["licence_class"], licence_valid_from=d["licence_valid_from"] or None,
        licence_valid_to=d["licence_valid_to"] or None),
        success=_("The customer's choice is recorded."), prefix="contractor", anchor="contractors")


@login_required
@require_POST
def project_override(request, pk: int):
    return _action(request, pk, ReasonForm, "override_form", lambda p, d: services.override_licence(
        p, actor=request.user, reason=d["reason"]), success=_("Licence override recorded."), prefix="override",
        anchor="contractors")


@login_required
@require_POST
def project_tracker(request, pk: int):
    return _action(request, pk, TrackerForm, "tracker_form", lambda p, d: services.change_tracker(
        p, actor=request.user, tracker=d["tracker"], note=d["note"]), success=_("Tracker changed."), prefix="tracker",
        with_user=True)


@login_required
@require_POST
def project_defect(request, pk: int):
    return _action(request, pk, DefectForm, "defect_form", lambda p, d: services.record_defect(
        p, actor=request.user, item=d["item"], severity=d["severity"], responsible_party=d["responsible_party"],
        deadline=d["deadline"] or None, photo=d.get("photo")), success=_("Defect recorded."), prefix="defect",
        anchor="defects")


@login_required
@require_POST
def project_clear_defect(request, pk: int):
    def run(project, d):
        defect = project.defects.filter(pk=d["defect"]).first()
        if defect is None:
            raise ValidationError({"defect": _("Unknown defect.")})
        services.clear_defect(defect, actor=request.user, note=d["note"])
    return _action(request, pk, ClearDefectForm, "clear_form", run, success=_("Defect cleared."), anchor="defects")


@login_required
@require_POST
def project_supply_point(request, pk: int):
    return _action(request, pk, SupplyPointForm, "supply_point_form", lambda p, d: services.add_supply_point(
        p, actor=request.user, name=d["name"], voltage_level=d["voltage_level"], capacity_kva=d["capacity_kva"],
        source_type=d["source_type"]), success=_("Supply point added."), prefix="sp", anchor="archive-data")


@login_required
@require_POST
def project_transformer(request, pk: int):
    return _action(request, pk, TransformerForm, "transformer_form", lambda p, d: services.add_transformer(
        p, actor=request.user, capacity_kva=d["capacity_kva"], quantity=d["quantity"], model_no=d["model_no"],
        serial_no=d["serial_no"]), success=_("Transformer added."), prefix="tr", anchor="archive-data")


@login_required
@require_POST
def project_metering_point(request, pk: int):
    return _action(request, pk, MeteringPointForm, "metering_form", lambda p, d: services.add_metering_point(
        p, actor=request.user, number=d["number"], ct_ratio=d["ct_ratio"], pt_ratio=d["pt_ratio"],
        meter_no=d["meter_no"]), success=_("Metering point added."), prefix="mp", anchor="archive-data")


@login_required
@require_POST
def project_contract(request, pk: int):
    return _action(request, pk, ContractForm, "contract_form", lambda p, d: services.set_contract(
        p, actor=request.user, number=d["number"], valid_from=d["valid_from"] or None,
        valid_to=d["valid_to"] or None, signed_on=d["signed_on"] or None),
        success=_("Supply contract recorded."), prefix="contract", anchor="archive-data")


@login_required
def defect_photo(request, pk: int):
    """A defect's photo, served only to those who may see its project."""
    defect = Defect.objects.filter(pk=pk, project__in=selectors.visible_projects(request.user).values("pk")).first()
    if defect is None or not defect.photo:
        raise Http404
    root = Path(settings.MEDIA_ROOT).resolve()
    full = (root / defect.photo.name).resolve()
    if not full.is_relative_to(root) or not full.exists():
        raise Http404
    return FileResponse(full.open("rb"), content_type=mimetypes.guess_type(full.name)[0] or "application/octet-stream")


# --- cycle-time analysis (item 8) ---------------------------------------------------------------------------

def _report_params(request) -> tuple[ReportForm, selectors.ReportParams]:
    today = timezone.localdate()
    default_from, default_to = selectors.default_period(today)
    form = ReportForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    p = selectors.ReportParams(date_from=data.get("date_from") or default_from, date_to=data.get("date_to") or default_to,
                               application_type=data.get("application_type") or "",
                               voltage_level=data.get("voltage_level") or "", green=bool(data.get("green")))
    if unit_id := data.get("org_unit"):
        unit = visible_org_units(request.user).filter(pk=unit_id).first()
        if unit is not None:
            p.org_unit, p.unit_path = unit.pk, unit.path
    return form, p


def _add_drill_links(result: dict, p: selectors.ReportParams) -> None:
    """Each row of the report links to the list of the projects it counts."""
    base = reverse("projects:list")
    common = {"status": c.Status.ENERGISED, "energised_from": p.date_from.isoformat(),
              "energised_to": p.date_to.isoformat(), "org_unit": p.org_unit or "",
              "application_type": p.application_type, "voltage_level": p.voltage_level, "green": "1" if p.green else ""}

    def link(**extra) -> str:
        query = {k: v for k, v in {**common, **extra}.items() if v}
        return f"{base}?{urlencode(query)}"

    for r in result["by_stage"]:
        r["drill"] = link(status="all", energised_from="", energised_to="", done_stage=r["key"],
                          ended_from=p.date_from.isoformat(), ended_to=p.date_to.isoformat())
    for r in result["by_unit"]:
        r["drill"] = link(org_unit=r["key"] or "")
    for r in result["by_voltage"]:
        r["drill"] = link(voltage_level=r["key"])
    for r in result["by_type"]:
        r["drill"] = link(application_type=r["key"])
    for r in result["by_month"]:
        r["drill"] = link(energised_from=r["key"].isoformat(), energised_to=r["month_end"].isoformat())
        r["label"] = r["key"].strftime("%Y-%m")


def _num(value):
    return float(value) if value is not None else None


@login_required
def analysis(request):
    form, p = _report_params(request)
    result = selectors.cycle_time_report(request.user, p)
    fmt = request.GET.get("export")
    if fmt:
        table = request.GET.get("table", "stage")
        if fmt not in FORMATS or table not in exports.REPORT_TABLES:
            raise Http404
        title, columns, rows = exports.report_table(result, table)
        return export_response(rows, columns, fmt=fmt, filename=f"{_('cycle-time')}-{title}")
    charts = {
        "trend": {"labels": [m.strftime("%Y-%m") for m in result["months"]],
                  "mean": [_num(r["mean"]) for r in result["by_month"]],
                  "median": [_num(r["median"]) for r in result["by_month"]],
                  "p90": [_num(r["p90"]) for r in result["by_month"]],
                  "within": [_num(r["within_pct"]) for r in result["by_month"]]},
        "stages": {"labels": [str(r["label"]) for r in result["by_stage"]],
                   "grid": [_num(r["mean"]) for r in result["by_stage"]],
                   "customer": [_num(r["customer_mean"]) for r in result["by_stage"]],
                   "commitment": [_num(r["commitment"]) for r in result["by_stage"]]},
        "labels": {"days": _("Working days"), "mean": _("Mean"), "median": _("Median"), "p90": "P90",
                   "within": _("Within commitment (%)"), "grid": _("Grid side"), "customer": _("Customer side"),
                   "commitment": _("Commitment")},
    }
    _add_drill_links(result, p)
    context = {"nav": "projects", "form": form, "p": p, "result": result, "charts": charts,
               "org_units": org_unit_options(request.user), "export_formats": FORMATS,
               "tables": exports.REPORT_TABLES, "choices": _filter_choices(request.user),
               "can_edit": not request.user.is_read_only}
    return render(request, "projects/analysis.html", context)
