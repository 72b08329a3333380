"""Query expressions that SQLite needs spelled differently from PostgreSQL; elsewhere they are
the plain Django expression. Each is exact: the same rows and values on both databases."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    Aggregate,
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    Func,
    Q,
)
from django.db.models.functions import TruncMonth


class KeepOffIndex(Func):
    """A column's value that SQLite's planner will not use an index for — SQLite's documented
    unary "+" (sqlite.org/optoverview.html, "disqualifying WHERE clause terms using unary-+").
    For a wide range (most of a table) on a column that leads an index meant for something else,
    where SQLite, without statistics on ranges, would read the range through that index with a
    table lookup per row. The plain column elsewhere: PostgreSQL costs ranges from statistics."""

    arity = 1
    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra_context)


class PercentSum(Aggregate):
    """Σ amount × percent / 100 over the rows (the weighted pipeline: expected annual revenue ×
    win probability), an exact Decimal on both databases — Decimal(0) over no rows. The database
    sums amount × percent and the division by 100 is made here, once per group rather than once
    per row: on PostgreSQL a numeric sum (exact; per-row numeric division was a third of the
    forecast's grouping time), on SQLite a sum of integers in hundredths of the amount (its
    decimals are REAL or INTEGER, and an integer `/` truncates), exact below 10^15 ten-thousandths
    of a yuan per group (SQLite's 15 significant digits, the limit Django applies to its decimals)."""

    function = "SUM"
    name = "PercentSum"
    arity = 2
    output_field = DecimalField(max_digits=28, decimal_places=4)

    def __init__(self, amount, percent):
        super().__init__(amount, percent)

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="SUM(%(expressions)s)", arg_joiner=" * ",
                              **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        amount, percent = self.source_expressions
        amount_sql, amount_params = compiler.compile(amount)
        percent_sql, percent_params = compiler.compile(percent)
        return (f"SUM(CAST(ROUND(({amount_sql}) * 100) AS INTEGER) * ({percent_sql}))",
                (*amount_params, *percent_params))

    def convert_value(self, value, expression, connection):
        if value is None:
            return Decimal(0)
        return Decimal(value).scaleb(-4 if connection.vendor == "sqlite" else -2)


class MonthStart(TruncMonth):
    """TruncMonth of a date column (the first day of its month). On SQLite, Django's TruncMonth
    calls a Python function per row; SQLite's own `date(x, 'start of month')` gives the same
    date in C. On PostgreSQL, Django's `DATE_TRUNC('month', date)` turns each date into a
    timestamp *with time zone* first (the session's zone; the truncation then handles the
    zone); truncating a plain timestamp gives the same date without that (the pipeline
    forecast's 33,000 open opportunities: ~20 → ~15 ms, psql, load ~3). Datetime columns keep
    Django's form (it handles the time zone)."""

    def _date_column(self) -> bool:
        return not (isinstance(self.lhs.output_field, DateTimeField) or isinstance(self.output_field, DateTimeField)
                    or not isinstance(self.lhs.output_field, DateField))

    def as_sqlite(self, compiler, connection, **extra_context):
        if not self._date_column():
            return self.as_sql(compiler, connection)
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, 'start of month')", params

    def as_postgresql(self, compiler, connection, **extra_context):
        if not self._date_column():
            return self.as_sql(compiler, connection)
        sql, params = compiler.compile(self.lhs)
        return f"DATE_TRUNC('month', ({sql})::timestamp)::date", params


# Hints for SQLite's query planner, where its estimates go wrong and a query is slow because of it.
#
# SQLite as shipped with Python is built without SQLITE_ENABLE_STAT4: `ANALYZE` records how many
# rows each index has and how many share a value, but nothing about ranges, so the planner takes
# any `<`/`>` on a column to keep a quarter of the rows. Where a range is known to be narrow (the
# open bills past their due date are a tenth of the open bills, the open bills a twentieth of all
# of them), the planner may then prefer to walk a whole other table. `Unlikely` tells it the truth
# without changing the rows: on SQLite `unlikely(X)` is X, with a probability of 1/16 for the
# estimate; on PostgreSQL (which keeps histograms) the condition is written as it is.
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
