"""A second list order index that carries the scope columns (issue #2: a manager's list).

A key account manager's list is `primary_manager_id = m OR secondary_manager_id = m` ordered by
number. With (number, id) alone PostgreSQL reads the manager's rows with a BitmapOr and a
bitmap heap scan (for 5,148 customers, 2,848 of the table's 3,777 pages at 100,000) and sorts
them for every page. With the scope columns in the index (INCLUDE: stored, not ordered) it can
walk (number, id) in order and test the scope on the index entry — an index-only scan for the
ids of a scoped list: a manager's or a sub-unit supervisor's (org_unit_id IN …). 0004's
narrower (number, id) stays: it is half the size, and the planner keeps it for the
company-wide list, whose deep pages scan it the furthest. PostgreSQL only, as 0004.

Measured at 100,000 customers (manager1, 5,148 customers, load average 5.2): the ids of page
52 (OFFSET 2,550) took 85.6 ms — the planner walked the unique index on number and fetched
every row to test the scope — and take 5.1 ms as an index-only scan of this index.
"""

from django.db import migrations

NEW = "cust_number_id_scope_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NEW} ON customers_customer (number, id) "
        "INCLUDE (org_unit_id, primary_manager_id, secondary_manager_id)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NEW}")


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0004_list_order_index"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
