"""Generated visits land on working days of the holiday calendar (issue #10 item 4: December's
plan put visits on Saturdays and Sundays)."""

from datetime import date

import pytest

from powerkam.core.models import Holiday, Task
from powerkam.core.workdays import is_workday
from powerkam.customers import constants as cc
from powerkam.service.visits import constants as c
from powerkam.service.visits.models import Visit
from powerkam.service.visits.services import declare_occasion, generate_plans, planned_workday

from .helpers import done_visit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("due", "today", "planned"), [
    (date(2026, 12, 16), date(2026, 12, 1), date(2026, 12, 16)),   # a Wednesday: kept
    (date(2026, 12, 19), date(2026, 12, 1), date(2026, 12, 18)),   # Saturday → the Friday before
    (date(2026, 12, 20), date(2026, 12, 1), date(2026, 12, 18)),   # Sunday → the Friday before
    (date(2026, 12, 6), date(2026, 12, 5), date(2026, 12, 7)),     # Friday before is past → Monday
])
def test_planned_on_the_last_working_day_not_after_the_due_date(due, today, planned):
    assert planned_workday(due, today) == planned


def test_december_plan_has_no_visit_on_a_weekend_or_holiday(key_account):
    # 2027-01-01 (Friday) is New Year's Day in the holiday table.
    Holiday.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    lasts = [date(2026, 6, 19), date(2026, 6, 20), date(2026, 6, 21), date(2026, 7, 1), date(2026, 9, 1)]
    accounts = []
    for last in lasts:
        ka = key_account(cc.KeyAccountTier.PREMIUM)  # every 6 months: due 12-19 (Sat), 12-20 (Sun), 12-21, 01-01, 03-01
        done_visit(ka, last)
        accounts.append(ka)
    generate_plans(date(2026, 12, 1))
    planned = dict(Visit.objects.filter(status=c.VisitStatus.PLANNED).values_list("customer_id", "planned_on"))
    assert planned == {
        accounts[0].pk: date(2026, 12, 18),
        accounts[1].pk: date(2026, 12, 18),
        accounts[2].pk: date(2026, 12, 21),
        accounts[3].pk: date(2026, 12, 31),  # New Year's Day is a holiday
        accounts[4].pk: date(2027, 3, 1),
    }
    assert all(is_workday(day) for day in planned.values())
    # The rule's due date is kept; the task is due on the planned working day.
    sat = Visit.objects.get(customer=accounts[0], status=c.VisitStatus.PLANNED)
    assert sat.due_on == date(2026, 12, 19)
    assert Task.objects.get(key=f"visit:{sat.pk}").due_at.date() == date(2026, 12, 18)


def test_an_occasion_starting_on_a_weekend_is_visited_on_the_next_working_day(key_account):
    ka = key_account(cc.KeyAccountTier.PREMIUM)
    declare_occasion(name="寒潮", kind=c.OccasionKind.values[0], starts_on=date(2026, 12, 5),
                     ends_on=date(2026, 12, 11), all_key_accounts=True, today=date(2026, 12, 4))
    visit = Visit.objects.get(customer=ka, source=c.VisitSource.OCCASION)
    assert visit.planned_on == date(2026, 12, 7)
