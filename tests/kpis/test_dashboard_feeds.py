"""The dashboard's figures from the new apps (issue #15 item 7 via #12, #13, #14): churn risk,
weighted pipeline, new capacity expected and connection cycle time — worked examples by hand,
their scope and drill-down links, and a constant number of queries."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerkam.consumption.models import UsageAnomaly
from powerkam.kpis import selectors
from powerkam.pipeline.models import (
    GovernmentProject,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
)
from powerkam.projects.models import Project
from tests.factories import CustomerFactory

OCT = date(2026, 10, 1)


def _opp(n, unit, owner, stage, prob, revenue, kva, close_on):
    return Opportunity.objects.create(
        number=f"OPP{n}", title=f"opp {n}", prospect_name="p", kind=OpportunityKind.objects.get(code="charging"),
        stage=OpportunityStage.objects.get(code=stage), probability=prob, expected_annual_revenue_yuan=D(revenue),
        expected_kva=D(kva), close_on=close_on, owner=owner, org_unit=unit)


def _project(n, unit, owner, energised_on, days, commitment, status="energised"):
    return Project.objects.create(
        number=f"P{n}", application_type="new", applicant_type="new", applicant_name=f"a{n}", site_address="x",
        requested_capacity_kva=D("800"), voltage_level="10kV", org_unit=unit, first_contact_owner=owner,
        tracker=owner, accepted_on=date(2026, 1, 5), status=status, energised_on=energised_on,
        grid_workdays=days, commitment_workdays=commitment)


@pytest.fixture
def feeds(org_tree, make_staff):
    m = make_staff("manager", org_tree["s1"], username="m1")
    s = make_staff("manager", org_tree["s3"], username="m3")
    c1 = CustomerFactory(number="K1", org_unit=org_tree["s1"], primary_manager=m)
    c3 = CustomerFactory(number="K3", org_unit=org_tree["s3"], primary_manager=s)
    today = date.today()
    kw = {"started_on": today, "detected_on": today, "checked_on": today, "last_kwh": D("10"), "expected_kwh": D("100")}
    UsageAnomaly.objects.create(customer=c1, kind="drop", **kw)          # churn risk
    UsageAnomaly.objects.create(customer=c1, kind="zero", **kw)          # same customer: counted once
    UsageAnomaly.objects.create(customer=c3, kind="rise", **kw)          # a rise is no churn risk
    # open opportunities: weighted 50% × 10,000 + 20% × 5,000 = 6,000 (north) ; 10% × 1,000 = 100 (south)
    _opp(1, org_tree["s1"], m, "negotiation", 50, "10000", "400", OCT.replace(day=20))
    _opp(2, org_tree["s1"], m, "negotiation", 20, "5000", "300", date(2026, 12, 1))
    _opp(3, org_tree["s3"], s, "negotiation", 10, "1000", "50", date(2025, 10, 5))   # last year's month
    _opp(4, org_tree["s1"], m, "lost", 0, "9000", "900", OCT.replace(day=3))         # closed: not counted
    # approved government project expected in October (+1,000 kVA north); a planned one is not counted
    common = {"org_unit": org_tree["s1"], "expected_energisation_on": OCT.replace(day=15)}
    GovernmentProject.objects.create(number="G1", name="g1", gov_status="approved",
                                     expected_capacity_kva=D("1000"), **common)
    GovernmentProject.objects.create(number="G2", name="g2", gov_status="planned",
                                     expected_capacity_kva=D("7000"), **common)
    # connection projects energised in October: north 10 and 20 days (commitment 15: one within),
    # south 30 days without a commitment; last October north 40 days (commitment 15: late)
    _project(1, org_tree["s1"], m, date(2026, 10, 2), 10, 15)
    _project(2, org_tree["s1"], m, date(2026, 10, 30), 20, 15)
    _project(3, org_tree["s3"], s, date(2026, 10, 9), 30, None)
    _project(4, org_tree["s1"], m, date(2025, 10, 9), 40, 15)
    _project(5, org_tree["s1"], m, None, 5, 15, status="open")
    return {"m": m, "s": s}


def test_new_app_figures_by_hand(feeds, org_tree, make_staff):
    boss = make_staff("executive", org_tree["company"])
    data = selectors.dashboard(boss, OCT)
    w = data["whole"]
    assert data["missing"] == []
    assert w["churn_risk"]["value"] == 1
    assert w["pipeline"]["value"] == D("6100.00")
    # new capacity expected is a state (what was open then): last year's figure only from a snapshot
    assert w["new_capacity"] == {"value": D("1400.00"), "last_year": None, "target": None}
    # (10 + 20 + 30) / 3 = 20.0 days; last year 40.0; within: 1 of the 2 with a commitment
    assert w["project_cycle_time"]["value"] == D("20.0") and w["project_cycle_time"]["last_year"] == D("40.0")
    assert w["project_within"]["value"] == D("50.00") and w["project_within"]["last_year"] == D("0.00")
    units = {u["unit"].code: u["figures"] for u in data["units"]}
    north, south = units["R1"], units["R2"]
    assert north["churn_risk"]["value"] == 1 and south["churn_risk"]["value"] == 0
    assert north["pipeline"]["value"] == D("6000.00") and south["pipeline"]["value"] == D("100.00")
    assert north["new_capacity"]["value"] == D("1400.00") and south["new_capacity"]["last_year"] is None
    assert north["project_cycle_time"]["value"] == D("15.0") and south["project_cycle_time"]["value"] == D("30.0")
    assert south["project_within"]["value"] is None


def test_a_manager_sees_only_his_own(feeds, org_tree):
    data = selectors.dashboard(feeds["s"], OCT)["whole"]
    assert data["churn_risk"]["value"] == 0
    assert data["pipeline"]["value"] == D("100.00")
    assert data["new_capacity"]["value"] == D("0.00")
    assert data["project_cycle_time"]["value"] == D("30.0")


def test_target_for_a_new_figure(feeds, org_tree, make_staff):
    from powerkam.kpis import services

    boss = make_staff("admin", org_tree["company"])
    services.set_target(actor=boss, month=OCT, metric="new_capacity", value=D("2000"), org_unit=org_tree["company"])
    assert selectors.dashboard(boss, OCT)["whole"]["new_capacity"]["target"] == D("2000")


def test_query_count_does_not_grow_with_the_data(feeds, org_tree, make_staff):
    boss = make_staff("executive", org_tree["company"])
    with CaptureQueriesContext(connection) as first:
        selectors.dashboard(boss, OCT)
    for i in range(10, 16):
        _opp(i, org_tree["s3"], feeds["s"], "negotiation", 30, "100", "10", OCT)
        _project(i, org_tree["s2"], feeds["m"], OCT, 3, 5)
    with CaptureQueriesContext(connection) as second:
        selectors.dashboard(boss, OCT)
    assert len(first) == len(second)


def test_page_and_api_show_and_link_the_new_figures(feeds, org_tree, make_staff, login):
    boss = make_staff("executive", org_tree["company"])
    client = login(boss)
    page = client.get("/kpis/?month=2026-10").content.decode()
    assert "dashboard-missing" not in page
    north = org_tree["north"].pk
    assert 'href="/consumption/churn-risk/"' in page
    assert f'href="/consumption/churn-risk/?org_unit={north}"' in page
    assert f'href="/pipeline/forecast/?unit={north}"' in page
    assert f'href="/projects/analysis/?org_unit={north}&amp;date_from=2026-10-01&amp;date_to=2026-10-31"' in page
    # the drill-down pages open, scoped, with the unit chosen
    assert client.get(f"/pipeline/forecast/?unit={north}").status_code == 200
    assert client.get(f"/projects/analysis/?org_unit={north}&date_from=2026-10-01&date_to=2026-10-31").status_code == 200
    api = client.get("/api/v1/dashboard/?month=2026-10").json()
    assert api["missing"] == [] and D(api["whole"]["pipeline"]["value"]) == D("6100")


# --- work quality: connection-project stages and weekly reports ---------------------------------------


def test_work_quality_connection_stages_and_weekly_reports(feeds, org_tree, make_staff, login):
    from datetime import datetime, time

    from django.utils import timezone

    from powerkam.core.models import Task
    from powerkam.projects.models import StageRecord

    m = feeds["m"]
    p1, p3 = Project.objects.get(number="P1"), Project.objects.get(number="P3")
    common = {"owner": m, "started_on": date(2026, 9, 20)}
    StageRecord.objects.create(project=p1, stage="survey", deadline=date(2026, 10, 5), ended_on=date(2026, 10, 5),
                               **common)                                   # on time (north)
    StageRecord.objects.create(project=p1, stage="plan_reply", deadline=date(2026, 10, 8),
                               ended_on=date(2026, 10, 12), **common)      # late (north)
    StageRecord.objects.create(project=p3, stage="survey", deadline=date(2026, 10, 9), ended_on=date(2026, 10, 1),
                               **common)                                   # on time (south)
    StageRecord.objects.create(project=p3, stage="plan_reply", deadline=date(2026, 11, 9), **common)  # not due in Oct

    def due(day):
        return timezone.make_aware(datetime.combine(day, time(18)))

    kw = {"kind": Task.Kind.FOLLOW_UP, "assignee": m, "org_unit": org_tree["s1"], "title": "Weekly report"}
    Task.objects.create(key="pipeline:report:1:2026-10-05", due_at=due(date(2026, 10, 9)), status=Task.Status.DONE,
                        closed_at=due(date(2026, 10, 8)), **kw)            # on time
    Task.objects.create(key="pipeline:report:1:2026-10-12", due_at=due(date(2026, 10, 16)), status=Task.Status.DONE,
                        closed_at=due(date(2026, 10, 20)), **kw)           # late
    Task.objects.create(key="pipeline:report:1:2026-10-12:escalation", due_at=due(date(2026, 10, 21)), **kw)
    Task.objects.create(key="other:1", due_at=due(date(2026, 10, 9)), **kw)  # not a weekly report

    boss = make_staff("admin", org_tree["company"])
    data = selectors.work_quality(boss, OCT)
    assert data["missing"] == []
    rows = {r["process"]: r for r in data["rows"]}
    stages = rows["connection_stages"]
    assert stages["total"] == {"unit_id": None, "items": 3, "late": 1, "compliance": D("66.67")}
    cells = {cell["unit_id"]: cell for cell in stages["cells"]}
    assert cells[org_tree["north"].pk]["compliance"] == D("50.00")
    assert cells[org_tree["south"].pk]["compliance"] == D("100.00")
    assert rows["weekly_reports"]["total"] == {"unit_id": None, "items": 2, "late": 1, "compliance": D("50.00")}

    client = login(boss)
    page = client.get(f"/kpis/work-quality/connection_stages/late/?month=2026-10&org_unit={org_tree['north'].pk}")
    html = page.content.decode()
    assert page.status_code == 200 and html.count('class="list-group-item"') == 1
    assert f'href="/projects/{p1.pk}/"' in html
    late = client.get("/kpis/work-quality/weekly_reports/late/?month=2026-10").content.decode()
    assert late.count('class="list-group-item"') == 1
    # a south manager sees neither the north stages nor the north manager's report tasks
    south = selectors.work_quality(feeds["s"], OCT)
    south_rows = {r["process"]: r for r in south["rows"]}
    assert south_rows["connection_stages"]["total"]["items"] == 1
    assert south_rows["weekly_reports"]["total"]["items"] == 0


def test_a_rise_is_red_only_where_it_is_bad_news():
    from powerkam.kpis.templatetags.kpi_tags import delta_class

    assert delta_class(D("10"), "revenue") == "text-success" and delta_class(D("-10"), "revenue") == "text-danger"
    assert delta_class(D("10"), "project_cycle_time") == "text-danger"
    assert delta_class(D("-10"), "churn_risk") == "text-success"


def test_the_weighted_pipeline_is_exact_to_the_fen(feeds, org_tree, make_staff):
    """Worked example with weights that are not whole yuan: 33 % × 10,050 = 3,316.50 and
    1 % × 1 = 0.01 (on SQLite an integer division once truncated them to 3,316 and 0)."""
    _opp(5, org_tree["s3"], feeds["s"], "negotiation", 33, "10050", "0", date(2026, 11, 2))
    _opp(6, org_tree["s3"], feeds["s"], "negotiation", 1, "1", "0", date(2026, 11, 2))
    data = selectors.dashboard(make_staff("executive", org_tree["company"]), OCT)
    units = {u["unit"].code: u["figures"] for u in data["units"]}
    # south: 100 (opportunity 3) + 3,316.50 + 0.01
    assert units["R2"]["pipeline"]["value"] == D("3416.51")
    assert data["whole"]["pipeline"]["value"] == D("9416.51")
