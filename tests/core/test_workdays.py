"""Working days per the State Council holiday notices (seeded from chinesecalendar)."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from powerkam.core import workdays
from powerkam.core.models import Holiday

pytestmark = pytest.mark.django_db


def test_national_day_2026_and_its_adjusted_weekends():
    # 国务院办公厅 2026 notice: 10-01..10-07 off; Sun 09-20 and Sat 10-10 are working days.
    assert not workdays.is_workday(date(2026, 10, 1))
    assert not workdays.is_workday(date(2026, 10, 7))
    assert workdays.is_workday(date(2026, 9, 20))
    assert workdays.is_workday(date(2026, 10, 10))
    assert Holiday.objects.get(date=date(2026, 10, 10)).name == "国庆节"


def test_add_workdays_skips_the_holiday_and_counts_the_adjusted_saturday():
    # From Wed 09-30: Thu 10-08 is the 1st working day, Fri 10-09 the 2nd, Sat 10-10 the 3rd.
    assert workdays.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert workdays.add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert workdays.add_workdays(date(2026, 9, 30), 4) == date(2026, 10, 12)
    assert workdays.add_workdays(date(2026, 10, 3), 0) == date(2026, 10, 8)
    assert workdays.workdays_between(date(2026, 9, 30), date(2026, 10, 12)) == 4


def test_working_hours_resume_after_the_holiday():
    start = timezone.make_aware(datetime(2026, 9, 30, 16, 30))
    # One hour left on 09-30 (to 17:30), then 3 more from 08:30 on 10-08.
    assert workdays.add_working_hours(start, 4) == timezone.make_aware(datetime(2026, 10, 8, 11, 30))


def test_admin_entry_overrides_and_survives_reseeding():
    Holiday.objects.create(date=date(2026, 12, 24), is_workday=False, name="公司假日", source=Holiday.Source.ADMIN)
    assert not workdays.is_workday(date(2026, 12, 24))
    workdays.seed_from_package([2026])
    assert Holiday.objects.get(date=date(2026, 12, 24)).name == "公司假日"
    assert not workdays.is_workday(date(2026, 10, 1))
