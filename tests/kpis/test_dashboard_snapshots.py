"""Last year's figure for the dashboard's states (issue #15 item 7): key accounts, churn risk,
weighted pipeline, new capacity expected and arrears are kept per org unit and month by the nightly
snapshot; the dashboard reads last year's figure from it, says plainly when none was kept (never a
0), and key-account counts of past months are recomputed from the audit trail only where it reaches."""

from datetime import date, datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from powerkam.consumption.models import UsageAnomaly
from powerkam.customers.models import Customer
from powerkam.kpis import selectors, snapshots
from powerkam.kpis.models import DashboardSnapshot
from powerkam.pipeline.models import Opportunity, OpportunityKind, OpportunityStage
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory

OCT = date(2026, 10, 1)
OCT_LY = date(2025, 10, 1)
FIVE = ["key_accounts", "churn_risk", "pipeline", "new_capacity", "arrears"]


def _opp(n, unit, owner, prob, revenue, kva, close_on, stage="negotiation"):
    return Opportunity.objects.create(
        number=f"OPP{n}", title=f"opp {n}", prospect_name="p", kind=OpportunityKind.objects.get(code="charging"),
        stage=OpportunityStage.objects.get(code=stage), probability=prob, expected_annual_revenue_yuan=D(revenue),
        expected_kva=D(kva), close_on=close_on, owner=owner, org_unit=unit)


@pytest.fixture
def world(org_tree, make_staff):
    """Last October as it stood: north 2 key accounts (one at churn risk), 6,000 yuan weighted
    pipeline, 400 kVA expected in the month, 1,000.00 yuan owed; south 1 key account."""
    m = make_staff("manager", org_tree["s1"], username="m1")
    s = make_staff("manager", org_tree["s3"], username="m3")
    k1 = CustomerFactory(number="K1", org_unit=org_tree["s1"], primary_manager=m, is_key_account=True,
                         ka_tier="general")
    CustomerFactory(number="K2", org_unit=org_tree["s2"], primary_manager=m, is_key_account=True, ka_tier="medium")
    CustomerFactory(number="K3", org_unit=org_tree["s3"], primary_manager=s, is_key_account=True, ka_tier="general")
    CustomerFactory(number="N1", org_unit=org_tree["s1"], primary_manager=m)  # not a key account
    day = date(2025, 10, 31)
    UsageAnomaly.objects.create(customer=k1, kind="drop", started_on=day, detected_on=day, checked_on=day,
                                last_kwh=D("10"), expected_kwh=D("100"))
    _opp(1, org_tree["s1"], m, 50, "10000", "400", date(2025, 10, 20))   # 5,000 weighted, 400 kVA in Oct
    _opp(2, org_tree["s1"], m, 20, "5000", "300", date(2025, 12, 1))     # 1,000 weighted
    make_bill(k1, date(2025, 8, 1), 1000, energy="870.00", surcharges="30.00")  # 1,000.00 owed
    return {"m": m, "s": s, "k1": k1}


def test_the_snapshot_keeps_each_unit_and_is_idempotent(world, org_tree):
    assert snapshots.take_snapshot(date(2025, 10, 31)) == {"month": "2025-10", "units": 3}
    rows = {r.org_unit_id: r for r in DashboardSnapshot.objects.filter(month=OCT_LY)}
    s1 = rows[org_tree["s1"].pk]
    assert (s1.key_accounts, s1.churn_risk, s1.pipeline_yuan, s1.new_capacity_kva, s1.arrears_yuan) == (
        1, 1, D("6000.00"), D("400.00"), D("1000.00"))
    assert rows[org_tree["s2"].pk].key_accounts == 1 and rows[org_tree["s3"].pk].key_accounts == 1
    assert s1.taken_on == date(2025, 10, 31) and s1.source == "job"
    # the next night of the same month rewrites the month's rows: the last run is the month's end
    CustomerFactory(number="K4", org_unit=org_tree["s1"], is_key_account=True, ka_tier="general")
    snapshots.take_snapshot(date(2025, 10, 31))
    snapshots.take_snapshot(date(2025, 10, 31))
    assert DashboardSnapshot.objects.filter(month=OCT_LY).count() == 3
    assert DashboardSnapshot.objects.get(month=OCT_LY, org_unit=org_tree["s1"]).key_accounts == 2


def test_the_nightly_job_closes_the_month_before(world):
    assert snapshots.snapshot_job(date(2025, 11, 1))["month"] == "2025-10"  # the 02:00 run of the 1st
    assert snapshots.snapshot_job(date(2025, 11, 2))["month"] == "2025-11"
    assert set(DashboardSnapshot.objects.values_list("month", flat=True)) == {OCT_LY, date(2025, 11, 1)}


