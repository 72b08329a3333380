"""The customer load page (issue #14 item 3): curves, week overlay, TOU shares, demand, factors,
monthly metered vs billed, the year heatmap (JSON) — through the scope, in a constant number of
queries, in both languages — and the 360 tab."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from powerkam.consumption import partitions
from powerkam.consumption.models import IntervalReading
from tests.factories import CustomerFactory

from .analysis_data import put_daily, regular_series

DAY = date(2025, 6, 18)


def put_curve(customer, day, metering_point_id=1, kw=100.0):
    partitions.ensure_partitions(day, day)  # PostgreSQL: the month's partition (past months are not made ahead)
    IntervalReading.objects.bulk_create([
        IntervalReading(customer=customer, day=day, metering_point_id=metering_point_id, slot=s,
                        kw=kw + s) for s in range(1, 97)])


@pytest.fixture
def loaded(db, make_staff):
    manager = make_staff("manager")
    cu = CustomerFactory(org_unit=manager.org_unit, primary_manager=manager, name="负荷客户")
    start = date(2025, 1, 1)
    put_daily(cu, start, regular_series(start, 200))
    for d in (DAY, DAY - timedelta(days=1), DAY - timedelta(days=7)):
        put_curve(cu, d)
    return manager, cu


def test_load_page_shows_every_chart(loaded, login):
    manager, cu = loaded
    response = login(manager).get(reverse("consumption_analysis:load", args=[cu.pk]) + f"?day={DAY}")
    assert response.status_code == 200
    html = response.content.decode()
    for chart in ("chart-day", "chart-week", "chart-tou", "chart-demand", "chart-factors", "chart-monthly", "load-heatmap"):
        assert f'id="{chart}"' in html
    day_chart = response.context["charts"][0]["options"]
    assert day_chart["series"][0]["data"][0] == 101.0  # 00:15 of the day
    assert day_chart["series"][1]["data"][95] == 196.0  # the same day last week
    assert day_chart["series"][2]["data"][0] is None  # no curve a year ago
    assert response.context["summary"]["days"] == 200


def test_heatmap_reads_one_customer_year(loaded, login):
    manager, cu = loaded
    data = login(manager).get(reverse("consumption_analysis:load_heatmap", args=[cu.pk]) + "?year=2025").json()
    assert len(data["days"]) == 365 and len(data["slots"]) == 96 and data["points"] == 3 * 96
    row = data["days"].index(DAY.isoformat())
    assert data["values"][row][0] == 101.0 and data["max"] == 196.0


def test_load_page_query_count_is_constant(loaded, login, django_assert_num_queries):
    manager, cu = loaded
    client = login(manager)
    url = reverse("consumption_analysis:load", args=[cu.pk]) + f"?day={DAY}"
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get(url)
    put_daily(cu, date(2025, 7, 20), regular_series(date(2025, 7, 20), 100, seed=9))
    put_curve(cu, DAY - timedelta(days=2))
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


def test_other_managers_customer_is_404(loaded, login, make_staff):
    _, cu = loaded
    other = make_staff("manager")
    client = login(other)
    assert client.get(reverse("consumption_analysis:load", args=[cu.pk])).status_code == 404
    assert client.get(reverse("consumption_analysis:load_heatmap", args=[cu.pk])).status_code == 404
    assert client.get(reverse("consumption_analysis:customer_tab", args=[cu.pk])).status_code == 404


def test_bad_day_falls_back_with_a_message(loaded, login):
    manager, cu = loaded
    response = login(manager).get(reverse("consumption_analysis:load", args=[cu.pk]) + "?day=2025-13-01")
    assert response.status_code == 200 and response.context["bad_day"]


@pytest.mark.parametrize("lang, text", [("zh-hans", "负荷"), ("en", "Load of")])
def test_both_languages(loaded, login, lang, text):
    manager, cu = loaded
    client = login(manager)
    response = client.get(reverse("consumption_analysis:load", args=[cu.pk]), HTTP_ACCEPT_LANGUAGE=lang)
    assert text in response.content.decode()


def test_360_tab(loaded, login):
    manager, cu = loaded
    response = login(manager).get(reverse("consumption_analysis:customer_tab", args=[cu.pk]))
    assert response.status_code == 200
    assert reverse("consumption_analysis:load", args=[cu.pk]) in response.content.decode()
