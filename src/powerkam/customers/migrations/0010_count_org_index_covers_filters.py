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


def forwards(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{_fk_index(schema_editor)}"')
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')
        schema_editor.execute(f'CREATE INDEX "{INDEX}" ON "{TABLE}" {COVERING}')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
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
