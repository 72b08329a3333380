"""Query expressions that SQLite needs spelled differently from PostgreSQL; elsewhere they are
the plain Django expression. Each is exact: the same rows and values on both databases."""

from __future__ import annotations

from django.db.models import DateField, DateTimeField, Func
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


class MonthStart(TruncMonth):
    """TruncMonth of a date column (the first day of its month). On SQLite, Django's TruncMonth
    calls a Python function per row; SQLite's own `date(x, 'start of month')` gives the same
    date in C. Datetime columns keep Django's form (it handles the time zone)."""

    def as_sqlite(self, compiler, connection, **extra_context):
        if (isinstance(self.lhs.output_field, DateTimeField) or isinstance(self.output_field, DateTimeField)
                or not isinstance(self.lhs.output_field, DateField)):
            return self.as_sql(compiler, connection)
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, 'start of month')", params
"""Database functions shared by the apps' grouped reads."""

from django.db.models import DateField, Func
from django.db.models.functions import TruncMonth


class MonthStart(TruncMonth):
    """The first day of a date's month, like `TruncMonth` and with the same result on every
    database. On SQLite, Django's `TruncMonth` calls a Python function (`django_date_trunc`) for
    every row; a grouping by month over tens of thousands of rows spends most of its time there
    (issue #13: the forecast's open opportunities). SQLite's own `date(x, 'start of month')`
    gives the same ISO date in C. Dates only: a datetime's month depends on the time zone, which
    Django's function handles."""

    def as_sqlite(self, compiler, connection, **extra_context):
        if type(self.lhs.output_field) is not DateField:
            return super().as_sql(compiler, connection, **extra_context)
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, 'start of month')", params


class NotIndexed(Func):
    """The value of a column, which SQLite's planner will not look up in an index: `+column`, SQLite's
    documented way to disqualify a term from index use. For a condition that keeps most of a
    table's rows (the forecast's open stages, two thirds of the opportunities), where SQLite, without
    statistics of the data, would otherwise prefer reading those rows through an index on that
    column one by one, and sorting them, to a covering index that delivers them in order. Just the
    column on other databases."""

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.get_source_expressions()[0])

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"+{sql}", params
