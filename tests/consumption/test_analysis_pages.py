"""The anomaly list and detail (reason form), churn risk, forecasts and consumption analysis
pages (issue #14 items 5, 6, 7): scope, worked figures, exports, bad input, query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.template.defaultfilters import floatformat
from django.urls import reverse

from powerkam.consumption import anomalies, forecasting
from powerkam.consumption.models import AnomalyReason, DailyAggregate, UsageAnomaly
from powerkam.core.models import Task
from tests.billing.factories import BillFactory
from tests.factories import CustomerFactory

from .analysis_data import put_daily, regular_series

TODAY = date(2025, 6, 21)
START = TODAY - timedelta(days=200)


@pytest.fixture
def world(db, make_staff, org_tree):
    """Two managers in two stations; each has one falling key account; supervisor of the north."""
    m1 = make_staff("manager", org_unit=org_tree["s1"])
    m2 = make_staff("manager", org_unit=org_tree["s3"])
    sup = make_staff("supervisor", org_unit=org_tree["north"])
    out = {"m1": m1, "m2": m2, "sup": sup, "tree": org_tree}
    for key, manager, unit, industry in (("c1", m1, "s1", "C"), ("c2", m2, "s3", "F")):
        cu = CustomerFactory(org_unit=org_tree[unit], primary_manager=manager, is_key_account=True, industry=industry,
                             name=f"客户{key}")
        values = regular_series(START, 200, seed=len(key) + ord(key[1]))
        values[-12:] *= 0.5
        put_daily(cu, START, values)
        out[key] = cu
    anomalies.run_watch(TODAY)
    return out


def test_anomaly_list_is_scoped(world, login):
    response = login(world["m1"]).get(reverse("consumption_analysis:anomalies"))
    rows = list(response.context["page"].object_list)
    assert [a.customer for a in rows] == [world["c1"]]
    assert login(world["m1"]).get(reverse("consumption_analysis:anomaly", args=[
        UsageAnomaly.objects.get(customer=world["c2"]).pk])).status_code == 404


def test_anomaly_list_export(world, login):
    response = login(world["sup"]).get(reverse("consumption_analysis:anomalies") + "?export=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert world["c1"].name in body and world["c2"].name not in body


def test_manager_records_a_reason(world, login):
    anomaly = UsageAnomaly.objects.get(customer=world["c1"])
    url = reverse("consumption_analysis:anomaly", args=[anomaly.pk])
    client = login(world["m1"])
    bad = client.post(url, {"reason": "", "note": ""})
    assert bad.status_code == 400 and "reason" in bad.context["form"].errors
    other = AnomalyReason.objects.get(code="other")
    missing_note = client.post(url, {"reason": other.pk, "note": " "})
    assert missing_note.status_code == 400 and "note" in missing_note.context["form"].errors
    anomaly.refresh_from_db()
    assert anomaly.status == "open"
    relocation = AnomalyReason.objects.get(code="relocation")
    ok = client.post(url, {"reason": relocation.pk, "note": "迁往开发区"})
    assert ok.status_code == 302
    anomaly.refresh_from_db()
    assert anomaly.status == "explained" and anomaly.reason == relocation
    assert anomaly.task.status == Task.Status.DONE and anomaly.history.first().history_user == world["m1"]


def test_churn_risk_by_unit_and_manager(world, login):
    anomaly = UsageAnomaly.objects.get(customer=world["c2"])
    anomalies.record_reason(anomaly, reason=AnomalyReason.objects.get(code="production_cut"), by=world["m2"])
    response = login(world["sup"]).get(reverse("consumption_analysis:churn"))
    data = response.context["data"]
    assert [r["customer__org_unit__name"] for r in data["by_unit"]] == [world["tree"]["s1"].name]
    assert len(data["by_manager"]) == 1
    m2 = login(world["m2"])
    assert list(m2.get(reverse("consumption_analysis:churn")).context["page"].object_list) == []  # explained, not churn


def test_forecast_page_shows_backtest(world, login):
    forecasting.run_forecasts(TODAY)
    response = login(world["m1"]).get(reverse("consumption_analysis:forecasts"))
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [f.customer for f in rows] == [world["c1"]]
    assert response.context["summary"]["daily"] is not None
    summary = response.context["summary"]
    assert summary["daily_used"] == pytest.approx(min(rows[0].daily_mape, rows[0].daily_naive_mape))
    assert summary["daily_naive_used"] == (1 if rows[0].daily_naive_used else 0)
    chosen = login(world["m1"]).get(reverse("consumption_analysis:forecasts") + f"?customer={world['c1'].pk}")
    assert chosen.context["subject"] == world["c1"]
    used = chosen.content.decode().split('id="forecast-used">', 1)[1].split("</p>", 1)[0]
    assert rows[0].method_label in used  # which forecast is given, and both backtest figures
    assert floatformat(rows[0].daily_mape, 1) in used and floatformat(rows[0].daily_naive_mape, 1) in used
    assert login(world["m1"]).get(reverse("consumption_analysis:forecasts") + f"?customer={world['c2'].pk}").status_code == 404


def test_consumption_analysis_figures(world, login):
    BillFactory(customer=world["c1"], period=date(2025, 5, 1), kwh=Decimal("150000"))
    response = login(world["sup"]).get(reverse("consumption_analysis:analysis") + "?from_month=2025-05&to_month=2025-05")
    assert response.status_code == 200
    ctx = response.context
    may = ctx["supply"]["months"][0]
    assert may["label"] == "2025-05" and may["billed_kwh"] == Decimal("150000")
    metered = DailyAggregate.objects.filter(customer=world["c1"], day__month=5).aggregate(s=Sum("kwh_total"))["s"]
    assert may["metered_kwh"] == metered
    assert ctx["share"]["metered_share"] == 100  # the supervisor sees one key account
    assert [r["value"] for r in ctx["categories"]["industry"]] == ["C"]


def test_analysis_drill_down_and_bad_input(world, login):
    tree = world["tree"]
    client = login(world["sup"])
    top = client.get(reverse("consumption_analysis:analysis") + "?from_month=2025-05&to_month=2025-05")
    assert [r["label"] for r in top.context["supply"]["units"]] == [tree["company"].name]
    down = client.get(reverse("consumption_analysis:analysis") + f"?from_month=2025-05&to_month=2025-05&org_unit={tree['north'].pk}")
    assert [r["label"] for r in down.context["supply"]["units"]] == [tree["s1"].name]
    bad = client.get(reverse("consumption_analysis:analysis") + "?from_month=2025-13")
    assert bad.status_code == 400 and "from_month" in bad.context["form"].errors
    outside = client.get(reverse("consumption_analysis:analysis") + f"?org_unit={tree['south'].pk}")
    assert outside.status_code == 400 and "org_unit" in outside.context["form"].errors
    export = client.get(reverse("consumption_analysis:analysis") + "?from_month=2025-05&to_month=2025-05&export=csv&table=industry")
    assert "C" in b"".join(export.streaming_content).decode("utf-8-sig")


@pytest.mark.parametrize("name", ["anomalies", "churn", "forecasts", "analysis"])
def test_page_query_counts_do_not_grow(world, login, name, make_staff, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    forecasting.run_forecasts(TODAY)
    client = login(world["sup"])
    url = reverse(f"consumption_analysis:{name}")
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    for i in range(3):
        cu = CustomerFactory(org_unit=world["tree"]["s2"], primary_manager=world["m1"], is_key_account=True)
        values = regular_series(START, 200, seed=40 + i)
        values[-12:] *= 0.4
        put_daily(cu, START, values)
    anomalies.run_watch(TODAY + timedelta(days=1))
    forecasting.run_forecasts(TODAY)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(url)


@pytest.mark.parametrize("name", ["anomalies", "churn", "forecasts", "analysis"])
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_pages_in_both_languages(world, login, name, lang):
    response = login(world["sup"]).get(reverse(f"consumption_analysis:{name}"), HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
