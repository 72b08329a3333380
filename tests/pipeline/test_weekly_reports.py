"""Weekly progress reports (周报): one task per approved project per week for its primary manager,
due on the configured weekday or the working day before it when that day is off; a missing
report escalates to the supervisor after N working days. Worked across National Day 2026
(1–7 October off; Saturday 10 October an adjusted working day) and Mid-Autumn (Friday 25 September)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from powerkam.core.models import Task
from powerkam.pipeline import services
from powerkam.pipeline.models import PipelinePolicy

pytestmark = pytest.mark.django_db


def _due(task):
    from django.utils import timezone

    return timezone.localtime(task.due_at).date()


@pytest.mark.parametrize("day, weekday, due", [
    (date(2026, 9, 14), 4, date(2026, 9, 18)),   # an ordinary week: Friday
    (date(2026, 9, 21), 4, date(2026, 9, 24)),   # Friday 25 Sep is Mid-Autumn: Thursday 24 Sep
    (date(2026, 9, 29), 4, date(2026, 9, 30)),   # Friday 2 Oct is National Day: Wednesday 30 Sep
    (date(2026, 10, 6), 4, date(2026, 10, 9)),   # the week after: Friday 9 Oct is a working day
    (date(2026, 10, 6), 1, date(2026, 9, 30)),   # Tuesday 6 Oct off, back to Wednesday 30 Sep
    (date(2026, 10, 6), 5, date(2026, 10, 10)),  # Saturday 10 Oct: adjusted working day
])
def test_report_task_due_on_the_weekday_or_the_working_day_before(project, people, day, weekday, due):
    PipelinePolicy.objects.create(pk=1, report_weekday=weekday)
    assert services.generate_report_tasks(day) == 1
    task = Task.objects.get(key__startswith=f"pipeline:report:{project.pk}:")
    assert task.assignee == people["m1"] and _due(task) == due
    assert services.generate_report_tasks(day) == 0  # idempotent


def test_planned_projects_get_no_report_task(org_tree, people):
    services.save_project(actor=people["clerk"], name="规划中的园区", gov_status="planned", org_unit=org_tree["s1"])
    assert services.generate_report_tasks(date(2026, 9, 21)) == 0


def test_missing_report_escalates_to_the_supervisor_on_the_right_day(project, people):
    PipelinePolicy.objects.create(pk=1, report_weekday=4, report_escalate_workdays=2)
    services.generate_report_tasks(date(2026, 9, 28))  # due Wed 30 Sep (Fri 2 Oct is off)
    # Working days after 30 Sep: 8 Oct (1), 9 Oct (2): not before.
    for day in (date(2026, 10, 1), date(2026, 10, 5), date(2026, 10, 8)):
        assert services.escalate_missing_reports(day)["escalated"] == 0
    assert services.escalate_missing_reports(date(2026, 10, 9))["escalated"] == 1
    esc = Task.objects.get(key__endswith=":escalation")
    assert esc.assignee == people["sup"] and esc.priority == Task.Priority.HIGH
    assert services.escalate_missing_reports(date(2026, 10, 12))["escalated"] == 0


def test_submitting_the_report_closes_the_task_and_stops_escalation(project, people):
    services.generate_report_tasks(date(2026, 9, 21))
    services.submit_report(project, week=date(2026, 9, 23), actor=people["m1"], today=date(2026, 9, 24),
                           milestone_progress={"land": "用地预审已通过"}, next_steps="跟进规划许可")
    task = Task.objects.get(key=services.report_key(project.pk, date(2026, 9, 21)))
    assert task.status == Task.Status.DONE
    assert services.escalate_missing_reports(date(2026, 10, 20))["escalated"] == 0


def test_a_report_for_a_future_week_or_an_empty_report_is_refused(project, people):
    with pytest.raises(ValidationError) as exc:
        services.submit_report(project, week=date(2026, 10, 5), actor=people["m1"], today=date(2026, 9, 24),
                               next_steps="x")
    assert "week" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.submit_report(project, week=date(2026, 9, 21), actor=people["m1"], today=date(2026, 9, 24))
    assert "next_steps" in exc.value.message_dict


def test_reassigning_the_primary_manager_moves_the_open_report_task(project, people):
    services.generate_report_tasks(date(2026, 9, 21))
    services.save_project(actor=people["sup"], project=project, primary_manager=people["m2"],
                          secondary_manager=people["m1"], today=date(2026, 9, 22))
    assert Task.objects.get(key__startswith="pipeline:report:").assignee == people["m2"]
