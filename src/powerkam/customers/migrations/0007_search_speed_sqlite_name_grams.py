"""The name search index of the embedded database (issue #11): on SQLite, an FTS5 table of the
customers' name bigrams kept by triggers, and NOCASE indexes on the customer number and credit
code (customers.search_index says what and why). No-op on PostgreSQL, which has its trigram
index (0003) and bigram column (0006)."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from powerkam.customers import search_index

    with schema_editor.connection.cursor() as cursor:
        search_index.create(cursor)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from powerkam.customers import search_index

    with schema_editor.connection.cursor() as cursor:
        search_index.drop(cursor)


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0006_projects_core_timeline_phrase"),
        ("customers", "0007_leftovers_finding_phrases"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
