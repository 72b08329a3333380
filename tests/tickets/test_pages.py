"""Pages: list (scope, filters, export, query count), intake, detail actions (htmx and plain),
scoped attachment download, analysis."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from powerkam.service.tickets import services
from powerkam.service.tickets.models import Ticket, TicketAttachment, TicketStage
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def many(customer, people, org_tree):
    """Tickets on S1 (visible to the S1 clerk) and one on S3 (not visible to them)."""
    for i in range(6):
        services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="consultation" if i % 2 else "complaint",
                             channel="phone", subject=f"Question {i}")
    south = CustomerFactory(org_unit=org_tree["s3"], name="South Steel")
    hidden = services.open_ticket(actor=people["s3_clerk"], customer=south, ticket_type="complaint", channel="email",
                                  subject="Hidden south complaint")
    return hidden


def test_list_is_scoped_and_shows_the_first_contact_owner(login, people, many):
    response = login(people["clerk"]).get(reverse("tickets:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Question 0" in html and "Hidden south complaint" not in html
    assert "Clerk Chen" in html
    assert response.context["page"].paginator.count == 6


def test_list_filters_and_htmx_partial(login, people, many):
    client = login(people["clerk"])
    response = client.get(reverse("tickets:list"), {"ticket_type": "complaint"}, **HTMX)
    assert response.context["page"].paginator.count == 3
    assert "<form id=\"ticket-filters\"" not in response.content.decode()  # the partial only
    assert client.get(reverse("tickets:list"), {"q": "Question 5"}).context["page"].paginator.count == 1
    assert client.get(reverse("tickets:list"), {"stage": "verify"}).context["page"].paginator.count == 3
    assert client.get(reverse("tickets:list"), {"overdue": "1"}).context["page"].paginator.count == 0
    assert client.get(reverse("tickets:list"), {"mine": "first_contact"}).context["page"].paginator.count == 6
    # Tampered filter values are ignored, not errors.
    assert client.get(reverse("tickets:list"), {"stage": "bogus", "sort": "x;drop"}).status_code == 200


def test_list_query_count_is_constant(login, people, many, customer, django_assert_max_num_queries):
    client = login(people["clerk"])
    client.get(reverse("tickets:list"))
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("tickets:list"))
    for i in range(20):
        services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="complaint", channel="web",
                             subject=f"More {i}", about_staff=people["worker"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("tickets:list"))


def test_export_xlsx_and_csv_are_scoped(login, people, many):
    client = login(people["clerk"])
    response = client.get(reverse("tickets:list"), {"export": "xlsx"})
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    rows = list(wb.active.values)
    assert rows[0][0] == "Ticket number" and "First-contact owner" in rows[0]
    assert len(rows) == 7
    csv = b"".join(client.get(reverse("tickets:list"), {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert "Question 0" in csv and "Hidden south" not in csv


def test_intake_form_creates_a_ticket_owned_by_the_clerk(login, people, customer):
    client = login(people["clerk"])
    assert client.get(reverse("tickets:create")).status_code == 200
    response = client.post(reverse("tickets:create"), {
        "customer": customer.number, "channel": "phone", "ticket_type": "complaint", "subject": "No power since noon",
        "cause": "supply_reliability", "contact_name": "Mr Zhao", "contact_phone": "13800000000",
        "assignee": people["worker"].pk})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == reverse("tickets:detail", args=[ticket.pk])
    assert (ticket.first_contact_owner, ticket.assignee) == (people["clerk"], people["worker"])


def test_intake_refuses_an_unknown_or_invisible_customer(login, people, org_tree):
    south = CustomerFactory(org_unit=org_tree["s3"])
    client = login(people["clerk"])
    for number in ("NOPE", south.number, str(south.pk)):
        response = client.post(reverse("tickets:create"), {"customer": number, "channel": "phone",
                                                           "ticket_type": "complaint", "subject": "x"})
        assert response.status_code == 400
        assert "Unknown customer" in response.content.decode()
    assert not Ticket.objects.exists()


def test_intake_with_a_refused_attachment_writes_nothing(login, people, customer):
    response = login(people["clerk"]).post(reverse("tickets:create"), {
        "customer": customer.number, "channel": "counter", "ticket_type": "praise", "subject": "Thanks",
        "attachment": SimpleUploadedFile("virus.exe", b"MZ")})
    assert response.status_code == 400
    assert "not accepted" in response.content.decode()
    assert not Ticket.objects.exists() and not TicketAttachment.objects.exists()


def test_detail_actions_through_htmx(login, people, complaint):
    client = login(people["clerk"])
    url = reverse("tickets:detail", args=[complaint.pk])
    assert "Clerk Chen" in client.get(url).content.decode()
    response = client.post(reverse("tickets:assign", args=[complaint.pk]), {"to": people["worker"].pk}, **HTMX)
    assert response.status_code == 200
    assert 'id="first-contact-owner"' in response.content.decode()
    response = client.post(reverse("tickets:advance", args=[complaint.pk]),
                           {"stage": "verify", "result_note": "Low voltage confirmed", "next_owner": people["other"].pk},
                           **HTMX)
    assert response.status_code == 200
    complaint.refresh_from_db()
    assert (complaint.stage, complaint.assignee, complaint.first_contact_owner) == (
        "review", people["other"], people["clerk"])


def test_tampered_stage_and_missing_note_are_refused_with_nothing_written(login, people, complaint):
    client = login(people["clerk"])
    stages = TicketStage.objects.count()
    response = client.post(reverse("tickets:advance", args=[complaint.pk]), {"stage": "archive", "result_note": "x"})
    assert response.status_code == 400
    assert "The ticket is at stage" in response.content.decode()
    response = client.post(reverse("tickets:advance", args=[complaint.pk]), {"stage": "verify", "result_note": ""},
                           **HTMX)
    assert response.status_code == 200  # htmx swaps only 2xx; the error is in the panel
    assert "Write the result of this stage before advancing." in response.content.decode()
    assert TicketStage.objects.count() == stages
    complaint.refresh_from_db()
    assert complaint.stage == "verify"


def test_out_of_scope_ticket_is_404_everywhere(login, people, complaint):
    client = login(people["s3_clerk"])
    assert client.get(reverse("tickets:detail", args=[complaint.pk])).status_code == 404
    assert client.post(reverse("tickets:advance", args=[complaint.pk]),
                       {"stage": "verify", "result_note": "x"}).status_code == 404
    assert client.post(reverse("tickets:assign", args=[complaint.pk]), {"to": people["s3_clerk"].pk}).status_code == 404
    complaint.refresh_from_db()
    assert complaint.stage == "verify"


def test_first_contact_owner_still_sees_the_ticket_of_a_customer_outside_their_scope(login, people, org_tree, complaint):
    # Hand the customer to another station: the S1 clerk no longer sees the customer, but keeps the ticket.
    customer = complaint.customer
    customer.org_unit = org_tree["s3"]
    customer.save()
    services.assign(complaint, to=people["s3_clerk"], actor=people["clerk"])
    client = login(people["clerk"])
    assert client.get(reverse("tickets:detail", args=[complaint.pk])).status_code == 200
    assert client.get(reverse("tickets:list")).context["page"].paginator.count == 1


def test_executive_reads_but_cannot_act(login, people, complaint):
    client = login(people["executive"])
    assert client.get(reverse("tickets:detail", args=[complaint.pk])).status_code == 200
    assert client.post(reverse("tickets:advance", args=[complaint.pk]),
                       {"stage": "verify", "result_note": "x"}).status_code == 403
    assert client.get(reverse("tickets:create")).status_code == 403


def test_attachment_upload_and_scoped_download(login, people, complaint, settings):
    client = login(people["clerk"])
    response = client.post(reverse("tickets:upload", args=[complaint.pk]),
                           {"file": SimpleUploadedFile("meter-photo.png", b"\x89PNG fake", content_type="image/png")})
    assert response.status_code == 302
    att = TicketAttachment.objects.get()
    url = reverse("tickets:attachment", args=[att.pk])
    got = client.get(url)
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"\x89PNG fake"
    assert login(people["s3_clerk"]).get(url).status_code == 404
    # The public media URL does not serve it.
    assert client.get(f"/media/{att.file.name}").status_code == 404


def test_analysis_page_query_count_and_export(login, people, many, customer, django_assert_max_num_queries):
    client = login(people["admin"])
    url = reverse("tickets:analysis")
    client.get(url)
    with django_assert_max_num_queries(16) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["result"]["totals"]["complaints"] == 4
    n = len(ctx.captured_queries)
    for i in range(10):
        services.open_ticket(actor=people["clerk"], customer=customer,
                             ticket_type="complaint", channel="web", subject=f"x{i}", cause="billing",
                             about_staff=people["worker"])
    with django_assert_max_num_queries(n):
        client.get(url)
    xlsx = client.get(url, {"export": "xlsx"})
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["By type", "By cause", "By unit", "By person", "Stage durations", "By month"]


def test_analysis_is_scoped(login, people, many):
    response = login(people["clerk"]).get(reverse("tickets:analysis"))
    assert response.context["result"]["totals"]["complaints"] == 3
    response = login(people["clerk"]).get(reverse("tickets:analysis"), {"date_from": "2026-12-01", "date_to": "2026-01-01"})
    assert response.status_code == 200
    assert "The period ends before it starts." in response.content.decode()


def test_a_stage_owner_who_handed_on_still_sees_the_ticket(login, people, org_tree):
    customer = CustomerFactory(org_unit=org_tree["s1"])  # no portfolio manager: only the S1 subtree sees it
    t = services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="complaint", channel="phone",
                             subject="x", assignee=people["other"])  # a specialist of S2
    client = login(people["other"])
    response = client.post(reverse("tickets:advance", args=[t.pk]),
                           {"stage": "verify", "result_note": "done", "next_owner": people["station_sup"].pk})
    assert response.status_code == 302
    assert client.get(reverse("tickets:detail", args=[t.pk])).status_code == 200
    assert login(people["s3_clerk"]).get(reverse("tickets:detail", args=[t.pk])).status_code == 404


def test_detail_page_query_count_does_not_grow_with_stages(login, people, complaint, django_assert_max_num_queries):
    client = login(people["clerk"])
    url = reverse("tickets:detail", args=[complaint.pk])
    client.get(url)
    with django_assert_max_num_queries(20) as first:
        client.get(url)
    for stage in ("verify", "review", "rectify"):
        services.advance(complaint, actor=people["clerk"], stage=stage, result_note="ok",
                         next_owner=people["worker"] if stage == "review" else None)
    services.add_attachment(complaint, actor=people["clerk"], file=SimpleUploadedFile("a.pdf", b"%PDF"))
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(url)
    assert response.context["ticket"].stage == "revisit"
