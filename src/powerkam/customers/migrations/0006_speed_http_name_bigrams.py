"""A bigram index for two-character name searches on PostgreSQL (issue #11).

The trigram index of 0003 cannot serve a two-character fragment (纺织, 医院): pg_trgm has no
trigram to look up, so `UPPER(name) LIKE '%纺织%'` scanned every customer — for the page's rows
when the term is rare (nothing stops the scan early) and for the count shown above the list
when it is frequent. Two-character words are the commonest search in Chinese.

`powerkam_bigrams(text)` is the set of two-character pieces of a text (an IMMUTABLE SQL
function); `customers_customer.name_bigrams` is a stored generated column holding the bigrams
of `UPPER(name)`, with a GIN index. `search_customers` adds `name_bigrams @> ARRAY[UPPER(term)]`
to the name condition of a two-character term: a name contains the term exactly when one of
its bigrams is the term, so the rows are the same; the LIKE stays as the check.

Why a stored column rather than an index on the expression: the rows the index finds are
checked again against the whole WHERE clause, and with an expression index that re-computes the
bigrams of every candidate name (61 ms for the 5,600 customers named …科技…, slower than the
scan); with the column it reads the array (13–23 ms).

PostgreSQL keeps the column and the index right on every write path (ORM, bulk_create, COPY,
raw SQL). Django does not know the column: it never selects it, and every INSERT (the ORM's and
the imports' COPY) names its columns. No-op on SQLite.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION powerkam_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(value, i, 2)), '{}'::text[])
  FROM generate_series(1, char_length(value) - 1) AS i
$$
"""
INDEX = "cust_name_bigram_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute("ALTER TABLE customers_customer ADD COLUMN IF NOT EXISTS name_bigrams text[] "
                          "GENERATED ALWAYS AS (powerkam_bigrams(UPPER((name)::text))) STORED")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customer USING gin (name_bigrams)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute("ALTER TABLE customers_customer DROP COLUMN IF EXISTS name_bigrams")
    schema_editor.execute("DROP FUNCTION IF EXISTS powerkam_bigrams(text)")


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0006_speed_import_one_dq_task_per_customer"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
