"""The name bigrams computed by a loop instead of an aggregate (issue #11 item 3).

`powerkam_bigrams(text)` (0006) feeds the stored generated column `name_bigrams`, so PostgreSQL
runs it once for every customer written: for each of an import's 100,000 new customers, inside
the customers' COPY, on the connection that is the import's critical path. As a SQL function
over `generate_series` with `array_agg(DISTINCT …)` it cannot be inlined: each call starts a
query with a sort, 7.1 µs per name (0.71 s per 100,000 names, one core, measured with
`SELECT sum(cardinality(powerkam_bigrams(upper(name)))) FROM customers_customer` at 100,000
customers). The PL/pgSQL loop below gives the same bigrams in 2.4 µs (0.24 s).

The pieces are in the order they appear in the name and a piece that occurs twice is listed
twice (0.14 % of the pieces of the demo names); the old function gave them sorted and distinct.
Nothing depends on either: the only reader is the search's `name_bigrams @> ARRAY[term]`
(customers.filters), which is a set test, and the GIN index keeps each key once per row
whatever the array holds. Rows written before this migration keep their arrays; both forms
answer `@>` alike, so they are not rewritten.
"""

from django.db import migrations

FAST = """
CREATE OR REPLACE FUNCTION powerkam_bigrams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  pieces text[] := '{}';
BEGIN
  FOR i IN 1 .. char_length(value) - 1 LOOP
    pieces := pieces || substr(value, i, 2);
  END LOOP;
  RETURN pieces;
END
$$
"""

AGGREGATE = """
CREATE OR REPLACE FUNCTION powerkam_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(value, i, 2)), '{}'::text[])
  FROM generate_series(1, char_length(value) - 1) AS i
$$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FAST)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AGGREGATE)


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0012_import_fewer_write_indexes"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
