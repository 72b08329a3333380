"""Database functions shared by the apps' grouped reads."""

from django.db.models import DateField
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
