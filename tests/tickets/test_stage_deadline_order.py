"""A complaint's stage deadline never falls before the deadline of the stage it follows (issue
#10 item 4: on a new complaint verified at once, the review deadline came before the
verification deadline, because each limit counted from its own stage's start)."""

import pytest

from powerkam.service.tickets import services
from powerkam.service.tickets.models import TicketStage

from .conftest import at

pytestmark = pytest.mark.django_db


def _stage(ticket, stage):
    return TicketStage.objects.get(ticket=ticket, stage=stage)


def test_review_deadline_is_not_before_verification_deadline_when_verified_at_once(customer, people):
    t = services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="complaint", channel="phone",
                             subject="Meter reading wrong", now=at("2026-11-02 10:00"))  # a Monday
    verify = _stage(t, "verify")
    assert verify.due_at == at("2026-11-04 17:30")  # 2 working days
    services.advance(t, actor=people["clerk"], stage="verify", result_note="Checked", now=at("2026-11-02 11:00"))
    review = _stage(t, "review")
    # 1 working day from Monday 11:00 would be Tuesday 17:30, before the verification deadline.
    assert review.due_at == verify.due_at
    assert review.warn_at <= review.due_at <= review.company_at
    t.refresh_from_db()
    assert t.due_at == verify.due_at


def test_every_stage_of_a_fast_complaint_keeps_the_order(customer, people):
    t = services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="complaint", channel="phone",
                             subject="Outage not announced", now=at("2026-11-06 16:00"))  # a Friday
    for stage in ("verify", "review", "rectify", "revisit"):
        services.advance(t, actor=people["clerk"], stage=stage, result_note="ok",
                         outcome="satisfied" if stage == "revisit" else "", now=at("2026-11-07 09:00"))
    dues = list(TicketStage.objects.filter(ticket=t).order_by("started_at", "pk").values_list("due_at", flat=True))
    assert dues == sorted(dues)


def test_a_late_verification_leaves_the_review_its_own_limit(customer, people):
    t = services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="complaint", channel="phone",
                             subject="Bill too high", now=at("2026-11-02 10:00"))
    services.advance(t, actor=people["clerk"], stage="verify", result_note="Checked", now=at("2026-11-04 16:00"))
    assert _stage(t, "review").due_at == at("2026-11-05 17:30")
