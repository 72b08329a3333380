"""The customer 360 money tab: bills, payments, balance, ladder step, credit code, charts."""

from datetime import date
from decimal import Decimal as D

from django.urls import reverse

from powerkam.credit.models import BehaviourLevel, BehaviourRating, CreditAssessment
from powerkam.receivables.models import LadderStep, Payment

from .factories import make_bill, make_payment

ZERO = D("0")
STATEMENT = {name: ZERO for name in ("current_assets", "inventory", "cash", "total_assets", "current_liabilities",
                                     "total_liabilities", "net_worth", "sales_revenue", "cost_of_sales",
                                     "total_cost", "net_profit")}


def _money_records(world):
    c1 = world["c1"]
    make_payment(c1, date(2026, 3, 5), "500.00", Payment.Channel.COUNTER)
    LadderStep.objects.create(bill=world["bills"]["c1_2602"], customer=c1, step=LadderStep.Step.WARNING,
                              reached_on=date(2026, 3, 27), due_on=date(2026, 3, 20))
    BehaviourLevel.objects.update_or_create(code="B", defaults={"name": "Good", "rank": 2})
    BehaviourRating.objects.create(customer=c1, since=date(2026, 3, 1), rated_on=date(2026, 4, 1), level="B")
    CreditAssessment.objects.create(customer=c1, assessed_on=date(2026, 1, 10), status="approved", code="3A2",
                                    limit_tier="3A", grade=2, credit_limit=D("800000.00"), **STATEMENT)
    CreditAssessment.objects.create(customer=c1, assessed_on=date(2026, 2, 10), status="draft", code="1A6",
                                    **STATEMENT)  # a draft never shows


def test_money_tab_shows_everything(world, login):
    _money_records(world)
    response = login(world["a"]).get(reverse("analytics:customer_money", args=[world["c1"].pk]))
    assert response.status_code == 200
    data = response.context["data"]
    # open: 2025-01 730.00, 2025-12 856.00, 2026-02 431.60 left, 2026-03 730.00
    assert data["balance"]["outstanding"] == D("2747.60") and data["balance"]["open_bills"] == 4
    assert [b.number for b in data["bills"]][:1] == [world["bills"]["c1_2603"].number]
    assert len(data["bills"]) == 5
    assert [p.amount for p in data["payments"]] == [D("500.00")]
    assert data["ladder_step"]["step"] == 2
    assert data["credit"]["code"] == "3A2"
    assert data["behaviour"]["level"] == "B" and data["behaviour"]["level_name"] == "Good"
    html = response.content.decode()
    for text in ("2,747.60", "3A2", "Credit warning (7 days overdue)", 'data-pk-chart="chart-money-kwh-data"',
                 "vendor/echarts/echarts.min.js"):
        assert text in html, text
    assert len(data["series"]) == 24


def test_money_tab_outside_scope_is_404(world, login):
    response = login(world["a"]).get(reverse("analytics:customer_money", args=[world["c3"].pk]))
    assert response.status_code == 404


def test_money_tab_query_count_is_constant(world, login, django_assert_max_num_queries):
    client = login(world["a"])
    url = reverse("analytics:customer_money", args=[world["c1"].pk])
    with django_assert_max_num_queries(12) as before:
        client.get(url)
    _money_records(world)
    for month in range(1, 13):
        make_bill(world["c1"], date(2024, month, 1), 100)
        make_payment(world["c1"], date(2024, month, 25), "10.00")
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(url)


def test_the_360_page_has_the_money_tab(world, login):
    html = login(world["a"]).get(reverse("customers:detail", args=[world["c1"].pk])).content.decode()
    assert reverse("analytics:customer_money", args=[world["c1"].pk]) in html
