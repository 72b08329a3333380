"""The primary manager's index carries the lifecycle status (issue #15: the KPI scorecard's
portfolio sizes, customers not closed per manager, read from the index alone; decision record
0021). It replaces the foreign key's own index, which has the same first column: the new index is
built first, so lookups by manager always have one.

The foreign key's index is dropped by name rather than by AlterField(db_index=False): on SQLite
AlterField rebuilds the whole customer table (copy, drop, rename), which the arrears-position
triggers on it (analytics 0003) do not survive, and which would rewrite 100,000 rows for one index.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "customers_customer"
COLUMN = "primary_manager_id"


def _fk_index_name(schema_editor) -> str:
    """The name Django gave the foreign key's index (base schema editor, _field_indexes_sql)."""
    return schema_editor._create_index_name(TABLE, [COLUMN], suffix="")


def drop_fk_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(_fk_index_name(schema_editor))}")


def create_fk_index(apps, schema_editor):
    q = schema_editor.quote_name
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(_fk_index_name(schema_editor))} ON {q(TABLE)} ({q(COLUMN)})")


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0010_count_org_cover_and_name_stats'),
        ('org', '0002_auth_two_step_policy'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['primary_manager', 'lifecycle_status'], name='cust_manager_status_idx'),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_fk_index, create_fk_index, elidable=False)],
            state_operations=[
                migrations.AlterField(
                    model_name='customer',
                    name='primary_manager',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='primary_customers', to=settings.AUTH_USER_MODEL, verbose_name='primary manager'),
                ),
            ],
        ),
    ]
