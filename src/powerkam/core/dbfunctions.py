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
