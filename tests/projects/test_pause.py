"""A pause for the customer moves the grid-side deadline by exactly the paused working days;
grid-side and customer-side time are two clocks (issue #12 §2)."""

import pytest
from django.core.exceptions import ValidationError

from powerkam.core.models import Task
from powerkam.projects import constants as c
from powerkam.projects import services
from powerkam.projects.models import Pause, StageRecord

from .conftest import d

pytestmark = pytest.mark.django_db


def _at_plan_reply(accept, walk):
    p = accept(d("2024-09-25"))
    return walk(p, d("2024-09-26"), d("2024-09-27"))  # plan reply from Fri 27 Sep 2024, due Wed 23 Oct


def test_a_pause_moves_the_deadline_by_exactly_the_paused_working_days(accept, walk, people):
    p = _at_plan_reply(accept, walk)
    st = p.current_stage
    assert st.deadline == d("2024-10-23")
    services.pause(p, actor=people["specialist"], reason=c.PauseReason.DOCUMENTS, started_on=d("2024-10-14"),
                   note="项目批复文件未到")
    p.refresh_from_db()
    assert p.is_paused
    services.resume(p, actor=people["specialist"], ended_on=d("2024-10-17"))
    st.refresh_from_db()
    pause = Pause.objects.get(stage_record=st)
    # Mon 14 → Thu 17 Oct: 15, 16, 17 = 3 working days; the deadline moves 23 → 28 Oct (24, 25, 28).
    assert pause.workdays == 3 and st.paused_workdays == 3
    assert st.deadline == d("2024-10-28")
    assert st.warn_on == d("2024-10-23")  # 12 + 3 working days after the start
    p.refresh_from_db()
    assert p.due_on == d("2024-10-28") and not p.is_paused
    assert Task.objects.get(key=st.task_key).due_at.date() == d("2024-10-28")


def test_a_pause_over_golden_week_counts_only_working_days(accept, walk, people):
    p = _at_plan_reply(accept, walk)
    services.pause(p, actor=people["specialist"], reason=c.PauseReason.CUSTOMER_REQUEST, started_on=d("2024-09-30"))
    services.resume(p, actor=people["specialist"], ended_on=d("2024-10-09"))
    st = StageRecord.objects.get(pk=p.current_stage_id)
    # 30 Sep → 9 Oct: 1–7 Oct are holidays; 8 and 9 Oct are the 2 paused working days.
    assert st.paused_workdays == 2
    assert st.deadline == d("2024-10-25")


def test_the_two_clocks_of_a_finished_stage(accept, walk, people):
    p = _at_plan_reply(accept, walk)
    services.pause(p, actor=people["specialist"], reason=c.PauseReason.DOCUMENTS, started_on=d("2024-10-14"))
    services.resume(p, actor=people["specialist"], ended_on=d("2024-10-17"))
    p = walk(p, d("2024-10-28"))
    st = StageRecord.objects.get(project=p, stage=c.Stage.PLAN_REPLY)
    # 27 Sep → 28 Oct: 18 working days, 3 of them waiting for the customer.
    assert (st.grid_workdays, st.customer_workdays) == (15, 3)
    assert st.within_commitment is True
    p.refresh_from_db()
    assert p.customer_workdays == 3
    assert p.grid_workdays == 1 + 1 + 15  # accepted, survey, plan reply


def test_a_stage_ending_while_paused_closes_the_pause(accept, walk, people):
    p = _at_plan_reply(accept, walk)
    services.pause(p, actor=people["specialist"], reason=c.PauseReason.DOCUMENTS, started_on=d("2024-10-14"))
    p = walk(p, d("2024-10-16"))
    pause = Pause.objects.get(project=p)
    assert pause.ended_on == d("2024-10-16") and pause.workdays == 2
    st = StageRecord.objects.get(project=p, stage=c.Stage.PLAN_REPLY)
    # 27 Sep → 16 Oct: 10 working days (29, 30 Sep, 8–12, 14–16 Oct), the last 2 paused.
    assert (st.grid_workdays, st.customer_workdays) == (8, 2)


def test_pause_refusals_write_nothing(accept, walk, people):
    p = _at_plan_reply(accept, walk)
    with pytest.raises(ValidationError) as e:
        services.pause(p, actor=people["specialist"], reason="", started_on=d("2024-09-20"))
    assert set(e.value.message_dict) == {"reason", "started_on"}
    assert not Pause.objects.exists()
    services.pause(p, actor=people["specialist"], reason=c.PauseReason.DOCUMENTS, started_on=d("2024-10-14"))
    with pytest.raises(ValidationError) as e:
        services.resume(p, actor=people["specialist"], ended_on=d("2024-10-10"))
    assert "ended_on" in e.value.message_dict
    with pytest.raises(ValidationError):
        services.pause(p, actor=people["specialist"], reason=c.PauseReason.DOCUMENTS, started_on=d("2024-10-15"))
    assert Pause.objects.count() == 1
