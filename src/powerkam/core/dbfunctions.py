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
