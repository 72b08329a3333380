"""A planned visit on a day of a year whose holidays are not entered is marked provisional (the day
may turn out to be a holiday) on its pages, its work-queue task and the API; the mark goes once the
year is entered (issue #9 item 8; tests/calendar_fixture.py is a labelled 2027 test fixture)."""

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from powerkam.core import holidays
from powerkam.core.models import Task
from powerkam.service.visits import services
from tests.calendar_fixture import arrangement_xlsx
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_visit_planned_in_2027_is_provisional_until_2027_is_entered(org_tree, make_staff, login):
    manager = make_staff("manager", org_tree["s1"])
    customer = CustomerFactory(org_unit=org_tree["s1"], primary_manager=manager)
    later = services.plan_visit(customer=customer, planned_on=date(2027, 1, 15), actor=manager,
                                today=date(2026, 12, 3))
    soon = services.plan_visit(customer=customer, planned_on=date(2026, 12, 15), actor=manager,
                               today=date(2026, 12, 3))
    assert later.planned_provisional and later.due_provisional
    assert not soon.planned_provisional
    task = Task.objects.get(key=later.task_key)
    assert task.due_is_provisional and not Task.objects.get(key=soon.task_key).due_is_provisional
    client = login(manager)

    def planned_cell(visit) -> str:
        html = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
        return html.split('id="planned-on">', 1)[1].split("</dd>", 1)[0]

    assert 'data-provisional="1"' in planned_cell(later)
    assert 'data-provisional="1"' not in planned_cell(soon)
    queue = client.get(reverse("core:queue")).content.decode()
    assert queue.count('data-provisional="1"') == 2  # the table row and the phone agenda's card
    calendar = client.get(reverse("visits:calendar"), {"date": "2027-01-15"}).content.decode()
    grid_cell = calendar.split('<td', 1)[1].split('data-day="2027-01-15"', 1)[1].split("</td>", 1)[0]
    assert 'data-provisional="1"' in grid_cell
    agenda_day = calendar.split('id="calendar-agenda"', 1)[1].split('data-day="2027-01-15"', 1)[1].split("</section>", 1)[0]
    assert 'data-provisional="1"' in agenda_day
    api = APIClient()
    api.force_authenticate(manager)
    body = api.get(f"/api/v1/visits/{later.pk}/").json()
    assert body["planned_provisional"] is True and body["due_provisional"] is True
    holidays.import_arrangement(arrangement_xlsx(), actor=make_staff("admin"))
    later.refresh_from_db()
    assert not later.planned_provisional
    assert 'data-provisional="1"' not in client.get(reverse("visits:detail", args=[later.pk])).content.decode()
    assert not Task.objects.get(key=later.task_key).due_is_provisional


def test_entering_the_year_moves_generated_visits_off_its_holidays(org_tree, make_staff):
    """A regular visit planned on Monday 2027-02-08 while 2027 was a Monday–Friday guess lands in
    the fixture's Spring Festival holiday once 2027 is entered: it moves to the last working day
    before (Thursday 2027-02-04), with its task and a reschedule record; a visit planned by hand
    on a holiday keeps the day a person chose."""
    from powerkam.service.visits import constants as vc
    from powerkam.service.visits.models import Visit, VisitReschedule

    manager = make_staff("manager", org_tree["s1"])
    customer = CustomerFactory(org_unit=org_tree["s1"], primary_manager=manager)
    generated = services.plan_visit(customer=customer, planned_on=date(2027, 2, 8), actor=manager)
    Visit.objects.filter(pk=generated.pk).update(source=vc.VisitSource.CYCLE, due_on=date(2027, 2, 8))
    by_hand = services.plan_visit(customer=customer, planned_on=date(2027, 2, 9), actor=manager)
    assert services.holiday_planned_visits().count() == 0  # 2027 not entered: nothing to move yet

    holidays.import_arrangement(arrangement_xlsx(), actor=make_staff("admin"))

    generated.refresh_from_db()
    by_hand.refresh_from_db()
    assert generated.planned_on == date(2027, 2, 4)
    assert Task.objects.get(key=generated.task_key).due_at.date() == date(2027, 2, 4)
    assert VisitReschedule.objects.get(visit=generated).from_date == date(2027, 2, 8)
    assert by_hand.planned_on == date(2027, 2, 9)
    assert services.holiday_planned_visits().count() == 0
