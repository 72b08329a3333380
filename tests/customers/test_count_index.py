"""A filtered count of one org unit reads an index, not the table (issue #11 item 2; customers
migration 0010): on PostgreSQL `cust_org_ka_idx` carries the columns such a count and the scope
test; the foreign key's own index on org_unit_id, superseded by it, is gone on both databases.
(Whether the planner takes the index-only scan depends on the table's size and visibility map:
docs/performance.md shows the plan at 100,000 customers.)"""

import pytest
from django.db import connection


def _indexes() -> dict[str, list[str]]:
    """{index name: its columns} of the customers table, as the database reports them."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "customers_customer")
    return {name: info["columns"] for name, info in constraints.items() if info["index"]}


@pytest.mark.django_db
def test_no_index_is_on_the_org_unit_alone():
    indexes = _indexes()
    assert indexes["cust_org_ka_idx"][:2] == ["org_unit_id", "is_key_account"]
    assert [name for name, columns in indexes.items() if columns == ["org_unit_id"]] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="INCLUDE columns are PostgreSQL's")
@pytest.mark.django_db
def test_postgres_org_unit_index_covers_the_filtered_count():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'cust_org_ka_idx'")
        (definition,) = cursor.fetchone()
    assert definition.endswith("(org_unit_id, is_key_account) INCLUDE (lifecycle_status, contract_capacity_kva, "
                               "primary_manager_id, secondary_manager_id)")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the name search's statistics are PostgreSQL's")
@pytest.mark.django_db
def test_postgres_keeps_finer_statistics_of_the_searched_names():
    """A search's first page is planned from the estimate of its LIKE '%fragment%' (migration 0010)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT attstattarget FROM pg_attribute WHERE attrelid = 'cust_name_trgm_idx'::regclass")
        assert cursor.fetchone()[0] == 1000


@pytest.mark.django_db(transaction=True)
def test_the_migration_reverses_and_applies_again():
    from importlib import import_module

    migration = import_module("powerkam.customers.migrations.0010_count_org_cover_and_name_stats")
    try:
        with connection.schema_editor() as editor:
            migration.backwards(None, editor)
        indexes = _indexes()
        assert [name for name, columns in indexes.items() if columns == ["org_unit_id"]]
        assert indexes["cust_org_ka_idx"] == ["org_unit_id", "is_key_account"]
    finally:
        with connection.schema_editor() as editor:
            migration.forwards(None, editor)
    assert not [name for name, columns in _indexes().items() if columns == ["org_unit_id"]]
