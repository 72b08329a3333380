"""Ticket pages: list, intake, detail with its actions, scoped attachment download, analysis.

Thin function views: parse, scope (selectors.visible_tickets over core.scoping), call a
service, render. An htmx request gets the named partial; a normal request the page.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from powerkam.core.params import record_id
from powerkam.core.permissions import require_writer
from powerkam.core.scoping import scope_to_user
from powerkam.customers.models import Customer
from powerkam.imports.exports import FORMATS, Column, export_response
from powerkam.org.selectors import org_unit_options, visible_org_units

from . import constants as c
from . import selectors, services
from .forms import (
    AdvanceForm,
    AnalysisForm,
    AssignForm,
    AttachmentForm,
    IntakeForm,
    ReasonForm,
    apply_errors,
)
from .models import Ticket, TicketAttachment


def _htmx(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.history_restore_request)


def _visible_ticket(request, pk: int, queryset=None) -> Ticket:
    qs = selectors.visible_tickets(request.user, queryset if queryset is not None else selectors.ticket_detail_queryset())
    try:
        return qs.get(pk=pk)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


# --- list ---------------------------------------------------------------------------------------

def export_columns() -> list[Column]:
    def local(dt):
        return timezone.localtime(dt) if dt else None

    return [
        Column(_("Ticket number"), lambda t: t.number),
        Column(_("Taken in at"), lambda t: local(t.created_at)),
        Column(_("Type"), lambda t: t.get_ticket_type_display()),
        Column(_("Channel"), lambda t: t.get_channel_display()),
        Column(_("Customer number"), lambda t: t.customer.number),
        Column(_("Customer name"), lambda t: t.customer.name),
        Column(_("Org unit"), lambda t: t.org_unit.name if t.org_unit_id else ""),
        Column(_("Subject"), lambda t: t.subject),
        Column(_("Cause"), lambda t: t.get_cause_display()),
        Column(_("Status"), lambda t: t.get_status_display()),
        Column(_("Stage"), lambda t: t.get_stage_display()),
        Column(_("First-contact owner"), lambda t: t.first_contact_owner.display_name),
        Column(_("Current owner"), lambda t: t.assignee.display_name),
        Column(_("About staff member"), lambda t: t.about_staff.display_name if t.about_staff_id else ""),
        Column(_("Stage deadline"), lambda t: local(t.due_at)),
        Column(_("Stage deadline provisional"), lambda t: _("Provisional") if t.due_at and t.due_provisional else ""),
        Column(_("Escalation level"), lambda t: t.escalation_level),
        Column(_("Times reopened"), lambda t: t.reopen_count),
        Column(_("Closed at"), lambda t: local(t.closed_at)),
        Column(_("Hours to close"), lambda t: t.hours_to_close),
    ]


SORT_LABELS = (("number", gettext_lazy("Ticket number")), ("created", gettext_lazy("Taken in at")),
               ("customer", gettext_lazy("Customer")), ("due", gettext_lazy("Stage deadline")))


@login_required
def ticket_list(request):
    user = request.user
    params = selectors.parse_params(request.GET)
    qs = selectors.list_queryset(selectors.filter_tickets(selectors.visible_tickets(user), params, user))
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        return export_response(qs.iterator(chunk_size=2000), export_columns(), fmt=fmt, filename=_("tickets"))
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    context = {
        "nav": "service", "page": page, "params": params, "now": timezone.now(), "export_formats": FORMATS,
        "sort_columns": SORT_LABELS, "sort": params.sort,
        "can_edit": not user.is_read_only,
    }
    if _htmx(request):
        response = render(request, "tickets/_table.html", context)
    else:
        context.update({
            "org_units": org_unit_options(user),
            "choices": {"ticket_type": c.TicketType.choices, "status": c.Status.choices, "stage": c.Stage.choices,
                        "channel": c.Channel.choices},
        })
        response = render(request, "tickets/list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- intake -------------------------------------------------------------------------------------

@login_required
def ticket_create(request):
    user = request.user
    require_writer(user)
    if request.method == "POST":
        form = IntakeForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                # One transaction: a refused attachment leaves no ticket behind.
                with transaction.atomic():
                    ticket = services.open_ticket(
                        actor=user, customer=d["customer"], ticket_type=d["ticket_type"], channel=d["channel"],
                        subject=d["subject"], description=d["description"], contact_name=d["contact_name"],
                        contact_phone=d["contact_phone"], cause=d["cause"], about_staff=d["about_staff"],
                        assignee=d["assignee"])
                    if d.get("attachment"):
                        services.add_attachment(ticket, actor=user, file=d["attachment"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Ticket %(number)s taken in; you are its first-contact owner.")
                                 % {"number": ticket.number})
                return redirect("tickets:detail", ticket.pk)
    else:
        initial = {}
        if pk := record_id(request.GET.get("customer")):
            customer = scope_to_user(Customer.objects.filter(pk=pk), user).first()
            if customer is not None:
                initial["customer"] = customer.number
        form = IntakeForm(initial=initial, user=user)
    status = 400 if request.method == "POST" else 200
    return render(request, "tickets/create.html", {"nav": "service", "form": form}, status=status)


# --- detail and actions --------------------------------------------------------------------------

def _detail_context(request, ticket: Ticket, **forms) -> dict:
    user = request.user
    stage = ticket.current_stage
    return {
        "nav": "service", "ticket": ticket, "stages": selectors.ticket_stages(ticket),
        "events": selectors.ticket_events(ticket), "attachments": list(ticket.attachments.select_related("uploaded_by")),
        "can_edit": not user.is_read_only, "now": timezone.now(),
        "assign_form": forms.get("assign_form") or AssignForm(),
        "advance_form": forms.get("advance_form") or AdvanceForm(initial={"stage": ticket.stage}),
        "escalate_form": forms.get("escalate_form") or ReasonForm(prefix="escalate"),
        "reopen_form": forms.get("reopen_form") or ReasonForm(prefix="reopen"),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "is_revisit": ticket.stage == c.Stage.REVISIT,
        "can_escalate": stage is not None and stage.escalation_level < c.MAX_LEVEL,
        "flow": [(s, c.Stage(s).label) for s in c.stages_for(ticket.ticket_type)],
    }


def _render_detail(request, ticket: Ticket, status: int = 200, **forms):
    context = _detail_context(request, ticket, **forms)
    template = "tickets/_panel.html" if _htmx(request) else "tickets/detail.html"
    # htmx swaps only 2xx responses: a refused action comes back as 200 with the errors shown.
    response = render(request, template, context, status=200 if _htmx(request) else status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def ticket_detail(request, pk: int):
    return _render_detail(request, _visible_ticket(request, pk))


def _action(request, pk: int, form_class, form_name: str, run, *, success: str, prefix: str | None = None):
    user = request.user
    require_writer(user)
    ticket = _visible_ticket(request, pk)
    form = form_class(request.POST, request.FILES, prefix=prefix) if prefix else form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            run(ticket, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, success)
            ticket = _visible_ticket(request, pk)
            if _htmx(request):
                return _render_detail(request, ticket)
            return redirect("tickets:detail", ticket.pk)
    return _render_detail(request, ticket, status=400, **{form_name: form})


@login_required
@require_POST
def ticket_assign(request, pk: int):
    return _action(request, pk, AssignForm, "assign_form", lambda t, d: services.assign(
        t, to=d["to"], actor=request.user, note=d["note"]), success=_("Ticket handed over."))


@login_required
@require_POST
def ticket_advance(request, pk: int):
    return _action(request, pk, AdvanceForm, "advance_form", lambda t, d: services.advance(
        t, actor=request.user, stage=d["stage"], result_note=d["result_note"], outcome=d["outcome"],
        next_owner=d["next_owner"]), success=_("Stage completed."))


@login_required
@require_POST
def ticket_escalate(request, pk: int):
    return _action(request, pk, ReasonForm, "escalate_form", lambda t, d: services.escalate(
        t, actor=request.user, reason=d["reason"]), success=_("Ticket escalated."), prefix="escalate")


@login_required
@require_POST
def ticket_reopen(request, pk: int):
    return _action(request, pk, ReasonForm, "reopen_form", lambda t, d: services.reopen(
        t, actor=request.user, reason=d["reason"]), success=_("Ticket reopened."), prefix="reopen")


@login_required
@require_POST
def ticket_upload(request, pk: int):
    return _action(request, pk, AttachmentForm, "attachment_form", lambda t, d: services.add_attachment(
        t, actor=request.user, file=d["file"]), success=_("Attachment added."))


@login_required
def attachment_download(request, pk: int):
    """Attachments are served only to those who may see the ticket (never from a public URL)."""
    tickets = selectors.visible_tickets(request.user)
    att = TicketAttachment.objects.filter(pk=pk, ticket__in=tickets.values("pk")).first()
    if att is None or not att.file:
        raise Http404
    root = Path(settings.MEDIA_ROOT).resolve()
    full = (root / att.file.name).resolve()
    if not full.is_relative_to(root) or not full.exists():
        raise Http404
    content_type = mimetypes.guess_type(att.name)[0] or "application/octet-stream"
    return FileResponse(full.open("rb"), content_type=content_type, as_attachment=True, filename=att.name)


# --- analysis ------------------------------------------------------------------------------------

def _analysis_params(request) -> tuple[AnalysisForm, selectors.AnalysisParams]:
    today = timezone.localdate()
    default_from, default_to = selectors.default_period(today)
    form = AnalysisForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    p = selectors.AnalysisParams(date_from=data.get("date_from") or default_from,
                                 date_to=data.get("date_to") or default_to)
    unit_id = data.get("org_unit")
    if unit_id:
        unit = visible_org_units(request.user).filter(pk=unit_id).first()
        if unit is not None:
            p.org_unit, p.unit_path = unit.pk, unit.path
    return form, p


def analysis_sheets(result: dict) -> list[tuple[str, list[Column], list]]:
    def hours(key):
        return lambda r: r[key]

    return [
        (_("By type"), [Column(_("Type"), lambda r: r["label"]), Column(_("Tickets"), lambda r: r["count"]),
                        Column(pgettext("ticket", "Closed"), lambda r: r["closed"]),
                        Column(_("Average hours to close"), hours("avg_close_hours"))], result["by_type"]),
        (_("By cause"), [Column(_("Cause"), lambda r: r["label"]), Column(_("Complaints"), lambda r: r["count"])],
         result["by_cause"]),
        (_("By unit"), [Column(_("Org unit"), lambda r: r["label"]), Column(_("Complaints"), lambda r: r["count"]),
                        Column(_("Open"), lambda r: r["open"]),
                        Column(_("Average hours to close"), hours("avg_close_hours"))], result["by_unit"]),
        (_("By person"), [Column(_("Staff member"), lambda r: r["label"]), Column(_("Org unit"), lambda r: r["unit"]),
                          Column(_("Complaints"), lambda r: r["count"])], result["by_person"]),
        (_("Stage durations"), [Column(_("Stage"), lambda r: r["label"]), Column(_("Completed"), lambda r: r["count"]),
                                Column(_("Average hours"), hours("avg_hours")), Column(_("P90 hours"), hours("p90_hours")),
                                Column(_("Longest hours"), hours("max_hours")),
                                Column(_("SLA compliance"), hours("sla_pct"))], result["stage_durations"]),
        (_("By month"), [Column(_("Month"), lambda r: r["month"].strftime("%Y-%m") if r["month"] else ""),
                         Column(_("Tickets"), lambda r: r["count"]), Column(_("Complaints"), lambda r: r["complaints"]),
                         Column(pgettext("ticket", "Closed"), lambda r: r["closed"]),
                         Column(_("Average hours to close"), hours("avg_close_hours"))], result["monthly"]),
    ]


def _xlsx(sheets, filename: str) -> HttpResponse:
    import io

    from openpyxl import Workbook

    from powerkam.imports.exports import safe_cell

    wb = Workbook()
    wb.remove(wb.active)
    for title, columns, rows in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        ws.append([str(col.header) for col in columns])
        for row in rows:
            ws.append([safe_cell(col.getter(row)) for col in columns])
    buffer = io.BytesIO()
    wb.save(buffer)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    return response


@login_required
def analysis(request):
    form, p = _analysis_params(request)
    result = selectors.complaint_analysis(request.user, p)
    if request.GET.get("export") == "xlsx":
        return _xlsx(analysis_sheets(result), "complaint-analysis")
    charts = {
        "by_type": [{"name": str(r["label"]), "value": r["count"]} for r in result["by_type"]],
        "by_cause": [{"name": str(r["label"]), "value": r["count"]} for r in result["by_cause"]],
        "by_unit": {"labels": [r["label"] for r in result["by_unit"]], "values": [r["count"] for r in result["by_unit"]]},
        "stages": {"labels": [str(r["label"]) for r in result["stage_durations"]],
                   "avg": [float(r["avg_hours"] or 0) for r in result["stage_durations"]],
                   "p90": [float(r["p90_hours"] or 0) for r in result["stage_durations"]]},
        "monthly": {"labels": [r["month"].strftime("%Y-%m") for r in result["monthly"] if r["month"]],
                    "tickets": [r["count"] for r in result["monthly"] if r["month"]],
                    "complaints": [r["complaints"] for r in result["monthly"] if r["month"]],
                    "avg_close": [float(r["avg_close_hours"] or 0) for r in result["monthly"] if r["month"]]},
        "labels": {"tickets": _("Tickets"), "complaints": _("Complaints"), "avg": _("Average hours"),
                   "p90": _("P90 hours"), "avg_close": _("Average hours to close")},
    }
    context = {"nav": "service", "form": form, "p": p, "result": result, "charts": charts,
               "org_units": org_unit_options(request.user)}
    return render(request, "tickets/analysis.html", context)


def detail_url(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])
