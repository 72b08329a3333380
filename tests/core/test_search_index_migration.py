"""The search-index migration: trigram indexes on PostgreSQL, a no-op on SQLite, reversible."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
MIGRATION = ("customers", "0003_search_indexes")

INDEXES = {"cust_name_trgm_idx", "cust_number_trgm_idx", "contact_mobile_trgm_idx", "contact_phone_trgm_idx"}


def _index_names() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "customers_customer")
        constraints |= connection.introspection.get_constraints(cursor, "customers_contact")
    return set(constraints)


def _operation():
    """The migration's RunPython, run directly: migrating the whole graph back would also
    unapply later migrations of other apps."""
    loader = MigrationExecutor(connection).loader
    migration = loader.get_migration(*MIGRATION)
    return migration.operations[0]


def _run(code):
    from django.apps import apps

    with connection.schema_editor() as editor:
        code(apps, editor)


def test_migration_applies_and_reverses_on_this_database():
    present = _index_names() & INDEXES
    if connection.vendor == "postgresql":
        assert present == INDEXES
    else:
        assert present == set()
    operation = _operation()
    assert operation.reversible
    try:
        _run(operation.reverse_code)
        assert _index_names() & INDEXES == set()
    finally:
        _run(operation.code)
        _run(operation.code)  # idempotent (IF NOT EXISTS)
    assert (_index_names() & INDEXES) == (INDEXES if connection.vendor == "postgresql" else set())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL only")
def test_postgres_uses_the_trigram_index_for_name_search():
    from powerkam.customers.filters import search_customers
    from powerkam.customers.models import Customer

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a tiny table: make the planner show the index is usable
        sql, params = search_customers(Customer.objects.only("pk"), "纺织有限").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "cust_name_trgm_idx" in plan
