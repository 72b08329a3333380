"""The project list and board (issue #12 item 7): search (two-character Chinese terms), filters,
green channel first, paging, exports, the one visibility scope and constant query counts."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerkam.projects import constants as c
from powerkam.projects.models import Project

from .web_helpers import accepted

pytestmark = pytest.mark.django_db

LIST = "/projects/list/"
BOARD = "/projects/"


@pytest.fixture
def projects(people, org_tree):
    steel = accepted(people, org_tree, date(2026, 11, 2), applicant_name="城北钢铁有限公司")
    green = accepted(people, org_tree, date(2026, 11, 3), applicant_name="绿色通道医院", green_channel=True,
                     is_key_project=True)
    plain = accepted(people, org_tree, date(2026, 11, 4), applicant_name="南湖物流园")
    return {"steel": steel, "green": green, "plain": plain}


def _numbers(response) -> list[str]:
    return [p.number for p in response.context["page"].object_list]


def test_list_puts_green_channel_first_and_shows_every_visible_project(login, people, projects):
    response = login(people["specialist"]).get(LIST)
    assert response.status_code == 200
    numbers = _numbers(response)
    assert numbers[0] == projects["green"].number
    assert set(numbers) == {p.number for p in projects.values()}
    # Green first under any sort.
    assert _numbers(login(people["specialist"]).get(LIST + "?sort=-number"))[0] == projects["green"].number


@pytest.mark.parametrize(("term", "expected"), [("钢铁", ["steel"]), ("物流", ["plain"]), ("医院", ["green"]),
                                              ("工业", ["green", "steel", "plain"]), ("不存在", [])])
def test_search_finds_two_character_chinese_terms(login, people, projects, term, expected):
    # Applicant names, and the site address (城北工业园 8 号) that all three share.
    response = login(people["specialist"]).get(LIST, {"q": term})
    assert _numbers(response) == [projects[k].number for k in expected]


def test_filters_type_voltage_stage_green_overdue_and_tracker(login, people, projects, org_tree):
    client = login(people["specialist"])
    assert _numbers(client.get(LIST, {"green": "1"})) == [projects["green"].number]
    assert _numbers(client.get(LIST, {"application_type": "increase"})) == []
    assert len(_numbers(client.get(LIST, {"voltage_level": "10kV", "stage": "accepted"}))) == 3
    assert _numbers(client.get(LIST, {"tracker": people["other"].pk})) == []
    assert len(_numbers(client.get(LIST, {"tracker": people["tracker"].pk}))) == 3
    assert len(_numbers(client.get(LIST, {"org_unit": org_tree["north"].pk}))) == 3
    assert _numbers(client.get(LIST, {"org_unit": org_tree["south"].pk})) == []
    Project.objects.update(due_on=date(2099, 1, 1))
    Project.objects.filter(pk=projects["plain"].pk).update(due_on=date(2020, 1, 1))
    assert _numbers(client.get(LIST, {"overdue": "1"})) == [projects["plain"].number]
    # Unknown values are ignored, not errors.
    assert client.get(LIST, {"stage": "nope", "org_unit": "x", "tracker": "-1", "sort": "drop"}).status_code == 200


def test_visibility_tracker_portfolio_and_subtree(login, people, projects, make_staff, org_tree):
    # Another station's specialist sees nothing; the south region's supervisor nothing; the north
    # region's supervisor all three (their subtree); the tracker all three.
    assert _numbers(login(people["other"]).get(LIST)) == []
    south_sup = make_staff("supervisor", org_tree["south"])
    assert _numbers(login(south_sup).get(LIST)) == []
    assert len(_numbers(login(people["region_sup"]).get(LIST))) == 3
    assert len(_numbers(login(people["tracker"]).get(LIST))) == 3
    assert login(people["other"]).get(f"/projects/{projects['steel'].pk}/").status_code == 404
    assert login(people["other"]).get(f"/projects/{projects['steel'].pk}/notice/").status_code == 404
    board = login(people["other"]).get(BOARD)
    assert sum(col["count"] for col in board.context["columns"]) == 0


def test_export_csv_and_xlsx_follow_the_filters_and_the_scope(login, people, projects):
    response = login(people["specialist"]).get(LIST, {"q": "钢铁", "export": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][0] == projects["steel"].number
    xlsx = login(people["specialist"]).get(LIST, {"export": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert login(people["other"]).get(LIST, {"export": "csv"}).status_code == 200
    empty = list(csv.reader(io.StringIO(b"".join(
        login(people["other"]).get(LIST, {"export": "csv"}).streaming_content).decode("utf-8-sig"))))
    assert len(empty) == 1  # the header only
    assert login(people["specialist"]).get(LIST, {"export": "pdf"}).status_code == 404


def test_board_columns_by_stage_with_green_first(login, people, projects, walk):
    walk(projects["plain"], date(2026, 11, 5))  # accepted → survey
    response = login(people["specialist"]).get(BOARD)
    assert response.status_code == 200
    columns = {col["stage"]: col for col in response.context["columns"]}
    assert [col["stage"] for col in response.context["columns"]] == list(c.Stage.values)
    assert columns["accepted"]["count"] == 2 and columns["survey"]["count"] == 1
    assert columns["accepted"]["cards"][0].pk == projects["green"].pk
    html = response.content.decode()
    assert projects["steel"].number in html and "board-card" in html
    # htmx gets the partial only.
    partial = login(people["specialist"]).get(BOARD, {"green": "1"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and projects["green"].number.encode() in partial.content


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [LIST, LIST + "?q=城北&sort=-capacity", BOARD, BOARD + "?overdue=1&green=1"])
def test_list_and_board_run_a_constant_number_of_queries(login, people, org_tree, projects, url,
                                                          django_assert_num_queries):
    client = login(people["region_sup"])
    client.get(url)  # warm caches (session, calendar)
    few = _count(client, url)
    for i in range(12):
        accepted(people, org_tree, date(2026, 11, 5), applicant_name=f"城北新厂{i}", green_channel=i % 3 == 0)
    with django_assert_num_queries(few):
        assert client.get(url).status_code == 200
