"""/api/v1/tickets/: scoped list/retrieve, create, actions, clear 400s that change nothing."""

import pytest
from rest_framework.test import APIClient

from powerkam.service.tickets.models import Ticket, TicketStage
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_create_then_walk_a_complaint_through_the_api(people, customer):
    client = api(people["clerk"])
    contact = ContactFactory(customer=customer)
    r = client.post("/api/v1/tickets/", {"customer": customer.pk, "ticket_type": "complaint", "channel": "95598",
                                          "subject": "Bill doubled", "cause": "billing", "contact": contact.pk,
                                          "about_staff": people["worker"].pk}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    pk = body["id"]
    assert body["first_contact_owner"] == {"id": people["clerk"].pk, "name": "Clerk Chen"}
    assert body["stage"] == "verify" and body["stages"][0]["owner"]["name"] == "Clerk Chen"
    assert body["contact_name"] == contact.name

    r = client.post(f"/api/v1/tickets/{pk}/assign/", {"to": people["worker"].pk}, format="json")
    assert r.status_code == 200 and r.json()["assignee"]["name"] == "Worker Wang"
    for stage in ("verify", "review", "rectify"):
        r = client.post(f"/api/v1/tickets/{pk}/advance/", {"stage": stage, "result_note": f"{stage} ok"}, format="json")
        assert r.status_code == 200, r.content
    r = client.post(f"/api/v1/tickets/{pk}/advance/", {"stage": "revisit", "result_note": "Not fixed",
                                                       "outcome": "unsatisfied"}, format="json")
    assert r.json()["stage"] == "rectify" and r.json()["reopen_count"] == 1
    for stage, outcome in (("rectify", ""), ("revisit", "satisfied"), ("archive", "")):
        r = client.post(f"/api/v1/tickets/{pk}/advance/", {"stage": stage, "result_note": "ok", "outcome": outcome},
                        format="json")
        assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "closed"
    assert body["first_contact_owner"]["name"] == "Clerk Chen"
    r = client.post(f"/api/v1/tickets/{pk}/reopen/", {"reason": "Called again"}, format="json")
    assert r.json()["stage"] == "rectify"


def test_bad_input_is_a_400_with_field_errors_and_writes_nothing(people, customer, org_tree):
    client = api(people["clerk"])
    south = CustomerFactory(org_unit=org_tree["s3"])
    r = client.post("/api/v1/tickets/", {"customer": south.pk, "ticket_type": "complaint", "channel": "phone",
                                          "subject": "x"}, format="json")
    assert r.status_code == 400 and r.json()["customer"] == ["Unknown customer: choose a customer you can see."]
    r = client.post("/api/v1/tickets/", {"customer": 999999, "ticket_type": "complaint", "channel": "phone",
                                          "subject": "x"}, format="json")
    assert r.status_code == 400 and "customer" in r.json()
    r = client.post("/api/v1/tickets/", {"customer": customer.pk, "ticket_type": "praise", "channel": "phone",
                                          "subject": "x", "about_staff": people["worker"].pk}, format="json")
    assert r.status_code == 400 and "about_staff" in r.json()
    assert not Ticket.objects.exists()

    pk = client.post("/api/v1/tickets/", {"customer": customer.pk, "ticket_type": "complaint", "channel": "phone",
                                           "subject": "ok"}, format="json").json()["id"]
    stages = TicketStage.objects.count()
    r = client.post(f"/api/v1/tickets/{pk}/advance/", {"stage": "archive", "result_note": "skip ahead"}, format="json")
    assert r.status_code == 400 and "stage" in r.json()
    r = client.post(f"/api/v1/tickets/{pk}/advance/", {"stage": "verify", "result_note": ""}, format="json")
    assert r.status_code == 400
    assert r.json()["result_note"] == ["Write the result of this stage before advancing."]
    assert TicketStage.objects.count() == stages


def test_scope_404_and_read_only_executive(people, complaint):
    assert api(people["s3_clerk"]).get(f"/api/v1/tickets/{complaint.pk}/").status_code == 404
    assert api(people["s3_clerk"]).post(f"/api/v1/tickets/{complaint.pk}/advance/",
                                        {"stage": "verify", "result_note": "x"}, format="json").status_code == 404
    assert api(people["s3_clerk"]).get("/api/v1/tickets/").json()["count"] == 0
    executive = api(people["executive"])
    assert executive.get(f"/api/v1/tickets/{complaint.pk}/").status_code == 200
    assert executive.post(f"/api/v1/tickets/{complaint.pk}/advance/", {"stage": "verify", "result_note": "x"},
                          format="json").status_code == 403


def test_list_filters_and_query_count(people, customer, complaint, django_assert_max_num_queries):
    client = api(people["clerk"])
    # The fixture's verify deadline (2026-10-09) has passed on this machine's clock.
    assert client.get("/api/v1/tickets/", {"ticket_type": "complaint", "overdue": "true"}).json()["count"] == 1
    assert client.get("/api/v1/tickets/", {"overdue": "false"}).json()["count"] == 0
    assert client.get("/api/v1/tickets/", {"q": "Voltage"}).json()["count"] == 1
    assert client.get("/api/v1/tickets/", {"stage": "review"}).json()["count"] == 0
    with django_assert_max_num_queries(4):
        rows = client.get("/api/v1/tickets/").json()["results"]
    assert rows[0]["first_contact_owner"]["name"] == "Clerk Chen"


def test_schema_documents_the_ticket_actions(people):
    r = api(people["admin"]).get("/api/schema/", {"format": "json"})
    paths = r.json()["paths"]
    for action in ("advance", "assign", "reopen", "escalate"):
        assert f"/api/v1/tickets/{{id}}/{action}/" in paths
    assert "TicketAdvance" in r.json()["components"]["schemas"]
