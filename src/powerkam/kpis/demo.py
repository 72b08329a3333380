"""Demo data for KPIs and the dashboard: service cost rates, last month's targets for every
manager and for each region (about 10 % above what they achieved the month before), the
executive's report subscription and last month's management report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from powerkam.analytics.selectors import add_months
from powerkam.org.models import OrgUnit, Role, Staff

from . import constants as c
from . import reports, selectors
from .models import CostRate, MonthlyReport, ReportSubscription, Target


def load_demo(*, seed: int, today: date, log=None) -> dict:
    if MonthlyReport.objects.exists():
        return {"skipped": "reports already there"}
    from powerkam.analytics.services import refresh_summaries

    refresh_summaries()  # the dashboard and the report read the summaries (the nightly job refreshes them again)
    for item, yuan in c.DEFAULT_COST_RATES.items():
        CostRate.objects.get_or_create(item=item, defaults={"yuan": yuan})
    month = add_months(today.replace(day=1), -1)
    before = add_months(month, -1)
    people = list(Staff.objects.filter(is_active=True, role__in=[Role.MANAGER, Role.SPECIALIST]))
    figures = selectors.person_kpis(people, before)
    targets = []
    for p in people:
        f = figures[p.pk]
        revenue = (f["revenue"] * Decimal("1.10")).quantize(Decimal("1"))
        targets.append(Target(month=month, metric=c.Metric.REVENUE, staff=p, value=revenue or Decimal("100000")))
        targets.append(Target(month=month, metric=c.Metric.COLLECTION_RATE, staff=p, value=Decimal("98")))
        targets.append(Target(month=month, metric=c.Metric.TIMELINESS, staff=p, value=Decimal("90")))
    reader = reports.CompanyReader()
    last = selectors.dashboard(reader, before)
    for u in [*[x["unit"] for x in last["units"]], *OrgUnit.objects.filter(parent__isnull=True)]:
        figs = next((x["figures"] for x in last["units"] if x["unit"].pk == u.pk), last["whole"])
        revenue = figs["revenue"]["value"] or Decimal("0")
        targets.append(Target(month=month, metric=c.DashboardMetric.REVENUE, org_unit=u,
                              value=(revenue * Decimal("1.05")).quantize(Decimal("1"))))
        targets.append(Target(month=month, metric=c.DashboardMetric.COLLECTION_RATE, org_unit=u, value=Decimal("98")))
        targets.append(Target(month=month, metric=c.DashboardMetric.SATISFACTION, org_unit=u, value=Decimal("4.5")))
    Target.objects.bulk_create(targets, ignore_conflicts=True)
    for boss in Staff.objects.filter(is_active=True, role=Role.EXECUTIVE):
        ReportSubscription.objects.get_or_create(staff=boss)
    report = reports.generate_report(month, email=False)
    return {"targets": len(targets), "report": f"{month:%Y-%m}", "pdf": bool(report.pdf)}
