"""/api/v1/projects/: the same services as the pages, scoped by the one visibility scope
(a new applicant's project is seen by its tracker and receiver and the station's supervisors),
field-level 400s that write nothing, a constant number of queries per list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from powerkam.projects import constants as c
from powerkam.projects.models import Project

from .conftest import d

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def make(user):
        client = APIClient()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


BODY = {"application_type": "new", "applicant_type": "new", "applicant_name": "城南数据中心有限公司",
        "site_address": "城南科技园 1 号", "requested_capacity_kva": 2500, "voltage_level": "10kV",
        "supply_mode": "dual", "industry": "I", "green_channel": True, "accepted_on": "2024-09-25"}


def test_accept_and_walk_through_the_api(api, people):
    client = api(people["specialist"])
    r = client.post("/api/v1/projects/", {**BODY, "tracker": people["tracker"].pk}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    pk = body["id"]
    assert body["first_contact_owner"]["id"] == people["specialist"].pk and body["tracker"]["id"] == people["tracker"].pk
    assert body["stage"] == "accepted" and body["commitment_workdays"] == 16  # dual source, green channel
    assert len(body["documents"]) >= 5 and body["stages"][0]["deadline"] == "2024-09-26"
    doc = body["documents"][0]["id"]
    assert client.post(f"/api/v1/projects/{pk}/receive-document/", {"document": doc, "received_on": "2024-09-25"},
                       format="json").status_code == 200
    r = client.post(f"/api/v1/projects/{pk}/advance/", {"stage": "accepted", "ended_on": "2024-09-26"}, format="json")
    assert r.status_code == 200 and r.json()["stage"] == "survey"
    r = client.post(f"/api/v1/projects/{pk}/pause/", {"reason": "documents", "started_on": "2024-09-26"},
                    format="json")
    assert r.status_code == 200 and r.json()["is_paused"]
    r = client.post(f"/api/v1/projects/{pk}/resume/", {"ended_on": "2024-09-30"}, format="json")
    assert r.json()["pauses"][0]["workdays"] == 3  # Fri 27, Sun 29 (worked), Mon 30 Sep 2024
    r = client.post(f"/api/v1/projects/{pk}/contractor/", {
        "role": "builder", "name": "客户自选安装公司", "licence_class": "5", "licence_valid_from": "2024-01-01",
        "licence_valid_to": "2023-01-01"}, format="json")
    assert r.status_code == 400 and "licence_valid_to" in r.json()
    assert r.json()["licence_valid_to"] == ["The licence cannot expire before it becomes valid (2024-01-01)."]


@pytest.mark.parametrize("capacity,message", [(0, "greater than 0 kVA"), ("abc", "must be a number of kVA")])
def test_bad_capacity_is_a_field_error_and_writes_nothing(api, people, capacity, message):
    r = api(people["specialist"]).post("/api/v1/projects/", {**BODY, "requested_capacity_kva": capacity,
                                                              "tracker": people["tracker"].pk}, format="json")
    assert r.status_code == 400
    assert message in r.json()["requested_capacity_kva"][0]
    assert not Project.objects.exists()


def test_who_sees_a_new_applicants_project(api, accept, people):
    p = accept(d("2024-09-25"))
    assert p.customer_id is None
    for who, sees in (("specialist", True), ("tracker", True), ("station_sup", True), ("region_sup", True),
                      ("executive", True), ("other", False)):
        client = api(people[who])
        ids = [row["id"] for row in client.get("/api/v1/projects/").json()["results"]]
        assert (p.pk in ids) is sees, who
        assert client.get(f"/api/v1/projects/{p.pk}/").status_code == (200 if sees else 404), who


def test_the_executive_reads_but_does_not_write(api, accept, people):
    p = accept(d("2024-09-25"))
    r = api(people["executive"]).post(f"/api/v1/projects/{p.pk}/advance/", {"stage": "accepted"}, format="json")
    assert r.status_code == 403


def test_filters_and_green_channel_first(api, accept, people):
    plain = accept(d("2024-09-25"), applicant_name="普通项目")
    green = accept(d("2024-09-25"), applicant_name="绿色通道项目", green_channel=True)
    client = api(people["station_sup"])
    rows = client.get("/api/v1/projects/").json()["results"]
    assert [r["id"] for r in rows][:2] == [green.pk, plain.pk]
    assert [r["id"] for r in client.get("/api/v1/projects/?green_channel=true").json()["results"]] == [green.pk]
    assert [r["id"] for r in client.get("/api/v1/projects/?q=普通").json()["results"]] == [plain.pk]
    overdue = client.get("/api/v1/projects/?overdue=true").json()["results"]
    assert {r["id"] for r in overdue} == {green.pk, plain.pk}  # accepted in 2024, due long ago


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/projects/").status_code == 200
    return len(ctx)


def test_the_list_and_detail_issue_a_constant_number_of_queries(api, accept, walk, people):
    client = api(people["station_sup"])
    first = walk(accept(d("2024-09-25")), d("2024-09-26"))
    few = _list_queries(client)
    for i in range(5):
        walk(accept(d("2024-09-25"), applicant_name=f"公司{i}"), d("2024-09-26"), d("2024-09-27"))
    assert _list_queries(client) == few
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/api/v1/projects/{first.pk}/")
    small = len(ctx)
    big = walk(accept(d("2024-09-25"), applicant_name="大项目"), d("2024-09-26"), d("2024-09-27"),
               d("2024-10-08"))
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/api/v1/projects/{big.pk}/")
    assert len(ctx) == small


def test_timing_table_is_readable(api, people):
    rows = api(people["specialist"]).get(
        "/api/v1/projects/timing-rules/?application_type=new&voltage_level=10kV&supply_mode=single"
        "&green_channel=false").json()["results"]
    limits = {r["stage"]: r["workdays"] for r in rows}
    assert limits[c.Stage.PLAN_REPLY] == 15 and limits[c.Stage.DESIGN_REVIEW] == 10 and limits[""] == 22
