"""The one task model and service (issue #4 §1)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from powerkam.core import workqueue
from powerkam.core.models import Task
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_open_task_is_idempotent_by_key(make_staff, org_tree):
    manager = make_staff("manager", org_tree["s1"])
    customer = CustomerFactory(org_unit=org_tree["s1"], primary_manager=manager)
    a = workqueue.open_task(kind=Task.Kind.LADDER_STEP, assignee=manager, customer=customer,
                            title="催费", due_at=date(2026, 11, 30), key="ladder:bill:1:overdue_7")
    b = workqueue.open_task(kind=Task.Kind.LADDER_STEP, assignee=manager, customer=customer,
                            title="催费", due_at=date(2026, 11, 30), key="ladder:bill:1:overdue_7")
    assert a.pk == b.pk and Task.objects.count() == 1
    assert a.org_unit == org_tree["s1"]
    workqueue.close_task(a, by=manager, result="已联系")
    again = workqueue.open_task(kind=Task.Kind.LADDER_STEP, assignee=manager, title="催费", key="ladder:bill:1:overdue_7")
    assert again.status == Task.Status.DONE  # a re-run never reopens closed work
    assert a.history.count() == 2


def test_counts_and_close_by_prefix(make_staff, org_tree):
    m = make_staff("manager", org_tree["s1"])
    past = timezone.now() - timedelta(days=1)
    workqueue.open_task(kind="visit", assignee=m, title="A", due_at=past, key="x:1:a")
    workqueue.open_task(kind="visit", assignee=m, title="B", due_at=timezone.now() + timedelta(days=3), key="x:1:b")
    workqueue.open_task(kind="visit", assignee=m, title="C", key="y:1")
    assert workqueue.queue_counts(m) == {"open": 3, "overdue": 1}
    assert workqueue.close_by_prefix("x:1:") == 2
    assert workqueue.queue_counts(m) == {"open": 1, "overdue": 0}


def test_queue_page_lists_only_own_tasks_and_closes_with_htmx(make_staff, org_tree, login):
    m1 = make_staff("manager", org_tree["s1"])
    m2 = make_staff("manager", org_tree["s1"])
    mine = workqueue.open_task(kind="follow_up", assignee=m1, title="回访客户甲", due_at=timezone.now() - timedelta(hours=1))
    workqueue.open_task(kind="follow_up", assignee=m2, title="回访客户乙")
    client = login(m1)
    page = client.get(reverse("core:queue")).content.decode()
    assert "回访客户甲" in page and "回访客户乙" not in page
    assert 'id="nav-queue"' in page and "text-bg-danger" in page  # overdue badge in the navigation
    resp = client.post(reverse("core:queue_close", args=[mine.pk]), HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    mine.refresh_from_db()
    assert mine.status == Task.Status.DONE and mine.closed_by == m1
    other = Task.objects.get(title="回访客户乙")
    assert client.post(reverse("core:queue_close", args=[other.pk])).status_code == 404


def test_supervisor_sees_unit_queue_and_api(make_staff, org_tree, login):
    sup = make_staff("supervisor", org_tree["north"])
    m = make_staff("manager", org_tree["s1"])
    far = make_staff("manager", org_tree["s3"])
    workqueue.open_task(kind="visit", assignee=m, title="北区任务", org_unit=org_tree["s1"])
    workqueue.open_task(kind="visit", assignee=far, title="南区任务", org_unit=org_tree["s3"])
    client = login(sup)
    page = client.get(reverse("core:queue") + "?scope=unit").content.decode()
    assert "北区任务" in page and "南区任务" not in page
    data = client.get("/api/v1/tasks/?scope=unit").json()
    assert [t["title"] for t in data["results"]] == ["北区任务"]
    assert login(m).get("/api/v1/tasks/?scope=unit").status_code == 403
    assert [t["title"] for t in login(m).get("/api/v1/tasks/").json()["results"]] == ["北区任务"]


def test_queue_exports_xlsx(make_staff, org_tree, login):
    import io

    import openpyxl

    m = make_staff("manager", org_tree["s1"])
    workqueue.open_task(kind="visit", assignee=m, title="导出任务")
    resp = login(m).get(reverse("core:queue") + "?export=xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(resp.streaming_content) if resp.streaming else resp.content))
    assert any("导出任务" in str(c.value) for row in wb.active.iter_rows() for c in row)


def test_bulk_task_writers_look_keys_up_without_ordering(make_staff, org_tree):
    """The bulk writers look their keys up with no ORDER BY (workqueue.tasks_with_keys): with
    Task's default ordering a long `key IN (…)` made SQLite scan the whole task table (growing
    with it) instead of reading the key index, 18 ms per 1,000 keys at 34,000 tasks — per batch
    of an import."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = make_staff("manager", org_tree["s1"])
    customer = CustomerFactory(org_unit=org_tree["s1"], primary_manager=manager)
    specs = [{"kind": Task.Kind.FOLLOW_UP, "assignee": manager, "customer": customer, "key": f"bulk:{i}",
              "title": f"t{i}", "due_at": date(2026, 12, 5)} for i in range(3)]
    with CaptureQueriesContext(connection) as queries:
        workqueue.open_tasks_copy(specs[:2])
        workqueue.open_tasks_bulk(specs)
        assert workqueue.close_tasks_bulk([s["key"] for s in specs], by=manager) == 3
    lookups = [q["sql"] for q in queries.captured_queries
               if q["sql"].startswith("SELECT") and ('"key" IN' in q["sql"] or '"key" = ANY' in q["sql"])]
    assert len(lookups) >= 3
    assert not [sql for sql in lookups if "ORDER BY" in sql]
