"""The cycle-time report's scope (issue #12 items 7–8): the report resolves the scope's customer
side once into project ids (scoping.project_scope_q(resolve=True)); the rule must stay the same —
the scoped report equals the company report's projects filtered by hand with the rule written out:

- a supervisor: the project's station or its customer's unit in the supervisor's subtree;
- a manager or specialist: tracker, first-contact owner, or the customer's primary or secondary
  manager.

The projects below are chosen so that each side of each OR is the only reason for one of them."""

from __future__ import annotations

from datetime import date

import pytest

from powerkam.projects import analysis, scoping, selectors
from powerkam.projects import constants as c
from powerkam.projects.models import Project, StageRecord
from tests.factories import CustomerFactory

from .conftest import application
from .web_helpers import finished_stage, mark_energised

pytestmark = pytest.mark.django_db
PERIOD = selectors.ReportParams(date_from=date(2026, 1, 1), date_to=date(2026, 6, 30))


@pytest.fixture
def mixed(people, org_tree, make_staff):
    """Four energised projects (grid days 30, 41, 52, 63) and one stage record each."""
    from powerkam.projects import services

    t = org_tree
    south_manager = make_staff("manager", t["s3"], full_name="South Wu")
    north_customer = CustomerFactory(org_unit=t["s1"], primary_manager=people["specialist"])
    south_customer = CustomerFactory(org_unit=t["s3"], primary_manager=south_manager)
    south_customer_2nd = CustomerFactory(org_unit=t["s3"], primary_manager=south_manager,
                                         secondary_manager=people["tracker"])

    def make(i, station, customer, tracker, grid):
        p = services.accept_application(application(applicant_name=f"范围测试{i}"), actor=people["specialist"],
                                        tracker=people["tracker"], accepted_on=date(2026, 1, 5),
                                        org_unit=t["s1"])
        # Read side only: the station, customer and people this case needs, set directly.
        Project.objects.filter(pk=p.pk).update(
            org_unit=station, customer=customer, tracker=tracker,
            first_contact_owner=people["other"] if station == t["s3"] else people["specialist"])
        p = mark_energised(p, date(2026, 3, 2 + i), grid=grid, customer=i, commitment=45)
        finished_stage(p, c.Stage.PLAN_REPLY, date(2026, 1, 6), date(2026, 1, 20 + i), grid=10 + i, limit=12)
        return p

    return {
        # north station, no customer, the north tracker
        "north_plain": make(0, t["s1"], None, people["tracker"], 30),
        # south station, a north customer managed by the specialist: north sees it by the customer only
        "south_station_north_customer": make(1, t["s3"], north_customer, south_manager, 41),
        # south station and customer: only the south
        "south_only": make(2, t["s3"], south_customer, south_manager, 52),
        # north station, a south customer whose secondary manager is the north tracker
        "north_station_south_customer": make(3, t["s2"], south_customer_2nd, south_manager, 63),
    }


def _by_hand(user, projects: dict) -> set[int]:
    """The scope rule written out in Python over the fixture's projects."""
    from powerkam.org.models import COMPANY_ROLES, PORTFOLIO_ROLES

    visible = set()
    for p in projects.values():
        p = Project.objects.select_related("org_unit", "customer__org_unit").get(pk=p.pk)
        if user.role in COMPANY_ROLES:
            visible.add(p.pk)
        elif user.role in PORTFOLIO_ROLES:
            managers = {p.customer.primary_manager_id, p.customer.secondary_manager_id} if p.customer else set()
            if user.pk in {p.tracker_id, p.first_contact_owner_id} | managers:
                visible.add(p.pk)
        else:
            root = user.org_unit.path
            units = [p.org_unit.path] + ([p.customer.org_unit.path] if p.customer else [])
            if any(path.startswith(root) for path in units):
                visible.add(p.pk)
    return visible


def _report_by_hand(ids: set[int]) -> dict:
    projects = list(Project.objects.filter(pk__in=ids))
    stages = list(StageRecord.objects.filter(project_id__in=ids, stage=c.Stage.PLAN_REPLY))
    return {"totals": analysis.stats_of([p.grid_workdays for p in projects],
                                        [p.commitment_workdays for p in projects]),
            "plan_reply": analysis.stats_of([s.grid_workdays for s in stages], [s.limit_workdays for s in stages])}


def _report(user) -> dict:
    r = selectors.cycle_time_report(user, PERIOD)
    stage = next(row for row in r["by_stage"] if row["key"] == c.Stage.PLAN_REPLY)
    keys = ("count", "mean", "median", "p90", "within_pct")
    return {"totals": tuple(r["totals"][k] for k in keys), "plan_reply": tuple(stage[k] for k in keys),
            "units": sum(row["count"] for row in r["by_unit"]), "months": sum(row["count"] for row in r["by_month"])}


@pytest.mark.parametrize("who", ["region_sup", "station_sup", "specialist", "tracker", "other", "executive",
                                 "south_sup"])
def test_scoped_report_equals_the_company_report_filtered_by_hand(who, people, org_tree, make_staff, mixed):
    user = make_staff("supervisor", org_tree["south"]) if who == "south_sup" else people[who]
    expected = _by_hand(user, mixed)
    assert set(scoping.visible_projects(user, resolve=True).values_list("pk", flat=True)) == expected
    assert set(scoping.visible_projects(user).values_list("pk", flat=True)) == expected
    hand = _report_by_hand(expected)
    keys = ("count", "mean", "median", "p90", "within_pct")
    got = _report(user)
    assert got["totals"] == tuple(getattr(hand["totals"], k) for k in keys)
    assert got["plan_reply"] == tuple(getattr(hand["plan_reply"], k) for k in keys)
    assert got["units"] == got["months"] == len(expected)


def test_the_cases_cover_each_side_of_the_rule(people, org_tree, make_staff, mixed):
    """The fixture is not trivially equal: the region sees a project only through its customer,
    and the tracker one only as its customer's secondary manager."""
    m = mixed
    assert _by_hand(people["region_sup"], m) == {m["north_plain"].pk, m["south_station_north_customer"].pk,
                                                 m["north_station_south_customer"].pk}
    assert _by_hand(people["tracker"], m) == {m["north_plain"].pk, m["north_station_south_customer"].pk}
    assert _by_hand(people["specialist"], m) == {m["north_plain"].pk, m["south_station_north_customer"].pk,
                                                 m["north_station_south_customer"].pk}
    assert _by_hand(make_staff("supervisor", org_tree["south"]), m) == {
        m["south_station_north_customer"].pk, m["south_only"].pk, m["north_station_south_customer"].pk}


def test_a_long_customer_side_keeps_the_join(people, mixed, monkeypatch):
    """Past RESOLVE_MAX_IDS the customer side stays a join: same rows."""
    user = people["region_sup"]
    expected = _by_hand(user, mixed)
    monkeypatch.setattr(scoping, "RESOLVE_MAX_IDS", 0)
    assert set(scoping.visible_projects(user, resolve=True).values_list("pk", flat=True)) == expected
    assert _report(user)["totals"][0] == len(expected)
