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
