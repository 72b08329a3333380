"""Fewer indexes written per imported customer (issue #11 item 3; decision record 0023).

`db_index=True` on a CharField gives PostgreSQL two B-trees: a plain one (equality, order and
ranges under the database's collation) and a `_like` one in varchar_pattern_ops (equality and
`LIKE 'x%'` under any collation). Each customer an import writes paid for both on three columns,
and one timeline row per customer for three indexes that nothing reads. Measured with EXPLAIN
(ANALYZE) of the pages, API lists and jobs that read these columns, at 100,000 customers
(docs/performance.md, round 8), one index per column stays where a query reads it:

- customers_customer.name: the plain B-tree stays (sort by name, equality); the pattern copy
  goes — nothing searches names by prefix (the name search is the trigram/bigram indexes').
- customers_customer.credit_code: the pattern B-tree stays (the search's `credit_code__startswith`
  on any collation, and equality); the plain one goes — nothing sorts or ranges by credit code.
- customers_customer.lifecycle_status: the plain B-tree stays (the list's count of customers not
  closed read it alone, 11 ms, 21 ms without it; the closed customers' pages and the loss
  analysis 3 → 7 ms); the pattern copy goes.
- customers_timelineevent: the indexes of the customer (foreign key) and of the kind (both) go.
  timeline_cust_time_idx (customer, -occurred_at) serves every read by customer, and the cascade
  delete; nothing reads events by kind across customers.

The indexes that stay are renamed to the names the model now declares (Meta.indexes: a declared
index needs a name of at most 30 characters). The model declares them as plain indexes; on
PostgreSQL cust_credit_code_idx is the varchar_pattern_ops one (as 0010 keeps cust_org_ka_idx
wider than declared). SQLite, which has no pattern indexes, gets the same names: it cannot
rename an index, so each kept one is built again under its new name.

As in 0011, the schema is changed here by index names read from the database catalog, not by
AlterField: on SQLite AlterField rebuilds the whole customer table, which the arrears-position
triggers on it (analytics 0003) do not survive.
"""

from django.db import migrations, models

import powerkam.customers.validators

CUSTOMERS = "customers_customer"
TIMELINE = "customers_timelineevent"
PATTERN = "varchar_pattern_ops"

# (table, column, the new name of the index that stays or None, the kind that stays: "plain" or "pattern")
CHANGES = (
    (CUSTOMERS, "name", "cust_name_idx", "plain"),
    (CUSTOMERS, "credit_code", "cust_credit_code_idx", "pattern"),
    (CUSTOMERS, "lifecycle_status", "cust_status_idx", "plain"),
    (TIMELINE, "customer_id", None, None),
    (TIMELINE, "kind", None, None),
)


def _single_column_indexes(schema_editor, table: str, column: str) -> dict[str, str]:
    """{name: "plain" | "pattern" | other} of the table's non-unique, whole-column indexes on
    `column` alone, as the catalog lists them (the kind: PostgreSQL's operator class, SQLite's
    collation — the NOCASE indexes of search_index are neither plain nor pattern, and kept)."""
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("""
                SELECT i.relname, CASE WHEN opc.opcname = %s THEN 'pattern'
                                       WHEN opc.opcdefault THEN 'plain' ELSE opc.opcname END
                FROM pg_index x
                JOIN pg_class i ON i.oid = x.indexrelid
                JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_am am ON am.oid = i.relam
                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
                JOIN pg_opclass opc ON opc.oid = x.indclass[0]
                WHERE t.relname = %s AND t.relnamespace = to_regnamespace(current_schema())
                  AND a.attname = %s AND am.amname = 'btree' AND x.indnatts = 1 AND NOT x.indisunique
                  AND x.indpred IS NULL AND x.indexprs IS NULL""", [PATTERN, table, column])
            return dict(cursor.fetchall())
        found = {}
        cursor.execute(f"PRAGMA index_list({schema_editor.quote_name(table)})")
        for _seq, name, unique, _origin, partial in cursor.fetchall():
            if unique or partial:
                continue
            cursor.execute(f"PRAGMA index_xinfo({schema_editor.quote_name(name)})")
            keys = [(col, coll) for _n, _cid, col, _desc, coll, key in cursor.fetchall() if key]
            if len(keys) == 1 and keys[0][0] == column:
                found[name] = "plain" if keys[0][1].upper() == "BINARY" else keys[0][1]
        return found


