"""The monthly sales summary (analytics.MonthlySales): refresh, and the sales-volume and
unit-price figures of subtree and company scopes read from it — the same as from the bills."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.urls import reverse

from powerkam.analytics.models import MonthlySales
from powerkam.analytics.selectors import ReportFilter, price_composition, sales_volume, uses_summary
from powerkam.analytics.services import refresh_monthly_sales
from powerkam.billing.models import Bill
from powerkam.core import jobs
from tests.factories import CustomerFactory

from .factories import make_bill

Q1 = ReportFilter(date(2026, 1, 1), date(2026, 3, 1))
Q1_GET = {"from_month": "2026-01", "to_month": "2026-03"}
KEYS = ("period", "org_unit_id", "usage_category", "industry", "ka_tier", "is_key_account", "bills", "customers",
        "kwh", "energy_charge", "basic_charge", "pf_adjustment", "surcharges", "total")


def _snapshot():
    return sorted(MonthlySales.objects.values_list(*KEYS), key=str)


def _figures(data):
    """The report without the source markers (from_summary, as_of)."""
    return {k: v for k, v in data.items() if k not in ("from_summary", "as_of")}


def test_refresh_one_row_per_month_and_customer_attributes(world):
    # Each of the three customers differs from the others in unit or attributes: one row per
    # customer and month with bills — 3 + 1 + 1 + 3 + 3 + 2 (the void March bill of c2 is left out).
    assert MonthlySales.objects.count() == 13
    c2_march = MonthlySales.objects.get(period=date(2026, 3, 1), org_unit=world["s1"], usage_category="general_commercial")
    assert (c2_march.kwh, c2_march.bills, c2_march.customers, c2_march.industry, c2_march.ka_tier) == \
        (D("600.00"), 1, 1, "F", "medium")
    c1_jan = MonthlySales.objects.get(period=date(2026, 1, 1), org_unit=world["s1"], usage_category="large_industry")
    assert (c1_jan.energy_charge, c1_jan.basic_charge, c1_jan.pf_adjustment, c1_jan.surcharges, c1_jan.total) == \
        (D("660.00"), D("200.00"), D("-6.60"), D("33.00"), D("886.40"))
    live = Bill.objects.exclude(status=Bill.Status.VOID).aggregate(kwh=Sum("kwh"), total=Sum("total"))
    summed = MonthlySales.objects.aggregate(kwh=Sum("kwh"), total=Sum("total"))
    assert D(str(summed["kwh"])) == D(str(live["kwh"])) == D("16300")  # 5620 + 1980 + 8700


def test_customers_with_the_same_attributes_share_a_row(world):
    c1 = world["c1"]
    twin = CustomerFactory(org_unit=c1.org_unit, usage_category=c1.usage_category, industry=c1.industry,
                           ka_tier=c1.ka_tier, is_key_account=c1.is_key_account)
    make_bill(twin, date(2026, 1, 1), 900)
    refresh_monthly_sales([date(2026, 1, 1)])
    row = MonthlySales.objects.get(period=date(2026, 1, 1), org_unit=c1.org_unit, usage_category=c1.usage_category)
    assert (row.bills, row.customers, row.kwh) == (2, 2, D("2000.00"))


def test_refresh_is_idempotent(world):
    before = _snapshot()
    assert refresh_monthly_sales() == {"deleted": 13, "rows": 13, "months": 6}
    assert _snapshot() == before
    refresh_monthly_sales([date(2026, 2, 1)])
    assert _snapshot() == before


def test_refresh_of_some_months_leaves_the_others(world):
    make_bill(world["c3"], date(2026, 3, 1), 700)
    make_bill(world["c3"], date(2025, 12, 1), 50)
    feb = world["bills"]["c2_2602"]
    Bill.objects.filter(pk=world["bills"]["c1_2512"].pk).update(status=Bill.Status.VOID)
    refresh_monthly_sales([date(2026, 3, 20), feb.period])  # any day of the month will do
    march = MonthlySales.objects.filter(period=date(2026, 3, 1)).aggregate(kwh=Sum("kwh"))["kwh"]
    assert D(str(march)) == D("2300")  # 1000 + 600 + the new 700
    # December 2025 was not refreshed: still c1's 1200 kWh, not the new 50, the void not seen.
    assert list(MonthlySales.objects.filter(period=date(2025, 12, 1)).values_list("kwh", flat=True)) == [D("1200.00")]
    refresh_monthly_sales([date(2025, 12, 1)])
    assert list(MonthlySales.objects.filter(period=date(2025, 12, 1)).values_list("kwh", flat=True)) == [D("50.00")]


def test_a_month_without_bills_any_more_loses_its_rows(world):
    Bill.objects.filter(period=date(2025, 2, 1)).update(status=Bill.Status.VOID)
    refresh_monthly_sales()
    assert not MonthlySales.objects.filter(period=date(2025, 2, 1)).exists()


def test_who_reads_the_summary(world, make_staff):
    assert uses_summary(world["admin"]) and uses_summary(make_staff("supervisor", world["north"]))
    assert uses_summary(make_staff("clerk", world["s1"])) and uses_summary(make_staff("executive", world["company"]))
    assert not uses_summary(world["a"]) and not uses_summary(make_staff("specialist", world["s1"]))


FILTERS = [
    Q1,
    ReportFilter(date(2025, 1, 1), date(2026, 3, 1)),
    ReportFilter(Q1.date_from, Q1.date_to, ka_tier="premium"),
    ReportFilter(Q1.date_from, Q1.date_to, industry="F"),
    ReportFilter(Q1.date_from, Q1.date_to, usage_category="large_industry"),
]


@pytest.mark.parametrize("unit", ["company", "north", "south", "s1", "s2"])
@pytest.mark.parametrize("role", ["supervisor", "clerk"])
def test_subtree_figures_are_the_same_from_the_summary_and_the_bills(world, make_staff, unit, role):
    user = make_staff(role, world[unit])
    for f in [*FILTERS, ReportFilter(Q1.date_from, Q1.date_to, org_unit_path=world["s1"].path)]:
        for report in (sales_volume, price_composition):
            summary, bills = report(user, f), report(user, f, from_summary=False)
            assert summary["from_summary"] and not bills["from_summary"]
            assert _figures(summary) == _figures(bills), (unit, f, report.__name__)


def test_north_supervisor_worked_figures(world, make_staff):
    sup = make_staff("supervisor", world["north"])
    data = sales_volume(sup, Q1)
    assert [r["kwh"] for r in data["rows"]] == [D("1500"), D("1800"), D("1600")]  # c1 + c2
    assert data["rows"][0]["bills"] == 2 and data["rows"][0]["kwh_last_year"] == D("1500")
    assert data["as_of"] == MonthlySales.objects.latest("refreshed_at").refreshed_at
    (jan,) = price_composition(sup, ReportFilter(date(2026, 1, 1), date(2026, 1, 1)))["rows"]
    assert jan["total"] == D("1178.40") and jan["average_price"] == D("0.7856")  # 1178.40 / 1500


def test_company_figures_from_the_summary_match_the_bills(world):
    for f in FILTERS:
        for report in (sales_volume, price_composition):
            assert _figures(report(world["admin"], f)) == _figures(report(world["admin"], f, from_summary=False))


def test_summary_figures_wait_for_the_refresh_portfolios_are_live(world, make_staff):
    sup = make_staff("supervisor", world["north"])
    make_bill(world["c1"], date(2026, 3, 1), 500)
    assert sales_volume(sup, Q1)["total"]["kwh"] == D("4900")  # as of the last refresh
    assert sales_volume(world["a"], Q1)["total"]["kwh"] == D("3920")  # c1 live: 1100 + 1320 + 1000 + 500
    refresh_monthly_sales([date(2026, 3, 1)])
    assert sales_volume(sup, Q1)["total"]["kwh"] == D("5400")


def test_no_summary_yet(world, make_staff):
    MonthlySales.objects.all().delete()
    data = sales_volume(make_staff("supervisor", world["north"]), Q1)
    assert data["as_of"] is None and data["total"]["kwh"] == 0


def test_subtree_user_without_unit_sees_nothing(world, make_staff):
    user = make_staff("supervisor", world["north"])
    user.org_unit = None
    assert sales_volume(user, Q1)["total"]["kwh"] == 0 == sales_volume(user, Q1, from_summary=False)["total"]["kwh"]


@pytest.mark.parametrize("name", ["analytics:sales_volume", "analytics:price"])
def test_pages_say_how_fresh_the_figures_are(world, login, make_staff, name):
    html = login(make_staff("supervisor", world["north"])).get(reverse(name), Q1_GET).content.decode()
    assert 'id="figures-as-of"' in html and "Figures as of" in html
    html = login(world["a"]).get(reverse(name), Q1_GET).content.decode()
    assert 'id="figures-as-of"' not in html
    MonthlySales.objects.all().delete()
    html = login(world["admin"]).get(reverse(name), Q1_GET).content.decode()
    assert "has not been refreshed" in html


@pytest.mark.parametrize("name", ["analytics:sales_volume", "analytics:price"])
def test_supervisor_page_query_count_is_constant(world, login, make_staff, name, django_assert_max_num_queries):
    client = login(make_staff("supervisor", world["north"]))
    with django_assert_max_num_queries(12) as small:
        client.get(reverse(name), Q1_GET)
    for i in range(12):
        customer = CustomerFactory(org_unit=world["s1"] if i % 2 else world["s2"], industry="CDEFG"[i % 5])
        for month in (1, 2, 3):
            make_bill(customer, date(2026, month, 1), 100 + i)
    refresh_monthly_sales()
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = client.get(reverse(name), Q1_GET)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert response.context["data"]["from_summary"]


def test_export_reads_the_summary(world, login, make_staff):
    client = login(make_staff("supervisor", world["north"]))
    response = client.get(reverse("analytics:sales_volume"), {**Q1_GET, "export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "1500" in body and "1800" in body and "4000" not in body


def test_api_says_where_the_figures_come_from(world):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world["admin"])
    body = client.get("/api/v1/analytics/sales-volume/", Q1_GET).json()
    assert body["from_summary"] is True and body["as_of"] and body["total"]["kwh"] == "9600.00"
    body = client.get("/api/v1/analytics/unit-price/", Q1_GET).json()
    assert body["from_summary"] is True and body["as_of"]
    client.force_authenticate(world["a"])
    body = client.get("/api/v1/analytics/sales-volume/", Q1_GET).json()
    assert body["from_summary"] is False and body["as_of"] is None and body["total"]["kwh"] == "3420.00"


def test_management_command_and_nightly_job(world):
    MonthlySales.objects.all().delete()
    call_command("refresh_analytics", "--month", "2026-01", "--month", "2026-02", stdout=(out := _Out()))
    assert "'rows': 6" in out.text and set(MonthlySales.objects.values_list("period", flat=True)) == {
        date(2026, 1, 1), date(2026, 2, 1)}
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("refresh_analytics", "--month", "2026/01")
    assert "analytics_monthly_sales" in jobs.JOBS
    result = jobs.run_job("analytics_monthly_sales", date(2026, 4, 1))
    assert result["monthly_sales"]["rows"] == 13
    # (due month, station): 2025-02 s1 and s3, 2025-03 s3, 2026-01 s1, 2026-02 s1 and s3,
    # 2026-03 s1 and s3, 2026-04 s1 (bills are due on the 20th of the month after their period)
    assert result["monthly_collection"]["rows"] == 9


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass
