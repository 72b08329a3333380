"""The nightly anomaly scan's read as an index-only scan (issue #14 item 5; docs/performance.md,
"nightly anomaly scan"; branch cons-nightly).

`cons_agg_watch_idx`: the complete daily aggregates by day, with the customer and the kWh total
(PostgreSQL INCLUDE; SQLite builds the partial index on `day` without them). The scan reads 105
days of every customer (10.5 million of 36.5 million rows at 100,000 customers); the heap is
stored in (customer, day) order, so a day range touched every page of it. With this index the read
is the index leaves of those days only, in day order, without one heap fetch (pages all-visible:
autovacuum keeps the visibility map of an insert-mostly table).

Database-only (SeparateDatabaseAndState with no state change), as billing's 0006: the model's Meta
does not declare it, so `makemigrations` stays clean and SQLite raises no covering-index warning.
Building it on an existing 36.5-million-row table takes about a minute and blocks writes to the
table meanwhile: run the migration outside the ingest hours.
"""

from django.db import migrations, models

WATCH_READ = models.Index(
    fields=["day"], include=["customer", "kwh_total"], condition=models.Q(complete=True),
    name="cons_agg_watch_idx",
)


class Migration(migrations.Migration):

    dependencies = [
        ("consumption", "0002_watch_forecast"),
        ("consumption", "0003_cons_ingest_daily_tou"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AddIndex(model_name="dailyaggregate", index=WATCH_READ)],
            state_operations=[],
        ),
    ]
