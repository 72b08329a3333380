"""core.dbfunctions: expressions spelled for SQLite's sake must give exactly what the plain Django
expression gives, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Count
from django.db.models.functions import TruncMonth

from powerkam.core.dbfunctions import KeepOffIndex, MonthStart
from powerkam.core.models import Holiday, Task

pytestmark = pytest.mark.django_db
# Month edges, a leap day, the year's last day — in years no holiday seed reaches.
DAYS = [date(2096, 1, 1), date(2096, 1, 31), date(2096, 2, 29), date(2096, 3, 1), date(2096, 12, 31),
        date(2097, 2, 28), date(2097, 6, 15)]


@pytest.fixture
def days():
    for d in DAYS:
        Holiday.objects.get_or_create(date=d, defaults={"name": "test"})
    return Holiday.objects.filter(date__in=DAYS)


def test_month_start_equals_trunc_month_on_a_date_column(days):
    got = dict(days.annotate(m=MonthStart("date")).values_list("date", "m"))
    expected = dict(days.annotate(m=TruncMonth("date")).values_list("date", "m"))
    assert got == expected
    assert got[date(2096, 2, 29)] == date(2096, 2, 1) and got[date(2096, 12, 31)] == date(2096, 12, 1)
    assert all(type(m) is date for m in got.values())


def test_month_start_groups_like_trunc_month(days):
    def grouped(fn):
        return sorted(days.annotate(m=fn("date")).values("m").annotate(n=Count("id")).values_list("m", "n")
                      .order_by())

    assert grouped(MonthStart) == grouped(TruncMonth) == [
        (date(2096, 1, 1), 2), (date(2096, 2, 1), 1), (date(2096, 3, 1), 1), (date(2096, 12, 1), 1),
        (date(2097, 2, 1), 1), (date(2097, 6, 1), 1)]


def test_month_start_of_a_datetime_column_is_django_s_own():
    """Datetime columns keep TruncMonth's SQL (it converts to the local time zone first)."""
    assert str(Task.objects.annotate(m=MonthStart("created_at")).values("m").query) == str(
        Task.objects.annotate(m=TruncMonth("created_at")).values("m").query)


def test_keep_off_index_filters_like_the_plain_column(days):
    plain = set(days.filter(date__gte=date(2096, 2, 29), date__lte=date(2096, 12, 31)).values_list("pk", flat=True))
    kept = set(days.alias(d=KeepOffIndex("date")).filter(d__gte=date(2096, 2, 29), d__lte=date(2096, 12, 31))
               .values_list("pk", flat=True))
    assert plain == kept and len(kept) == 3
