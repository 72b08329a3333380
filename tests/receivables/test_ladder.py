"""The receivables ladder on the exact days (due date D: D−7, D+7, D+14, D+30), idempotency,
extensions, responsible person, the written notice and the blacklist."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from powerkam.core import jobs
from powerkam.core.models import Task
from powerkam.customers.models import TimelineEvent
from powerkam.receivables import services
from powerkam.receivables.ladder import run_ladder
from powerkam.receivables.models import (
    BadCreditRecord,
    BlacklistEntry,
    CollectionNotice,
    LadderStep,
)
from tests.factories import CustomerFactory

D = date(2026, 3, 20)  # due date (a Friday)


def _snapshot():
    return (LadderStep.objects.count(), Task.objects.count(), TimelineEvent.objects.count(),
            BadCreditRecord.objects.count(), CollectionNotice.objects.count(), BlacklistEntry.objects.count())


def _steps(bill):
    return list(LadderStep.objects.filter(bill=bill).order_by("step").values_list("step", "reached_on"))


def test_steps_on_the_exact_days(world, bill_maker):
    c1, m1 = world["c1"], world["m1"]
    bill = bill_maker(c1, "5000.00", D)
    expected = []
    for offset, step in ((-7, 1), (7, 2), (14, 3), (30, 4)):
        run_ladder(D + timedelta(days=offset - 1))
        assert _steps(bill) == expected, f"nothing new the day before D{offset:+d}"
        run_ladder(D + timedelta(days=offset))
        expected.append((step, D + timedelta(days=offset)))
        assert _steps(bill) == expected, f"step {step} on D{offset:+d}"
    tasks = {t.key: t for t in Task.objects.filter(key__startswith=f"ladder:bill:{bill.pk}:")}
    assert set(tasks) == {f"ladder:bill:{bill.pk}:{k}" for k in ("reminder", "warning", "collection", "investigation")}
    assert {t.assignee for t in tasks.values()} == {m1}
    assert all(t.kind == "ladder_step" and t.customer == c1 and t.link == f"/receivables/bills/{bill.pk}/" for t in tasks.values())
    assert TimelineEvent.objects.filter(customer=c1, kind="ladder").count() == 4
    bad = BadCreditRecord.objects.get(bill=bill)
    assert (bad.recorded_on, bad.amount_overdue) == (D + timedelta(days=7), Decimal("5000.00"))
    notice = CollectionNotice.objects.get(bill=bill)
    assert notice.number == "CN-2026-000001" and notice.issued_on == D + timedelta(days=14)
    assert "电费催缴通知书" in notice.html and "@media print" in notice.html and bill.number in notice.html
    assert "5000.00" in notice.html
    entry = BlacklistEntry.objects.get(bill=bill)
    assert entry.listed_on == D + timedelta(days=30)
    # Every unit's supervisors are notified (one supervisor in the fixture).
    assert entry.units_notified == 1
    bulletin = Task.objects.get(key=f"ladder:blacklist:{D + timedelta(days=30)}:{world['sup'].pk}")
    assert bulletin.assignee == world["sup"] and bill.number in bulletin.detail


def test_running_twice_for_a_day_changes_nothing(world, bill_maker):
    for i in range(3):
        bill_maker(world["c1"], "100.00", D - timedelta(days=16 * i))  # bills at different ages
    first = run_ladder(D + timedelta(days=14))
    after_first = _snapshot()
    second = run_ladder(D + timedelta(days=14))
    assert _snapshot() == after_first
    assert first["steps"] > 0 and second.get("steps", 0) == 0


def test_missed_days_are_caught_up_without_a_late_reminder(world, bill_maker):
    bill = bill_maker(world["c1"], "100.00", D)
    run_ladder(D + timedelta(days=15))  # the job did not run for a while
    assert [s for s, _d in _steps(bill)] == [2, 3]
    assert CollectionNotice.objects.filter(bill=bill).exists()


def test_an_approved_extension_moves_the_ladder(world, bill_maker):
    bill = bill_maker(world["c1"], "5000.00", D)
    with pytest.raises(ValidationError):  # must be applied for before the due date
        services.request_extension(bill, new_due_on=D + timedelta(days=10), reason="typhoon", requested_on=D + timedelta(days=1))
    ext = services.request_extension(bill, new_due_on=D + timedelta(days=10), reason="typhoon damaged the plant",
                                     actor=world["m1"], requested_on=D - timedelta(days=3))
    with pytest.raises(ValidationError):  # a manager cannot approve
        services.decide_extension(ext, approve=True, approver=world["m1"])
    services.decide_extension(ext, approve=True, approver=world["sup"], note="verified")
    new_due = D + timedelta(days=10)
    assert services.effective_due_on(bill) == new_due
    # D+7 falls in the reminder window of the new due date (new due − 7 .. new due): a reminder,
    # no warning; D+14 and new due + 6 add nothing.
    for day in (D + timedelta(days=7), D + timedelta(days=14), new_due + timedelta(days=6)):
        run_ladder(day)
        assert _steps(bill) == [(1, D + timedelta(days=7))], day
    run_ladder(new_due + timedelta(days=7))
    assert _steps(bill) == [(1, D + timedelta(days=7)), (2, new_due + timedelta(days=7))]
    # The penalty also starts from the extended due date.
    assert services.bill_penalty(bill, new_due + timedelta(days=7)).days == 7


def test_pending_extension_does_not_move_the_ladder(world, bill_maker):
    bill = bill_maker(world["c1"], "5000.00", D)
    services.request_extension(bill, new_due_on=D + timedelta(days=10), reason="flood", requested_on=D - timedelta(days=3))
    run_ladder(D + timedelta(days=7))
    assert [s for s, _d in _steps(bill)] == [2]


def test_responsible_person_falls_back_to_secondary_then_supervisor(world, bill_maker, make_staff):
    spec = make_staff("specialist", world["s1"])
    only_secondary = CustomerFactory(org_unit=world["s1"], primary_manager=None, secondary_manager=spec)
    nobody = CustomerFactory(org_unit=world["s1"], primary_manager=None)
    b1 = bill_maker(only_secondary, "10.00", D)
    b2 = bill_maker(nobody, "10.00", D)
    run_ladder(D - timedelta(days=7))
    assert Task.objects.get(key=f"ladder:bill:{b1.pk}:reminder").assignee == spec
    # s1 has no supervisor; the north region's supervisor is the nearest one above.
    assert Task.objects.get(key=f"ladder:bill:{b2.pk}:reminder").assignee == world["sup"]


def test_paid_bills_are_not_walked(world, bill_maker):
    bill_maker(world["c1"], "10.00", D, paid="10.00").__class__.objects.update(status="paid")
    assert run_ladder(D + timedelta(days=7)).get("steps", 0) == 0


def test_command_and_registered_job(world, bill_maker, capsys):
    bill = bill_maker(world["c1"], "10.00", D)
    call_command("run_ladder", "--date", (D + timedelta(days=7)).isoformat())
    assert "steps=1" in capsys.readouterr().out
    assert "receivables_ladder" in jobs.JOBS
    assert jobs.run_job("receivables_ladder", D + timedelta(days=14))["steps"] == 1
    assert [s for s, _d in _steps(bill)] == [2, 3]



AGES = (8, 19, 30, 41)  # days overdue → steps [2], [2, 3], [2, 3, 4], [2, 3, 4]


def _first_run_over(world, bill_maker, n):
    """Queries and result of the first run over `n` open bills of mixed ages; rolled back after."""
    customers = [world["c1"], world["c2"], CustomerFactory(org_unit=world["s1"], primary_manager=None)]
    with transaction.atomic():
        for i in range(n):
            bill_maker(customers[i % 3], "100.00", D - timedelta(days=AGES[i % 4]))
        with CaptureQueriesContext(connection) as ctx:
            result = run_ladder(D)
        steps = LadderStep.objects.count()
        checks = {
            "timeline": TimelineEvent.objects.filter(kind="ladder").count(),
            "tasks": Task.objects.filter(key__startswith="ladder:bill:").count(),
            "linked": LadderStep.objects.filter(task__isnull=False).count(),
            "history": (LadderStep.history.count(), BadCreditRecord.history.count(), CollectionNotice.history.count(),
                        BlacklistEntry.history.count(), Task.history.filter(key__startswith="ladder:").count()),
            "numbers": list(CollectionNotice.objects.order_by("bill__due_on", "bill_id").values_list("number", flat=True)),
        }
        transaction.set_rollback(True)
    return len(ctx.captured_queries), result, steps, checks


def test_queries_do_not_grow_with_the_number_of_bills(world, bill_maker):
    """Set-based run (issue #3): 50 bills cost the same queries as 5, and every record, history
    row and timeline event is still written."""
    _first_run_over(world, bill_maker, 1)  # warm process-level caches (working-day calendar, content types)
    runs = {n: _first_run_over(world, bill_maker, n) for n in (5, 50)}
    for n, (_q, result, steps, checks) in runs.items():
        ages = [AGES[i % 4] for i in range(n)]
        expected_steps = sum({8: 1, 19: 2}.get(a, 3) for a in ages)
        notices = sum(a >= 14 for a in ages)
        listed = sum(a >= 30 for a in ages)
        assert (result["bills"], result["steps"], steps) == (n, expected_steps, expected_steps)
        assert (result["bad_credit_records"], result["notices"], result["blacklisted"]) == (n, notices, listed)
        assert checks["timeline"] == checks["tasks"] == checks["linked"] == expected_steps
        # bulletin: one task for the one supervisor
        assert checks["history"] == (expected_steps, n, notices, listed, expected_steps + 1)
        # notices numbered without gaps in walking order (oldest due date first)
        assert checks["numbers"] == [f"CN-2026-{i:06d}" for i in range(1, notices + 1)]
    assert runs[5][0] == runs[50][0] <= 40, (runs[5][0], runs[50][0])
