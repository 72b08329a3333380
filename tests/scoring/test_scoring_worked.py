"""Worked examples of the scoring rule (services module docstring), figures by hand."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from powerkam.scoring import constants as c
from powerkam.scoring import services
from powerkam.scoring.models import Criterion, CustomerScore, ScoringModel, TierProposal
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory

RUN = date(2026, 11, 1)  # window: bills of 2025-11 … 2026-10; previous: 2024-11 … 2025-10


def two_criterion_model(**cut):
    """kWh by percentile (weight 3) and capacity by thresholds (weight 1)."""
    cutoffs = {"key_account_cutoff": "50", "medium_cutoff": "70", "premium_cutoff": "90", **cut}
    return services.save_model(name="two", cutoffs=cutoffs, criteria=[
        {"code": "kwh", "weight": "3", "normalisation": "percentile"},
        {"code": "capacity", "weight": "1", "normalisation": "thresholds", "thresholds": "0:0, 500:50, 2000:100"},
    ])


@pytest.fixture
def three(db):
    """kWh in the window: a 1,000, b 3,000, c 2,000 (one bill each); capacity 400, 800, 2,500 kVA."""
    a = CustomerFactory(number="A", contract_capacity_kva=D("400"))
    b = CustomerFactory(number="B", contract_capacity_kva=D("800"), is_key_account=True, ka_tier="general")
    cc = CustomerFactory(number="C", contract_capacity_kva=D("2500"))
    make_bill(a, date(2026, 5, 1), 1000)
    make_bill(b, date(2026, 5, 1), 3000)
    make_bill(cc, date(2026, 5, 1), 2000)
    return a, b, cc


def test_two_criterion_model_by_hand(three):
    a, b, cc = three
    model = two_criterion_model()
    scored = services.score_customers(model, services.collect_values(RUN))
    # percentile points: a 0 of 2 below → 0; c 1 below → 50; b 2 below → 100
    # capacity points: a 400 → 0; b 800 → 50; c 2500 → 100
    # score = (3 × kWh points + 1 × capacity points) / 4
    assert scored[a.pk].score == D("0.00")          # (0 + 0) / 4
    assert scored[b.pk].score == D("87.50")         # (300 + 50) / 4
    assert scored[cc.pk].score == D("62.50")        # (150 + 100) / 4
    assert scored[b.pk].tier == "medium" and scored[cc.pk].tier == "general" and scored[a.pk].tier == ""
    assert scored[b.pk].reasons == {"kwh": ["3000.00", "100.00"], "capacity": ["800.00", "50.00"]}


@pytest.mark.parametrize("score,tier", [
    ("49.99", ""), ("50.00", "general"), ("69.99", "general"), ("70.00", "medium"), ("89.99", "medium"),
    ("90.00", "premium"), ("100.00", "premium")])
def test_cutoffs_at_their_edges(db, score, tier):
    model = ScoringModel(key_account_cutoff=D("50"), medium_cutoff=D("70"), premium_cutoff=D("90"))
    assert model.tier_for(D(score)) == tier


def test_full_default_model_by_hand(three):
    a, b, cc = three
    model = services.new_version_from(None)
    assert model.criteria.count() == len(c.DEFAULT_CRITERIA)
    scored = services.score_customers(model, services.collect_values(RUN))
    # b: revenue, profit and kWh all rank first (100 points × 45); no growth base, no payment
    # rating, no assessment (0); voltage 10 kV = 2 → 50 × 5; capacity 800 → 30 × 5 (315 ≤ 800 < 1000);
    # lifecycle active 3 → 100 × 5. (4500 + 250 + 150 + 500) / 100 = 54.00
    assert scored[b.pk].score == D("54.00")
    # c: revenue, profit, kWh rank second of three → 50 × 45 = 2250; capacity 2500 → 60 × 5 = 300;
    # voltage 250, lifecycle 500 → (2250 + 300 + 250 + 500) / 100 = 33.00
    assert scored[cc.pk].score == D("33.00")
    # a: 0 on the ranked ones; capacity 400 → 30 × 5; voltage 250; lifecycle 500 → 9.00
    assert scored[a.pk].score == D("9.00")
    assert scored[b.pk].reasons["growth"] == [None, "0.00"]


def test_growth_criterion(db):
    up = CustomerFactory(number="UP")
    make_bill(up, date(2025, 5, 1), 1000)  # previous window
    make_bill(up, date(2026, 5, 1), 1300)  # this window: +30 %
    values = services.collect_values(RUN).values[up.pk]
    assert values["growth"] == D("30.0")


def test_run_keeps_reasons_and_proposes_changes(three):
    a, b, cc = three
    model = two_criterion_model()
    services.publish_model(model)
    run = services.run_scoring(model, RUN)
    assert run.customers == 3 and CustomerScore.objects.filter(run=run).count() == 3
    assert CustomerScore.objects.get(run=run, customer=b).reasons["kwh"] == ["3000.00", "100.00"]
    proposals = {p.customer_id: p for p in TierProposal.objects.filter(run=run)}
    # b general → medium (up); c not KA → general (new); a stays out (no proposal)
    assert set(proposals) == {b.pk, cc.pk}
    assert proposals[b.pk].kind == c.ProposalKind.UP and proposals[cc.pk].kind == c.ProposalKind.NEW
    # a second run supersedes the pending proposals
    run2 = services.run_scoring(model, RUN)
    assert TierProposal.objects.filter(run=run, status=c.ProposalStatus.SUPERSEDED).count() == 2
    assert TierProposal.objects.filter(run=run2, status=c.ProposalStatus.PENDING).count() == 2


def test_try_out_writes_nothing(three, django_assert_max_num_queries):
    model = two_criterion_model()
    with django_assert_max_num_queries(6):
        result = services.try_out(model, RUN)
    assert result["changes"] == 2 and result["by_kind"]["new"] == 1 and result["by_kind"]["up"] == 1
    assert not CustomerScore.objects.exists() and not TierProposal.objects.exists()


@pytest.mark.parametrize("criteria,cut,field", [
    ([{"code": "kwh", "weight": "-1", "normalisation": "percentile"}], {}, "kwh_weight"),
    ([{"code": "kwh", "weight": "0", "normalisation": "percentile"}], {}, "weights"),
    ([{"code": "kwh", "weight": "1", "normalisation": "percentile"}], {"medium_cutoff": "40"}, "cutoffs"),
    ([{"code": "kwh", "weight": "1", "normalisation": "percentile"}], {"premium_cutoff": "120"}, "premium_cutoff"),
    ([{"code": "capacity", "weight": "1", "normalisation": "thresholds", "thresholds": "500:50, 100:80"}], {},
     "capacity_thresholds"),
    ([{"code": "capacity", "weight": "1", "normalisation": "thresholds", "thresholds": "abc"}], {},
     "capacity_thresholds"),
])
def test_bad_definitions_write_nothing(db, criteria, cut, field):
    cutoffs = {"key_account_cutoff": "50", "medium_cutoff": "70", "premium_cutoff": "90", **cut}
    with pytest.raises(ValidationError) as exc:
        services.save_model(name="bad", cutoffs=cutoffs, criteria=criteria)
    assert field in exc.value.message_dict
    assert not ScoringModel.objects.exists() and not Criterion.objects.exists()


def test_published_model_is_frozen(three):
    model = two_criterion_model()
    services.publish_model(model)
    with pytest.raises(ValidationError):
        services.save_model(model=model, name="x", cutoffs={"key_account_cutoff": "1", "medium_cutoff": "2",
                                                            "premium_cutoff": "3"}, criteria=[])
    second = services.new_version_from(model)
    assert second.version == model.version + 1 and second.is_draft
    services.publish_model(second)
    model.refresh_from_db()
    assert model.status == ScoringModel.Status.RETIRED
