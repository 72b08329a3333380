"""The list order's indexes carry the lifecycle status (issue #11 item 5: a page's cost must not
grow with the list).

The customer list hides closed customers (`NOT lifecycle_status = 'closed'`) and pages its ids
first (customers.paging.ListPaginator): `SELECT id … WHERE NOT closed ORDER BY number, id LIMIT
25 OFFSET m`. The indexes of that order, (number, id) (0004) and (number, id) INCLUDE (scope
columns) (0005), did not hold the status, so PostgreSQL fetched every row OFFSET skips from the
table to test it: an index scan plus m table rows, m growing with the list (a random page of
200,000 customers read twice the rows of one of 100,000). With the status in the index
(INCLUDE: stored, not ordered) the ids of any page are an index-only scan, as 0004 and 0005
meant them to be; the two indexes are replaced, not added to (an import writes no more index
entries than before, each a few bytes wider). PostgreSQL only, as 0004 and 0005: SQLite reads
a page's rows by the unique index on number.
"""

from django.db import migrations

OLD = {
    "cust_number_id_idx": "(number, id)",
    "cust_number_id_scope_idx": "(number, id) INCLUDE (org_unit_id, primary_manager_id, secondary_manager_id)",
}
NEW = {
    "cust_number_id_status_idx": "(number, id) INCLUDE (lifecycle_status)",
    "cust_number_id_scope_idx": "(number, id) INCLUDE (lifecycle_status, org_unit_id, primary_manager_id, "
                                "secondary_manager_id)",
}


def _replace(schema_editor, drop: dict, create: dict) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in drop:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for name, columns in create.items():
        schema_editor.execute(f"CREATE INDEX {name} ON customers_customer {columns}")


def forwards(apps, schema_editor):
    _replace(schema_editor, OLD, NEW)


def backwards(apps, schema_editor):
    _replace(schema_editor, NEW, OLD)


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0008_import_speed_fewer_write_indexes"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