def _django_name(schema_editor, table: str, column: str, suffix: str = "") -> str:
    """The name Django gives a field's db_index index (base schema editor, _field_indexes_sql),
    and PostgreSQL's `_like` copy (postgresql schema editor, _create_like_index_sql)."""
    return schema_editor._create_index_name(table, [column], suffix=suffix)


def _create(schema_editor, name: str, table: str, column: str, kind: str) -> None:
    q = schema_editor.quote_name
    opclass = f" {PATTERN}" if kind == "pattern" else ""
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(name)} ON {q(table)} ({q(column)}{opclass})")


def _drop(schema_editor, name: str) -> None:
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def forwards(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for table, column, keep_as, keep_kind in CHANGES:
        existing = _single_column_indexes(schema_editor, table, column)
        kept = None
        for name, kind in existing.items():
            if keep_as is not None and kind == keep_kind and kept is None and postgres:
                kept = name
            elif kind in ("plain", "pattern"):
                _drop(schema_editor, name)
        if keep_as is None:
            continue
        if kept is not None and kept != keep_as:
            schema_editor.execute(f"ALTER INDEX {schema_editor.quote_name(kept)} "
                                  f"RENAME TO {schema_editor.quote_name(keep_as)}")
        elif kept is None:
            _create(schema_editor, keep_as, table, column, keep_kind if postgres else "plain")


def backwards(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    q = schema_editor.quote_name
    for table, column, keep_as, keep_kind in CHANGES:
        plain = _django_name(schema_editor, table, column)
        like = _django_name(schema_editor, table, column, "_like")
        if keep_as is not None:
            target = like if postgres and keep_kind == "pattern" else plain
            if postgres:
                schema_editor.execute(f"ALTER INDEX IF EXISTS {q(keep_as)} RENAME TO {q(target)}")
            else:
                _drop(schema_editor, keep_as)
        _create(schema_editor, plain, table, column, "plain")
        if postgres and column != "customer_id":  # a foreign key has no _like copy
            _create(schema_editor, like, table, column, "pattern")


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0011_scorecard_manager_status_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="name",
                    field=models.CharField(max_length=200, verbose_name="customer name"),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="credit_code",
                    field=models.CharField(blank=True, max_length=18,
                                           validators=[powerkam.customers.validators.validate_uscc],
                                           verbose_name="unified social credit code"),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="lifecycle_status",
                    field=models.CharField(choices=[("potential", "Potential"), ("connecting", "Connecting"),
                                                    ("active", "In supply"), ("suspended", "Suspended"),
                                                    ("closed", "Closed")],
                                           default="active", max_length=16, verbose_name="lifecycle status"),
                ),
                migrations.AddIndex(
                    model_name="customer",
                    index=models.Index(fields=["name"], name="cust_name_idx"),
                ),
                migrations.AddIndex(
                    model_name="customer",
                    index=models.Index(fields=["credit_code"], name="cust_credit_code_idx"),
                ),
                migrations.AddIndex(
                    model_name="customer",
                    index=models.Index(fields=["lifecycle_status"], name="cust_status_idx"),
                ),
                migrations.AlterField(
                    model_name="timelineevent",
                    name="customer",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE,
                                            to="customers.customer", verbose_name="customer"),
                ),
                migrations.AlterField(
                    model_name="timelineevent",
                    name="kind",
                    field=models.CharField(max_length=32, verbose_name="kind"),
                ),
            ],
        ),
    ]
