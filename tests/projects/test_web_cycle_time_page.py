"""The cycle-time analysis page (issue #12 item 8; seed 003-篇11 "61 → 38 days"): per stage, unit,
voltage, type and month — count, mean / median / P90 working days, grid vs customer side, share
within commitment, the 12-month trend — drill-down links, exports, scope, constant queries."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from powerkam.projects import constants as c

from .web_helpers import accepted, finished_stage, mark_energised

pytestmark = pytest.mark.django_db
URL = "/projects/analysis/"
PERIOD = {"date_from": "2026-01-01", "date_to": "2026-06-30"}


@pytest.fixture
def energised(people, org_tree):
    """January: one project of 61 grid days (over its 22-day commitment); June: two of 38 and 20."""
    a = mark_energised(accepted(people, org_tree, date(2025, 10, 8)), date(2026, 1, 20), grid=61, customer=30)
    b = mark_energised(accepted(people, org_tree, date(2026, 4, 1), voltage_level="0.4kV",
                                requested_capacity_kva="100"), date(2026, 6, 10), grid=38, customer=10, commitment=6)
    g = mark_energised(accepted(people, org_tree, date(2026, 5, 6), green_channel=True), date(2026, 6, 12),
                       grid=20, customer=4, commitment=11)
    finished_stage(a, c.Stage.PLAN_REPLY, date(2026, 1, 5), date(2026, 1, 9), grid=4, limit=15)
    finished_stage(b, c.Stage.PLAN_REPLY, date(2026, 5, 5), date(2026, 5, 29), grid=18, limit=15)
    finished_stage(g, c.Stage.CONSTRUCTION, date(2026, 5, 10), date(2026, 6, 1), grid=0, customer=15, limit=None)
    return {"a": a, "b": b, "g": g}


def test_report_worked_example(login, people, energised):
    response = login(people["region_sup"]).get(URL, PERIOD)
    assert response.status_code == 200
    r = response.context["result"]
    # Whole projects: 61, 38, 20 grid-side days → mean 39.7, median 38, P90 61; one of three
    # within its commitment (20 ≤ 11? no; 38 ≤ 6? no; 61 ≤ 22? no) → 0 %.
    assert (r["totals"]["count"], r["totals"]["mean"], r["totals"]["median"], r["totals"]["p90"]) == (
        3, Decimal("39.7"), Decimal("38"), Decimal("61"))
    assert r["totals"]["within_pct"] == Decimal("0.0")
    assert r["totals"]["customer_mean"] == Decimal("14.7")
    months = {row["key"]: row for row in r["by_month"]}
    assert len(r["by_month"]) == 12 and r["by_month"][-1]["key"] == date(2026, 6, 1)
    assert months[date(2026, 1, 1)]["mean"] == Decimal("61.0")
    assert months[date(2026, 6, 1)]["count"] == 2 and months[date(2026, 6, 1)]["mean"] == Decimal("29.0")
    voltages = {row["key"]: row for row in r["by_voltage"]}
    assert voltages["0.4kV"]["count"] == 1 and voltages["10kV"]["count"] == 2
    assert [row["count"] for row in r["by_unit"]] == [3]
    stages = {row["key"]: row for row in r["by_stage"]}
    assert stages["plan_reply"]["count"] == 2 and stages["plan_reply"]["within_pct"] == Decimal("50.0")
    assert stages["plan_reply"]["median"] == Decimal("11.0") and stages["plan_reply"]["commitment"] == 15
    assert stages["construction"]["customer_mean"] == Decimal("15.0") and stages["construction"]["within_pct"] is None
    html = response.content.decode()
    assert 'id="chart-trend"' in html and "cycle-time.js" in html and "echarts.min.js" in html


def test_filters_and_green_channel(login, people, energised):
    client = login(people["region_sup"])
    assert client.get(URL, {**PERIOD, "green": "1"}).context["result"]["totals"]["count"] == 1
    assert client.get(URL, {**PERIOD, "voltage_level": "0.4kV"}).context["result"]["totals"]["count"] == 1
    assert client.get(URL, {**PERIOD, "application_type": "increase"}).context["result"]["totals"]["count"] == 0
    bad = client.get(URL, {"date_from": "2026-06-30", "date_to": "2026-01-01"})
    assert bad.status_code == 200 and bad.context["form"].errors.get("date_to")


def test_drill_down_lists_exactly_the_counted_projects(login, people, energised):
    client = login(people["region_sup"])
    r = client.get(URL, PERIOD).context["result"]
    june = next(row for row in r["by_month"] if row["key"] == date(2026, 6, 1))
    listed = client.get(june["drill"]).context["page"].object_list
    assert {p.pk for p in listed} == {energised["b"].pk, energised["g"].pk}
    stage = next(row for row in r["by_stage"] if row["key"] == "plan_reply")
    assert {p.pk for p in client.get(stage["drill"]).context["page"].object_list} == {
        energised["a"].pk, energised["b"].pk}


def test_exports_every_table_in_csv_and_xlsx(login, people, energised):
    client = login(people["region_sup"])
    response = client.get(URL, {**PERIOD, "export": "csv", "table": "month"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 13 and rows[-1][0] == "2026-06" and rows[-1][1] == "2"
    for table in ("stage", "unit", "voltage", "type"):
        assert client.get(URL, {**PERIOD, "export": "xlsx", "table": table}).status_code == 200
    assert client.get(URL, {**PERIOD, "export": "csv", "table": "nope"}).status_code == 404


def test_scope_another_region_sees_nothing(login, people, energised, make_staff, org_tree):
    south = make_staff("supervisor", org_tree["south"])
    assert login(south).get(URL, PERIOD).context["result"]["totals"]["count"] == 0
    assert login(people["executive"]).get(URL, PERIOD).context["result"]["totals"]["count"] == 3


def test_report_runs_a_constant_number_of_queries(login, people, org_tree, energised, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(people["region_sup"])
    client.get(URL, PERIOD)
    with CaptureQueriesContext(connection) as ctx:
        client.get(URL, PERIOD)
    count = len(ctx.captured_queries)
    for i in range(8):
        p = mark_energised(accepted(people, org_tree, date(2026, 2, 2), applicant_name=f"新厂{i}"),
                           date(2026, 3, 1 + i), grid=10 + i, customer=i)
        finished_stage(p, c.Stage.SURVEY, date(2026, 2, 3), date(2026, 2, 5), grid=2)
    with django_assert_num_queries(count):
        assert client.get(URL, PERIOD).status_code == 200
