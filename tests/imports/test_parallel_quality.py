"""A large customers import on PostgreSQL runs the data-quality pass of its new customers on a
second connection beside it (services.QualityWriter), committed right after the import's own
commit: the same findings and tasks as the pass inside the import; nothing of it is left when
the import writes nothing; and no thread or connection outlives the import.

Transactional tests (the second connection must see committed rows); PostgreSQL only — SQLite
has one writer at a time, so its imports always evaluate inside their transaction."""

import json
import threading

import pytest
from django.db import connection

from powerkam.core.models import Task
from powerkam.customers.models import Customer, DataQualityFinding
from powerkam.imports.services import run_import
from tests.customers.test_quality_bulk import snapshot
from tests.imports.conftest import customer_row, customer_rows, upload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a second writer needs PostgreSQL"),
]


def quality_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "import-quality"]


def test_same_findings_and_tasks_as_inside_the_import(clerk, manager, settings):
    rows = customer_rows(4, manager="mgr1")
    rows[3] = customer_row(3, manager="", **{"统一社会信用代码": "", "法定代表人": ""})
    outcomes = []
    for parallel_from in (1, 10**9):  # beside the import, then inside it
        settings.POWERKAM_IMPORT_PARALLEL_QUALITY_ROWS = parallel_from
        f, name = upload(rows, fmt="csv")
        result = run_import("customers", f, name, actor=clerk, dry_run=False)
        assert result.ok and result.committed and not quality_threads(), result.errors[:3]
        outcomes.append(snapshot())
        Task.history.model.objects.all().delete()
        Task.objects.all().delete()
        DataQualityFinding.objects.all().delete()
        Customer.history.model.objects.all().delete()
        Customer.objects.all().delete()
    beside, inside = outcomes
    assert len(beside["tasks"]) == 4 and len(beside["findings"]) >= 12
    # customer ids differ between the two runs: compare what belongs to each customer by its order
    def by_order(state):
        order = {cid: i for i, cid in enumerate(sorted({f[0] for f in state["findings"]}))}
        # a finding's params hold UI words as {"t": msgid}: compared as canonical JSON
        return ({(order[f[0]], *(json.dumps(v, sort_keys=True) for v in f[1:])) for f in state["findings"]},
                sorted((order[t[0]], *t[1:]) for t in state["tasks"]))
    assert by_order(beside) == by_order(inside)


def test_nothing_is_left_when_the_import_writes_nothing(clerk, manager, settings):
    settings.POWERKAM_IMPORT_PARALLEL_QUALITY_ROWS = 1
    rows = customer_rows(1200, manager="mgr1")  # two batches: the first is written, then …
    rows[1100][0] = rows[5][0]  # … a number given twice fails the file
    f, name = upload(rows, fmt="csv")
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert not result.ok and not result.committed
    assert not Customer.objects.exists() and not DataQualityFinding.objects.exists()
    assert not Task.objects.filter(kind=Task.Kind.DATA_QUALITY).exists() and not quality_threads()


def test_two_writers_take_the_batches_in_turn_and_a_failed_commit_is_written_again(clerk, manager, settings,
                                                                                    monkeypatch, caplog):
    """A large import has two data-quality writers taking the batches in turn, each committing
    its findings, tasks and the new customers' timeline events once the customers are in. When
    one of them cannot commit (here: a row it holds breaks a foreign key, checked at commit), the
    import stays committed and what that writer held is written again: every customer ends with
    its findings, one task and one "imported" timeline event, as if nothing had failed."""
    from powerkam.customers.models import TimelineEvent
    from powerkam.imports import services

    settings.POWERKAM_IMPORT_PARALLEL_QUALITY_ROWS = 1
    settings.POWERKAM_IMPORT_PARALLEL_WRITE_ROWS = 1
    assert services.quality_writer_count() == 2
    seen, handled = [], {}
    original = services.QualityWriter.handle

    def handle(self, item):
        original(self, item)
        if self not in seen:
            seen.append(self)
        handled[id(self)] = handled.get(id(self), 0) + 1
        if self is seen[0]:  # the first writer's commit will fail: a timeline event of no customer
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO customers_timelineevent (customer_id, kind, occurred_at, title, detail) "
                               "VALUES (-1, 'test', now(), 'x', '')")

    monkeypatch.setattr(services.QualityWriter, "handle", handle)
    rows = customer_rows(2500, manager="mgr1")  # three batches: one writer takes two, the other one
    f, name = upload(rows, fmt="csv")
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert result.ok and result.committed and not quality_threads(), result.errors[:3]
    assert len(seen) == 2 and sorted(handled.values()) == [1, 2]
    assert "did not commit; evaluating again" in caplog.text  # the failure happened, and was told
    ids = set(Customer.objects.values_list("pk", flat=True))
    assert len(ids) == 2500
    assert set(DataQualityFinding.objects.values_list("customer_id", flat=True)) == ids
    tasks = Task.objects.filter(kind=Task.Kind.DATA_QUALITY, status=Task.Status.OPEN)
    assert sorted(tasks.values_list("customer_id", flat=True)) == sorted(ids)
    events = list(TimelineEvent.objects.values_list("customer_id", flat=True))
    assert sorted(events) == sorted(ids)  # one each, none lost, none twice, none of customer -1
