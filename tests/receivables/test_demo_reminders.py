"""The demo's ladder history dates every reminder 7 days before the bill's due date (issue #10
item 3: on the bill checked, the reminder was dated 1 day before — the history's first run had
caught it up)."""

from datetime import date, timedelta

import pytest

from powerkam.billing.demo import load_demo as load_billing
from powerkam.receivables import demo
from powerkam.receivables.models import LadderStep
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_backfill_starts_outside_every_reminder_window():
    dues = [date(2026, 10, 20), date(2026, 11, 20)]
    assert demo.backfill_start(date(2026, 10, 19), dues) == date(2026, 10, 13)
    assert demo.backfill_start(date(2026, 10, 12), dues) == date(2026, 10, 12)
    assert demo.backfill_start(date(2026, 10, 20), dues) == date(2026, 10, 13)  # not on the due day itself


def test_every_demo_reminder_is_sent_7_days_before_the_due_date(org_tree, make_staff, monkeypatch):
    make_staff("supervisor", org_tree["north"])
    manager = make_staff("manager", org_tree["s1"])
    for _i in range(12):
        CustomerFactory(org_unit=org_tree["s1"], primary_manager=manager, tariff_code="DGY-10",
                        lifecycle_status="active")
    today = date(2026, 12, 3)  # 45 days back is 2026-10-19, one day before the October due date
    load_billing(seed=1, today=today)
    monkeypatch.setattr(demo, "ARREARS_SHARE", 1.0)
    demo.load_demo(seed=1, today=today)
    reminders = list(LadderStep.objects.filter(step=LadderStep.Step.REMINDER).values_list("due_on", "reached_on"))
    assert reminders, "the demo has reminders"
    assert any(due == date(2026, 10, 20) for due, _r in reminders)
    assert all(reached == due - timedelta(days=7) for due, reached in reminders)
