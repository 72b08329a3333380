"""The unit targets page (issue #15 item 5: "targets set by the supervisor"): a supervisor sets the
KPI targets of the people and the dashboard targets of the units in their scope for a month, all
or nothing; a target for a person outside their unit is refused with a clear message and nothing
is written; every change is audited; last month's are copied on request."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerkam.kpis import selectors, services
from powerkam.kpis.models import Target
from powerkam.kpis.services import TargetCell

NOV = date(2026, 11, 1)
OCT = date(2026, 10, 1)
URL = "/kpis/targets/?month=2026-11"


@pytest.fixture
def team(org_tree, make_staff):
    return {
        "sup": make_staff("supervisor", org_tree["north"], username="sup"),
        "m1": make_staff("manager", org_tree["s1"], username="m1", full_name="North One"),
        "m2": make_staff("specialist", org_tree["s2"], username="m2", full_name="North Two"),
        "south": make_staff("manager", org_tree["s3"], username="zz_south", full_name="South One"),
    }


def test_page_lists_the_team_and_units_in_scope(team, org_tree, login):
    page = login(team["sup"]).get(URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert f'name="t-{team["m1"].pk}-revenue"' in html and f'name="t-{team["m2"].pk}-timeliness"' in html
    assert f't-{team["south"].pk}-' not in html  # the south manager is not in the north supervisor's scope
    # the units the north supervisor's dashboard shows: the north itself and its two stations
    for unit in ("north", "s1", "s2"):
        assert f'name="u-{org_tree[unit].pk}-revenue"' in html
    assert f'u-{org_tree["south"].pk}-' not in html and f'u-{org_tree["company"].pk}-' not in html


def test_targets_saved_all_at_once_and_audited(team, org_tree, login):
    m1, sup = team["m1"], team["sup"]
    r = login(sup).post(URL, {"month": "2026-11", f"t-{m1.pk}-revenue": "120000", f"t-{m1.pk}-collection_rate": "98.5",
                              f"t-{team['m2'].pk}-revenue": "", f"u-{org_tree['north'].pk}-satisfaction": "4.5"})
    assert r.status_code == 302 and r["Location"] == "/kpis/targets/?month=2026-11"
    got = {(t.staff_id, t.org_unit_id, t.metric): t.value for t in Target.objects.all()}
    assert got == {(m1.pk, None, "revenue"): D("120000"), (m1.pk, None, "collection_rate"): D("98.5"),
                   (None, org_tree["north"].pk, "satisfaction"): D("4.5")}
    t = Target.objects.get(staff=m1, metric="revenue")
    assert t.month == NOV and t.set_by == sup and t.history.get().history_user == sup
    # the scorecard and the dashboard read them
    card = selectors.scorecard(sup, NOV)
    assert next(r for r in card.rows if r["staff"] == m1)["cells"]["revenue"]["target"] == D("120000")
    assert selectors.dashboard(sup, NOV)["whole"]["satisfaction"]["target"] == D("4.5")


def test_a_target_outside_the_supervisors_unit_is_refused_and_nothing_written(team, login):
    r = login(team["sup"]).post(URL, {"month": "2026-11", f"t-{team['m1'].pk}-revenue": "1000",
                                      f"t-{team['south'].pk}-revenue": "5000"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "Nothing was saved" in html
    assert "This person is not in your unit: you can set targets only for your own team." in html
    assert not Target.objects.exists()  # not even the north manager's valid cell


def test_a_unit_outside_the_scope_is_refused(team, org_tree):
    with pytest.raises(ValidationError) as exc:
        services.set_targets(actor=team["sup"], month=NOV, cells=[
            TargetCell(metric="revenue", raw="1", org_unit_id=org_tree["south"].pk)])
    assert exc.value.message_dict == {f"u-{org_tree['south'].pk}-revenue": ["This org unit is not in your unit."]}
    assert not Target.objects.exists()


@pytest.mark.parametrize("metric,raw,message", [
    ("revenue", "abc", "The target must be a number."),
    ("revenue", "-5", "The target must be a number of zero or more."),
    ("collection_rate", "120", "This target cannot be above 100."),
    ("satisfaction", "6", "This target cannot be above 5."),
    ("revenue", "1.005", "Give the target with at most two decimals and 14 digits."),
    ("nonsense", "10", "Choose one of the KPIs."),
])
def test_bad_input_is_named_per_cell_and_writes_nothing(team, login, metric, raw, message):
    m1 = team["m1"]
    r = login(team["sup"]).post(URL, {"month": "2026-11", f"t-{m1.pk}-kwh": "5000", f"t-{m1.pk}-{metric}": raw})
    assert r.status_code == 400 and message in r.content.decode()
    assert not Target.objects.exists()


def test_an_emptied_cell_removes_its_target_audited(team, login):
    m1, sup = team["m1"], team["sup"]
    services.set_targets(actor=sup, month=NOV, cells=[TargetCell(metric="kwh", raw="5000", staff_id=m1.pk)])
    login(sup).post(URL, {"month": "2026-11", f"t-{m1.pk}-kwh": " "})
    assert not Target.objects.exists()
    assert [h.history_type for h in Target.history.order_by("history_id")] == ["+", "-"]
    assert Target.history.latest("history_id").history_user == sup


def test_unchanged_cells_write_nothing(team):
    m1, sup = team["m1"], team["sup"]
    cells = [TargetCell(metric="kwh", raw="5000", staff_id=m1.pk)]
    assert services.set_targets(actor=sup, month=NOV, cells=cells) == {"set": 1, "changed": 0, "removed": 0}
    assert services.set_targets(actor=sup, month=NOV, cells=cells) == {"set": 0, "changed": 0, "removed": 0}
    assert Target.history.count() == 1


def test_copy_last_month_fills_the_empty_cells_and_writes_nothing(team, login):
    m1, sup = team["m1"], team["sup"]
    services.set_targets(actor=sup, month=OCT, cells=[TargetCell(metric="revenue", raw="90000", staff_id=m1.pk),
                                                      TargetCell(metric="kwh", raw="7000", staff_id=m1.pk)])
    services.set_targets(actor=sup, month=NOV, cells=[TargetCell(metric="kwh", raw="8000", staff_id=m1.pk)])
    html = login(sup).get(URL + "&copy=1").content.decode()
    assert f'name="t-{m1.pk}-revenue" id="t-{m1.pk}-revenue" value="90000.00"' in html  # copied
    assert f'name="t-{m1.pk}-kwh" id="t-{m1.pk}-kwh" value="8000.00"' in html  # this month's kept
    assert "1 target of last month filled in" in html
    assert Target.objects.filter(month=NOV).count() == 1


def test_only_supervisors_and_administrators(team, org_tree, make_staff, login):
    assert login(team["m1"]).get(URL).status_code == 403
    assert login(make_staff("executive", org_tree["company"])).get(URL).status_code == 403
    assert login(make_staff("admin", org_tree["company"])).get(URL).status_code == 200


def test_the_scorecard_links_to_the_page(team, login):
    html = login(team["sup"]).get("/kpis/team/?month=2026-11").content.decode()
    assert 'id="set-targets"' in html and "/kpis/targets/?month=2026-11" in html
    assert 'id="set-targets"' not in login(team["m1"]).get("/kpis/team/?month=2026-11").content.decode()


def test_query_count_does_not_grow_with_the_team(team, org_tree, make_staff, login):
    client = login(team["sup"])
    with CaptureQueriesContext(connection) as first:
        client.get(URL)
    for i in range(5):
        p = make_staff("manager", org_tree["s2"], username=f"extra{i}")
        services.set_targets(actor=team["sup"], month=NOV, cells=[TargetCell(metric="kwh", raw="1", staff_id=p.pk)])
    with CaptureQueriesContext(connection) as second:
        client.get(URL)
    assert len(first) == len(second)


def test_page_in_chinese(team, login, settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        html = login(team["sup"]).get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2026-11 目标" in html and "保存目标" in html
