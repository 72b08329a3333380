"""SLA deadlines over the holiday calendar: 2026 National Day (10-01..10-07 off) and the
adjusted working Saturday 10-10 (调休上班)."""

from decimal import Decimal

import pytest

from powerkam.service.tickets import sla
from powerkam.service.tickets.constants import SlaUnit
from powerkam.service.tickets.models import SlaRule

from .conftest import at

pytestmark = pytest.mark.django_db

W, WH, CH = SlaUnit.WORKDAYS, SlaUnit.WORKING_HOURS, SlaUnit.CALENDAR_HOURS


@pytest.mark.parametrize("start, amount, unit, expected", [
    # 2 working days from Wed 09-30: 10-01..10-07 are holidays, Thu 10-08 is the 1st, Fri 10-09 the 2nd.
    ("2026-09-30 10:00", 2, W, "2026-10-09 17:30"),
    # 1 working day from Fri 10-09: Sat 10-10 is an adjusted working day.
    ("2026-10-09 09:00", 1, W, "2026-10-10 17:30"),
    # Taken in on a holiday: counting starts from the next working day.
    ("2026-10-03 11:00", 1, W, "2026-10-08 17:30"),
    # Ordinary week: Mon + 5 working days = next Mon.
    ("2026-11-02 09:00", 5, W, "2026-11-09 17:30"),
    # 4 working hours from 15:30 on 09-30: 2 h that day, then 2 h on 10-08 (after the holiday).
    ("2026-09-30 15:30", 4, WH, "2026-10-08 10:30"),
    # Working hours on the adjusted Saturday: 10-09 16:30 + 3 h → 1 h Fri, 2 h Sat 10-10.
    ("2026-10-09 16:30", 3, WH, "2026-10-10 10:30"),
    # Calendar hours ignore the calendar.
    ("2026-09-30 20:00", 24, CH, "2026-10-01 20:00"),
])
def test_add_limit(start, amount, unit, expected):
    assert sla.add_limit(at(start), Decimal(amount), unit) == at(expected)


def test_verify_stage_from_the_seeded_table_across_national_day():
    rule = SlaRule.objects.get(ticket_type="complaint", stage="verify")
    assert (rule.limit, rule.unit, rule.warn_percent) == (Decimal("2"), W, 80)
    d = sla.stage_deadlines("complaint", "verify", at("2026-09-30 10:00"))
    assert d.due_at == at("2026-10-09 17:30")
    # 80 % of the 25.5 working hours (7.5 h on 09-30, 9 h on 10-08, 9 h on 10-09) = 20.4 h:
    # 7.5 + 9 = 16.5 h by the end of 10-08, then 3.9 h into 10-09 → 12:24, not during the holiday.
    assert d.warn_at == at("2026-10-09 12:24")
    # Company escalation one more working day later: the adjusted working Saturday 10-10.
    assert d.company_at == at("2026-10-10 17:30")


def test_admin_edit_of_the_sla_table_changes_new_deadlines():
    SlaRule.objects.filter(ticket_type="complaint", stage="verify").update(limit=8, unit=WH, warn_percent=50,
                                                                         company_margin=2)
    d = sla.stage_deadlines("complaint", "verify", at("2026-09-30 10:00"))
    # 7.5 h on 09-30, 0.5 h on 10-08 → 09:00; half of the 8 working hours → 14:00 on 09-30.
    assert d.due_at == at("2026-10-08 09:00")
    assert d.warn_at == at("2026-09-30 14:00")
    assert d.company_at == at("2026-10-08 11:00")


def test_calendar_hour_rule_warns_at_80_percent_of_elapsed_time():
    d = sla.stage_deadlines("fault_repair", "handle", at("2026-10-01 08:00"))
    assert d.due_at == at("2026-10-02 08:00")
    assert d.warn_at == at("2026-10-02 03:12")  # 80 % of 24 h = 19 h 12 min
    assert d.company_at == at("2026-10-02 20:00")  # + 12 calendar hours


def test_missing_rule_falls_back_to_the_built_in_default():
    SlaRule.objects.filter(ticket_type="complaint", stage="review").delete()
    d = sla.stage_deadlines("complaint", "review", at("2026-09-30 10:00"))
    assert d.due_at == at("2026-10-08 17:30")


def test_working_seconds_between_skips_holidays_and_counts_the_adjusted_saturday():
    assert sla.working_seconds_between(at("2026-09-30 08:30"), at("2026-10-10 17:30")) == 4 * 9 * 3600
