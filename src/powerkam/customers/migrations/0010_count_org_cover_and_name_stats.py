"""The org-unit index covers the columns a filtered count reads (issue #11 item 2: a filtered count
under 30 ms at 100,000 customers).

A count of one supply station's customers with a filter — `/api/v1/customers/?org_unit=<station>
&contract_capacity_kva__gte=…`, or the list page of a station, which hides closed customers —
read the station's 11,185 customer ids from the org unit's foreign-key index, then fetched each
row from the table to test the filter: a bitmap heap scan of 5,072 of the table's 5,792 pages
(the customers of a station are spread over the whole table), 19–27 ms of the request's 33 ms.

On PostgreSQL `cust_org_ka_idx` (org unit, key account) is rebuilt under the same name with the
columns those counts and the visibility scope test, INCLUDEd (stored, not ordered): the lifecycle
status (the list hides closed customers), the contract capacity, and the two managers (a key
account manager's scope). The count is then an index-only scan of the station's entries: 82
index pages, 2.3–3.1 ms. The index is 5.6 MB instead of 0.7 MB at 100,000 customers.

The foreign key's own index on org_unit_id is superseded (org_unit_id leads cust_org_ka_idx) and
dropped on both databases — an import writes one index entry fewer per customer; `org_unit`
becomes `db_index=False` in the model. SQLite keeps its plain (org unit, key account) index (it
has no INCLUDE, and its filtered count meets its target: 26.8 ms against 60).

The model still declares `cust_org_ka_idx` as (org_unit, is_key_account): a later Django
operation on it (RemoveIndex drops it by name) works on both databases.

Also on PostgreSQL (issue #11 item 5: plans must not flip with the data), the statistics of the
name search's expression, `upper(name)` of `cust_name_trgm_idx` (0003), are kept at 1,000
histogram entries instead of 100, and the table analysed. A search's first page (`… ORDER BY
number, id LIMIT 26`) is either a walk of the number index (when matches are many) or a read of
every match and a sort (when few); PostgreSQL estimates a `LIKE '%fragment%'` from that
histogram, and with 100 entries a 3–4-character fragment in 3,113 names of 200,000 was estimated
at 39 rows: every match was read and sorted (19.8 ms) where the number index finds the 26 in
0.8 ms. With 1,000 entries it is estimated at 3,709. Planning a search costs ~0.3 ms more.
"""

from django.db import migrations, models

TABLE = "customers_customer"
INDEX = "cust_org_ka_idx"
PLAIN = '("org_unit_id", "is_key_account")'
COVERING = ('("org_unit_id", "is_key_account") INCLUDE ("lifecycle_status", "contract_capacity_kva", '
            '"primary_manager_id", "secondary_manager_id")')


def _fk_index(schema_editor) -> str:
    # The name Django gave the foreign key's index (customers 0002), as it computes it.
    return schema_editor._create_index_name(TABLE, ["org_unit_id"])


NAME_INDEX = "cust_name_trgm_idx"
NAME_STATISTICS = 1000


def forwards(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{_fk_index(schema_editor)}"')
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')
        schema_editor.execute(f'CREATE INDEX "{INDEX}" ON "{TABLE}" {COVERING}')
        schema_editor.execute(f'ALTER INDEX IF EXISTS "{NAME_INDEX}" ALTER COLUMN 1 SET STATISTICS {NAME_STATISTICS}')
        schema_editor.execute(f'ANALYZE "{TABLE}"')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'ALTER INDEX IF EXISTS "{NAME_INDEX}" ALTER COLUMN 1 SET STATISTICS -1')
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')
        schema_editor.execute(f'CREATE INDEX "{INDEX}" ON "{TABLE}" {PLAIN}')
    schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{_fk_index(schema_editor)}" ON "{TABLE}" ("org_unit_id")')


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0009_growth_list_index_covers_status"),
        ("org", "0002_auth_two_step_policy"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="org_unit",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.PROTECT,
                                            related_name="customers", to="org.orgunit",
                                            verbose_name="supply station"),
                ),
            ],
        ),
    ]
