"""Working days (DESIGN.md "working days"): Monday–Friday, minus public holidays, plus the
adjusted working weekends (调休), per the State Council's annual holiday notices.

The `Holiday` table is the source of truth; `seed_from_package()` fills it from the
`chinesecalendar` package and admins correct or extend it. Lookups read one cached
dict of the table, cleared whenever a row changes.

The calendar never guesses silently (issue #9 item 8): a year is *covered* only when a
`HolidayYear` row says its arrangement is complete (seeded for the years the package knows,
then entered by an administrator each year). A day of an uncovered year is still answered
Monday–Friday, but every computation that looked at such a day can tell, exactly:

    with workdays.tracking() as calc:
        due = workdays.add_workdays(start, 5)
    calc.provisional          # True if any day consulted lies in an uncovered year

Callers store that flag beside the date (a "provisional" deadline) and recompute it when the
year is entered (`powerkam.core.holidays`).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .models import Holiday, HolidayYear


@lru_cache(maxsize=1)
def _exceptions() -> dict[date, bool]:
    return dict(Holiday.objects.values_list("date", "is_workday"))


@lru_cache(maxsize=1)
def covered_years() -> frozenset[int]:
    """The years whose holiday arrangement an administrator (or the package seed) marked complete."""
    return frozenset(HolidayYear.objects.values_list("year", flat=True))


def clear_cache() -> None:
    _exceptions.cache_clear()
    covered_years.cache_clear()


@receiver([post_save, post_delete], sender=Holiday)
@receiver([post_save, post_delete], sender=HolidayYear)
def _holiday_changed(**kwargs) -> None:
    clear_cache()


def is_covered(year: int) -> bool:
    return year in covered_years()


def uncovered_year_for(value) -> int:
    """The year to name beside a provisional date: its own if not covered, else the first year
    after the last covered one (a computation that crossed it and came back)."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    if value is not None and not is_covered(value.year):
        return value.year
    years = covered_years()
    return (max(years) + 1) if years else (value or timezone.localdate()).year


# --- provisional tracking ----------------------------------------------------------------------

@dataclass
class Tracking:
    """What one computation read from the calendar: the uncovered years it consulted."""

    uncovered_years: set[int] = field(default_factory=set)

    @property
    def provisional(self) -> bool:
        return bool(self.uncovered_years)


_trackers: ContextVar[tuple[Tracking, ...]] = ContextVar("workday_trackers", default=())


@contextmanager
def tracking():
    """Record whether the calendar computations inside the block consulted a day of a year not
    covered (see the module docstring). Nested blocks each see what was read inside them."""
    tracker = Tracking()
    token = _trackers.set((*_trackers.get(), tracker))
    try:
        yield tracker
    finally:
        _trackers.reset(token)


def is_workday(day: date) -> bool:
    if isinstance(day, datetime):
        day = day.date()
    if day.year not in covered_years():
        for tracker in _trackers.get():
            tracker.uncovered_years.add(day.year)
    override = _exceptions().get(day)
    if override is not None:
        return override
    return day.weekday() < 5


def add_workdays(start: date, n: int) -> date:
    """The n-th working day after `start` (n=0: `start` itself if a working day, else the next)."""
    day = start
    if n == 0:
        while not is_workday(day):
            day += timedelta(days=1)
        return day
    step = 1 if n > 0 else -1
    remaining = abs(n)
    while remaining:
        day += timedelta(days=step)
        if is_workday(day):
            remaining -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start`."""
    if end <= start:
        return -workdays_between(end, start) if end < start else 0
    n, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_workday(day):
            n += 1
    return n


def add_working_hours(start: datetime, hours: float, *, day_start: time = time(8, 30),
                      day_end: time = time(17, 30)) -> datetime:
    """`start` plus `hours` counted only within working hours of working days.

    Used for SLA limits expressed in working hours; limits in plain (calendar) hours are a
    simple `start + timedelta(hours=...)`.
    """
    tz = timezone.get_current_timezone()
    current = timezone.localtime(start, tz) if timezone.is_aware(start) else timezone.make_aware(start, tz)
    remaining = timedelta(hours=hours)

    def at(d: date, t: time) -> datetime:
        return timezone.make_aware(datetime.combine(d, t), tz)

    while True:
        d = current.date()
        if not is_workday(d) or current >= at(d, day_end):
            d = add_workdays(d, 1)
            current = at(d, day_start)
            continue
        if current < at(d, day_start):
            current = at(d, day_start)
        available = at(d, day_end) - current
        if remaining <= available:
            return current + remaining
        remaining -= available
        current = at(add_workdays(d, 1), day_start)


def seed_from_package(years: list[int] | None = None) -> int:
    """Fill the table from `chinesecalendar` for the years it knows; rows entered by an
    admin are kept. Returns the number of rows written."""
    import chinese_calendar

    known = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    years = [y for y in (years or known) if y in known]
    admin_days = set(Holiday.objects.filter(source=Holiday.Source.ADMIN).values_list("date", flat=True))
    rows: dict[date, Holiday] = {}
    for d, name in chinese_calendar.holidays.items():
        if d.year in years and d.weekday() < 5 and d not in admin_days:
            rows[d] = Holiday(date=d, is_workday=False, name=_holiday_name(name), source=Holiday.Source.PACKAGE)
    for d, name in chinese_calendar.workdays.items():
        if d.year in years and d.weekday() >= 5 and d not in admin_days:
            rows[d] = Holiday(date=d, is_workday=True, name=_holiday_name(name), source=Holiday.Source.PACKAGE)
    Holiday.objects.filter(source=Holiday.Source.PACKAGE, date__year__in=years).delete()
    Holiday.objects.bulk_create(rows.values(), batch_size=500)
    # The package's years are complete arrangements: cover them, and if that covers a year that
    # was not, recompute the open provisional deadlines (core.holidays).
    new_years = sorted(set(years) - set(HolidayYear.objects.values_list("year", flat=True)))
    for year in new_years:
        HolidayYear.objects.create(year=year, source=Holiday.Source.PACKAGE, notice="chinesecalendar")
    clear_cache()
    if new_years:
        from .holidays import schedule_recompute

        schedule_recompute()
    return len(rows)


HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _holiday_name(value) -> str:
    # chinesecalendar maps each date to the holiday's English name (or None).
    return HOLIDAY_NAMES_ZH.get(str(value), str(value)) if value else ""
