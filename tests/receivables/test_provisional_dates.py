"""Ladder dates counted in working days that reach into a year whose holidays are not entered are
provisional (issue #9 item 8): the step tasks are recomputed when the year is entered; a written
notice already generated keeps the date it states, marked. 2027 holidays: the labelled test
fixture of tests/calendar_fixture.py (1–3 January off)."""

from datetime import date, datetime, time

import pytest
from django.urls import reverse
from django.utils import timezone

from powerkam.core import holidays, workqueue
from powerkam.core.models import Task
from powerkam.receivables.ladder import run_ladder
from powerkam.receivables.models import CollectionNotice
from tests.calendar_fixture import arrangement_xlsx

pytestmark = pytest.mark.django_db


def end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


@pytest.fixture
def overdue_bill(world, bill_maker):
    # Due 12-16: on Wed 12-30 it is 14 days overdue — the credit warning and the written notice.
    bill = bill_maker(world["c1"], "12000.00", date(2026, 12, 16))
    run_ladder(date(2026, 12, 30))
    return bill


def test_ladder_tasks_and_the_notice_date_reaching_into_2027_are_provisional(overdue_bill):
    task = Task.objects.get(key=f"ladder:bill:{overdue_bill.pk}:collection")
    # 2 working days from Wed 12-30: Thu 12-31, then Fri 2027-01-01 counted Monday–Friday.
    assert task.due_at == end_of(date(2027, 1, 1))
    assert (task.due_provisional, task.due_from, task.due_workdays) == (True, date(2026, 12, 30), 2)
    notice = CollectionNotice.objects.get(bill=overdue_bill)
    assert notice.pay_by == date(2027, 1, 6) and notice.pay_by_provisional


def test_a_notice_date_inside_2026_is_final(world, bill_maker):
    bill = bill_maker(world["c2"], "5000.00", date(2026, 11, 30))
    run_ladder(date(2026, 12, 14))
    notice = CollectionNotice.objects.get(bill=bill)
    assert notice.pay_by == date(2026, 12, 21) and not notice.pay_by_provisional
    assert not Task.objects.get(key=f"ladder:bill:{bill.pk}:collection").due_provisional


def test_the_bill_page_and_the_notice_show_the_mark(overdue_bill, world, login):
    client = login(world["m1"])
    page = client.get(reverse("receivables:bill", args=[overdue_bill.pk])).content.decode()
    assert 'id="notice-pay-by">2027-01-06<' in page and 'data-provisional="1"' in page
    notice = CollectionNotice.objects.get(bill=overdue_bill)
    doc = client.get(reverse("receivables:notice", args=[notice.pk])).content.decode()
    assert 'id="pay-by-provisional"' in doc and 'class="no-print"' in doc
    assert notice.html.split("<body>", 1)[1] in doc  # the document itself is as generated


def test_entering_2027_recomputes_open_ladder_tasks_not_closed_ones_nor_the_sent_notice(overdue_bill, world):
    warning = Task.objects.get(key=f"ladder:bill:{overdue_bill.pk}:warning")
    workqueue.close_task(warning, by=world["m1"], result="Called")
    notice_before = CollectionNotice.objects.values("pay_by", "pay_by_provisional", "html").get(bill=overdue_bill)
    holidays.import_arrangement(arrangement_xlsx(), actor=world["sup"])
    task = Task.objects.get(key=f"ladder:bill:{overdue_bill.pk}:collection")
    assert (task.due_at, task.due_provisional) == (end_of(date(2027, 1, 4)), False)
    warning.refresh_from_db()
    assert (warning.due_at, warning.due_provisional) == (end_of(date(2027, 1, 1)), True)
    assert CollectionNotice.objects.values("pay_by", "pay_by_provisional", "html").get(
        bill=overdue_bill) == notice_before
