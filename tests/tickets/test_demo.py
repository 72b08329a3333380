"""Demo and bench data: deterministic, consistent with the SLA rules, fast."""

from datetime import date

import pytest

from powerkam.core.models import Task
from powerkam.service.tickets import demo, selectors
from powerkam.service.tickets.models import Ticket, TicketStage
from tests.factories import CustomerFactory

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(org_tree, people):
    for i in range(40):
        CustomerFactory(org_unit=org_tree["s1" if i % 3 else "s3"])


def test_load_demo_builds_two_years_of_every_kind_of_ticket(company, people):
    result = demo.load_demo(seed=1, today=date(2026, 11, 23))
    assert result["tickets"] == 1500
    qs = Ticket.objects.all()
    assert set(qs.values_list("ticket_type", flat=True)) == {"consultation", "fault_repair", "service_request",
                                                              "complaint", "suggestion", "praise"}
    complaints = qs.filter(ticket_type="complaint")
    assert set(complaints.exclude(stage="").values_list("stage", flat=True)) >= {"verify", "rectify"}
    assert complaints.filter(reopen_count__gt=0).exists()
    assert complaints.filter(about_staff__isnull=False).exists()
    assert qs.filter(status="closed").count() > 1200
    open_ = qs.exclude(status="closed")
    assert open_.filter(current_stage__isnull=True).count() == 0
    assert all(t.current_stage.completed_at is None and t.current_stage.stage == t.stage for t in open_)
    assert Task.objects.filter(kind="ticket_step", status="open").count() >= open_.count()
    assert result["escalated"] > 0  # some stuck tickets are overdue
    # Every completed stage knows whether it met its SLA; most did.
    done = TicketStage.objects.filter(completed_at__isnull=False)
    assert done.filter(sla_met__isnull=True).count() == 0
    assert done.filter(sla_met=True).count() > 0.75 * done.count()
    # Loading again changes nothing.
    assert demo.load_demo(seed=1, today=date(2026, 11, 23))["tickets"] == 0
    # The analysis runs on it.
    p = selectors.AnalysisParams(*selectors.default_period(date(2026, 11, 23)))
    result = selectors.complaint_analysis(people["admin"], p)
    assert result["totals"]["complaints"] > 0 and result["totals"]["sla_pct"] is not None


def test_generate_is_deterministic(company):
    now = at("2026-11-23 12:00")
    first = demo.generate(300, seed=3, now=now)
    assert first == {"tickets": 300, "stages": TicketStage.objects.count()}
    rows = list(Ticket.objects.order_by("number").values_list("ticket_type", "customer_id", "status", "created_at"))
    Ticket.objects.all().delete()
    demo.generate(300, seed=3, now=now)
    assert list(Ticket.objects.order_by("number").values_list("ticket_type", "customer_id", "status",
                                                               "created_at")) == rows
