"""Stage deadlines in working days on the official holiday calendar, across Golden Week 2024
and 2025 and their adjusted working weekends (issue #12 §2; seed calendar from the State
Council notices via chinesecalendar).

2024 National Day: 1–7 October off; Sunday 29 September and Saturday 12 October worked.
2025 National Day + Mid-autumn: 1–8 October off; Sunday 28 September and Saturday 11 October worked.
"""

import pytest

from powerkam.core.models import Task
from powerkam.projects import constants as c
from powerkam.projects.models import StageRecord, TimingRule

from .conftest import d

pytestmark = pytest.mark.django_db


def test_supply_plan_reply_across_golden_week_2024(accept, walk):
    # Accepted Wed 25 Sep, survey done Thu 26, survey → plan reply starts Fri 27 Sep 2024.
    p = accept(d("2024-09-25"))
    p = walk(p, d("2024-09-26"), d("2024-09-27"))
    st = p.current_stage
    assert st.stage == c.Stage.PLAN_REPLY and st.limit_workdays == 15
    # 15 working days after Fri 27 Sep: Sun 29 (worked) 1, Mon 30 2, 8–11 Oct 3–6, Sat 12 (worked) 7,
    # 14–18 Oct 8–12, 21–23 Oct 13–15.
    assert st.deadline == d("2024-10-23")
    assert not st.deadline_provisional
    # The stall warning at 80 % = 12 working days: Fri 18 Oct.
    assert st.warn_on == d("2024-10-18")
    assert p.due_on == d("2024-10-23")
    task = Task.objects.get(key=st.task_key)
    assert task.kind == Task.Kind.PROJECT_STEP and task.assignee == st.owner
    assert task.due_at.date() == d("2024-10-23")


def test_design_review_and_inspection_across_golden_week_2025(accept, walk):
    p = accept(d("2025-09-22"))
    # accepted → survey → plan reply → design review starts Fri 26 Sep 2025.
    p = walk(p, d("2025-09-23"), d("2025-09-24"), d("2025-09-26"))
    st = p.current_stage
    assert st.stage == c.Stage.DESIGN_REVIEW and st.limit_workdays == 10
    # Sun 28 Sep (worked) 1, 29 2, 30 3, 9 Oct 4, 10 Oct 5, Sat 11 Oct (worked) 6, 13–16 Oct 7–10.
    assert st.deadline == d("2025-10-16")
    # 80 % of 10 = 8 working days: Tue 14 Oct.
    assert st.warn_on == d("2025-10-14")


def test_a_five_day_stage_over_golden_week_2025(accept, walk):
    p = accept(d("2025-09-01"))
    # … construction (customer side, no deadline) ends Fri 26 Sep: intermediate inspection starts.
    p = walk(p, d("2025-09-02"), d("2025-09-03"), d("2025-09-10"), d("2025-09-15"))
    construction = p.current_stage
    assert construction.stage == c.Stage.CONSTRUCTION
    assert construction.deadline is None and construction.side == c.Side.CUSTOMER
    p = walk(p, d("2025-09-26"))
    st = p.current_stage
    assert st.stage == c.Stage.MID_INSPECTION
    # Sun 28 Sep 1, 29 2, 30 3, Thu 9 Oct 4, Fri 10 Oct 5.
    assert st.deadline == d("2025-10-10")
    construction.refresh_from_db()
    # Construction is customer-side time: 9 working days (15 Sep → 26 Sep), none grid-side.
    assert (construction.grid_workdays, construction.customer_workdays) == (0, 9)


def test_low_voltage_skips_design_review_and_inspection(accept, walk):
    p = accept(d("2024-03-04"), voltage_level="0.4kV", requested_capacity_kva="80")
    assert p.flow == c.STAGES_LOW_VOLTAGE
    assert p.commitment_workdays == 6
    p = walk(p, d("2024-03-04"), d("2024-03-05"))
    assert p.stage == c.Stage.PLAN_REPLY and p.current_stage.limit_workdays == 3


def test_dual_source_plan_reply_is_thirty_working_days(accept, walk):
    p = accept(d("2024-04-01"), supply_mode=c.SupplyMode.DUAL)
    assert p.commitment_workdays == 32
    p = walk(p, d("2024-04-01"), d("2024-04-02"))
    st = p.current_stage
    assert st.limit_workdays == 30
    # 2024: 4–6 Apr (Qingming) off, Sun 7 Apr worked; 1–5 May off, Sun 28 Apr and Sat 11 May worked.
    # After Tue 2 Apr: 3 Apr 1, Sun 7 2, 8–12 3–7, 15–19 8–12, 22–26 13–17, Sun 28 18, 29–30 19–20,
    # 6–10 May 21–25, Sat 11 26, 13–16 May 27–30.
    assert st.deadline == d("2024-05-16")


def test_green_channel_gets_its_own_shorter_deadlines(accept, walk):
    p = accept(d("2024-09-25"), green_channel=True)
    p = walk(p, d("2024-09-26"), d("2024-09-27"))
    st = p.current_stage
    green = TimingRule.objects.get(application_type="new", voltage_level="10kV", supply_mode="single",
                                   green_channel=True, stage=c.Stage.PLAN_REPLY)
    assert st.limit_workdays == green.workdays == 8
    # Sun 29 Sep 1, 30 Sep 2, 8–11 Oct 3–6, Sat 12 Oct 7, Mon 14 Oct 8.
    assert st.deadline == d("2024-10-14")


def test_an_edited_timing_table_applies_to_stages_started_afterwards(accept, walk):
    p = accept(d("2024-09-25"))
    p = walk(p, d("2024-09-26"))
    survey = p.current_stage
    TimingRule.objects.filter(stage=c.Stage.SURVEY, voltage_level="10kV").update(workdays=4)
    survey.refresh_from_db()
    assert survey.limit_workdays == 2  # kept: the stage was started with the old rule
    assert StageRecord.objects.filter(project=p).count() == 2
