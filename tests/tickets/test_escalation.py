"""Three-level escalation (seed 003-篇6 加油站—片区—公司, here station → region → company):
level 1 at 80 % of the stage's working time, level 2 past the deadline, level 3 past the
deadline plus the rule's margin. Each a recorded event and a task for that supervisor."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from powerkam.core.jobs import JOBS, run_job
from powerkam.core.models import Task
from powerkam.service.tickets import services
from powerkam.service.tickets.models import TicketEvent

from .conftest import at

pytestmark = pytest.mark.django_db


def levels(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket, kind="escalated").order_by("level")
                .values_list("level", "target__full_name"))


def test_escalation_at_the_right_moments(complaint, people):
    # verify: started 09-30 10:00, warn 10-09 12:24, deadline 10-09 17:30, company 10-10 17:30.
    assert services.run_escalations(at("2026-10-09 12:23")) == {"checked": 0, "escalated": 0}
    assert levels(complaint) == []

    assert services.run_escalations(at("2026-10-09 12:24"))["escalated"] == 1
    assert levels(complaint) == [(1, "Station Sup")]
    task = Task.objects.get(key=f"ticket:{complaint.pk}:verify:esc1")
    assert (task.assignee, task.status, task.kind) == (people["station_sup"], "open", "ticket_step")

    # Idempotent: running again (every 15 minutes) changes nothing.
    assert services.run_escalations(at("2026-10-09 13:00"))["escalated"] == 0
    assert services.run_escalations(at("2026-10-09 17:30"))["escalated"] == 0  # at the deadline, not past it
    assert levels(complaint) == [(1, "Station Sup")]

    assert services.run_escalations(at("2026-10-09 17:31"))["escalated"] == 1
    assert levels(complaint) == [(1, "Station Sup"), (2, "Region Sup")]
    assert services.run_escalations(at("2026-10-10 17:29"))["escalated"] == 0
    assert services.run_escalations(at("2026-10-10 17:30"))["escalated"] == 1
    assert levels(complaint) == [(1, "Station Sup"), (2, "Region Sup"), (3, "Company Sup")]
    complaint.refresh_from_db()
    assert complaint.escalation_level == 3
    assert services.run_escalations(at("2026-10-20 09:00")) == {"checked": 0, "escalated": 0}
    assert Task.objects.filter(key__startswith=f"ticket:{complaint.pk}:verify:esc").count() == 3


def test_a_late_first_run_catches_up_every_level_in_order(complaint):
    assert services.run_escalations(at("2026-10-12 09:00"))["escalated"] == 3
    assert [lvl for lvl, _ in levels(complaint)] == [1, 2, 3]


def test_completing_the_stage_closes_escalation_tasks_and_the_next_stage_starts_at_level_0(complaint, people):
    services.run_escalations(at("2026-10-09 17:31"))
    services.advance(complaint, actor=people["clerk"], stage="verify", result_note="Checked on site",
                     now=at("2026-10-09 18:00"))
    assert not Task.objects.filter(key__startswith=f"ticket:{complaint.pk}:verify", status="open").exists()
    complaint.refresh_from_db()
    assert (complaint.stage, complaint.escalation_level) == ("review", 0)
    verify = complaint.stages.get(stage="verify")
    assert verify.sla_met is False and verify.escalation_level == 2


def test_missing_station_supervisor_falls_back_to_the_region(complaint, people):
    people["station_sup"].is_active = False
    people["station_sup"].save()
    services.run_escalations(at("2026-10-09 12:30"))
    assert levels(complaint) == [(1, "Region Sup")]


def test_manual_escalation_needs_a_reason_and_goes_one_level_up(complaint, people):
    with pytest.raises(ValidationError) as err:
        services.escalate(complaint, actor=people["clerk"], reason="")
    assert "reason" in err.value.message_dict
    assert levels(complaint) == []
    services.escalate(complaint, actor=people["clerk"], reason="Customer is a hospital", now=at("2026-10-08 09:00"))
    assert levels(complaint) == [(1, "Station Sup")]
    # The job then carries on from level 1.
    services.run_escalations(at("2026-10-09 17:31"))
    assert levels(complaint) == [(1, "Station Sup"), (2, "Region Sup")]


def test_command_and_registered_job(complaint, capsys):
    call_command("escalate_tickets", "--at", "2026-10-09 12:30")
    assert "escalated 1" in capsys.readouterr().out
    assert "escalate_tickets" in JOBS
    # The job evaluates "now" (this machine's clock is past 2026-10-10): levels 2 and 3 follow.
    assert run_job("escalate_tickets") == {"checked": 1, "escalated": 2}
    assert run_job("escalate_tickets") == {"checked": 0, "escalated": 0}
