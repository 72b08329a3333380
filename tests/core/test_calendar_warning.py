"""Administrators are warned from 1 November of year Y while year Y+1's holidays are not entered
(issue #9 item 8): on every page and on the admin index, with a link to enter them."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from powerkam.core import holidays
from powerkam.core.models import HolidayYear

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("today, expected", [
    (date(2026, 10, 31), None),   # too early: the State Council notice comes in November or later
    (date(2026, 11, 1), 2027),    # from 1 November
    (date(2026, 12, 31), 2027),
    (date(2027, 1, 4), 2027),     # the year has begun and is still not entered
    (date(2027, 11, 1), 2027),    # this year first, then next year's
])
def test_the_warning_names_the_year_to_enter(today, expected):
    assert holidays.calendar_warning(today) == expected


def test_no_warning_once_the_next_year_is_entered():
    HolidayYear.objects.create(year=2027)
    assert holidays.calendar_warning(date(2026, 11, 1)) is None
    assert holidays.calendar_warning(date(2027, 11, 1)) == 2028


def _uncover_this_and_next_year():
    """Whatever day the suite runs, the warning is due: this year and the next are not covered."""
    today = timezone.localdate()
    HolidayYear.objects.filter(year__in=[today.year, today.year + 1]).delete()
    return today.year


def test_every_administrator_sees_the_banner_on_every_page(make_staff, login):
    year = _uncover_this_and_next_year()
    admin = make_staff("admin", is_staff=True)
    manager = make_staff("manager")
    for url in (reverse("core:queue"), reverse("customers:list")):
        html = login(admin).get(url).content.decode()
        assert 'id="calendar-warning"' in html and f'data-year="{year}"' in html
        assert reverse("admin:core_holidayyear_import") in html
        assert 'id="calendar-warning"' not in login(manager).get(url).content.decode()


def test_the_admin_index_shows_the_banner(make_staff, login):
    _uncover_this_and_next_year()
    admin = make_staff("admin", is_staff=True, is_superuser=True)
    html = login(admin).get(reverse("admin:index")).content.decode()
    assert 'id="calendar-warning"' in html
    assert reverse("admin:core_holidayyear_import") in html


def test_no_banner_when_this_and_next_year_are_entered(make_staff, login):
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        HolidayYear.objects.get_or_create(year=year)
    admin = make_staff("admin", is_staff=True)
    assert 'id="calendar-warning"' not in login(admin).get(reverse("core:queue")).content.decode()
