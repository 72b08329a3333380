"""Visit pages: calendar, list, visit detail (briefing, record, reschedule), plan by hand,
must-visit occasions, care records, the customer 360 service tab and the completion analysis.

Thin views: parse, scope (core.scoping), call a service or selector, render.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from powerkam.core.params import record_id
from powerkam.core.permissions import require_writer
from powerkam.core.scoping import get_visible_or_404
from powerkam.customers.models import Contact, Customer
from powerkam.imports.exports import FORMATS, Column, export_response
from powerkam.org.models import OrgUnit, Role
from powerkam.org.selectors import (
    assignable_staff,
    org_unit_options,
    visible_org_units,
    visible_portfolio_staff,
)

from . import constants as c
from . import selectors, services
from .forms import (
    CareForm,
    OccasionForm,
    PlanVisitForm,
    RecordVisitForm,
    RescheduleForm,
    apply_validation_error,
)
from .models import MustVisitOccasion, Visit

# --- helpers --------------------------------------------------------------------------------------


def _is_admin(user) -> bool:
    return user.is_superuser or user.role == Role.ADMIN


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


def _int(value) -> int | None:
    return record_id(value)


def _date(value, default: date | None = None) -> date | None:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _filter_by_person_unit(request, qs):
    """person / unit filters (unit: the unit and its sub-units, within what the user sees)."""
    user = request.user
    person = _int(request.GET.get("person"))
    unit = _int(request.GET.get("unit"))
    if person:
        qs = qs.filter(assignee_id=person)
    if unit:
        path = visible_org_units(user).filter(pk=unit).values_list("path", flat=True).first()
        qs = qs.filter(org_unit__path__startswith=path) if path else qs.none()
    return qs, person, unit


# --- Calendar -------------------------------------------------------------------------------------


@login_required
def calendar_view(request):
    user = request.user
    today = timezone.localdate()
    view = "week" if request.GET.get("view") == "week" else "month"
    anchor = _date(request.GET.get("date"), today)
    qs, person, unit = _filter_by_person_unit(request, selectors.visible_visits(user))
    weeks = selectors.calendar_weeks(qs, view, anchor)
    if view == "week":
        prev_day, next_day = anchor - timedelta(days=7), anchor + timedelta(days=7)
    else:
        first = anchor.replace(day=1)
        prev_day = (first - timedelta(days=1)).replace(day=1)
        next_day = (first + timedelta(days=32)).replace(day=1)
    context = {"nav": "service", "weeks": weeks, "view": view, "anchor": anchor, "today": today,
               "prev_day": prev_day, "next_day": next_day, "person": person, "unit": unit,
               "calendar_has_visits": any(cell["visits"] for week in weeks for cell in week),
               "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]}
    if not _is_partial(request):
        context.update({"people": list(visible_portfolio_staff(user).order_by("full_name", "username")),
                        "org_units": org_unit_options(user)})
    return _partial_or_page(request, "visits/calendar.html", "visits/_calendar.html", context)


# --- List -----------------------------------------------------------------------------------------

SORTS = {
    "planned": ("planned_on", "pk"), "-planned": ("-planned_on", "-pk"),
    "due": ("due_on", "pk"), "-due": ("-due_on", "-pk"),
    "customer": ("customer__name", "pk"), "done": ("-done_on", "-pk"),
}


def _filtered_visits(request):
    qs, person, unit = _filter_by_person_unit(request, selectors.visible_visits(request.user))
    params = {k: request.GET.get(k, "").strip() for k in ("q", "status", "source", "from", "to", "overdue", "sort")}
    if params["q"]:
        qs = qs.filter(Q(customer__name__icontains=params["q"]) | Q(customer__number=params["q"])
                       | Q(purpose__icontains=params["q"]))
    if params["status"] in c.VisitStatus.values:
        qs = qs.filter(status=params["status"])
    if params["source"] in c.VisitSource.values:
        qs = qs.filter(source=params["source"])
    if occasion := _int(request.GET.get("occasion")):
        qs = qs.filter(occasion_id=occasion)
        params["occasion"] = occasion
    if (d := _date(params["from"])) is not None:
        qs = qs.filter(planned_on__gte=d)
    if (d := _date(params["to"])) is not None:
        qs = qs.filter(planned_on__lte=d)
    if params["overdue"]:
        qs = qs.filter(status=c.VisitStatus.PLANNED, planned_on__lt=timezone.localdate())
    sort = params["sort"] if params["sort"] in SORTS else "planned"
    params["sort"] = sort
    params["person"], params["unit"] = person, unit
    return selectors.visit_list_queryset(qs).order_by(*SORTS[sort]), params


def visit_export_columns():
    return [
        Column(gettext_lazy("customer number"), lambda v: v.customer.number),
        Column(gettext_lazy("customer name"), lambda v: v.customer.name),
        Column(gettext_lazy("org unit"), lambda v: v.org_unit.name),
        Column(gettext_lazy("responsible"), lambda v: v.assignee.display_name),
        Column(gettext_lazy("source"), lambda v: v.get_source_display()),
        Column(gettext_lazy("purpose"), lambda v: v.purpose),
        Column(gettext_lazy("due"), lambda v: v.due_on),
        Column(gettext_lazy("planned for"), lambda v: v.planned_on),
        Column(gettext_lazy("status"), lambda v: v.get_status_display()),
        Column(gettext_lazy("visited on"), lambda v: v.done_on),
        Column(gettext_lazy("findings"), lambda v: v.findings),
        Column(gettext_lazy("customer needs"), lambda v: v.customer_needs),
    ]


@login_required
def visit_list(request):
    qs, params = _filtered_visits(request)
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        return export_response(qs.iterator(chunk_size=2000), visit_export_columns(), fmt=fmt, filename=_("visits"))
    context = {"nav": "service", "page": _paginate(request, qs), "params": params, "today": timezone.localdate(),
               "statuses": c.VisitStatus.choices, "sources": c.VisitSource.choices}
    if not _is_partial(request):
        context.update({"people": list(visible_portfolio_staff(request.user).order_by("full_name", "username")),
                        "org_units": org_unit_options(request.user)})
    return _partial_or_page(request, "visits/list.html", "visits/_table.html", context)


# --- Visit detail, record, reschedule -----------------------------------------------------------------


def _visible_visit(request, pk: int) -> Visit:
    return get_visible_or_404(
        Visit.objects.select_related("customer", "customer__org_unit", "assignee", "org_unit", "occasion", "recorded_by"),
        request.user, pk=pk)


def _record_form(request, visit, data=None):
    contacts = Contact.objects.filter(customer_id=visit.customer_id)
    initial = {"done_on": timezone.localdate(), "participants": [request.user.pk]}
    return RecordVisitForm(data, contacts_qs=contacts, staff_qs=assignable_staff(request.user), initial=initial)


def _detail_context(request, visit, record_form=None, reschedule_form=None):
    return {
        "nav": "service", "visit": visit, "today": timezone.localdate(),
        "briefing": selectors.briefing(visit),
        "reschedules": list(visit.reschedules.select_related("by")),
        "participants": list(visit.participants.all()) if visit.status == c.VisitStatus.DONE else [],
        "contacts_met": list(visit.contacts_met.all()) if visit.status == c.VisitStatus.DONE else [],
        "can_edit": not request.user.is_read_only and visit.status == c.VisitStatus.PLANNED,
        "record_form": record_form or (_record_form(request, visit) if visit.status == c.VisitStatus.PLANNED else None),
        "reschedule_form": reschedule_form or RescheduleForm(),
    }


@login_required
def visit_detail(request, pk: int):
    visit = _visible_visit(request, pk)
    return render(request, "visits/detail.html", _detail_context(request, visit))


@login_required
@require_POST
def visit_record(request, pk: int):
    require_writer(request.user)
    visit = _visible_visit(request, pk)
    form = _record_form(request, visit, request.POST)
    if form.is_valid():
        try:
            services.record_visit(visit, done_on=form.cleaned_data["done_on"],
                                  participants=form.cleaned_data["participants"],
                                  contacts_met=form.cleaned_data["contacts_met"],
                                  findings=form.cleaned_data["findings"],
                                  customer_needs=form.cleaned_data["customer_needs"],
                                  follow_ups=form.follow_ups(), actor=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            visit.refresh_from_db()
        else:
            messages.success(request, _("Visit recorded."))
            return redirect("visits:detail", pk=pk)
    return render(request, "visits/detail.html", _detail_context(request, visit, record_form=form), status=400)


@login_required
@require_POST
def visit_reschedule(request, pk: int):
    require_writer(request.user)
    visit = _visible_visit(request, pk)
    form = RescheduleForm(request.POST)
    if form.is_valid():
        try:
            services.reschedule_visit(visit, new_date=form.cleaned_data["new_date"], reason=form.cleaned_data["reason"],
                                      actor=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            visit.refresh_from_db()
        else:
            messages.success(request, _("Visit moved to %(day)s.") % {"day": visit.planned_on.isoformat()})
            return redirect("visits:detail", pk=pk)
    return render(request, "visits/detail.html", _detail_context(request, visit, reschedule_form=form), status=400)


@login_required
def visit_create(request):
    """Plan a visit by hand for one visible customer (?customer=<pk>)."""
    user = request.user
    require_writer(user)
    customer_pk = _int(request.POST.get("customer") or request.GET.get("customer"))
    customer = get_visible_or_404(Customer.objects.select_related("primary_manager", "org_unit"), user, pk=customer_pk)
    form = PlanVisitForm(request.POST or None, staff_qs=assignable_staff(user),
                         initial={"customer": customer.pk, "assignee": customer.primary_manager_id,
                                  "planned_on": timezone.localdate() + timedelta(days=7)})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                visit = services.plan_visit(customer=customer, planned_on=form.cleaned_data["planned_on"],
                                            assignee=form.cleaned_data["assignee"], purpose=form.cleaned_data["purpose"],
                                            actor=user)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Visit planned."))
                return redirect("visits:detail", pk=visit.pk)
        status = 400
    return render(request, "visits/plan.html", {"nav": "service", "form": form, "customer": customer}, status=status)


# --- Must-visit occasions ------------------------------------------------------------------------------


@login_required
def occasion_list(request):
    occasions = MustVisitOccasion.objects.prefetch_related("org_units").select_related("created_by")
    page = _paginate(request, occasions.order_by("-starts_on", "-pk"))
    # Counts of the visible visits per occasion on this page: one query.
    ids = [o.pk for o in page]
    from django.db.models import Count

    counts = {r["occasion_id"]: r for r in selectors.visible_visits(request.user).filter(occasion_id__in=ids)
              .values("occasion_id").annotate(n=Count("pk"), done=Count("pk", filter=Q(status=c.VisitStatus.DONE)))}
    for o in page:
        o.n_visits = counts.get(o.pk, {}).get("n", 0)
        o.n_done = counts.get(o.pk, {}).get("done", 0)
    return render(request, "visits/occasions.html", {"nav": "service", "page": page, "can_declare": _is_admin(request.user)})


@login_required
def occasion_create(request):
    if not _is_admin(request.user):
        raise PermissionDenied(_("Only administrators declare must-visit occasions."))
    form = OccasionForm(request.POST or None, units_qs=OrgUnit.objects.filter(is_active=True).order_by("path"))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                occasion = services.declare_occasion(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Occasion declared: %(n)s visits planned.") % {"n": occasion.visits.count()})
                return redirect("visits:occasions")
        status = 400
    return render(request, "visits/occasion_form.html", {"nav": "service", "form": form}, status=status)


# --- Care records ----------------------------------------------------------------------------------------


def care_export_columns():
    return [
        Column(gettext_lazy("date"), lambda r: r.occurred_on),
        Column(gettext_lazy("customer number"), lambda r: r.customer.number),
        Column(gettext_lazy("customer name"), lambda r: r.customer.name),
        Column(gettext_lazy("kind"), lambda r: r.get_kind_display()),
        Column(gettext_lazy("contact"), lambda r: r.contact.name if r.contact_id else ""),
        Column(gettext_lazy("summary"), lambda r: r.summary),
        Column(gettext_lazy("by"), lambda r: r.by.display_name if r.by_id else ""),
    ]


@login_required
def care(request):
    user = request.user
    today = timezone.localdate()
    qs = selectors.visible_care_records(user).select_related("customer", "contact", "by")
    params = {k: request.GET.get(k, "").strip() for k in ("q", "kind", "sort")}
    if params["q"]:
        qs = qs.filter(Q(customer__name__icontains=params["q"]) | Q(customer__number=params["q"])
                       | Q(summary__icontains=params["q"]))
    if params["kind"] in c.CareKind.values:
        qs = qs.filter(kind=params["kind"])
    qs = qs.order_by("occurred_on", "pk") if params["sort"] == "oldest" else qs.order_by("-occurred_on", "-pk")
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        return export_response(qs.iterator(chunk_size=2000), care_export_columns(), fmt=fmt, filename=_("care records"))
    context = {"nav": "service", "page": _paginate(request, qs), "params": params, "kinds": c.CareKind.choices,
               "can_edit": not user.is_read_only}
    if not _is_partial(request):
        context.update({"birthdays": selectors.upcoming_birthdays(user, today),
                        "anniversaries": selectors.upcoming_anniversaries(user, today),
                        "days": c.UPCOMING_CARE_DAYS, "today": today})
    return _partial_or_page(request, "visits/care.html", "visits/_care_table.html", context)


@login_required
def care_create(request):
    user = request.user
    require_writer(user)
    customer_pk = _int(request.POST.get("customer") or request.GET.get("customer"))
    customer = get_visible_or_404(Customer.objects.all(), user, pk=customer_pk)
    contacts = list(Contact.objects.filter(customer=customer))
    initial = {"customer": customer.pk, "occurred_on": timezone.localdate(),
               "kind": request.GET.get("kind", c.CareKind.GREETING), "contact": _int(request.GET.get("contact"))}
    form = CareForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            contact = next((ct for ct in contacts if ct.pk == form.cleaned_data.get("contact")), None)
            if form.cleaned_data.get("contact") and contact is None:
                form.add_error(None, _("This contact belongs to another customer."))
            else:
                try:
                    services.add_care_record(customer=customer, kind=form.cleaned_data["kind"],
                                             occurred_on=form.cleaned_data["occurred_on"],
                                             summary=form.cleaned_data["summary"], contact=contact, actor=user)
                except ValidationError as exc:
                    apply_validation_error(form, exc)
                else:
                    messages.success(request, _("Care record saved."))
                    return redirect(reverse("visits:care"))
        status = 400
    return render(request, "visits/care_form.html", {"nav": "service", "form": form, "customer": customer,
                                                     "contacts": contacts}, status=status)


# --- Customer 360 "Service" tab ----------------------------------------------------------------------------


@login_required
def customer_tab(request, pk: int):
    customer = get_visible_or_404(Customer.objects.all(), request.user, pk=pk)
    context = selectors.service_tab(customer, timezone.localdate())
    context.update({"customer": customer, "can_edit": not request.user.is_read_only})
    return render(request, "visits/_customer_tab.html", context)


# --- Analysis: plan completion -------------------------------------------------------------------------------

ANALYSIS_GROUPS = {"unit": ["org_unit_id", "org_unit__name"],
                   "manager": ["assignee_id", "assignee__full_name", "assignee__username", "org_unit__name"]}


def _period(request, today):
    start = _date(request.GET.get("from"), today.replace(month=1, day=1))
    end = _date(request.GET.get("to"), today)
    if end < start:
        start, end = end, start
    return start, end


@login_required
def analysis(request):
    user = request.user
    today = timezone.localdate()
    start, end = _period(request, today)
    group = "manager" if request.GET.get("by") == "manager" else "unit"
    qs, person, unit = _filter_by_person_unit(request, selectors.visible_visits(user))
    rows = selectors.completion_counts(qs, ANALYSIS_GROUPS[group], start=start, end=end, today=today)
    for r in rows:
        r["label"] = (r.get("assignee__full_name") or r.get("assignee__username")) if group == "manager" else r["org_unit__name"]
    rows.sort(key=lambda r: (-(r["planned"]), r["label"] or ""))
    totals = {k: sum(r[k] for r in rows) for k in ("planned", "on_time", "late", "overdue", "pending")}
    totals["rate"] = round(100 * totals["on_time"] / totals["planned"], 1) if totals["planned"] else None
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        columns = [Column(_("manager") if group == "manager" else _("org unit"), lambda r: r["label"])]
        if group == "manager":
            columns.append(Column(_("org unit"), lambda r: r["org_unit__name"]))
        columns += [Column(_("planned"), lambda r: r["planned"]), Column(_("done on time"), lambda r: r["on_time"]),
                    Column(_("done late"), lambda r: r["late"]), Column(_("overdue"), lambda r: r["overdue"]),
                    Column(_("not yet due"), lambda r: r["pending"]),
                    Column(_("on-time rate (%)"), lambda r: r["rate"])]
        return export_response(rows, columns, fmt=fmt, filename=_("visit plan completion"))
    top = rows[:30]
    chart = {"labels": [r["label"] for r in top],
             "series": [{"name": str(_("Done on time")), "data": [r["on_time"] for r in top]},
                        {"name": str(_("Done late")), "data": [r["late"] for r in top]},
                        {"name": str(_("Overdue")), "data": [r["overdue"] for r in top]},
                        {"name": str(_("Not yet due")), "data": [r["pending"] for r in top]}]}
    context = {"nav": "service", "rows": rows, "totals": totals, "group": group, "start": start, "end": end,
               "person": person, "unit": unit, "chart_json": chart,  # json_script encodes it, once
               "people": list(visible_portfolio_staff(user).order_by("full_name", "username")),
               "org_units": org_unit_options(user)}
    return render(request, "visits/analysis.html", context)
