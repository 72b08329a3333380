"""The monthly portfolio summary (analytics.MonthlyPortfolio): the non-void bills of each primary
manager's customers by billing month (billed, kWh) and by due month (billed, paid), worked out by
hand on the analysis data set (conftest: manager A has c1; manager B has c2 and c3), each refreshed
month marked by its row without a manager, refreshed by month and idempotent."""

from datetime import date
from decimal import Decimal as D

from powerkam.analytics.models import MonthlyPortfolio
from powerkam.analytics.services import refresh_monthly_portfolio, refresh_summaries
from powerkam.billing.models import Bill
from powerkam.customers.models import Customer

FIELDS = ("bills", "billed", "kwh", "due_bills", "due_billed", "due_paid")


def _row(month, staff):
    return MonthlyPortfolio.objects.filter(month=month, staff=staff).values_list(*FIELDS).get()


def _snapshot():
    return sorted(MonthlyPortfolio.objects.values_list("month", "staff_id", *FIELDS), key=str)


def test_rows_by_month_and_manager_by_hand(world):
    # 8 months with bills billed or due in them; 14 (month, manager) cells with bills, and each
    # month's mark (the customers without a manager: none here)
    assert refresh_monthly_portfolio() == {"deleted": 0, "rows": 22, "months": 8}
    a, b = world["a"], world["b"]
    # February 2026, manager B: billed c2's 402.40 (480 kWh) and c3's 1486.00 (2200 kWh); due:
    # their January bills, 292.00 and 2090.00, both paid in full
    assert _row(date(2026, 2, 1), b) == (2, D("1888.40"), D("2680.00"), 2, D("2382.00"), D("2382.00"))
    # February 2026, manager A: billed c1's 931.60 (1320 kWh); due: c1's January bill, 886.40 paid
    assert _row(date(2026, 2, 1), a) == (1, D("931.60"), D("1320.00"), 1, D("886.40"), D("886.40"))
    # March 2026, manager B: billed c2's 478.00 (the void 9999 kWh left out); due: c2's 402.40
    # unpaid and c3's 1486.00 with 1000.00 paid
    assert _row(date(2026, 3, 1), b) == (1, D("478.00"), D("600.00"), 2, D("1888.40"), D("1000.00"))
    # March 2025: nothing billed, c3's February bill (1360.00) due
    assert _row(date(2025, 3, 1), b) == (0, D("0.00"), D("0.00"), 1, D("1360.00"), D("0.00"))
    # the marks: one per month, zeros (every customer has a manager)
    marks = MonthlyPortfolio.objects.filter(staff__isnull=True)
    assert marks.count() == 8 and set(marks.values_list(*FIELDS)) == {(0, 0, 0, 0, 0, 0)}


def test_customers_without_a_manager_are_in_the_months_mark(world):
    Customer.objects.filter(pk=world["c3"].pk).update(primary_manager=None)
    refresh_monthly_portfolio()
    assert _row(date(2026, 2, 1), None) == (1, D("1486.00"), D("2200.00"), 1, D("2090.00"), D("2090.00"))
    assert _row(date(2026, 2, 1), world["b"]) == (1, D("402.40"), D("480.00"), 1, D("292.00"), D("292.00"))


def test_refresh_of_some_months_leaves_the_others_and_is_idempotent(world):
    refresh_monthly_portfolio()
    before = _snapshot()
    assert refresh_monthly_portfolio()["rows"] == 22 and _snapshot() == before
    march = world["bills"]["c2_2602"]  # billed in February, due 2026-03-20, unpaid
    Bill.objects.filter(pk=march.pk).update(paid_amount=march.total, status=Bill.Status.PAID)
    Bill.objects.filter(pk=world["bills"]["c1_2603"].pk).update(status=Bill.Status.VOID)  # March's, due April
    assert refresh_monthly_portfolio([date(2026, 3, 31)]) == {"deleted": 3, "rows": 3, "months": 1}
    assert _row(date(2026, 3, 1), world["b"]) == (1, D("478.00"), D("600.00"), 2, D("1888.40"), D("1402.40"))
    assert _row(date(2026, 3, 1), world["a"]) == (0, D("0.00"), D("0.00"), 1, D("931.60"), D("500.00"))
    # April was not refreshed: the voided bill is still counted until it is
    assert _row(date(2026, 4, 1), world["a"]) == (0, D("0.00"), D("0.00"), 1, D("730.00"), D("0.00"))
    refresh_monthly_portfolio([date(2026, 4, 1)])
    assert not MonthlyPortfolio.objects.filter(month=date(2026, 4, 1), staff=world["a"]).exists()
    # a month without bills, refreshed on purpose: only its mark (its figures are known: nothing)
    assert refresh_monthly_portfolio([date(2030, 1, 1)]) == {"deleted": 0, "rows": 1, "months": 1}


def test_the_nightly_refresh_rebuilds_all_three_summaries(world):
    result = refresh_summaries()
    assert set(result) == {"monthly_sales", "monthly_collection", "monthly_portfolio"}
    assert result["monthly_portfolio"]["rows"] == 22
