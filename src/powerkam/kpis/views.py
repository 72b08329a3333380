"""Team KPI scorecard, work quality, executive dashboard and the monthly report archive."""

from __future__ import annotations

import re
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from powerkam.analytics.selectors import add_months
from powerkam.core.params import record_id
from powerkam.imports.exports import FORMATS, Column, export_response
from powerkam.org.models import COMPANY_ROLES, OrgUnit, Role
from powerkam.org.selectors import org_unit_options, visible_org_units, visible_portfolio_staff

from . import constants as c
from . import reports, selectors, services
from .models import MonthlyReport, ReportSubscription

PAGE_SIZE = 50


def _month(request, default_back: int = 1) -> date:
    """?month=YYYY-MM, else the last finished month."""
    raw = request.GET.get("month") or request.POST.get("month") or ""
    try:
        return date.fromisoformat(f"{raw}-01") if len(raw) == 7 else date.fromisoformat(raw).replace(day=1)
    except ValueError:
        return add_months(timezone.localdate().replace(day=1), -default_back)


def _unit(request) -> OrgUnit | None:
    pk = record_id(request.GET.get("org_unit"))
    return visible_org_units(request.user).filter(pk=pk).first() if pk else None


def _is_company(user) -> bool:
    return user.is_superuser or user.role in COMPANY_ROLES


# --- scorecard -----------------------------------------------------------------------------------

def _kpi_columns() -> list[Column]:
    cols = [Column(gettext_lazy("Rank"), lambda r: r["rank"]),
            Column(gettext_lazy("Staff member"), lambda r: r["staff"].display_name),
            Column(gettext_lazy("Org unit"), lambda r: r["staff"].org_unit.name if r["staff"].org_unit else "")]
    for m in c.Metric:
        cols.append(Column(m.label, lambda r, m=m.value: r["figures"].get(m)))
        cols.append(Column(gettext_lazy("Target: %(kpi)s") % {"kpi": m.label}, lambda r, m=m.value: r["cells"][m]["target"]))
    return cols


@login_required
def scorecard(request):
    month = _month(request)
    unit = _unit(request)
    card = selectors.scorecard(request.user, month, org_unit=unit, sort=request.GET.get("sort", c.Metric.REVENUE))
    if request.GET.get("export"):
        return export_response(card.rows, _kpi_columns(), fmt=request.GET["export"], filename=_("team-kpis"))
    return render(request, "kpis/scorecard.html", {
        "nav": "kpis", "card": card, "metrics": c.Metric.choices, "month": month, "org_units": org_unit_options(request.user),
        "unit": unit, "export_formats": FORMATS, "can_set": services.can_set_targets(request.user),
        "portfolio_min": c.PORTFOLIO_MIN,
    })


# --- unit targets page ----------------------------------------------------------------------------

TARGET_CELL = re.compile(r"^([tu])-(\d{1,12})-([a-z_]{1,30})$")


def _posted_cells(post) -> list[services.TargetCell]:
    cells = []
    for key, raw in post.items():
        m = TARGET_CELL.match(key)
        if m:
            kind, pk, metric = m.groups()
            cells.append(services.TargetCell(metric=metric, raw=raw, staff_id=int(pk) if kind == "t" else None,
                                             org_unit_id=int(pk) if kind == "u" else None))
    return cells


@login_required
def targets(request):
    """The supervisor's targets for one month: every KPI of every person and every dashboard figure
    of the units in their scope, in one form (all or nothing); last month's shown beside each and
    copied into the empty cells on request."""
    if not services.can_set_targets(request.user):
        raise PermissionDenied(_("Only a supervisor or an administrator sets targets."))
    month = _month(request, default_back=0)
    raw_month = request.POST.get("month", "") if request.method == "POST" else ""
    unit = _unit(request)
    people = list(selectors.team(request.user, unit))
    units = services.target_units(request.user)
    posted: dict[str, str] | None = None
    errors: dict[str, str] = {}
    if request.method == "POST":
        cells = _posted_cells(request.POST)
        posted = {x.name: x.raw for x in cells}
        try:
            if raw_month and f"{month:%Y-%m}" != raw_month[:7]:  # never write a month other than the one asked
                raise ValidationError({"month": _("Enter the month as YYYY-MM.")})
            counts = services.set_targets(actor=request.user, month=month, cells=cells)
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        else:
            messages.success(request, _("Targets of %(month)s saved: %(set)s set, %(changed)s changed, "
                                        "%(removed)s removed.") % {"month": f"{month:%Y-%m}", **counts})
            query = f"?month={month:%Y-%m}" + (f"&org_unit={unit.pk}" if unit else "")
            return redirect(reverse("kpis:targets") + query)
    known = services.month_targets(month, [p.pk for p in people], [u.pk for u in units])
    before = add_months(month, -1)
    copy = posted is None and bool(request.GET.get("copy"))
    copied = 0

    def cell(name: str, label) -> dict:
        nonlocal copied
        value, last = known.get((month, name)), known.get((before, name))
        if posted is not None:
            shown = posted.get(name, "")
        elif value is None and copy and last is not None:
            shown, copied = str(last), copied + 1
        else:
            shown = "" if value is None else str(value)
        return {"name": name, "label": label, "value": shown, "last": last, "error": errors.get(name, "")}

    people_rows = [{"staff": p, "cells": [cell(f"t-{p.pk}-{m}", label) for m, label in c.Metric.choices]}
                   for p in people]
    unit_rows = [{"unit": u, "cells": [cell(f"u-{u.pk}-{m}", label) for m, label in c.DashboardMetric.choices]}
                 for u in units]
    shown = {x["name"] for r in people_rows + unit_rows for x in r["cells"]}
    # errors of cells the page does not show (a person or unit outside the scope, a forged figure)
    general = [msg for name, msg in errors.items() if name not in shown]
    return render(request, "kpis/targets.html", {
        "nav": "kpis", "month": month, "before": before, "unit": unit, "org_units": org_unit_options(request.user),
        "metrics": c.Metric.choices, "unit_metrics": c.DashboardMetric.choices, "people_rows": people_rows,
        "unit_rows": unit_rows, "errors": errors, "general_errors": list(dict.fromkeys(general)),
        "copied": copied, "copy_asked": copy,
    }, status=400 if errors else 200)


