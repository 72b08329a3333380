"""Team KPI scorecard, work quality, executive dashboard and the monthly report archive."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
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


@login_required
@require_POST
def set_target(request):
    staff_id, unit_id = record_id(request.POST.get("staff")), record_id(request.POST.get("org_unit"))
    staff = visible_portfolio_staff(request.user).filter(pk=staff_id).first() if staff_id else None
    if staff_id and staff is None:  # outside the scope answers like a wrong id, but clearly
        from powerkam.org.models import Staff

        staff = Staff.objects.filter(pk=staff_id).first()
        if staff is None:
            raise Http404
    unit = OrgUnit.objects.filter(pk=unit_id).first() if unit_id else None
    try:
        services.set_target(actor=request.user, month=_month(request), metric=request.POST.get("metric", ""),
                            value=request.POST.get("value", ""), staff=staff, org_unit=unit)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, _("Target saved."))
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/kpis/") else "kpis:scorecard")


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
