"""Trigram indexes for the customer search on PostgreSQL (issue #2: search at 100,000 customers).

`search_customers` filters `name__icontains`, which Django renders on PostgreSQL as
`UPPER(name::text) LIKE UPPER('%frag%')`; a pg_trgm GIN index on exactly that expression serves
it (and likewise number and contact mobile/phone, searched with `contains`). Fragments of
three characters or more use the index; shorter ones fall back to a scan, which is still fast
at this size. SQLite has no equivalent and keeps its plain B-tree indexes: the migration is a
no-op there, so the same migration history applies on both databases.
"""

from django.db import migrations

INDEXES = (
    ("cust_name_trgm_idx", "customers_customer", "UPPER((name)::text) gin_trgm_ops"),
    ("cust_number_trgm_idx", "customers_customer", "UPPER((number)::text) gin_trgm_ops"),
    ("contact_mobile_trgm_idx", "customers_contact", "mobile gin_trgm_ops"),
    ("contact_phone_trgm_idx", "customers_contact", "phone gin_trgm_ops"),
)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    # The extension stays: other objects may use it, and keeping it is harmless.


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