def test_last_year_read_from_the_snapshot(world, org_tree, make_staff):
    snapshots.take_snapshot(date(2025, 10, 31))
    # a year later: K1 is no longer a key account, the churn anomaly is explained, the pipeline is gone
    Customer.objects.filter(pk=world["k1"].pk).update(is_key_account=False, ka_tier="")
    UsageAnomaly.objects.all().delete()
    Opportunity.objects.all().delete()
    boss = make_staff("executive", org_tree["company"])
    data = selectors.dashboard(boss, OCT)
    w = data["whole"]
    assert w["key_accounts"]["last_year"] == 3 and w["key_accounts"]["value"] == 2
    assert w["churn_risk"]["last_year"] == 1 and w["churn_risk"]["value"] == 0
    assert w["pipeline"]["last_year"] == D("6000.00") and w["pipeline"]["value"] == D("0.00")
    assert w["new_capacity"]["last_year"] == D("400.00")
    assert w["arrears"]["last_year"] == D("1000.00")
    assert data["not_kept"] == [] and data["kept_from"] == OCT_LY
    units = {u["unit"].code: u["figures"] for u in data["units"]}
    assert units["R1"]["key_accounts"]["last_year"] == 2 and units["R2"]["key_accounts"]["last_year"] == 1
    assert units["R2"]["churn_risk"]["last_year"] == 0  # kept for the month: a true 0, not "not kept"
    # the south supervisor reads only the south's kept figures; a manager has no portfolio snapshot
    south = selectors.dashboard(make_staff("supervisor", org_tree["south"]), OCT)["whole"]
    assert south["key_accounts"]["last_year"] == 1 and south["pipeline"]["last_year"] == D("0.00")
    mine = selectors.dashboard(world["m"], OCT)
    assert mine["whole"]["key_accounts"]["last_year"] is None and mine["per_unit_only"]


def test_no_figure_kept_is_said_never_a_zero(world, org_tree, make_staff, login):
    boss = make_staff("executive", org_tree["company"])
    data = selectors.dashboard(boss, OCT)
    for figure in FIVE:
        assert data["whole"][figure]["last_year"] is None
    assert data["not_kept"] == FIVE and data["kept_from"] is None
    page = login(boss).get("/kpis/?month=2026-10").content.decode()
    assert page.count("no figure kept for 2025-10") == 5 * (1 + len(data["units"]))
    assert "No month-end figure kept yet" in page
    api = login(boss).get("/api/v1/dashboard/?month=2026-10").json()
    assert api["whole"]["key_accounts"]["last_year"] is None and api["not_kept"] == FIVE


def test_a_finished_month_shows_the_state_kept_at_its_end(world, org_tree, make_staff):
    snapshots.take_snapshot(date(2026, 10, 31))
    CustomerFactory(number="K9", org_unit=org_tree["s3"], is_key_account=True, ka_tier="general")  # in November
    boss = make_staff("executive", org_tree["company"])
    data = selectors.dashboard(boss, OCT)
    assert data["whole"]["key_accounts"]["value"] == 3  # October's end, not today's 4
    assert "key_accounts" not in data["as_of_today"]
    assert selectors.dashboard(boss, date(2026, 9, 1))["as_of_today"] == FIVE  # nothing kept for September


def test_backfill_from_the_audit_trail_only_where_it_reaches(world, org_tree, make_staff):
    # the trail: K1, K2, K3 recorded on 2025-09-10; K1 stopped being a key account on 2026-02-01
    hist = Customer.history.model.objects
    hist.update(history_date=timezone.make_aware(datetime(2025, 9, 10, 9)))
    k1 = Customer.objects.get(number="K1")
    k1.is_key_account, k1.ka_tier = False, ""
    k1.save()
    hist.filter(id=k1.pk, is_key_account=False).update(history_date=timezone.make_aware(datetime(2026, 2, 1, 9)))
    assert not snapshots.history_covers(date(2025, 9, 1)) and snapshots.history_covers(date(2025, 10, 1))
    done = snapshots.backfill_from_history(date(2026, 11, 15), months=14)["months"]
    assert done[0] == "2025-10" and "2025-09" not in done and done[-1] == "2026-10"
    by_month = {}
    for r in DashboardSnapshot.objects.all():
        by_month[r.month] = by_month.get(r.month, 0) + r.key_accounts
        assert r.source == "history" and r.churn_risk is None and r.pipeline_yuan is None
    assert by_month[OCT_LY] == 3 and by_month[date(2026, 1, 1)] == 3 and by_month[date(2026, 2, 1)] == 2
    assert snapshots.backfill_from_history(date(2026, 11, 15), months=14)["months"] == []  # idempotent
    data = selectors.dashboard(make_staff("executive", org_tree["company"]), OCT)
    assert data["whole"]["key_accounts"]["last_year"] == 3
    assert data["not_kept"] == ["churn_risk", "pipeline", "new_capacity", "arrears"]


def test_backfill_finds_nothing_when_the_trail_starts_now(world):
    assert snapshots.backfill_from_history(date(2026, 11, 15))["months"] == []
    assert not DashboardSnapshot.objects.exists()


def test_query_count_does_not_grow_with_the_snapshots(world, org_tree, make_staff):
    boss = make_staff("executive", org_tree["company"])
    snapshots.take_snapshot(date(2025, 10, 31))
    with CaptureQueriesContext(connection) as first:
        selectors.dashboard(boss, OCT)
    for n in range(5):
        CustomerFactory(number=f"X{n}", org_unit=org_tree["s2"], is_key_account=True, ka_tier="general")
    snapshots.take_snapshot(date(2025, 10, 31))
    snapshots.take_snapshot(date(2026, 10, 31))
    with CaptureQueriesContext(connection) as second:
        selectors.dashboard(boss, OCT)
    assert len(first) == len(second)


def test_the_snapshot_keeps_the_weighted_pipeline_to_the_fen(world, org_tree):
    """33 % × 10,050 = 3,316.50 and 1 % × 1 = 0.01: exact on both databases."""
    _opp(3, org_tree["s1"], world["m"], 33, "10050", "0", date(2025, 11, 2))
    _opp(4, org_tree["s1"], world["m"], 1, "1", "0", date(2025, 11, 2))
    snapshots.take_snapshot(date(2025, 10, 31))
    s1 = DashboardSnapshot.objects.get(month=OCT_LY, org_unit=org_tree["s1"])
    assert s1.pipeline_yuan == D("9316.51")
