"""Collection rate (回款率): paid ÷ billed on the bills due in the period."""

from datetime import date
from decimal import Decimal as D

from powerkam.analytics.selectors import ReportFilter, collection_rate

# Bills fall due on the 20th of the month after their billing month: due in Feb–Mar 2026 are
# the January and February 2026 bills.
DUE_FEB_MAR = ReportFilter(date(2026, 2, 1), date(2026, 3, 1))


def test_company_rate(world):
    data = collection_rate(world["admin"], DUE_FEB_MAR)
    # billed 886.40 + 931.60 + 292.00 + 402.40 + 2090.00 + 1486.00 = 6088.40
    # collected 886.40 + 500.00 + 292.00 + 0 + 2090.00 + 1000.00 = 4768.40 → 78.3196… %
    assert data["total"]["billed"] == D("6088.40") and data["total"]["collected"] == D("4768.40")
    assert data["total"]["uncollected"] == D("1320.00")
    assert data["total"]["rate_pct"] == D("78.32")
    months = {r["month"]: r for r in data["months"]}
    assert months[date(2026, 2, 1)]["rate_pct"] == D("100.00")  # January bills, all paid
    assert months[date(2026, 3, 1)]["billed"] == D("2820.00")
    assert months[date(2026, 3, 1)]["rate_pct"] == D("53.19")  # 1500 / 2820 = 53.191…
    assert data["definition"].startswith("Collection rate = amount paid so far on the bills")


def test_by_unit_and_by_manager(world):
    data = collection_rate(world["admin"], DUE_FEB_MAR)
    units = {r["org_unit"]: r for r in data["units"]}
    assert units[world["s1"].name]["billed"] == D("2512.40") and units[world["s1"].name]["rate_pct"] == D("66.80")
    assert units[world["s3"].name]["billed"] == D("3576.00") and units[world["s3"].name]["rate_pct"] == D("86.41")
    managers = {r["manager"]: r for r in data["managers"]}
    # A: c1 → 1386.40 / 1818.00 = 76.259…; B: c2 + c3 → 3382.00 / 4270.40 = 79.196…
    assert managers["Manager A"]["rate_pct"] == D("76.26")
    assert managers["Manager B"]["rate_pct"] == D("79.20")


def test_manager_scope(world):
    data = collection_rate(world["a"], DUE_FEB_MAR)
    assert data["total"]["billed"] == D("1818.00") and data["total"]["rate_pct"] == D("76.26")
    assert [r["manager"] for r in data["managers"]] == ["Manager A"]


def test_three_queries(world, django_assert_num_queries):
    with django_assert_num_queries(3):
        collection_rate(world["admin"], DUE_FEB_MAR)
