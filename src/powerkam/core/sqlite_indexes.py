"""Indexes that exist on the embedded database (SQLite) only: declared once, created by their
migration, and put back after every `migrate`.

Some reads need a covering index that Django cannot declare for SQLite: an expression in the key
(`date(close_on, 'start of month')`), or the columns PostgreSQL holds with INCLUDE, which SQLite
has not (Django builds such an index without them there). Their migrations create them with SQL
on SQLite only, and the models do not know them. Django rebuilds a SQLite table for some schema
changes (`_remake_table`: a new table, the rows copied, the indexes the model state knows created
again), and the rebuilt table silently loses such an index, or gets back Django's plain version of
it — the page it served is slow again, and nothing says so.

So each group is declared here once (`SqliteIndexes`), its migration calls `create()`, and
`ensure_all()` runs after every `migrate` (core/apps.py, post_migrate): an index that is missing,
or whose definition differs from the declared one, is created again. Nothing happens on
PostgreSQL, or before the group's migration is applied.

The same holds for an index a migration adds to the database only (SeparateDatabaseAndState with
no state change, for PostgreSQL's INCLUDE): on SQLite it is declared here too, as Django built it.

Groups: billing.sqlite_indexes (the open bills by customer, billing 0006; the scorecard's bill
reads, billing 0008, issue #15), consumption.sqlite_indexes (the nightly anomaly scan's read,
consumption 0003, issue #14), pipeline.sqlite_indexes (the board and the forecast, issue #13).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_GROUPS: list[SqliteIndexes] = []


@dataclass(frozen=True)
class SqliteIndexes:
    """Indexes on one table, first created by `migration` (app label, migration name); `indexes` maps
    each index's name to its key, a tuple of column names or SQL expressions, in order; `where`, an
    index's name to the condition of a partial index (SQL, as Django writes it for SQLite)."""

    table: str
    migration: tuple[str, str]
    indexes: dict[str, tuple[str, ...]]
    where: dict[str, str] = field(default_factory=dict)

    def statement(self, name: str) -> str:
        keys = ", ".join(k if "(" in k else f'"{k}"' for k in self.indexes[name])
        condition = f" WHERE {self.where[name]}" if name in self.where else ""
        return f'CREATE INDEX "{name}" ON "{self.table}" ({keys}){condition}'

    def create(self, cursor) -> None:
        """(Re)create every index of the group: an index of the same name is replaced."""
        for name in self.indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
            cursor.execute(self.statement(name))

    def drop(self, cursor) -> None:
        for name in self.indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')

    def ensure(self, connection) -> list[str]:
        """Create again the indexes that are missing or not as declared; their names."""
        if connection.vendor != "sqlite" or not _applied(connection, self.migration):
            return []
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                           [self.table])
            existing = {name: _normal(sql or "") for name, sql in cursor.fetchall()}
            wrong = [name for name in self.indexes if existing.get(name) != _normal(self.statement(name))]
            for name in wrong:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
                cursor.execute(self.statement(name))
        return wrong


def register(group: SqliteIndexes) -> SqliteIndexes:
    if group not in _GROUPS:
        _GROUPS.append(group)
    return group


def ensure_all(connection) -> list[str]:
    """Every registered group's `ensure`; the names of the indexes created again."""
    return [name for group in _GROUPS for name in group.ensure(connection)]


def _normal(sql: str) -> str:
    # SQLite keeps the CREATE statement's text as it was written: compare without quotes, case,
    # spacing or IF NOT EXISTS, so an index made by an older spelling of the same statement is kept.
    sql = re.sub(r"\s+", " ", sql.replace('"', "").lower()).strip()
    return sql.replace(" if not exists", "").replace("( ", "(").replace(" )", ")")


def _applied(connection, migration: tuple[str, str]) -> bool:
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    return recorder.has_table() and recorder.migration_qs.filter(app=migration[0], name=migration[1]).exists()
