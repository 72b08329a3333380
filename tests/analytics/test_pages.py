"""The analysis pages: figures, charts, filters, exports, scope and constant query counts."""

import io
from datetime import date, timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook

from tests.factories import CustomerFactory

from .factories import make_bill, make_payment

Q1 = {"from_month": "2026-01", "to_month": "2026-03"}
PAGES = ["analytics:sales_volume", "analytics:price", "analytics:payments", "analytics:arrears",
         "analytics:collection", "analytics:profit"]


def _more_data(world, n=15):
    """Many more customers and bills, to show the query count does not grow."""
    for i in range(n):
        customer = CustomerFactory(org_unit=world["s1"], primary_manager=world["a"] if i % 2 else world["b"])
        for month in (1, 2, 3):
            make_bill(customer, date(2026, month, 1), 100 + i)
        make_payment(customer, date(2026, 2, 10), "10.00")


def test_hub_links_every_money_page_and_the_service_analyses(world, login):
    response = login(world["a"]).get(reverse("analytics:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in PAGES:
        assert reverse(name) in html
    for name in ("tickets:analysis", "visits:analysis", "surveys:analysis", "surveys:loss"):
        try:
            url = reverse(name)
        except NoReverseMatch:  # that module has not landed: the hub leaves it out
            continue
        assert f'href="{url}"' in html, name


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_charts_and_exports(world, login, name):
    make_payment(world["c1"], date(2026, 1, 31), "886.40")
    client = login(world["admin"])
    response = client.get(reverse(name), Q1)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-pk-chart="chart-' in html and "vendor/echarts/echarts.min.js" in html
    assert response.context["nav"] == "analytics"
    export = client.get(reverse(name), {**Q1, "export": "xlsx"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert sheet.max_row >= 2


@pytest.mark.parametrize("name", PAGES)
def test_query_count_is_constant(world, login, name, django_assert_max_num_queries):
    client = login(world["admin"])
    with django_assert_max_num_queries(14) as small:
        client.get(reverse(name), Q1)
    _more_data(world)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse(name), Q1)


def test_sales_volume_page_shows_the_worked_figures(world, login):
    response = login(world["admin"]).get(reverse("analytics:sales_volume"), Q1)
    rows = {r["month"]: r for r in response.context["data"]["rows"]}
    assert str(rows[date(2026, 1, 1)]["yoy_pct"]) == "14.3"
    assert "9,600" in response.content.decode()  # core/numbers.py: thousands separators


def test_manager_sees_only_the_portfolio_figures(world, login):
    response = login(world["a"]).get(reverse("analytics:sales_volume"), Q1)
    assert str(response.context["data"]["total"]["kwh"]) == "3420.00"  # c1: 1100 + 1320 + 1000
    response = login(world["a"]).get(reverse("analytics:collection"), {"from_month": "2026-02", "to_month": "2026-03"})
    assert str(response.context["data"]["total"]["rate_pct"]) == "76.26"


def test_org_unit_outside_the_users_subtree_is_refused(world, login, make_staff):
    sup = make_staff("supervisor", world["north"])
    response = login(sup).get(reverse("analytics:sales_volume"), {**Q1, "org_unit": world["s3"].pk})
    assert response.status_code == 200
    assert "Choose one of your org units." in response.content.decode()
    assert "data" not in response.context


@pytest.mark.parametrize("params, field, message", [
    ({"from_month": "2026-13"}, "from_month", "Enter a month as YYYY-MM."),
    ({"from_month": "2026-05", "to_month": "2026-01"}, "to_month", "The last month must not be before the first month."),
    ({"from_month": "2016-01", "to_month": "2026-01"}, "from_month", "Choose at most 60 months."),
])
def test_bad_filter_gets_a_field_message(world, login, params, field, message):
    response = login(world["admin"]).get(reverse("analytics:sales_volume"), params)
    assert response.context["form"].errors[field] == [message]
    assert 'id="export-xlsx"' not in response.content.decode()


def test_arrears_page_sorts_and_pages(world, login):
    client = login(world["admin"])
    response = client.get(reverse("analytics:arrears"))
    assert [r["number"] for r in response.context["rows"]] == ["C3", "C1", "C2"]
    response = client.get(reverse("analytics:arrears"), {"sort": "name"})  # One, Three, Two
    assert [r["number"] for r in response.context["rows"]] == ["C1", "C3", "C2"]
    response = client.get(reverse("analytics:arrears"), {"sort": "-name"})
    assert [r["number"] for r in response.context["rows"]] == ["C2", "C3", "C1"]
    response = client.get(reverse("analytics:arrears"), {"sort": "number"})
    assert [r["number"] for r in response.context["rows"]] == ["C1", "C2", "C3"]
    response = client.get(reverse("analytics:arrears"), {"sort": "bogus"})
    assert response.context["sort"] == "-outstanding"


def test_arrears_export_has_the_buckets(world, login):
    export = login(world["admin"]).get(reverse("analytics:arrears"), {"export": "xlsx", "sort": "number"})
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0][:6] == ("Customer number", "Customer", "Org unit", "Manager", "Overdue bills", "Arrears (past due)")
    assert rows[0][6:11] == ("1–30 days", "31–60 days", "61–90 days", "91–180 days", "Over 180 days")
    assert rows[0][11:] == ("Oldest due date", "Days overdue", "Not yet due")  # not yet due: apart, last
    assert [r[0] for r in rows[1:]] == ["C1", "C2", "C3"]
    assert float(rows[1][5]) == 2747.60


def test_sales_volume_export_reads_back(world, login):
    export = login(world["admin"]).get(reverse("analytics:sales_volume"), {**Q1, "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0][:6] == ("Month", "kWh", "Previous month kWh", "Month-on-month %", "Same month last year kWh",
                           "Year-on-year %")
    assert rows[1][0] == "2026-01" and float(rows[1][1]) == 4000 and float(rows[1][5]) == 14.3
    assert rows[3][5] in (None, "")  # no March 2025: no year-on-year


def test_profit_page_states_where_the_cost_comes_from(world, login):
    response = login(world["admin"]).get(reverse("analytics:profit"), {"from_month": "2026-01", "to_month": "2026-01"})
    html = response.content.decode()
    assert "Purchase cost = kWh × purchase cost per kWh" in html
    assert "The top 20 % of customers (1) bring 64.00 % of the revenue." in html


def test_collection_page_shows_the_definition(world, login):
    html = login(world["admin"]).get(reverse("analytics:collection")).content.decode()
    assert "Collection rate = amount paid so far on the bills whose due date falls in the period" in html


def test_pages_need_login(client):
    response = client.get(reverse("analytics:sales_volume"))
    assert response.status_code == 302


def test_arrears_as_of_today_ages_by_today(world, login):
    """The page ages by today's date: a bill due yesterday is 1 day overdue."""
    from django.utils import timezone

    today = timezone.localdate()
    c = CustomerFactory(number="T1", org_unit=world["s1"])
    make_bill(c, date(2020, 1, 1), 0, energy="10", basic="0", surcharges="0", due_on=today - timedelta(days=1))
    make_bill(c, date(2020, 1, 1), 0, energy="20", basic="0", surcharges="0", due_on=today)
    response = login(world["admin"]).get(reverse("analytics:arrears"), {"sort": "number"})
    t1 = [r for r in response.context["rows"] if r["number"] == "T1"][0]
    assert str(t1["buckets"]["d1_30"]) == "10.00" and str(t1["buckets"]["not_due"]) == "20.00"
