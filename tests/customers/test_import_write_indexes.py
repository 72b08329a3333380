"""One index per column where `db_index=True` made two on PostgreSQL, and none the timeline's reads
do not use (issue #11 item 3; customers migration 0012, decision record 0023): every imported
customer writes three customer index entries and three timeline index entries fewer. What stays
is what the list, the search, the counts and the closed customers' pages read."""

import pytest
from django.db import connection

from powerkam.customers import search_index


def _indexes(table: str) -> dict[str, list[str]]:
    """{index name: its columns} of the table's non-unique indexes, as the database reports them
    (without SQLite's NOCASE indexes of search_index, which are not Django's)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name: info["columns"] for name, info in constraints.items()
            if info["index"] and not info["unique"] and name not in search_index.INDEXES}


def _on(indexes: dict[str, list[str]], *columns: str) -> list[str]:
    return sorted(name for name, cols in indexes.items() if cols == list(columns))


def _indexdef(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        row = cursor.fetchone()
    return row[0] if row else ""


@pytest.mark.django_db
def test_one_index_each_on_name_credit_code_and_status():
    indexes = _indexes("customers_customer")
    assert _on(indexes, "name") == ["cust_name_idx"]
    assert _on(indexes, "credit_code") == ["cust_credit_code_idx"]
    assert _on(indexes, "lifecycle_status") == ["cust_status_idx"]
    # The key-account flag keeps its index: the key-account pages, counts and jobs read it.
    assert len(_on(indexes, "is_key_account")) == 1


@pytest.mark.django_db
def test_timeline_events_are_indexed_by_customer_and_time_only():
    indexes = _indexes("customers_timelineevent")
    assert indexes["timeline_cust_time_idx"] == ["customer_id", "occurred_at"]
    assert _on(indexes, "customer_id") == []
    assert _on(indexes, "kind") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="operator classes are PostgreSQL's")
@pytest.mark.django_db
def test_postgres_keeps_the_index_each_query_reads():
    # The credit code's serves its equality and the search's prefix (LIKE 'x%') under any collation.
    assert _indexdef("cust_credit_code_idx").endswith("USING btree (credit_code varchar_pattern_ops)")
    # The name's serves the list's sort by name; the status's the counts of (not) closed customers.
    assert _indexdef("cust_name_idx").endswith("USING btree (name)")
    assert _indexdef("cust_status_idx").endswith("USING btree (lifecycle_status)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename IN "
                       "('customers_customer', 'customers_timelineevent') AND indexname LIKE '%%\\_like'")
        like = sorted(name for (name,) in cursor.fetchall())
    # The customer number's pattern index stays: the search's number__startswith reads it.
    assert like == ["customers_customer_number_c63b3994_like"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_reverses_and_applies_again():
    from importlib import import_module

    migration = import_module("powerkam.customers.migrations.0012_import_fewer_write_indexes")
    try:
        with connection.schema_editor() as editor:
            migration.backwards(None, editor)
        customers, timeline = _indexes("customers_customer"), _indexes("customers_timelineevent")
        pattern_too = 2 if connection.vendor == "postgresql" else 1
        assert len(_on(customers, "name")) == len(_on(customers, "credit_code")) == pattern_too
        assert len(_on(customers, "lifecycle_status")) == pattern_too
        assert len(_on(timeline, "kind")) == pattern_too
        assert len(_on(timeline, "customer_id")) == 1
        assert "cust_name_idx" not in customers
    finally:
        with connection.schema_editor() as editor:
            migration.forwards(None, editor)
    customers, timeline = _indexes("customers_customer"), _indexes("customers_timelineevent")
    assert _on(customers, "name") == ["cust_name_idx"]
    assert _on(customers, "credit_code") == ["cust_credit_code_idx"]
    assert _on(customers, "lifecycle_status") == ["cust_status_idx"]
    assert _on(timeline, "customer_id") == _on(timeline, "kind") == []
