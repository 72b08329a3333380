"""Unit price (单价分析): composition per kWh and average price."""

from datetime import date
from decimal import Decimal as D

from powerkam.analytics.selectors import ReportFilter, price_composition

JAN = ReportFilter(date(2026, 1, 1), date(2026, 1, 1))


def test_january_composition(world):
    data = price_composition(world["admin"], JAN)
    (jan,) = data["rows"]
    # energy 660 + 280 + 1500 = 2440; basic 200 + 0 + 500 = 700; PF −6.60 + 0 + 15 = 8.40;
    # surcharges 33 + 12 + 75 = 120; total 3268.40; kWh 4000.
    assert jan["kwh"] == D("4000") and jan["total"] == D("3268.40")
    assert jan["energy_charge_per_kwh"] == D("0.6100")
    assert jan["basic_charge_per_kwh"] == D("0.1750")
    assert jan["pf_adjustment_per_kwh"] == D("0.0021")
    assert jan["surcharges_per_kwh"] == D("0.0300")
    assert jan["average_price"] == D("0.8171")  # 0.817100
    assert data["total"]["average_price"] == D("0.8171")


def test_by_usage_category(world):
    cats = {r["usage_category"]: r for r in price_composition(world["admin"], JAN)["categories"]}
    # large industry: (886.40 + 2090.00) / 3600 = 0.826777… → 0.8268
    assert cats["large_industry"]["average_price"] == D("0.8268")
    assert cats["general_commercial"]["average_price"] == D("0.7300")  # 292 / 400


def test_month_without_bills_has_no_price(world):
    data = price_composition(world["admin"], ReportFilter(date(2024, 1, 1), date(2024, 1, 1)))
    assert data["rows"][0]["average_price"] is None and data["rows"][0]["kwh"] == 0


def test_one_query(world, django_assert_num_queries):
    """One GROUP BY (month, usage category) for the summary (company) and the bills (portfolio)."""
    with django_assert_num_queries(1):
        price_composition(world["admin"], JAN)
    with django_assert_num_queries(1):
        price_composition(world["a"], JAN)
