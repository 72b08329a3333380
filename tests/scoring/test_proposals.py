"""Tier proposals: approval changes the tier and the visit plan follows; rejection changes nothing;
potential key accounts found for a growing customer and not for a shrinking one."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from powerkam.core.models import Task
from powerkam.scoring import constants as c
from powerkam.scoring import selectors, services
from powerkam.scoring.models import TierProposal
from powerkam.service.visits.models import Visit
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory

RUN = date(2026, 11, 1)
TODAY = date(2026, 11, 2)


def kwh_model():
    return services.save_model(name="kwh", cutoffs={"key_account_cutoff": "50", "medium_cutoff": "70",
                                                    "premium_cutoff": "90"},
                               criteria=[{"code": "kwh", "weight": "1", "normalisation": "percentile"}])


@pytest.fixture
def world(org_tree, make_staff):
    mgr = make_staff("manager", org_tree["s1"], username="mgr")
    sup = make_staff("supervisor", org_tree["north"], username="sup")
    # kWh 1,000 / 2,000 / 3,000 → 0 / 50 / 100 points
    small = CustomerFactory(number="S", org_unit=org_tree["s1"], primary_manager=mgr, is_key_account=True,
                            ka_tier="medium")
    mid = CustomerFactory(number="M", org_unit=org_tree["s1"], primary_manager=mgr)
    big = CustomerFactory(number="B", org_unit=org_tree["s1"], primary_manager=mgr, is_key_account=True,
                          ka_tier="general")
    for cu, kwh in ((small, 1000), (mid, 2000), (big, 3000)):
        make_bill(cu, date(2026, 6, 1), kwh)
    model = kwh_model()
    services.publish_model(model)
    run = services.run_scoring(model, RUN)
    return {"mgr": mgr, "sup": sup, "small": small, "mid": mid, "big": big, "run": run}


def proposal(customer):
    return TierProposal.objects.get(customer=customer, status=c.ProposalStatus.PENDING)


def test_the_run_proposes_three_changes(world):
    kinds = {p.customer_id: (p.kind, p.from_tier, p.to_tier) for p in TierProposal.objects.all()}
    assert kinds == {world["small"].pk: ("removed", "medium", ""), world["mid"].pk: ("new", "", "general"),
                     world["big"].pk: ("up", "general", "premium")}


def test_approval_changes_tier_and_the_visit_plan_follows(world):
    big, mid = world["big"], world["mid"]
    services.approve_proposal(proposal(mid), actor=world["sup"], reason="grew", today=TODAY)
    mid.refresh_from_db()
    assert mid.is_key_account and mid.ka_tier == "general"
    visit = Visit.objects.get(customer=mid, status="planned", source="cycle")
    assert visit.assignee == world["mgr"]
    assert Task.objects.get(key=visit.task_key).status == "open"
    # big: a general key account with a planned quarterly visit becomes premium (every 6 months)
    from powerkam.service.visits.services import generate_plans

    generate_plans(TODAY, customer_ids=[big.pk])
    old = Visit.objects.get(customer=big, status="planned", source="cycle")
    services.approve_proposal(proposal(big), actor=world["sup"], today=TODAY)
    old.refresh_from_db()
    assert old.status == "cancelled" and Task.objects.get(key=old.task_key).status == "cancelled"
    new = Visit.objects.get(customer=big, status="planned", source="cycle")
    assert new.pk != old.pk
    big.refresh_from_db()
    assert big.ka_tier == "premium"
    # audited with the supervisor
    assert big.history.first().history_user == world["sup"]
    p = TierProposal.objects.get(customer=big)
    assert p.status == "approved" and p.history.first().history_user == world["sup"]


def test_removal_cancels_the_regular_visit(world):
    from powerkam.service.visits.services import generate_plans

    small = world["small"]
    generate_plans(TODAY, customer_ids=[small.pk])
    services.approve_proposal(proposal(small), actor=world["sup"], today=TODAY)
    small.refresh_from_db()
    assert not small.is_key_account and small.ka_tier == ""
    assert not Visit.objects.filter(customer=small, status="planned").exists()


def test_rejection_changes_nothing(world):
    mid = world["mid"]
    with pytest.raises(ValidationError) as exc:
        services.reject_proposal(proposal(mid), actor=world["sup"], reason="  ")
    assert "reason" in exc.value.message_dict
    services.reject_proposal(proposal(mid), actor=world["sup"], reason="one good month")
    mid.refresh_from_db()
    assert not mid.is_key_account and mid.ka_tier == ""
    assert not Visit.objects.filter(customer=mid).exists()
    assert TierProposal.objects.get(customer=mid).status == "rejected"
    with pytest.raises(ValidationError):
        services.approve_proposal(TierProposal.objects.get(customer=mid), actor=world["sup"], today=TODAY)


def test_review_page_approves_and_rejects(world, login):
    client = login(world["sup"])
    r = client.post(f"/scoring/proposals/{proposal(world['mid']).pk}/decide/", {"decision": "approve", "reason": ""})
    assert r.status_code == 302
    r = client.post(f"/scoring/proposals/{proposal(world['big']).pk}/decide/", {"decision": "reject", "reason": "no"})
    world["mid"].refresh_from_db()
    world["big"].refresh_from_db()
    assert world["mid"].is_key_account and world["big"].ka_tier == "general"


def test_a_manager_cannot_decide(world, login):
    r = login(world["mgr"]).post(f"/scoring/proposals/{proposal(world['mid']).pk}/decide/", {"decision": "approve"})
    assert r.status_code == 403
    world["mid"].refresh_from_db()
    assert not world["mid"].is_key_account


def test_potential_growing_but_not_shrinking(org_tree, make_staff):
    mgr = make_staff("manager", org_tree["s1"])
    grower = CustomerFactory(number="G", org_unit=org_tree["s1"], primary_manager=mgr)
    shrinker = CustomerFactory(number="H", org_unit=org_tree["s1"], primary_manager=mgr)
    make_bill(grower, date(2025, 6, 1), 100000)
    make_bill(grower, date(2026, 6, 1), 130000)   # +30 % on 130,000 kWh
    make_bill(shrinker, date(2025, 6, 1), 130000)
    make_bill(shrinker, date(2026, 6, 1), 100000)  # −23 %
    # a model where neither reaches the cut-off margin: capacity only, both 0 points
    model = services.save_model(name="cap", cutoffs={"key_account_cutoff": "60", "medium_cutoff": "75",
                                                     "premium_cutoff": "90"},
                                criteria=[{"code": "capacity", "weight": "1", "normalisation": "thresholds",
                                           "thresholds": "100000:100"}])
    services.publish_model(model)
    services.run_scoring(model, RUN)
    found = list(selectors.potential_key_accounts(mgr))
    assert [r.pk for r in found] == [grower.pk]
    assert "30.0" in selectors.potential_reasons(found[0], selectors.latest_run())[0]


def test_one_click_visit_for_a_potential_key_account(org_tree, make_staff, login):
    mgr = make_staff("manager", org_tree["s1"])
    sup = make_staff("supervisor", org_tree["north"])
    cu = CustomerFactory(number="G", org_unit=org_tree["s1"], primary_manager=mgr)
    r = login(sup).post(f"/scoring/potential/{cu.pk}/visit/", {"assignee": mgr.pk})
    assert r.status_code == 302
    visit = Visit.objects.get(customer=cu)
    assert visit.assignee == mgr and Task.objects.get(key=visit.task_key).assignee == mgr
