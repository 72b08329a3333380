"""Profit contribution (利润贡献度分析) and the 80/20 Pareto curve."""

from datetime import date
from decimal import Decimal as D

from powerkam.analytics.models import PurchaseCost
from powerkam.analytics.selectors import (
    ReportFilter,
    pareto,
    profit_customers,
    profit_row,
    profit_totals,
    purchase_costs,
)
from tests.factories import CustomerFactory

from .factories import make_bill

JAN = ReportFilter(date(2026, 1, 1), date(2026, 1, 1))


def test_profit_by_customer_with_default_costs(world):
    costs = purchase_costs()
    rows = [profit_row(r, costs) for r in profit_customers(world["admin"], JAN, costs=costs)]
    # revenue = energy + basic + PF (surcharges are not revenue); cost = kWh × cost of the voltage level.
    # c3: 1500 + 500 + 15 = 2015.00 − 2500 × 0.4080 (35 kV) = 1020.00 → 995.00
    # c1: 660 + 200 − 6.60 = 853.40 − 1100 × 0.4150 (10 kV) = 456.50 → 396.90
    # c2: 280 + 0 + 0 = 280.00 − 400 × 0.4300 (0.4 kV) = 172.00 → 108.00
    assert [(r["number"], r["revenue"], r["cost"], r["profit"]) for r in rows] == [
        ("C3", D("2015.00"), D("1020.00"), D("995.00")),
        ("C1", D("853.40"), D("456.50"), D("396.90")),
        ("C2", D("280.00"), D("172.00"), D("108.00")),
    ]
    assert rows[0]["margin_pct"] == D("49.38")  # 995 / 2015 = 49.379…
    totals = profit_totals(world["admin"], JAN, costs=costs, customers=3)
    assert (totals["revenue"], totals["cost"], totals["profit"]) == (D("3148.40"), D("1648.50"), D("1499.90"))
    assert totals["billed"] == D("3268.40") and totals["customers"] == 3


def test_admin_purchase_cost_overrides_the_default(world):
    PurchaseCost.objects.create(voltage_level="35kV", cost_per_kwh=D("0.5000"), source="2026 purchase contract")
    costs = purchase_costs()
    assert costs["35kV"] == D("0.5000") and costs["10kV"] == D("0.4150")
    c3 = [profit_row(r, costs) for r in profit_customers(world["admin"], JAN, costs=costs, sort="number")][2]
    assert c3["cost"] == D("1250.00") and c3["profit"] == D("765.00")


def test_pareto_of_three_customers(world):
    costs = purchase_costs()
    revenue = pareto(world["admin"], JAN, measure="revenue", costs=costs)
    # ranked c3 2015.00, c1 853.40, c2 280.00 of 3148.40; top 20 % of 3 customers = ⌈0.6⌉ = 1.
    assert revenue["customers"] == 3 and revenue["top_customers"] == 1
    assert revenue["top_share"] == D("0.6400")  # 2015 / 3148.40 = 0.64001…
    assert [(p["customers_share"], p["value_share"]) for p in revenue["points"]] == [
        (D("0"), D("0")), (D("0.3333"), D("0.6400")), (D("0.6667"), D("0.9111")), (D("1.0000"), D("1.0000"))]
    profit = pareto(world["admin"], JAN, measure="profit", costs=costs)
    assert profit["top_share"] == D("0.6634")  # 995 / 1499.90
    assert profit["top_share_pct"] == D("66.34")


def test_pareto_of_many_customers_is_sampled_per_percent(org_tree, make_staff):
    admin = make_staff("admin", org_tree["company"])
    # 250 customers, revenue 1, 2, …, 250 yuan (energy only, no basic charge).
    for i in range(1, 251):
        customer = CustomerFactory(org_unit=org_tree["s1"])
        make_bill(customer, date(2026, 1, 1), 0, energy=str(i), basic="0", surcharges="0")
    result = pareto(admin, JAN, measure="revenue", costs=purchase_costs())
    total = 250 * 251 // 2  # 31375
    # top 20 % = 50 customers: 201 + … + 250 = 11275 → 0.35936…
    assert result["top_customers"] == 50 and result["top_share"] == D("0.3594")
    points = result["points"]
    assert len(points) == 101  # the origin and one point per whole percent of customers
    assert points[-1] == {"customers_share": D("1.0000"), "value_share": D("1.0000")}
    shares = [p["value_share"] for p in points]
    assert shares == sorted(shares)
    assert points[1]["customers_share"] == D("0.0120") and points[1]["value_share"] == D(str(round((250 + 249 + 248) / total, 4)))


def test_manager_scope_and_query_counts(world, django_assert_num_queries):
    costs = purchase_costs()
    assert [r["number"] for r in profit_customers(world["a"], JAN, costs=costs)] == ["C1"]
    assert pareto(world["a"], JAN, measure="revenue", costs=costs)["customers"] == 1
    with django_assert_num_queries(1):
        pareto(world["admin"], JAN, measure="profit", costs=costs)
    with django_assert_num_queries(1):
        profit_totals(world["admin"], JAN, costs=costs, customers=3)
    with django_assert_num_queries(1):
        purchase_costs()
