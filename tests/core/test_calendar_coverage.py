"""The working-day calendar never guesses silently (issue #9 item 8): it knows which years an
administrator (or the chinesecalendar seed) marked complete, and a computation that consulted a
day of any other year is provisional — exactly, whatever year the result lands in."""

from datetime import date

import pytest

from powerkam.core import workdays, workqueue
from powerkam.core.models import Holiday, HolidayYear, Task

pytestmark = pytest.mark.django_db


def test_the_seed_covers_the_years_the_package_knows_and_not_2027():
    assert workdays.is_covered(2004) and workdays.is_covered(2026)
    assert not workdays.is_covered(2027)
    assert HolidayYear.objects.get(year=2026).source == Holiday.Source.PACKAGE


def test_a_year_is_not_covered_because_it_has_some_rows():
    Holiday.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    assert not workdays.is_covered(2027)
    with workdays.tracking() as calc:
        workdays.add_workdays(date(2026, 12, 31), 1)
    assert calc.provisional and calc.uncovered_years == {2027}


@pytest.mark.parametrize("start, n, expected, provisional", [
    # Within 2026: final.
    (date(2026, 12, 29), 2, date(2026, 12, 31), False),
    # Across the year boundary into 2027 (not entered): a Monday–Friday guess.
    (date(2026, 12, 30), 2, date(2027, 1, 1), True),
    (date(2026, 12, 31), 1, date(2027, 1, 1), True),
    # Counting back from 2027 into 2026 still consulted 2027.
    (date(2027, 1, 4), -2, date(2026, 12, 31), True),
])
def test_a_computation_is_provisional_when_it_crossed_into_an_uncovered_year(start, n, expected, provisional):
    with workdays.tracking() as calc:
        assert workdays.add_workdays(start, n) == expected
    assert calc.provisional is provisional


def test_a_result_in_a_covered_year_after_crossing_an_uncovered_one_is_provisional():
    # 2028 entered before 2027: a count from 2026 that lands in 2028 went through 2027.
    HolidayYear.objects.create(year=2028)
    with workdays.tracking() as calc:
        day = workdays.add_workdays(date(2026, 12, 31), 262)
    assert day.year == 2028
    assert calc.provisional and calc.uncovered_years == {2027}


def test_nested_tracking_sees_only_its_own_reads():
    with workdays.tracking() as outer:
        workdays.add_workdays(date(2026, 12, 31), 1)
        with workdays.tracking() as inner:
            workdays.add_workdays(date(2026, 11, 2), 3)
    assert outer.provisional and not inner.provisional


def test_a_task_due_in_working_days_keeps_its_flag_and_rule(make_staff):
    worker = make_staff("specialist")
    task = workqueue.open_task(kind=Task.Kind.OTHER, assignee=worker, title="Deliver the notice",
                               **workqueue.workday_due(date(2026, 12, 30), 2))
    assert task.due_provisional
    assert (task.due_from, task.due_workdays) == (date(2026, 12, 30), 2)
    final = workqueue.open_task(kind=Task.Kind.OTHER, assignee=worker, title="Call",
                                **workqueue.workday_due(date(2026, 12, 1), 2))
    assert not final.due_provisional


def test_bulk_tasks_keep_the_flag_and_rule(make_staff):
    worker = make_staff("specialist")
    workqueue.open_tasks_bulk([
        {"kind": Task.Kind.OTHER, "assignee_id": worker.pk, "title": "A", "key": "t:a",
         **workqueue.workday_due(date(2026, 12, 31), 1)},
        {"kind": Task.Kind.OTHER, "assignee_id": worker.pk, "title": "B", "key": "t:b",
         **workqueue.workday_due(date(2026, 12, 1), 1)},
    ])
    a, b = Task.objects.get(key="t:a"), Task.objects.get(key="t:b")
    assert (a.due_provisional, a.due_from, a.due_workdays) == (True, date(2026, 12, 31), 1)
    assert (b.due_provisional, b.due_from, b.due_workdays) == (False, date(2026, 12, 1), 1)
