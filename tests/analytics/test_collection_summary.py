"""The monthly collection summary (analytics.MonthlyCollection): the non-void bills by due month
and station — billed, paid, outstanding — worked out by hand on the analysis data set, equal to the
live figures (collection rate, arrears positions), refreshed by month and idempotent."""

from datetime import date
from decimal import Decimal as D

from django.db.models import Sum

from powerkam.analytics.models import ArrearsPosition, MonthlyCollection
from powerkam.analytics.selectors import ReportFilter, collection_rate
from powerkam.analytics.services import refresh_monthly_collection
from powerkam.billing.models import Bill

FIELDS = ("bills", "billed", "paid", "open_bills", "outstanding")


def _row(month, unit):
    return MonthlyCollection.objects.filter(due_month=month, org_unit=unit).values_list(*FIELDS).get()


def _snapshot():
    return sorted(MonthlyCollection.objects.values_list("due_month", "org_unit_id", *FIELDS), key=str)


def test_rows_by_due_month_and_station_by_hand(world):
    assert refresh_monthly_collection() == {"deleted": 0, "rows": 9, "months": 6}
    # due in March 2026 at s1: c1's February bill (931.60, 500.00 paid) and c2's (402.40, unpaid)
    assert _row(date(2026, 3, 1), world["s1"]) == (2, D("1334.00"), D("500.00"), 2, D("834.00"))
    # due in February 2026 at s1: c1's and c2's January bills, both paid in full
    assert _row(date(2026, 2, 1), world["s1"]) == (2, D("1178.40"), D("1178.40"), 0, D("0.00"))
    # due in April 2026 at s1: c1's 730.00 and c2's 478.00 March bills; c2's void 9999 kWh left out
    assert _row(date(2026, 4, 1), world["s1"]) == (2, D("1208.00"), D("0.00"), 2, D("1208.00"))
    assert _row(date(2026, 2, 1), world["s3"]) == (1, D("2090.00"), D("2090.00"), 0, D("0.00"))


def test_equals_the_live_figures(world):
    refresh_monthly_collection()
    # the arrears: every open bill with something left to pay, as the trigger-kept positions
    outstanding = MonthlyCollection.objects.aggregate(s=Sum("outstanding"))["s"]
    assert D(str(outstanding)) == D(str(ArrearsPosition.objects.aggregate(s=Sum("outstanding"))["s"])) == D("7249.00")
    # the collection rate of each due month and station: the analysis page's live GROUP BY
    live = collection_rate(world["admin"], ReportFilter(date(2025, 1, 1), date(2026, 4, 1)))
    for m in live["months"]:
        summed = MonthlyCollection.objects.filter(due_month=m["month"]).aggregate(b=Sum("billed"), p=Sum("paid"),
                                                                                 n=Sum("bills"))
        assert (D(str(summed["b"] or 0)), D(str(summed["p"] or 0)), summed["n"] or 0) == (
            m["billed"], m["collected"], m["bills"]), m["month"]


def test_refresh_of_some_months_leaves_the_others_and_is_idempotent(world):
    refresh_monthly_collection()
    before = _snapshot()
    assert refresh_monthly_collection()["rows"] == 9 and _snapshot() == before
    march = world["bills"]["c2_2602"]  # due 2026-03-20, unpaid
    Bill.objects.filter(pk=march.pk).update(paid_amount=march.total, status=Bill.Status.PAID)
    Bill.objects.filter(pk=world["bills"]["c1_2603"].pk).update(status=Bill.Status.VOID)  # due 2026-04-20
    refresh_monthly_collection([date(2026, 3, 31)])  # any day of the month will do
    assert _row(date(2026, 3, 1), world["s1"]) == (2, D("1334.00"), D("902.40"), 1, D("431.60"))
    # April was not refreshed: the voided bill is still counted until it is
    assert _row(date(2026, 4, 1), world["s1"]) == (2, D("1208.00"), D("0.00"), 2, D("1208.00"))
    refresh_monthly_collection([date(2026, 4, 1)])
    assert _row(date(2026, 4, 1), world["s1"]) == (1, D("478.00"), D("0.00"), 1, D("478.00"))
    assert refresh_monthly_collection([date(2030, 1, 1)]) == {"deleted": 0, "rows": 0, "months": 0}