@login_required
def drill(request, staff_id: int, metric: str):
    staff = get_object_or_404(visible_portfolio_staff(request.user), pk=staff_id)
    if metric not in c.Metric.values:
        raise Http404
    month = _month(request)
    kind, qs = selectors.drill_down(request.user, staff, metric, month)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    figures = selectors.person_kpis([staff], month)[staff.pk]
    return render(request, "kpis/drill.html", {
        "nav": "kpis", "staff": staff, "metric": metric, "metric_label": c.Metric(metric).label, "month": month,
        "kind": kind, "page": page, "figures": figures})


# --- work quality --------------------------------------------------------------------------------


@login_required
def work_quality(request):
    month = _month(request)
    return render(request, "kpis/work_quality.html", {
        "nav": "kpis", "data": selectors.work_quality(request.user, month), "month": month})


@login_required
def late_items(request, process: str):
    if process not in c.Process.values:
        raise Http404
    month = _month(request)
    unit = _unit(request)
    qs = selectors.late_items(request.user, process, month, unit)
    page = Paginator(qs.order_by("pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return render(request, "kpis/late_items.html", {
        "nav": "kpis", "process": process, "label": c.Process(process).label, "month": month, "unit": unit,
        "page": page})


# --- dashboard -----------------------------------------------------------------------------------


@login_required
def dashboard(request):
    month = _month(request)
    data = selectors.dashboard(request.user, month)
    return render(request, "kpis/dashboard.html", {
        "nav": "kpis", "data": data, "month": month, "labels": reports.dashboard_labels(),
        "can_set": services.can_set_targets(request.user),
        "prev": add_months(month, -1), "next": add_months(month, 1) if add_months(month, 1) <= timezone.localdate() else None,
    })


# --- monthly reports -----------------------------------------------------------------------------


@login_required
def report_list(request):
    company = _is_company(request.user)
    return render(request, "kpis/reports.html", {
        "nav": "kpis", "reports": list(MonthlyReport.objects.all()[:36]) if company else [], "company": company,
        "is_admin": request.user.is_superuser or request.user.role == Role.ADMIN,
        "subscribed": ReportSubscription.objects.filter(staff=request.user).exists(),
        "report_day": reports.report_day(), "default_month": add_months(timezone.localdate().replace(day=1), -1),
    })


@login_required
@require_POST
def report_generate(request):
    if not (request.user.is_superuser or request.user.role == Role.ADMIN):
        raise PermissionDenied(_("Only an administrator makes a report by hand."))
    report = reports.generate_report(_month(request))
    messages.success(request, _("Report %(month)s made.") % {"month": f"{report.month:%Y-%m}"})
    return redirect("kpis:reports")


@login_required
@require_POST
def report_subscribe(request):
    if not _is_company(request.user):
        raise PermissionDenied(_("The company-wide report is for executives and administrators."))
    sub = ReportSubscription.objects.filter(staff=request.user).first()
    if sub:
        sub.delete()
        messages.success(request, _("You no longer receive the monthly report."))
    else:
        sub = ReportSubscription(staff=request.user)
        sub._history_user = request.user
        sub.save()
        messages.success(request, _("You will receive the monthly report by e-mail."))
    return redirect("kpis:reports")


@login_required
def report_download(request, pk: int, kind: str):
    if not _is_company(request.user):
        raise Http404
    report = get_object_or_404(MonthlyReport, pk=pk)
    f = report.xlsx if kind == "xlsx" else report.pdf if kind == "pdf" else None
    if not f:
        raise Http404
    return FileResponse(f.open("rb"), as_attachment=True, filename=f"management-report-{report.month:%Y-%m}.{kind}")
