"""The bills due in a month of a team's customers, read from one index on PostgreSQL too (issue #15:
the KPI scorecard of a 50-person unit at 100,000 customers; docs/performance.md, "Issue #15 …
quiet-machine verdicts").

The scorecard's collection rate sums the bills due in the month of the team's ~10,000 customers
(`kpis.selectors`, "due_total"/"due_paid"). PostgreSQL read them through the (customer, period)
covering index — every one of a customer's 24 bills, filtered on the due date: 101.7 ms of the
page's 142 in process. `bill_customer_due_cover_idx` (customer, due_on) INCLUDE (status, total,
paid_amount) seeks each customer's bills of the month and answers from the index alone: 70.4 ms.
SQLite has had the same index, with the included columns as key columns, since billing 0008.

Database-only, like 0006 and 0008 (the model does not declare it; `makemigrations` stays clean).
Building it on 2.4 million bills takes a few seconds and blocks writes to the bills meanwhile.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('CREATE INDEX IF NOT EXISTS "bill_customer_due_cover_idx" ON "billing_bill" '
                          '("customer_id", "due_on") INCLUDE ("status", "total", "paid_amount")')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "bill_customer_due_cover_idx"')


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0008_kpisql_sqlite_bill_cover_idx"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
