"""Opportunities (SFA): stage and probability, next step in the work queue, bad input refused."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from powerkam.core.models import Task
from powerkam.pipeline import services
from powerkam.pipeline.models import Opportunity
from powerkam.pipeline.selectors import visible_opportunities

from .conftest import competitor, kind, stage

pytestmark = pytest.mark.django_db
TODAY = date(2026, 9, 1)


def opp_fields(people, **changes):
    fields = {"title": "屋顶光伏 2 MW", "prospect_name": "新区物流园", "kind": kind("pv_storage"),
              "stage": stage("lead"), "expected_kva": Decimal("2000"), "expected_annual_kwh": Decimal("2200000"),
              "expected_annual_revenue_yuan": Decimal("800000"), "close_on": date(2026, 12, 15), "owner": people["m1"]}
    fields.update(changes)
    return fields


def test_probability_follows_the_stage_and_the_next_step_is_a_task(people):
    opp = services.save_opportunity(actor=people["m1"], today=TODAY, competitors=[competitor()],
                                    next_step="上门踏勘", next_step_on=date(2026, 9, 8), **opp_fields(people))
    assert opp.probability == 10 and opp.org_unit == people["m1"].org_unit
    task = Task.objects.get(key__startswith=f"pipeline:opp:{opp.pk}:next:")
    assert task.assignee == people["m1"] and task.is_open
    services.move_stage(opp, stage("proposal"), actor=people["m1"], today=TODAY)
    assert opp.probability == 50 and opp.weighted_revenue_yuan == Decimal("400000.00")
    services.save_opportunity(actor=people["m1"], opportunity=opp, today=TODAY, next_step="提交方案",
                              next_step_on=date(2026, 9, 15))
    keys = dict(Task.objects.filter(key__startswith=f"pipeline:opp:{opp.pk}:next:").values_list("key", "status"))
    assert sorted(keys.values()) == ["cancelled", "open"]


@pytest.mark.parametrize("changes, field", [
    ({"probability": 120}, "probability"),
    ({"close_on": date(2026, 8, 31)}, "close_on"),
    ({"prospect_name": ""}, "prospect_name"),
    ({"expected_kva": Decimal("-5")}, "expected_kva"),
    ({"stage": "lost"}, "loss_reason"),
])
def test_bad_opportunities_are_refused_field_by_field(people, changes, field):
    if changes.get("stage") == "lost":
        changes["stage"] = stage("lost")
    with pytest.raises(ValidationError) as exc:
        services.save_opportunity(actor=people["m1"], today=TODAY, **opp_fields(people, **changes))
    assert field in exc.value.message_dict
    assert Opportunity.objects.count() == 0 and not Task.objects.exists()


def test_lost_needs_a_reason_and_keeps_the_cycle(people):
    opp = services.save_opportunity(actor=people["m1"], today=TODAY, **opp_fields(people))
    with pytest.raises(ValidationError):
        services.move_stage(opp, stage("lost"), actor=people["m1"], today=date(2026, 9, 11))
    opp.refresh_from_db()
    services.move_stage(opp, stage("lost"), actor=people["m1"], loss_reason="competitor", today=date(2026, 9, 11))
    opp.refresh_from_db()
    assert opp.probability == 0 and opp.cycle_days == 10 and opp.closed_on == date(2026, 9, 11)


def test_the_owner_and_the_unit_see_it_others_do_not(people):
    opp = services.save_opportunity(actor=people["m1"], today=TODAY, **opp_fields(people))
    assert visible_opportunities(people["m1"]).filter(pk=opp.pk).exists()
    assert visible_opportunities(people["sup"]).filter(pk=opp.pk).exists()
    assert not visible_opportunities(people["m2"]).filter(pk=opp.pk).exists()
    assert not visible_opportunities(people["south"]).filter(pk=opp.pk).exists()
