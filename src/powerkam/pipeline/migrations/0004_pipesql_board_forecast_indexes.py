"""The board and the forecast at 50,000 opportunities (issue #13): the board's won and lost
columns read the latest closed first from (stage, closed_on), on every database; on SQLite, two
covering indexes for the grouped reads (pipeline.sqlite_indexes says what and why), and
the table's statistics renewed if the database has statistics."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from powerkam.pipeline import sqlite_indexes

    with schema_editor.connection.cursor() as cursor:
        sqlite_indexes.create(cursor)
        sqlite_indexes.analyze_if_analyzed(cursor)


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
