"""Late-payment penalty (电费违约金) worked examples. Rates: 《供电营业规则》 (1996 第九十八条;
2024 国家发展改革委令第14号): residential 1‰/day; other users 2‰/day for the current year's
arrears and 3‰/day for arrears that have crossed a year end; from the day after the due date up
to and including the day of payment."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from powerkam.customers.constants import UsageCategory
from powerkam.customers.models import TimelineEvent
from powerkam.receivables import services
from powerkam.receivables.constants import penalty_rule_on
from powerkam.receivables.models import LateFee
from tests.factories import CustomerFactory

D = Decimal


def test_across_a_year_boundary_other_user():
    # Due 2025-12-20, paid 2026-01-10: 2025-12-21..31 = 11 days at 2‰ (current-year arrears),
    # 2026-01-01..10 = 10 days at 3‰ (arrears across years).
    p = services.compute_penalty(total=D("10000.00"), due_on=date(2025, 12, 20), as_of=date(2026, 1, 10),
                                 residential=False, payments=[(date(2026, 1, 10), D("10000.00"))])
    assert [(line.start, line.end, line.days, line.rate) for line in p.lines] == [
        (date(2025, 12, 21), date(2025, 12, 31), 11, D("0.002")),
        (date(2026, 1, 1), date(2026, 1, 10), 10, D("0.003")),
    ]
    assert p.days == 21
    assert p.amount == D("520.00")  # 10000 × 2‰ × 11 = 220.00 + 10000 × 3‰ × 10 = 300.00


def test_across_a_year_boundary_residential_is_one_per_mille_throughout():
    p = services.compute_penalty(total=D("10000.00"), due_on=date(2025, 12, 20), as_of=date(2026, 1, 10),
                                 residential=True)
    assert p.days == 21
    assert p.amount == D("210.00")  # 10000 × 1‰ × 21


def test_current_year_only():
    p = services.compute_penalty(total=D("1234.56"), due_on=date(2026, 3, 15), as_of=date(2026, 3, 18),
                                 residential=False)
    assert p.days == 3
    assert p.amount == D("7.41")  # 1234.56 × 0.002 × 3 = 7.40736 → 7.41 (ROUND_HALF_UP)


def test_paid_on_or_before_the_due_date_costs_nothing():
    p = services.compute_penalty(total=D("5000.00"), due_on=date(2026, 3, 15), as_of=date(2026, 3, 15), residential=False)
    assert p.days == 0 and p.amount == D("0.00")


def test_partial_payment_lowers_the_base_from_the_next_day():
    # 10,000 due 03-15; 4,000 paid 03-20; the rest on 03-25.
    p = services.compute_penalty(total=D("10000.00"), due_on=date(2026, 3, 15), as_of=date(2026, 3, 25),
                                 residential=False, payments=[(date(2026, 3, 20), D("4000.00")),
                                                              (date(2026, 3, 25), D("6000.00"))])
    assert [(line.days, line.base) for line in p.lines] == [(5, D("10000.00")), (5, D("6000.00"))]
    assert p.amount == D("160.00")  # 10000×2‰×5 = 100 + 6000×2‰×5 = 60


def test_bill_falling_overdue_on_new_years_day_is_current_year_arrears():
    # Due 2024-12-31: the arrears arise on 2025-01-01, so every 2025 day is "当年欠费" at 2‰.
    p = services.compute_penalty(total=D("1000.00"), due_on=date(2024, 12, 31), as_of=date(2025, 1, 5), residential=False)
    assert p.lines[0].rate == D("0.002") and p.amount == D("10.00")


def test_1996_minimum_of_one_yuan_and_2024_rule_without_it():
    assert penalty_rule_on(date(2020, 5, 11)).minimum == D("1.00")
    old = services.compute_penalty(total=D("50.00"), due_on=date(2020, 5, 10), as_of=date(2020, 5, 15), residential=True)
    assert old.amount == D("1.00") and old.minimum_applied  # 50 × 1‰ × 5 = 0.25 → 1 yuan (1996 第九十八条)
    new = services.compute_penalty(total=D("50.00"), due_on=date(2025, 5, 10), as_of=date(2025, 5, 15), residential=True)
    assert new.amount == D("0.25") and not new.minimum_applied
    assert "2024" in new.rule.citation


def test_settling_an_overdue_bill_records_the_penalty_separately(world, bill_maker):
    c1 = world["c1"]
    bill = bill_maker(c1, "10000.00", date(2025, 12, 20))
    services.record_payment(customer=c1, amount="10000.00", channel="counter", received_on=date(2026, 1, 10),
                            actor=world["clerk"], today=date(2026, 1, 10))
    bill.refresh_from_db()
    assert bill.total == D("10000.00") and bill.status == "paid"  # the penalty is not part of the bill
    fee = LateFee.objects.get(bill=bill)
    assert (fee.amount, fee.days, fee.status) == (D("520.00"), 21, "charged")
    assert len(fee.breakdown) == 2
    services.mark_late_fee_paid(fee, paid_on=date(2026, 1, 12), reference="R1", actor=world["clerk"])
    assert LateFee.objects.get(pk=fee.pk).status == "paid"


def test_residential_customer(world, bill_maker):
    home = CustomerFactory(org_unit=world["s1"], primary_manager=world["m1"], usage_category=UsageCategory.RESIDENTIAL)
    bill = bill_maker(home, "300.00", date(2026, 2, 10))
    p = services.bill_penalty(bill, date(2026, 2, 20))
    assert p.residential and p.amount == D("3.00")  # 300 × 1‰ × 10


def test_waiver_needs_a_supervisor_and_a_reason(world, bill_maker):
    bill = bill_maker(world["c1"], "10000.00", date(2026, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.waive_late_fee(bill, approver=world["m1"], reason="good customer", as_of=date(2026, 3, 11))
    assert "supervisor" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        services.waive_late_fee(bill, approver=world["sup"], reason="  ", as_of=date(2026, 3, 11))
    assert "reason" in str(exc.value)
    assert not LateFee.objects.exists()
    fee = services.waive_late_fee(bill, approver=world["sup"], reason="Flood at the plant", as_of=date(2026, 3, 11))
    assert (fee.status, fee.amount, fee.waived_by, fee.waive_reason) == ("waived", D("200.00"), world["sup"], "Flood at the plant")
    assert fee.history.first().history_user == world["sup"]
    assert TimelineEvent.objects.filter(customer=world["c1"], kind="late_fee", title__contains="waived").exists()
    # Paying later does not bring the waived penalty back.
    services.record_payment(customer=world["c1"], amount="10000.00", channel="online", received_on=date(2026, 3, 20),
                            today=date(2026, 3, 20))
    assert LateFee.objects.get(bill=bill).status == "waived"
    with pytest.raises(ValidationError):
        services.waive_late_fee(bill, approver=world["sup"], reason="again")


def test_nothing_to_waive_before_the_due_date(world, bill_maker):
    bill = bill_maker(world["c1"], "100.00", date(2026, 3, 1))
    with pytest.raises(ValidationError):
        services.waive_late_fee(bill, approver=world["sup"], reason="x", as_of=date(2026, 3, 1))
