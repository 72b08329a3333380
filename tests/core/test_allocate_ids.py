"""workqueue.allocate_ids: ids for rows written in bulk with their "id" column (imports), on
PostgreSQL from the sequence and on SQLite by moving the AUTOINCREMENT counter — never handed out
twice, never reused by a row saved later, whatever the table held before."""

from datetime import UTC

import pytest
from django.utils import timezone

from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.org.models import OrgUnit

pytestmark = pytest.mark.django_db


def test_ids_are_new_distinct_and_never_reused(make_staff):
    staff = make_staff()
    before = Task.objects.create(kind=Task.Kind.FOLLOW_UP, title="before", assignee=staff)
    first = workqueue.allocate_ids(Task, 3)
    second = workqueue.allocate_ids(Task, 2)
    assert len(first) == 3 and len(second) == 2 and len(set(first + second)) == 5
    assert min(first + second) > before.pk
    workqueue.copy_rows(Task, ("id", "kind", "title", "detail", "assignee_id", "priority", "status", "link",
                               "result", "created_at", "due_provisional", "title_msgid", "title_params",
                               "detail_msgid", "detail_params"),
                        [(pk, Task.Kind.FOLLOW_UP, f"t{pk}", "", staff.pk, 1, "open", "", "", before.created_at,
                          False, "", "{}", "", "{}") for pk in first])
    after = Task.objects.create(kind=Task.Kind.FOLLOW_UP, title="after", assignee=staff)
    assert after.pk > max(first + second)  # the unused ids of `second` are skipped too
    assert set(Task.objects.filter(pk__in=first).values_list("title", flat=True)) == {f"t{pk}" for pk in first}


def test_a_table_that_never_had_a_row(db):
    OrgUnit.objects.all().delete()
    ids = workqueue.allocate_ids(OrgUnit, 2)
    assert len(ids) == 2 and ids[1] == ids[0] + 1 and ids[0] >= 1
    assert workqueue.allocate_ids(OrgUnit, 0) == []


def test_sqlite_reads_the_highest_id_without_scanning_the_table(make_staff):
    """On SQLite the counter's statements find the table's highest id at the end of its B-tree
    (`SELECT MAX(id) FROM t` alone in a subquery): a MAX beside a WHERE scanned every row, 13 ms
    per call at 100,000 rows, three calls per batch of an import. Counted in SQLite's virtual
    machine instructions (a progress handler), which a scan makes grow with the table."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's AUTOINCREMENT counter")
    staff = make_staff()
    Task.objects.create(kind=Task.Kind.FOLLOW_UP, title="first", assignee=staff)
    workqueue.allocate_ids(Task, 1)  # the counter exists

    def instructions() -> int:
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        connection.connection.set_progress_handler(count, 10)
        try:
            workqueue.allocate_ids(Task, 3)
        finally:
            connection.connection.set_progress_handler(None, 10)
        return steps[0]

    small = instructions()
    pks = workqueue.allocate_ids(Task, 5000)
    workqueue.copy_rows(Task, ("id", "kind", "title", "detail", "assignee_id", "priority", "status", "link",
                               "result", "created_at", "due_provisional", "title_msgid", "title_params",
                               "detail_msgid", "detail_params"),
                        [(pk, Task.Kind.FOLLOW_UP, "t", "", staff.pk, 1, "open", "", "", timezone.now(),
                          False, "", "{}", "", "{}") for pk in pks])
    assert instructions() <= small + 5  # the same whatever the number of rows (a scan: +2,000)


def test_dates_and_datetimes_are_written_as_given(make_staff):
    """copy_rows writes dates and datetimes (as ISO text on PostgreSQL, each distinct one
    formatted once; on SQLite each distinct datetime adapted once): the same instants and days
    come back, whatever the time zone they were given in, with or without microseconds; None
    stays NULL."""
    from datetime import date, datetime, timedelta
    from datetime import timezone as dt_timezone
    from zoneinfo import ZoneInfo

    staff = make_staff()
    shanghai = ZoneInfo("Asia/Shanghai")
    moments = [datetime(2026, 12, 4, 21, 16, 40, 652775, tzinfo=UTC),
               datetime(2026, 12, 5, 5, 16, 40, 652775, tzinfo=shanghai),  # the same instant
               datetime(2026, 1, 1, 0, 0, tzinfo=shanghai), datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
               datetime(2026, 6, 30, 12, 0, tzinfo=dt_timezone(timedelta(hours=-5, minutes=-30)))]
    days = [date(2026, 12, 4), None, date(2026, 1, 1), date(2000, 2, 29), date(2026, 12, 4)]
    ids = workqueue.allocate_ids(Task, len(moments))
    workqueue.copy_rows(Task, ("id", "kind", "title", "detail", "assignee_id", "priority", "status", "link",
                               "result", "created_at", "due_at", "due_from", "due_provisional", "title_msgid",
                               "title_params", "detail_msgid", "detail_params"),
                        [(pk, Task.Kind.FOLLOW_UP, f"t{pk}", "", staff.pk, 1, "open", "", "", moment,
                          None if n == 1 else moment, day, False, "", "{}", "", "{}")
                         for n, (pk, moment, day) in enumerate(zip(ids, moments, days, strict=True))])
    back = {pk: (created, due, day) for pk, created, due, day in
            Task.objects.filter(pk__in=ids).values_list("pk", "created_at", "due_at", "due_from")}
    for n, (pk, moment, day) in enumerate(zip(ids, moments, days, strict=True)):
        assert back[pk] == (moment, None if n == 1 else moment, day)
