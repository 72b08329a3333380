"""A B-tree on (number, id) for the customer list's default order (issue #2: API list pages).

The API list pages its ids first — `SELECT id FROM customers_customer … ORDER BY number
LIMIT 50 OFFSET n` — and the list page orders by (number, id). With `number` alone (its
unique index) PostgreSQL must fetch every skipped row from the table to read its id; with
(number, id) the page is an index-only scan that never touches the table for rows whose pages
are all-visible (kept so by (auto)vacuum). SQLite stores the rowid (= id) in every index
already, so the migration is a no-op there.
"""

from django.db import migrations

INDEX = "cust_number_id_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customer (number, id)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0003_search_indexes"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
