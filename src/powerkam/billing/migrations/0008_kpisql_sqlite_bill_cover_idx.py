"""Covering bill indexes by customer on SQLite (issue #15: the KPI scorecard of a 50-person unit
at 100,000 customers; decision record 0016).

On PostgreSQL `bill_customer_period_cover_idx` (billing 0006) is (customer, period) INCLUDE the
summed columns, so a portfolio's bills are read from the index alone. SQLite has no INCLUDE:
Django built it as a plain (customer, period) index, a twin of `bill_customer_period_idx`, and
every bill found through it costs a read of the bill's row. On SQLite only, this migration:

- rebuilds `bill_customer_period_cover_idx` with the included columns as trailing key columns
  (the same columns, in the same order, but the row id, which every SQLite index holds), so the
  scorecard's "billed and kWh of the month" and the manager's analysis pages read it alone;
- adds `bill_customer_due_cover_idx` (customer, due_on, status, total, paid_amount), so the
  scorecard's "bills due in the month" (the collection rate) starts from the team's customers
  and seeks each one's bills due in the month, instead of reading every bill due in the month
  company-wide by `bill_due_idx` and probing its customer (SQLite cannot estimate that a range
  of due dates holds a twenty-fourth of the bills).

Database-only, like 0006: the model does not declare them, `makemigrations` stays clean, and
PostgreSQL is left as it is (its covering index serves both queries, and its plans met the
targets). Declared in billing.sqlite_indexes, which keeps them after a SQLite table rebuild.
"""

from django.db import migrations


def _create(schema_editor, name, columns):
    quote = schema_editor.quote_name
    schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote('billing_bill')} "
                          f"({', '.join(quote(c) for c in columns)})")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from powerkam.billing import sqlite_indexes
    from powerkam.core.jobs import analyze_if_analyzed

    with schema_editor.connection.cursor() as cursor:
        sqlite_indexes.GROUP.create(cursor)  # replaces Django's plain bill_customer_period_cover_idx
        analyze_if_analyzed(cursor, "billing_bill")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "bill_customer_due_cover_idx"')
    schema_editor.execute('DROP INDEX IF EXISTS "bill_customer_period_cover_idx"')
    _create(schema_editor, "bill_customer_period_cover_idx", ("customer_id", "period"))


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0007_jobs_run_message"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
