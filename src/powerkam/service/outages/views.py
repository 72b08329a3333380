"""Outage pages: list, create, detail with impact preview, notify and the notice report; the
public acknowledgement link. Thin views: parse, scope, call services, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from powerkam.core.params import record_id
from powerkam.core.permissions import can_write, require_writer
from powerkam.core.scoping import get_visible_or_404
from powerkam.customers.forms import apply_validation_error
from powerkam.customers.models import Substation
from powerkam.imports.exports import FORMATS, Column, export_response
from powerkam.org.models import Role

from . import constants as c
from . import selectors, services
from .forms import NotifyForm, OutageForm, PhoneAckForm
from .models import Outage, OutageNotice

# Outages are managed by these roles only (the writer check: core.permissions.require_writer).
WRITER_ROLES = (Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
WRITER_REFUSAL = gettext_lazy("Only clerks, supervisors and administrators manage outages.")

SORTS = {"start": "starts_at", "-start": "-starts_at", "number": "number", "-number": "-number",
         "created": "-created_at"}


def _visible_outage(request, pk: int):
    try:
        return selectors.visible_outages(request.user).select_related("substation", "org_unit").get(pk=pk)
    except Outage.DoesNotExist as exc:  # outside the scope answers 404, like a missing one
        raise Http404 from exc


def _date(value: str):
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


# --- list -------------------------------------------------------------------------------------


def _filtered(request):
    qs = selectors.outage_list(request.user)
    g = request.GET
    params = {"q": g.get("q", "").strip(), "status": g.get("status", ""), "kind": g.get("kind", ""),
              "substation": g.get("substation", ""), "from": g.get("from", ""), "to": g.get("to", ""),
              "sort": g.get("sort", "-start") if g.get("sort") in SORTS else "-start"}
    if params["q"]:
        qs = qs.filter(Q(number__icontains=params["q"]) | Q(reason__icontains=params["q"])
                       | Q(substation__name__icontains=params["q"]) | Q(supply_lines__name__icontains=params["q"])
                       ).distinct()
    if params["status"] in c.OutageStatus.values:
        qs = qs.filter(status=params["status"])
    if params["kind"] in c.OutageKind.values:
        qs = qs.filter(kind=params["kind"])
    if substation := record_id(params["substation"]):
        qs = qs.filter(substation_id=substation)
    if (d := _date(params["from"])) is not None:
        qs = qs.filter(starts_at__date__gte=d)
    if (d := _date(params["to"])) is not None:
        qs = qs.filter(starts_at__date__lte=d)
    return qs.order_by(SORTS[params["sort"]], "-id"), params


LIST_COLUMNS = [
    Column(gettext_lazy("outage number"), lambda o: o.number),
    Column(gettext_lazy("outage kind"), lambda o: o.get_kind_display()),
    Column(gettext_lazy("status"), lambda o: o.get_status_display()),
    Column(gettext_lazy("substation"), lambda o: o.substation.name),
    Column(gettext_lazy("supply lines"), lambda o: "、".join(line.name for line in o.supply_lines.all())),
    Column(gettext_lazy("starts at"), lambda o: o.starts_at),
    Column(gettext_lazy("ends at"), lambda o: o.ends_at),
    Column(gettext_lazy("reason"), lambda o: o.reason),
    Column(gettext_lazy("customers notified"), lambda o: o.n_notices),
    Column(gettext_lazy("missed"), lambda o: o.n_missed),
    Column(gettext_lazy("acknowledged"), lambda o: o.n_acked),
    Column(gettext_lazy("notified at"), lambda o: o.notified_at),
    Column(gettext_lazy("late notice override reason"), lambda o: o.late_override_reason),
]


@login_required
def outage_list(request):
    qs, params = _filtered(request)
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        return export_response(qs, LIST_COLUMNS, fmt=fmt, filename=_("outages"))
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    context = {"nav": "service", "page": page, "params": params, "target": "#outage-table",
               "statuses": c.OutageStatus.choices, "kinds": c.OutageKind.choices,
               "can_write": can_write(request.user, WRITER_ROLES), "now": timezone.now()}
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        response = render(request, "outages/_table.html", context)
    else:
        context["substations"] = list(Substation.objects.order_by("name").values_list("pk", "name"))
        response = render(request, "outages/list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- create -----------------------------------------------------------------------------------


@login_required
def outage_create(request):
    require_writer(request.user, roles=WRITER_ROLES, message=WRITER_REFUSAL)
    form = OutageForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outage = services.create_outage(
                substation=data["substation"], supply_lines=data["supply_lines"], starts_at=data["starts_at"],
                ends_at=data["ends_at"], reason=data["reason"], kind=data["kind"], actor=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Outage %(number)s recorded. Check the affected customers, then send the notices.")
                             % {"number": outage.number})
            return redirect("outages:detail", pk=outage.pk)
    return render(request, "outages/form.html", {"nav": "service", "form": form},
                  status=400 if request.method == "POST" else 200)


# --- detail, impact preview and report ----------------------------------------------------------

PREVIEW_ROWS = 200


def _report_context(request, outage) -> dict:
    notices = list(selectors.report_notices(outage, request.user))
    gaps = list(services.unlinked_supply_points(outage).filter(
        customer__in=selectors.scope_to_user(services.Customer.objects.all(), request.user)))
    return {"notices": notices, "summary": selectors.report_summary(notices),
            "missed": [n for n in notices if n.missed_reason], "gaps": gaps}


@login_required
def outage_detail(request, pk: int):
    outage = _visible_outage(request, pk)
    user = request.user
    now = timezone.now()
    context = {"nav": "service", "outage": outage, "lines": list(outage.supply_lines.order_by("name")),
               "can_write": can_write(user, WRITER_ROLES), "can_override": services.can_override(user), "now": now,
               "late": now > outage.notice_deadline, "notify_form": NotifyForm(), "ack_form": PhoneAckForm()}
    if outage.status == c.OutageStatus.DRAFT:
        affected = selectors.scope_to_user(services.affected_customers(outage), user)
        context["affected_count"] = affected.count()
        context["affected"] = list(affected.select_related("primary_manager").order_by("number")[:PREVIEW_ROWS])
        context["preview_rows"] = PREVIEW_ROWS
        context["gaps"] = list(services.unlinked_supply_points(outage).filter(
            customer__in=selectors.scope_to_user(services.Customer.objects.all(), user)))
    else:
        context.update(_report_context(request, outage))
    return render(request, "outages/detail.html", context)


REPORT_COLUMNS = [
    Column(gettext_lazy("customer number"), lambda r: r["notice"].customer.number),
    Column(gettext_lazy("customer name"), lambda r: r["notice"].customer.name),
    Column(gettext_lazy("key account"), lambda r: r["notice"].is_key_account),
    Column(gettext_lazy("supply points"), lambda r: r["notice"].supply_points),
    Column(gettext_lazy("contact"), lambda r: r["delivery"].contact_name if r["delivery"] else ""),
    Column(gettext_lazy("delivery channel"), lambda r: r["delivery"].get_channel_display() if r["delivery"] else ""),
    Column(gettext_lazy("address"), lambda r: r["delivery"].address if r["delivery"] else ""),
    Column(gettext_lazy("delivery status"), lambda r: r["delivery"].get_status_display() if r["delivery"] else ""),
    Column(gettext_lazy("sent at"), lambda r: r["delivery"].sent_at if r["delivery"] else None),
    Column(gettext_lazy("error"), lambda r: r["delivery"].error if r["delivery"] else ""),
    Column(gettext_lazy("missed because"), lambda r: r["notice"].get_missed_reason_display()),
    Column(gettext_lazy("acknowledged at"), lambda r: r["notice"].acknowledged_at),
    Column(gettext_lazy("acknowledged by"), lambda r: r["notice"].get_ack_method_display()),
]


def report_rows(notices):
    """One row per delivery; a customer nobody could reach gets one row with its reason."""
    for notice in notices:
        deliveries = list(notice.deliveries.all())
        if not deliveries:
            yield {"notice": notice, "delivery": None}
        for d in deliveries:
            yield {"notice": notice, "delivery": d}


@login_required
def outage_report_export(request, pk: int):
    outage = _visible_outage(request, pk)
    fmt = request.GET.get("export", "xlsx")
    notices = selectors.report_notices(outage, request.user)
    return export_response(report_rows(notices), REPORT_COLUMNS, fmt=fmt,
                           filename=_("outage-report-%(number)s") % {"number": outage.number})


@login_required
@require_POST
def outage_notify(request, pk: int):
    outage = _visible_outage(request, pk)
    require_writer(request.user, roles=WRITER_ROLES, message=WRITER_REFUSAL)
    form = NotifyForm(request.POST)
    form.is_valid()
    try:
        result = services.notify_outage(outage, actor=request.user,
                                        override_reason=form.cleaned_data.get("override_reason", ""))
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, _("Notices sent: %(reached)s customers reached, %(missed)s missed, "
                                    "%(calls)s personal calls assigned.") % {
            "reached": result.reached, "missed": result.missed, "calls": result.call_tasks})
    return redirect("outages:detail", pk=outage.pk)


@login_required
@require_POST
def outage_cancel(request, pk: int):
    outage = _visible_outage(request, pk)
    require_writer(request.user, roles=WRITER_ROLES, message=WRITER_REFUSAL)
    services.cancel_outage(outage, actor=request.user)
    messages.info(request, _("Outage %(number)s cancelled.") % {"number": outage.number})
    return redirect("outages:detail", pk=outage.pk)


@login_required
@require_POST
def notice_ack_phone(request, pk: int):
    """Staff mark "acknowledged by phone" (any staff who sees the customer, except read-only)."""
    notice = get_visible_or_404(OutageNotice.objects.select_related("outage", "customer"), request.user, pk=pk)
    require_writer(request.user)
    form = PhoneAckForm(request.POST)
    form.is_valid()
    services.acknowledge(notice, method=c.AckMethod.PHONE, actor=request.user, note=form.cleaned_data.get("note", ""))
    messages.success(request, _("%(customer)s: acknowledgement by phone recorded.") % {"customer": notice.customer.name})
    return redirect("outages:detail", pk=notice.outage_id)


# --- public acknowledgement link ------------------------------------------------------------------


@never_cache
def acknowledge_link(request, token: str):
    try:
        notice = services.notice_for_token(token)
    except services.LinkError:
        return render(request, "outages/ack.html", {"invalid": True}, status=404)
    if request.method == "POST" and not notice.acknowledged_at:
        notice = services.acknowledge(notice, method=c.AckMethod.LINK)
        return render(request, "outages/ack.html", {"notice": notice, "done": True})
    return render(request, "outages/ack.html", {"notice": notice, "done": bool(notice.acknowledged_at)})
