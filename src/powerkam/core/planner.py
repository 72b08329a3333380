"""Hints for SQLite's query planner, where its estimates go wrong and a query is slow because of it.

SQLite as shipped with Python is built without SQLITE_ENABLE_STAT4: `ANALYZE` records how many
rows each index has and how many share a value, but nothing about ranges, so the planner takes
any `<`/`>` on a column to keep a quarter of the rows. Where a range is known to be narrow (the
open bills past their due date are a tenth of the open bills, the open bills a twentieth of all
of them), the planner may then prefer to walk a whole other table. `Unlikely` tells it the truth
without changing the rows: on SQLite `unlikely(X)` is X, with a probability of 1/16 for the
estimate; on PostgreSQL (which keeps histograms) the condition is written as it is.
"""

from __future__ import annotations

from django.db.models import BooleanField, Func, Q


class Unlikely(Func):
    """A filter condition that holds for few rows: `qs.filter(Unlikely(Q(due_on__lt=today)))`.

    The condition still drives an index on SQLite (the planner looks through `unlikely()`);
    Django writes a conditional expression as the WHERE term itself, not `= true`."""

    function = "unlikely"
    output_field = BooleanField()
    conditional = True

    def __init__(self, condition: Q):
        super().__init__(condition)

    def as_sql(self, compiler, connection, **extra):
        (condition,) = self.get_source_expressions()
        return compiler.compile(condition)

    def as_sqlite(self, compiler, connection, **extra):
        (condition,) = self.get_source_expressions()
        sql, params = compiler.compile(condition)
        return f"unlikely({sql})", params
