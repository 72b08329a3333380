"""Sales volume (电量分析): kWh by month with month-on-month and year-on-year change."""

from datetime import date
from decimal import Decimal as D

from powerkam.analytics.selectors import ReportFilter, change_pct, sales_volume

Q1 = ReportFilter(date(2026, 1, 1), date(2026, 3, 1))


def test_change_pct_rounds_half_up_and_has_no_base_for_zero():
    assert change_pct(D("4000"), D("3500")) == D("14.3")  # 14.2857…
    assert change_pct(D("1600"), D("4000")) == D("-60.0")
    assert change_pct(D("1"), D("8")) == D("-87.5")
    assert change_pct(D("0.5"), D("0.8")) == D("-37.5")
    assert change_pct(D("3"), D("0")) is None
    assert change_pct(D("3"), None) is None


def test_company_figures(world):
    data = sales_volume(world["admin"], Q1)
    rows = {r["month"]: r for r in data["rows"]}
    jan, feb, mar = rows[date(2026, 1, 1)], rows[date(2026, 2, 1)], rows[date(2026, 3, 1)]
    # Jan 2026: 1100 + 400 + 2500; Dec 2025: 1200; Jan 2025: 1000 + 500 + 2000.
    assert (jan["kwh"], jan["kwh_previous_month"], jan["kwh_last_year"]) == (D("4000"), D("1200"), D("3500"))
    assert jan["mom_pct"] == D("233.3") and jan["yoy_pct"] == D("14.3")
    # Feb 2026: 1320 + 480 + 2200 = 4000, same as January; Feb 2025: c3's 2000.
    assert feb["kwh"] == D("4000") and feb["mom_pct"] == D("0.0") and feb["yoy_pct"] == D("100.0")
    # Mar 2026: 1000 + 600; the void 9999 kWh bill does not count; no March 2025 → no YoY.
    assert mar["kwh"] == D("1600") and mar["mom_pct"] == D("-60.0") and mar["yoy_pct"] is None
    assert data["total"]["kwh"] == D("9600") and data["total"]["kwh_last_year"] == D("5500")
    assert data["total"]["yoy_pct"] == D("74.5")  # 4100 / 5500 = 74.545…


def test_by_usage_category(world):
    cats = {r["usage_category"]: r for r in sales_volume(world["admin"], Q1)["categories"]}
    large = cats["large_industry"]
    assert large["kwh"] == D("8120") and large["kwh_last_year"] == D("5000") and large["yoy_pct"] == D("62.4")
    assert large["bills"] == 5
    general = cats["general_commercial"]
    assert general["kwh"] == D("1480") and general["kwh_last_year"] == D("500") and general["yoy_pct"] == D("196.0")


def test_manager_sees_only_the_portfolio(world):
    rows = {r["month"]: r for r in sales_volume(world["a"], Q1)["rows"]}
    jan = rows[date(2026, 1, 1)]
    assert jan["kwh"] == D("1100") and jan["mom_pct"] == D("-8.3") and jan["yoy_pct"] == D("10.0")
    assert rows[date(2026, 2, 1)]["kwh"] == D("1320") and rows[date(2026, 2, 1)]["yoy_pct"] is None


def test_filters_org_unit_subtree_and_attributes(world):
    north = ReportFilter(Q1.date_from, Q1.date_to, org_unit_path=world["north"].path)
    assert sales_volume(world["admin"], north)["total"]["kwh"] == D("1100") + D("1320") + D("1000") + D("400") + D("480") + D("600")
    medium = ReportFilter(Q1.date_from, Q1.date_to, ka_tier="medium")
    assert sales_volume(world["admin"], medium)["total"]["kwh"] == D("1480")
    industry_f = ReportFilter(Q1.date_from, Q1.date_to, industry="F")
    assert sales_volume(world["admin"], industry_f)["total"]["kwh"] == D("1480")
    large = ReportFilter(Q1.date_from, Q1.date_to, usage_category="large_industry")
    assert sales_volume(world["admin"], large)["total"]["kwh"] == D("8120")


def test_supervisor_sees_the_subtree(world, make_staff):
    sup = make_staff("supervisor", world["south"])
    assert sales_volume(sup, Q1)["total"]["kwh"] == D("4700")  # c3 only


def test_one_query_whatever_the_data(world, django_assert_num_queries):
    """One GROUP BY (month, usage category) for the summary (company) and the bills (portfolio)."""
    with django_assert_num_queries(1):
        sales_volume(world["admin"], Q1)
    with django_assert_num_queries(1):
        sales_volume(world["a"], Q1)


def test_the_unfinished_current_month_is_not_compared(world):
    """Mid-March only part of March is billed: March shows its kWh but no MoM/YoY (it used to
    show a fall, −100 % when nothing was billed yet), and the totals compare Jan–Feb only."""
    data = sales_volume(world["admin"], Q1, today=date(2026, 3, 15))
    rows = {r["month"]: r for r in data["rows"]}
    mar = rows[date(2026, 3, 1)]
    assert mar["kwh"] == D("1600") and mar["unfinished"]
    assert mar["mom_pct"] is None and mar["yoy_pct"] is None
    assert rows[date(2026, 2, 1)]["yoy_pct"] == D("100.0") and not rows[date(2026, 2, 1)]["unfinished"]
    assert data["compared_months"] == 2
    assert data["total"]["yoy_pct"] == D("45.5")  # Jan–Feb 8000 against Jan–Feb 2025 5500
    cats = {r["usage_category"]: r for r in data["categories"]}
    assert cats["large_industry"]["yoy_pct"] == D("42.4")  # 7120 against 5000
    assert cats["general_commercial"]["yoy_pct"] == D("76.0")  # 880 against 500


def test_a_month_with_no_bill_yet_is_not_minus_100_percent(world):
    period = ReportFilter(date(2026, 1, 1), date(2026, 4, 1))
    rows = {r["month"]: r for r in sales_volume(world["admin"], period, today=date(2026, 4, 2))["rows"]}
    april = rows[date(2026, 4, 1)]
    assert april["kwh"] == D("0") and april["mom_pct"] is None and april["yoy_pct"] is None
    assert rows[date(2026, 3, 1)]["mom_pct"] == D("-60.0")  # finished months still compare
