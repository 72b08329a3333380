"""Stall warnings and escalation through the existing work queue (issue #12 §3): a task to the
tracker on the day the stage has used 80 % of its time, escalation to the station's supervisor
the day after the deadline, then to the next level; set-based, idempotent."""

import pytest

from powerkam.core.models import Task
from powerkam.projects import constants as c
from powerkam.projects import services
from powerkam.projects.models import ProjectEvent, StageRecord

from .conftest import d

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_plan_reply(accept, walk):
    p = accept(d("2024-09-25"))
    return walk(p, d("2024-09-26"), d("2024-09-27"))  # plan reply from 27 Sep, warn 18 Oct, due 23 Oct 2024


def _keys():
    return set(Task.objects.filter(key__contains=":warn").values_list("key", flat=True)) | set(
        Task.objects.filter(key__contains=":esc").values_list("key", flat=True))


def test_the_stall_warning_comes_on_the_right_day(at_plan_reply, people):
    st = at_plan_reply.current_stage
    assert services.scan_stalls(d("2024-10-17"))["warned"] == 0
    assert services.scan_stalls(d("2024-10-18"))["warned"] == 1
    warn = Task.objects.get(key=f"{st.task_key}:warn")
    assert warn.assignee == people["tracker"]
    assert warn.due_at.date() == d("2024-10-23")
    assert "Stall warning: Supply plan reply of" in warn.display_title
    assert services.scan_stalls(d("2024-10-18"))["warned"] == 0  # idempotent
    assert Task.objects.filter(key=f"{st.task_key}:warn").count() == 1


def test_escalation_the_day_after_the_deadline_then_the_next_level(at_plan_reply, people):
    st = at_plan_reply.current_stage
    services.scan_stalls(d("2024-10-18"))
    assert services.scan_stalls(d("2024-10-23"))["escalated_1"] == 0  # the deadline day itself
    assert services.scan_stalls(d("2024-10-24"))["escalated_1"] == 1
    esc = Task.objects.get(key=f"{st.task_key}:esc1")
    assert esc.assignee == people["station_sup"]
    assert esc.priority == Task.Priority.HIGH
    st.refresh_from_db()
    at_plan_reply.refresh_from_db()
    assert st.escalation_level == 1 and at_plan_reply.escalation_level == 1
    assert at_plan_reply.is_overdue
    # Next level 5 working days after the deadline: 30 Oct; escalated from 31 Oct.
    assert st.escalate_next_on == d("2024-10-30")
    assert services.scan_stalls(d("2024-10-30"))["escalated_2"] == 0
    assert services.scan_stalls(d("2024-10-31"))["escalated_2"] == 1
    assert Task.objects.get(key=f"{st.task_key}:esc2").assignee == people["region_sup"]
    assert services.scan_stalls(d("2024-11-30")) == {"warned": 0, "escalated_1": 0, "escalated_2": 0}
    assert ProjectEvent.objects.filter(kind=c.EventKind.ESCALATED).count() == 2


def test_a_paused_stage_is_not_warned(at_plan_reply, people):
    services.pause(at_plan_reply, actor=people["specialist"], reason=c.PauseReason.DOCUMENTS,
                   started_on=d("2024-10-14"))
    assert services.scan_stalls(d("2024-10-24")) == {"warned": 0, "escalated_1": 0, "escalated_2": 0}


def test_finishing_the_stage_closes_its_warning_and_escalation_tasks(at_plan_reply, walk):
    st = at_plan_reply.current_stage
    services.scan_stalls(d("2024-10-24"))
    assert _keys() == {f"{st.task_key}:warn", f"{st.task_key}:esc1"}
    walk(at_plan_reply, d("2024-10-25"))
    assert not Task.objects.filter(key__startswith=st.task_key, status=Task.Status.OPEN).exists()
    st.refresh_from_db()
    assert st.within_commitment is False


def _scan_queries(accept, walk, n: int, start: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(start, start + n):
        p = accept(d("2024-09-25"), applicant_name=f"公司{i}")
        walk(p, d("2024-09-26"), d("2024-09-27"))
    with CaptureQueriesContext(connection) as ctx:
        result = services.scan_stalls(d("2024-11-30"))
    assert result == {"warned": n, "escalated_1": n, "escalated_2": n}
    return len(ctx)


def test_the_scan_issues_a_constant_number_of_queries(accept, walk):
    # Every stage at every level in one pass; the query count does not grow with the projects.
    assert _scan_queries(accept, walk, 2, 0) == _scan_queries(accept, walk, 7, 10)
    assert StageRecord.objects.filter(escalation_level=2).count() == 9
