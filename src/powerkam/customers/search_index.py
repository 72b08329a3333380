"""The name search index of the embedded database (SQLite), issue #11.

PostgreSQL serves `name__icontains` from its own indexes (the trigram index of migration 0003 for
three characters and more, the bigram column of 0006 for two). SQLite has neither: every search
read all the customers (120–200 ms at 100,000). This module gives SQLite the same thing, built
from SQLite's own parts, so that it works from any SQLite client (a backup, the sqlite3 shell, a
bulk load) and needs nothing registered on the connection:

- `customers_name_grams`, an FTS5 table whose rowid is the customer's id and whose one column
  lists the two-character pieces (bigrams) of the customer's name as written by SQLite's
  `upper()` (ASCII letters only, as SQLite's LIKE folds case), each piece as the hex of its
  UTF-8 bytes (a token of `0-9a-f` whatever the characters: punctuation, spaces, `%`, `_`);
- `customers_name_gram_positions`, the numbers 1…999, from which a trigger builds the pieces
  (`substr(upper(name), n, 2)`; SQLite allows no recursive query in a trigger);
- three triggers on customers_customer that keep the FTS table right on every write (ORM,
  bulk_create, the imports' executemany, raw SQL);
- `cust_number_nocase_idx` / `cust_credit_nocase_idx`: the customer number and credit code with
  SQLite's NOCASE collation, which lets SQLite read `number LIKE 'x%'` (Django's
  `number__startswith`, case-insensitive on SQLite) from an index. Without it the search's OR
  with the number prefix could not use any index and SQLite read every customer anyway.

`filters.name_condition` adds `id IN (SELECT rowid FROM customers_name_grams WHERE … MATCH
'<every piece of the term>')` to the name condition of a term of two characters or more. A name
contains a two-character term exactly when one of its pieces is the term; for a longer term every
piece of the term is a piece of the name (a superset, detail=none keeps no positions), and the
LIKE stays as the exact check, so the rows are those of a plain `icontains`.

Django rebuilds a SQLite table for some schema changes (ALTER of a column, a NOT NULL field
added): the rebuilt table has none of these triggers and indexes. `ensure()` — run after every
`migrate` (apps.py, post_migrate) — puts back whatever is missing and rebuilds the FTS table
when the triggers were gone or its rows do not match the customers'.
"""

from __future__ import annotations

TABLE = "customers_name_grams"
POSITIONS = "customers_name_gram_positions"
MAX_POSITION = 999  # more than Customer.name's max_length (a test checks)
TRIGGERS = ("customers_name_grams_insert", "customers_name_grams_update", "customers_name_grams_delete")
INDEXES = {
    "cust_number_nocase_idx": "customers_customer (number COLLATE NOCASE)",
    "cust_credit_nocase_idx": "customers_customer (credit_code COLLATE NOCASE)",
}


def _grams_sql(name: str) -> str:
    # The pieces of the name, hex-encoded and space-separated ('' for a name of one character).
    return (f"(SELECT coalesce(group_concat(hex(substr(upper({name}), n, 2)), ' '), '') "
            f"FROM {POSITIONS} WHERE n < length({name}))")


CREATE_TABLE = f"CREATE VIRTUAL TABLE {TABLE} USING fts5(grams, detail=none, columnsize=0, tokenize='ascii')"
CREATE_TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[0]} AFTER INSERT ON customers_customer BEGIN "
    f"INSERT OR REPLACE INTO {TABLE} (rowid, grams) VALUES (new.id, {_grams_sql('new.name')}); END",
    f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[1]} AFTER UPDATE OF id, name ON customers_customer BEGIN "
    f"DELETE FROM {TABLE} WHERE rowid = old.id; "
    f"INSERT OR REPLACE INTO {TABLE} (rowid, grams) VALUES (new.id, {_grams_sql('new.name')}); END",
    f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[2]} AFTER DELETE ON customers_customer BEGIN "
    f"DELETE FROM {TABLE} WHERE rowid = old.id; END",
)
FILL = f"INSERT INTO {TABLE} (rowid, grams) SELECT c.id, {_grams_sql('c.name')} FROM customers_customer c"


def _sqlite_upper(text: str) -> str:
    """`text` as SQLite's upper() writes it: ASCII letters only (SQLite's LIKE folds no other)."""
    return "".join(ch.upper() if "a" <= ch <= "z" else ch for ch in text)


def grams(text: str) -> list[str]:
    """The distinct two-character pieces of `text` as the index holds them (hex of UTF-8)."""
    text = _sqlite_upper(text)
    return list(dict.fromkeys(text[i:i + 2].encode("utf-8").hex() for i in range(len(text) - 1)))


def match_expression(term: str) -> str:
    """The FTS5 query of the names that have every piece of `term` (two characters or more)."""
    return " ".join(f'"{gram}"' for gram in grams(term))


def create(cursor) -> None:
    """Create the tables, the triggers and the indexes, and fill the FTS table (migration 0007)."""
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {POSITIONS} (n INTEGER PRIMARY KEY)")
    cursor.execute(f"INSERT OR IGNORE INTO {POSITIONS} (n) VALUES "
                   + ", ".join(f"({n})" for n in range(1, MAX_POSITION + 1)))
    rebuild(cursor)
    for sql in CREATE_TRIGGERS:
        cursor.execute(sql)
    for name, target in INDEXES.items():
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop(cursor) -> None:
    for name in TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name in INDEXES:
        cursor.execute(f"DROP INDEX IF EXISTS {name}")
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    cursor.execute(f"DROP TABLE IF EXISTS {POSITIONS}")


def rebuild(cursor) -> None:
    """Index every customer's name again: the FTS table dropped, created and filled (an FTS5
    DELETE of every row would read and un-index each one)."""
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    cursor.execute(CREATE_TABLE)
    cursor.execute(FILL)


def _existing(cursor, kind: str) -> set[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = %s", [kind])
    return {row[0] for row in cursor.fetchall()}


def ensure(connection) -> dict:
    """Put back the triggers and indexes a table rebuild dropped, and re-index the names if the
    triggers were missing or the index's rows differ from the customers'. Nothing to do on
    PostgreSQL, or before migration 0007 (or after it was reversed). Returns what it did."""
    done: dict = {}
    if connection.vendor != "sqlite":
        return done
    with connection.cursor() as cursor:
        if TABLE not in _existing(cursor, "table"):
            return done
        missing = [name for name in TRIGGERS if name not in _existing(cursor, "trigger")]
        cursor.execute(f"SELECT (SELECT count(*) FROM {TABLE}) = (SELECT count(*) FROM customers_customer)")
        same_rows = bool(cursor.fetchone()[0])
        if missing or not same_rows:
            rebuild(cursor)
            done["rebuilt"] = True
        for sql in CREATE_TRIGGERS:
            cursor.execute(sql)
        done["triggers"] = missing
        indexes = _existing(cursor, "index")
        done["indexes"] = [name for name in INDEXES if name not in indexes]
        for name in done["indexes"]:
            cursor.execute(f"CREATE INDEX {name} ON {INDEXES[name]}")
    return done
