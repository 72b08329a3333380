"""workqueue.allocate_ids: ids for rows written in bulk with their "id" column (imports), on
PostgreSQL from the sequence and on SQLite by moving the AUTOINCREMENT counter — never handed out
twice, never reused by a row saved later, whatever the table held before."""

import pytest

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
