"""/api/v1/visits/ and /api/v1/care-records/: scoped, bad input 400 with nothing written."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from powerkam.core.models import Task
from powerkam.service.visits import services
from powerkam.service.visits.models import CareRecord, Visit, VisitReschedule

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def today():
    return timezone.localdate()


def test_list_is_scoped_and_constant(team, key_account, today, django_assert_max_num_queries):
    mine = services.plan_visit(customer=key_account(), planned_on=today, today=today)
    other = services.plan_visit(customer=key_account(unit="s3", manager=team["other_manager"]), planned_on=today,
                                today=today)
    r = api(team["manager"]).get("/api/v1/visits/")
    assert r.status_code == 200
    assert [v["id"] for v in r.json()["results"]] == [mine.pk]
    assert api(team["manager"]).get(f"/api/v1/visits/{other.pk}/").status_code == 404
    assert api(team["admin"]).get(f"/api/v1/visits/{other.pk}/").status_code == 200
    for _i in range(10):
        services.plan_visit(customer=key_account(), planned_on=today, today=today)
    with django_assert_max_num_queries(8):
        r = api(team["manager"]).get("/api/v1/visits/", {"status": "planned"})
    assert r.json()["count"] == 11


def test_create_refuses_the_past_and_other_scopes(team, key_account, today):
    customer = key_account()
    other = key_account(unit="s3", manager=team["other_manager"])
    client = api(team["manager"])
    r = client.post("/api/v1/visits/", {"customer": customer.pk, "planned_on": (today - timedelta(days=1)).isoformat()},
                    format="json")
    assert r.status_code == 400
    assert "A visit cannot be planned in the past" in r.json()["planned_on"][0]
    r = client.post("/api/v1/visits/", {"customer": other.pk, "planned_on": today.isoformat()}, format="json")
    assert r.status_code == 400 and "customer" in r.json()
    assert not Visit.objects.exists()
    r = client.post("/api/v1/visits/", {"customer": customer.pk, "planned_on": today.isoformat(), "purpose": "回访"},
                    format="json")
    assert r.status_code == 201
    assert r.json()["assignee"] == team["manager"].pk


def test_reschedule_and_record(team, key_account, contact, today):
    customer = key_account()
    ct = contact(customer=customer)
    visit = services.plan_visit(customer=customer, planned_on=today, today=today)
    client = api(team["manager"])
    r = client.post(f"/api/v1/visits/{visit.pk}/reschedule/", {"new_date": (today + timedelta(days=2)).isoformat(),
                                                               "reason": "客户要求"}, format="json")
    assert r.status_code == 200 and r.json()["planned_on"] == (today + timedelta(days=2)).isoformat()
    assert VisitReschedule.objects.filter(visit=visit).count() == 1
    r = client.post(f"/api/v1/visits/{visit.pk}/reschedule/", {"new_date": "2020-01-01", "reason": "x"}, format="json")
    assert r.status_code == 400 and "new_date" in r.json()
    r = client.post(f"/api/v1/visits/{visit.pk}/record/", {
        "done_on": today.isoformat(), "participants": [team["manager"].pk], "contacts_met": [ct.pk],
        "findings": "负荷上升", "follow_ups": [{"assignee": team["specialist"].pk,
                                             "due_on": (today + timedelta(days=7)).isoformat(), "title": "核查容量"}]},
        format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "done" and r.json()["contacts_met"] == [ct.pk]
    assert Task.objects.get(key=f"visit:{visit.pk}:follow_up:1").title == "核查容量"
    r = client.post(f"/api/v1/visits/{visit.pk}/record/", {"done_on": today.isoformat(), "findings": "x"}, format="json")
    assert r.status_code == 400


def test_record_out_of_scope_404_and_executive_read_only(team, key_account, today):
    other = services.plan_visit(customer=key_account(unit="s3", manager=team["other_manager"]), planned_on=today,
                                today=today)
    r = api(team["manager"]).post(f"/api/v1/visits/{other.pk}/record/", {"done_on": today.isoformat(), "findings": "x"},
                                  format="json")
    assert r.status_code == 404
    r = api(team["executive"]).post(f"/api/v1/visits/{other.pk}/record/", {"done_on": today.isoformat(),
                                                                           "findings": "x"}, format="json")
    assert r.status_code == 403
    other.refresh_from_db()
    assert other.status == "planned"


def test_care_records_api(team, key_account, contact, today):
    customer = key_account()
    ct = contact(customer=customer)
    other = key_account(unit="s3", manager=team["other_manager"])
    client = api(team["manager"])
    r = client.post("/api/v1/care-records/", {"customer": customer.pk, "kind": "help", "occurred_on": today.isoformat(),
                                              "summary": "协助办理峰谷分时电价", "contact": ct.pk}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["by"] == team["manager"].pk
    r = client.post("/api/v1/care-records/", {"customer": other.pk, "kind": "help", "occurred_on": today.isoformat(),
                                              "summary": "x"}, format="json")
    assert r.status_code == 400 and "customer" in r.json()
    r = client.post("/api/v1/care-records/", {"customer": customer.pk, "kind": "help",
                                              "occurred_on": (today + timedelta(days=3)).isoformat(), "summary": "x"},
                    format="json")
    assert r.status_code == 400 and "occurred_on" in r.json()
    assert CareRecord.objects.count() == 1
    services.add_care_record(customer=other, kind="greeting", occurred_on=today, summary="他人客户")
    assert [x["summary"] for x in client.get("/api/v1/care-records/").json()["results"]] == ["协助办理峰谷分时电价"]


def test_schema_generates(team):
    r = api(team["admin"]).get("/api/schema/")
    assert r.status_code == 200
    assert b"/api/v1/visits/{id}/reschedule/" in r.content
    assert b"/api/v1/care-records/" in r.content
