"""Ticket deadlines that reach into a year whose holidays are not entered are provisional — in
the model, on the pages, in the API and the export — and are recomputed, with their tasks, when
the year is entered; a completed stage keeps its deadline (issue #9 item 8). The 2027 holidays
are a labelled test fixture (tests/calendar_fixture.py: 1–3 January off)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from powerkam.core import holidays
from powerkam.core.models import Task
from powerkam.service.tickets import services
from powerkam.service.tickets.models import TicketEvent, TicketStage
from tests.calendar_fixture import arrangement_xlsx

from .conftest import at

pytestmark = pytest.mark.django_db


def _complaint(people, customer, when):
    return services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="complaint", channel="phone",
                                subject="Voltage dips", assignee=people["worker"], now=at(when))


def test_a_deadline_crossing_into_2027_is_provisional(people, customer):
    # Verify: 2 working days from Wed 2026-12-30 → Thu 12-31, then Fri 2027-01-01 counted as a working day.
    t = _complaint(people, customer, "2026-12-30 10:00")
    st = t.current_stage
    assert st.due_at == at("2027-01-01 17:30")
    assert st.deadline_provisional and st.company_at_provisional
    assert t.due_provisional
    assert Task.objects.get(key=st.task_key).due_provisional


def test_a_deadline_inside_2026_is_final_but_its_company_escalation_is_not(people, customer):
    # Verify from Mon 12-28: due Wed 12-30 (final); the company escalation 1 working day later
    # lands on Thu 12-31 (final too). Review from 12-30 15:00: due Thu 12-31, company on 2027-01-01.
    t = _complaint(people, customer, "2026-12-28 10:00")
    assert not t.current_stage.deadline_provisional and not t.due_provisional
    t = services.advance(t, actor=people["worker"], stage="verify", result_note="Checked", now=at("2026-12-30 15:00"))
    review = t.current_stage
    assert review.due_at == at("2026-12-31 17:30")
    assert not review.deadline_provisional and review.company_at_provisional


def test_the_pages_mark_the_provisional_deadline(people, customer, login):
    t = _complaint(people, customer, "2026-12-30 10:00")
    final = _complaint(people, customer, "2026-11-02 10:00")
    client = login(people["clerk"])
    detail = client.get(reverse("tickets:detail", args=[t.pk])).content.decode()
    assert detail.count('data-provisional="1"') == 2  # the ticket's deadline and the stage row
    assert "2027 holidays are not entered yet; counted Monday to Friday" in detail
    assert 'data-provisional="1"' not in client.get(reverse("tickets:detail", args=[final.pk])).content.decode()
    listing = client.get(reverse("tickets:list")).content.decode()
    assert listing.count('data-provisional="1"') == 1
    queue = login(people["worker"]).get(reverse("core:queue")).content.decode()
    assert queue.count('data-provisional="1"') == 2  # the table row and the phone agenda's card


def test_the_chinese_mark_and_tooltip(people, customer, login, settings):
    from django.utils import translation

    t = _complaint(people, customer, "2026-12-30 10:00")
    with translation.override("zh-hans"):
        html = login(people["clerk"]).get(reverse("tickets:detail", args=[t.pk]),
                                          HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "暂定" in html and "2027 年节假日尚未录入，按周一至周五推算" in html


def test_the_api_and_export_carry_the_flag(people, customer, login):
    t = _complaint(people, customer, "2026-12-30 10:00")
    final = _complaint(people, customer, "2026-11-02 10:00")
    client = APIClient()
    client.force_authenticate(people["clerk"])
    body = client.get(f"/api/v1/tickets/{t.pk}/").json()
    assert body["due_provisional"] is True
    assert body["stages"][0]["deadline_provisional"] is True
    assert client.get(f"/api/v1/tickets/{final.pk}/").json()["due_provisional"] is False
    worker = APIClient()
    worker.force_authenticate(people["worker"])
    tasks = {row["title"]: row["due_provisional"] for row in worker.get("/api/v1/tasks/").json()["results"]}
    assert sorted(tasks.values()) == [False, True]
    export = login(people["clerk"]).get(reverse("tickets:list"), {"export": "csv"})
    csv = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "Stage deadline provisional" in csv.splitlines()[0]
    assert csv.count("Provisional") == 1  # the one provisional ticket (the header says "provisional")


def test_entering_2027_recomputes_open_deadlines_and_clears_the_flag(people, customer):
    t = _complaint(people, customer, "2026-12-30 10:00")
    st = t.current_stage
    holidays.import_arrangement(arrangement_xlsx(), actor=people["admin"])
    st.refresh_from_db()
    t.refresh_from_db()
    # 1–3 January are holidays: Thu 12-31 is the 1st working day, Mon 2027-01-04 the 2nd.
    assert st.due_at == at("2027-01-04 17:30") and st.company_at == at("2027-01-05 17:30")
    assert not st.deadline_provisional and not st.company_at_provisional
    assert (t.due_at, t.due_provisional) == (st.due_at, False)
    task = Task.objects.get(key=st.task_key)
    assert (task.due_at, task.due_provisional) == (st.due_at, False)
    event = TicketEvent.objects.get(ticket=t, kind="deadline_recomputed")
    assert "2027-01-01 17:30 → 2027-01-04 17:30" in event.note
    assert st.history.first().history_user == people["admin"]


def test_a_completed_stage_keeps_its_deadline(people, customer):
    # A consultation accepted on 12-31 and answered the same day: its stages were provisional and
    # are closed; entering 2027 changes nothing on them.
    t = services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="consultation", channel="phone",
                             subject="Tariff question", now=at("2026-12-31 16:00"))
    t = services.advance(t, actor=people["clerk"], stage="accept", result_note="Accepted", now=at("2026-12-31 16:30"))
    services.advance(t, actor=people["clerk"], stage="handle", result_note="Answered", now=at("2026-12-31 17:00"))
    before = {s.pk: (s.due_at, s.company_at, s.deadline_provisional) for s in TicketStage.objects.filter(ticket=t)}
    assert all(flag for _d, _c, flag in before.values())
    holidays.import_arrangement(arrangement_xlsx(), actor=people["admin"])
    after = {s.pk: (s.due_at, s.company_at, s.deadline_provisional) for s in TicketStage.objects.filter(ticket=t)}
    assert after == before
    assert not TicketEvent.objects.filter(ticket=t, kind="deadline_recomputed").exists()


def test_many_open_deadlines_are_recomputed_by_a_job(people, customer, monkeypatch):
    monkeypatch.setenv("POWERKAM_CALENDAR_RECOMPUTE_INLINE", "1")
    a = _complaint(people, customer, "2026-12-30 10:00")
    b = _complaint(people, customer, "2026-12-30 11:00")
    outcome = holidays.import_arrangement(arrangement_xlsx(), actor=people["admin"])
    assert outcome["pending"] >= 2 and "job" in outcome  # the test settings run jobs immediately
    for t in (a, b):
        t.refresh_from_db()
        assert not t.due_provisional and t.due_at == at("2027-01-04 17:30")
