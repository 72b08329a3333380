"""Forecast sums for a small known set: weighted pipeline by close month and unit, capacity by
month from government projects and opportunities together, win rate and cycle."""

from datetime import date
from decimal import Decimal

import pytest

from powerkam.pipeline import selectors, services

from .conftest import approved_fields, competitor, kind, stage

pytestmark = pytest.mark.django_db
TODAY = date(2026, 9, 1)


@pytest.fixture
def known(org_tree, people):
    def opp(owner, st, close_on, revenue, kva, **kw):
        return services.save_opportunity(actor=owner, today=TODAY, title=f"机会{revenue}", prospect_name="客户",
                                         kind=kind(kw.pop("k", "pv_storage")), stage=stage(st), close_on=close_on,
                                         expected_annual_revenue_yuan=Decimal(revenue), expected_kva=Decimal(kva),
                                         owner=owner, **kw)
    opp(people["m1"], "lead", date(2026, 10, 5), "100000", "500")                # 10 % → 10,000
    opp(people["m1"], "proposal", date(2026, 10, 20), "200000", "800")           # 50 % → 100,000
    opp(people["spec"], "negotiation", date(2026, 11, 3), "400000", "1000")      # 75 % → 300,000 (unit s2)
    won = opp(people["m2"], "qualified", date(2026, 10, 9), "999999", "0", k="energy_audit")
    services.move_stage(won, stage("won"), actor=people["m2"], today=date(2026, 9, 21))
    lost = opp(people["m2"], "qualified", date(2026, 10, 9), "50000", "0", k="energy_audit",
               competitors=[competitor()])
    services.move_stage(lost, stage("lost"), actor=people["m2"], loss_reason="price", today=date(2026, 9, 11))
    services.save_project(actor=people["m1"], today=TODAY, **approved_fields(
        org_tree, people, expected_energisation_on=date(2026, 10, 30), expected_capacity_kva=Decimal("16000")))


def test_sums_by_month_and_unit(known, org_tree, people):
    user = people["admin"]
    data = selectors.forecast(selectors.visible_opportunities(user), selectors.visible_projects(user))
    months = {r["month"]: (r["n"], r["weighted"]) for r in data["by_month"]}
    assert months == {"2026-10": (2, Decimal("110000")), "2026-11": (1, Decimal("300000"))}
    units = {r["org_unit__name"]: r["weighted"] for r in data["by_unit"]}
    assert units == {"城北一所": Decimal("110000"), "城北二所": Decimal("300000")}
    capacity = {r["month"]: (r["opp_kva"], r["gp_kva"], r["kva"]) for r in data["capacity"]}
    assert capacity["2026-10"] == (Decimal("1300"), Decimal("16000"), Decimal("17300"))
    audit = next(r for r in data["win_kind"] if r["kind__name"] == "能效诊断")
    assert (audit["closed"], audit["won"], audit["win_rate"], audit["cycle"]) == (2, 1, 50.0, 20.0)
    assert [(r["reason"], r["n"]) for r in data["lost_reasons"]] == [("price", 1)]
    assert [(r["competitor__name"], r["lost"]) for r in data["competitors"]] == [("增量配电网公司", 1)]


def test_a_manager_forecasts_only_their_own(known, people):
    user = people["m1"]
    data = selectors.forecast(selectors.visible_opportunities(user), selectors.visible_projects(user))
    assert data["totals"]["weighted"] == Decimal("110000")
