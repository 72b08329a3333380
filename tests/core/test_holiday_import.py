"""Entering a year's holidays by importing the State Council's arrangement (xlsx): validated,
all or nothing, audited; on success the year is covered (issue #9 item 8). The 2027 rows are a
clearly labelled test fixture (tests/calendar_fixture.py), not the official notice."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from powerkam.core import holidays, workdays
from powerkam.core.models import Holiday, HolidayYear
from tests.calendar_fixture import ARRANGEMENT_2027_FIXTURE, arrangement_xlsx

pytestmark = pytest.mark.django_db


def test_importing_the_arrangement_covers_the_year(make_staff):
    admin = make_staff("admin")
    outcome = holidays.import_arrangement(arrangement_xlsx(), actor=admin, notice="测试夹具")
    assert outcome["year"] == 2027 and outcome["days"] == len(ARRANGEMENT_2027_FIXTURE)
    assert workdays.is_covered(2027)
    year = HolidayYear.objects.get(year=2027)
    assert (year.source, year.notice, year.covered_by) == (Holiday.Source.ADMIN, "测试夹具", admin)
    assert not workdays.is_workday(date(2027, 1, 1))
    assert workdays.is_workday(date(2027, 1, 31))  # an adjusted working Sunday
    assert not workdays.is_workday(date(2027, 2, 8))  # a Monday of the Spring Festival week
    # Audited: every day has a history row by the administrator, and so has the year.
    assert Holiday.history.filter(date__year=2027, history_user=admin).count() == len(ARRANGEMENT_2027_FIXTURE)
    assert HolidayYear.history.filter(year=2027, history_user=admin).exists()


def test_importing_again_replaces_the_year(make_staff):
    admin = make_staff("admin")
    holidays.import_arrangement(arrangement_xlsx(), actor=admin)
    holidays.import_arrangement(arrangement_xlsx([("2027-01-01", "放假", "元旦")]), actor=admin)
    assert list(Holiday.objects.filter(date__year=2027).values_list("date", flat=True)) == [date(2027, 1, 1)]


@pytest.mark.parametrize("rows, message", [
    ([("2027-01-01", "放假", "元旦"), ("2027-01-04", "调休上班", "元旦")],
     "Row 3: 2027-01-04 is a weekday; an adjusted working day (调休上班) is always a Saturday or a Sunday."),
    ([("2027-01-01", "放假", "元旦"), ("2028-01-01", "放假", "元旦")],
     "Row 3: 2028 is not 2027; one file holds one year's arrangement."),
    ([("2027-01-01", "放假", "元旦"), ("2027-01-01", "放假", "元旦")],
     "Row 3: 2027-01-01 is already on row 2."),
    ([("2027-01-01", "休假日", "元旦")],
     "Row 2: the kind must be 放假 (holiday) or 调休上班 (adjusted working day)."),
    ([("2027-01-01", "放假", "")], "Row 2: give the holiday's name (e.g. 春节)."),
    ([("2027-13-01", "放假", "元旦")], "Row 2: the date is missing or not a date (write it as 2027-01-01)."),
    ([("2027-01-31", "调休上班", "春节")],
     "The file has no holiday; an arrangement lists at least the public holidays."),
])
def test_a_bad_file_is_refused_whole_with_a_specific_message(rows, message, make_staff, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as exc:
        holidays.import_arrangement(arrangement_xlsx([*rows]), actor=make_staff("admin"))
    assert message in exc.value.messages
    assert not Holiday.objects.filter(date__year__in=[2027, 2028]).exists()
    assert not HolidayYear.objects.filter(year__in=[2027, 2028]).exists()


def test_a_file_that_is_not_xlsx_or_lacks_the_columns_is_refused(make_staff):
    with pytest.raises(ValidationError) as exc:
        holidays.import_arrangement(b"date,kind,name\n", actor=make_staff("admin"))
    assert "xlsx" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        holidays.import_arrangement(arrangement_xlsx(header=("day", "what", "why")), actor=make_staff("admin"))
    assert "日期" in exc.value.messages[0]
    assert not workdays.is_covered(2027)


def test_the_admin_import_page(make_staff, login):
    admin = make_staff("admin", is_staff=True, is_superuser=True)
    client = login(admin)
    url = reverse("admin:core_holidayyear_import")
    template = client.get(reverse("admin:core_holidayyear_template"))
    assert template.status_code == 200 and template.content[:2] == b"PK"
    bad = client.post(url, {"file": SimpleUploadedFile("a.xlsx", arrangement_xlsx([("2027-01-04", "调休上班", "元旦")])),
                            "notice": ""})
    assert bad.status_code == 200 and 'id="arrangement-errors"' in bad.content.decode()
    assert not workdays.is_covered(2027)
    ok = client.post(url, {"file": SimpleUploadedFile("a.xlsx", arrangement_xlsx()), "notice": "测试夹具"})
    assert ok.status_code == 302 and ok["Location"] == reverse("admin:core_holidayyear_changelist")
    assert workdays.is_covered(2027)


def test_only_administrators_may_import(make_staff, login):
    clerk = make_staff("clerk", is_staff=True)
    response = login(clerk).post(reverse("admin:core_holidayyear_import"),
                                 {"file": SimpleUploadedFile("a.xlsx", arrangement_xlsx())})
    assert response.status_code in (302, 403)
    assert not workdays.is_covered(2027)


def test_marking_a_year_in_the_admin_covers_it(make_staff, login):
    admin = make_staff("admin", is_staff=True, is_superuser=True)
    Holiday.objects.create(date=date(2027, 1, 1), name="元旦")
    response = login(admin).post(reverse("admin:core_holidayyear_add"), {"year": "2027", "notice": "手工录入"})
    assert response.status_code == 302
    assert workdays.is_covered(2027)
    assert HolidayYear.objects.get(year=2027).covered_by == admin
