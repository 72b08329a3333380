"""A large customers import on PostgreSQL writes its batches on a connection of its own, in a
thread (services.ImportWriter), while the import's thread checks the next batch: the same rows,
history, timeline, findings and tasks as writing in the import's own thread; all or nothing as
before — an error in a late batch, or the database refusing a write in the writer thread,
leaves nothing written and is reported as before; no thread or connection outlives the import.

Transactional tests (the threads' connections must see committed rows); PostgreSQL only."""

import threading

import pytest
from django.db import connection

from powerkam.core.models import Task
from powerkam.customers.models import Customer, DataQualityFinding, TimelineEvent
from powerkam.imports.services import run_import
from tests.customers.test_quality_bulk import snapshot
from tests.imports.conftest import CUSTOMER_HEADERS, customer_row, customer_rows, upload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a writer thread needs PostgreSQL"),
]

REFUSED = "The database refused the data (was the same data changed at the same time?). Nothing was imported; try again."


def import_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name in ("import-writer", "import-quality")]


def wipe() -> None:
    Task.objects.all().delete()
    DataQualityFinding.objects.all().delete()
    TimelineEvent.objects.all().delete()
    Customer.objects.all().delete()
    Task.history.model.objects.all().delete()  # deleting writes history rows too
    Customer.history.model.objects.all().delete()


def state() -> dict:
    """What an import writes, by customer number (ids differ between runs)."""
    number_of = dict(Customer.objects.values_list("pk", "number"))
    quality = snapshot()
    return {
        "customers": sorted(Customer.objects.values_list("number", "name", "credit_code", "org_unit_id",
                                                         "primary_manager_id", "voltage_level")),
        "history": sorted(Customer.history.model.objects.values_list("number", "history_type", "history_change_reason")),
        "timeline": sorted((number_of[c], k, t) for c, k, t in
                           TimelineEvent.objects.values_list("customer_id", "kind", "title")),
        "findings": sorted((number_of[f[0]], *map(str, f[1:])) for f in quality["findings"]),
        "tasks": sorted((number_of[t[0]], *map(str, t[1:7])) for t in quality["tasks"]),
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_same_writes_as_in_the_import_thread(clerk, manager, settings, fmt):
    rows = customer_rows(2300, manager="mgr1")  # three batches
    rows[2200] = customer_row(2200, manager="", **{"统一社会信用代码": "", "法定代表人": ""})
    outcomes = []
    for parallel_from in (1, 10**9):  # in the writer thread, then in the import's own
        settings.POWERKAM_IMPORT_PARALLEL_WRITE_ROWS = parallel_from
        f, name = upload(rows, fmt=fmt)
        result = run_import("customers", f, name, actor=clerk, dry_run=False)
        assert result.ok and result.committed and result.created == 2300, result.errors[:3]
        assert not import_threads()
        outcomes.append(state())
        wipe()
    threaded, inline = outcomes
    assert len(threaded["customers"]) == 2300 and len(threaded["tasks"]) == 2300
    assert threaded == inline


def test_updates_in_the_writer_thread(clerk, manager, settings):
    settings.POWERKAM_IMPORT_PARALLEL_WRITE_ROWS = 1
    rows = customer_rows(1500, manager="mgr1")
    f, name = upload(rows, fmt="csv")
    assert run_import("customers", f, name, actor=clerk, dry_run=False).committed
    rows[1:] = [row[:1] + [row[1] + "（更名）"] + row[2:] for row in rows[1:]]
    f, name = upload(rows, fmt="csv")
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert result.committed and result.updated == 1500 and not import_threads(), result.errors[:3]
    assert Customer.objects.filter(name__endswith="（更名）").count() == 1500
    assert Customer.history.model.objects.filter(history_type="~").count() == 1500


def test_an_error_in_a_late_batch_writes_nothing(clerk, manager, settings):
    settings.POWERKAM_IMPORT_PARALLEL_WRITE_ROWS = 1
    rows = customer_rows(3500, manager="mgr1")  # the first three batches are written, then …
    rows[3400][CUSTOMER_HEADERS.index("电压等级")] = "13kV"  # … a bad cell fails the file
    f, name = upload(rows, fmt="csv")
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert not result.ok and not result.committed
    assert [(e.row, e.column) for e in result.errors] == [(3401, "电压等级")]
    assert not Customer.objects.exists() and not Customer.history.model.objects.exists()
    assert not TimelineEvent.objects.exists() and not DataQualityFinding.objects.exists()
    assert not Task.objects.exists() and not import_threads()


def test_a_number_given_twice_across_batches_is_reported_once(clerk, manager, settings):
    settings.POWERKAM_IMPORT_PARALLEL_WRITE_ROWS = 1
    rows = customer_rows(2500, manager="mgr1")
    rows[2400][0] = rows[5][0]  # the first one is in the writer's uncommitted first batch
    f, name = upload(rows, fmt="csv")
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert not result.committed
    assert [(e.row, e.column) for e in result.errors] == [(2401, "客户编号")]
    assert "appears more than once in the file (first on row 6)" in result.errors[0].message
    assert not Customer.objects.exists() and not import_threads()


@pytest.fixture
def refuse_number():
    """The database refuses one customer number (a trigger): what a unique violation in the
    writer thread — someone else inserting that number meanwhile — looks like to the import."""
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION import3_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.number = '3200002222' THEN
                    RAISE unique_violation USING MESSAGE = 'duplicate key value (test)';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER import3_refuse BEFORE INSERT ON customers_customer
                FOR EACH ROW EXECUTE FUNCTION import3_refuse();""")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER import3_refuse ON customers_customer; DROP FUNCTION import3_refuse();")


@pytest.mark.parametrize("parallel_from", [1, 10**9])  # in the writer thread, and in the import's own
def test_a_write_refused_by_the_database_writes_nothing(clerk, manager, settings, refuse_number, parallel_from):
    settings.POWERKAM_IMPORT_PARALLEL_WRITE_ROWS = parallel_from
    rows = customer_rows(4000, manager="mgr1")  # the third batch is refused by the database
    f, name = upload(rows, fmt="csv")
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert not result.committed
    assert [(e.row, e.column, e.message) for e in result.errors] == [(0, "", REFUSED)]
    assert not Customer.objects.exists() and not Customer.history.model.objects.exists()
    assert not DataQualityFinding.objects.exists() and not Task.objects.exists() and not import_threads()
