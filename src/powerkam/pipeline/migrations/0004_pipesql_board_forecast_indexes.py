"""The board and the forecast at 50,000 opportunities (issue #13): the board's won and lost
columns read the latest closed first from (stage, closed_on), on every database; on SQLite, two
covering indexes for the grouped reads (pipeline.sqlite_indexes says what and why), and
the table's statistics renewed if the database has statistics."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from powerkam.core.jobs import analyze_if_analyzed
    from powerkam.pipeline import sqlite_indexes

    with schema_editor.connection.cursor() as cursor:
        sqlite_indexes.create(cursor)
        # without statistics for the new indexes SQLite would read the board's open columns through
        # (stage, closed_on) and sort them, instead of (stage, close_on)
        analyze_if_analyzed(cursor, sqlite_indexes.TABLE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from powerkam.pipeline import sqlite_indexes

    with schema_editor.connection.cursor() as cursor:
        sqlite_indexes.drop(cursor)


class Migration(migrations.Migration):

    dependencies = [
        ("pipeline", "0003_opportunity_site"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["stage", "closed_on"], name="opp_stage_closed_idx"),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
