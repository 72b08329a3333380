"""Worked examples of the enterprise credit assessment (seed 003-篇4)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from powerkam.credit import services
from powerkam.credit.constants import ITEM_KEYS
from powerkam.credit.models import CharacteristicGrade

from .factories import STATEMENT, scores_all

pytestmark = pytest.mark.django_db
D = Decimal


def test_ratios_from_a_sample_statement():
    r = services.compute_assessment({**STATEMENT, "scores": scores_all(4)})
    assert r.ratios == {
        "current_ratio": D("2.0000"), "quick_ratio": D("1.4000"), "cash_ratio": D("0.3200"),
        "debt_ratio": D("0.6667"), "inventory_turnover": D("10.0000"), "sales_margin": D("0.0600"),
        "gross_margin": D("0.2500"), "cost_profit_ratio": D("0.0649"),
    }


def test_working_capital_model_limit_and_code_3a2():
    r = services.compute_assessment({**STATEMENT, "scores": scores_all(4)})
    assert r.working_capital == D("2500000.00")
    assert r.operating_assets == D("3250000.00")
    assert r.evaluation_value == D("0.78")
    assert r.limit_percent == D("20.0")
    assert r.model_limit == D("650000.00")
    # 72 aspects × 4 = 288 of 360 = 80 % → grade 2, which keeps 100 % of the model limit.
    assert (r.characteristic_total, r.characteristic_max, r.grade) == (288, 360, 2)
    assert r.credit_limit == D("650000.00")
    assert (r.limit_tier, r.code) == ("3A", "3A2")
    texts = [services.reason_text(x) for x in r.reasons]
    assert "Operating assets = (working capital 2500000.00 + net worth 4000000.00) / 2 = 3250000.00 yuan." in texts
    assert "Working-capital model limit = 3250000.00 × 20.0 % = 650000.00 yuan." in texts


def test_grade_reduces_the_limit_and_defaults_score_3():
    # No scores given: every aspect counts 3 → 216/360 = 60 % → grade 3 → 90 % of 650,000.
    r = services.compute_assessment(dict(STATEMENT))
    assert (r.characteristic_total, r.grade) == (216, 3)
    assert r.credit_limit == D("585000.00")
    assert r.code == "2A3"
    assert any(x["code"] == "defaults_used" and x["params"]["count"] == 18 for x in r.reasons)


def test_net_worth_derived_when_blank():
    r = services.compute_assessment({**STATEMENT, "net_worth": "", "scores": scores_all(4)})
    assert r.figures["net_worth"] == D("4000000.00")
    assert r.code == "3A2"


@pytest.mark.parametrize(("limit", "tier"), [
    ("0", "1A"), ("299999.99", "1A"), ("300000", "2A"), ("300000.00", "2A"), ("599999.99", "2A"),
    ("600000", "3A"), ("999999.99", "3A"), ("1000000", "4A"), ("1499999.99", "4A"), ("1500000", "5A"),
    ("99000000", "5A"),
])
def test_limit_tiers_at_exact_boundaries(limit, tier):
    assert services.limit_tier(D(limit)) == tier


@pytest.mark.parametrize(("value", "percent"), [
    ("-5", "0"), ("-4.60", "0"), ("-4.59", "2.5"), ("-3.90", "2.5"), ("-0.39", "17.5"), ("0.30", "17.5"),
    ("0.31", "20.0"), ("0.775", "20.0"), ("1.00", "20.0"), ("1.005", "22.5"), ("4.50", "32.5"), ("4.51", "35.0"),
])
def test_evaluation_table(value, percent):
    assert services.evaluation_percent(D(value)) == D(percent)


@pytest.mark.parametrize(("total", "grade"), [
    (360, 1), (306, 1), (305, 2), (252, 2), (251, 3), (198, 3), (197, 4), (144, 4), (143, 5), (90, 5), (89, 6), (0, 6),
])
def test_grade_thresholds(total, grade):
    assert services.characteristic_grade(total, 360)[0] == grade


def test_grade_thresholds_are_configurable():
    CharacteristicGrade.objects.filter(grade=1).update(min_percent=D("95"))
    assert services.characteristic_grade(306, 360)[0] == 2
    scores = scores_all(5)
    scores[ITEM_KEYS[0]] = [0, 0, 0, 0]  # 340/360 = 94.44 %
    assert services.compute_assessment({**STATEMENT, "scores": scores}).grade == 2


def test_limit_five_a_and_grade_six_has_no_credit():
    big = {**STATEMENT, "current_assets": "50000000", "inventory": "10000000", "cash": "8000000",
           "total_assets": "80000000", "current_liabilities": "10000000", "total_liabilities": "20000000",
           "net_worth": "60000000"}
    # A 5, B 4, C 1/6, D 1/3 → 8.5 → 35 %; operating assets (40M + 60M)/2 = 50M → 17.5M.
    r = services.compute_assessment({**big, "scores": scores_all(5)})
    assert (r.evaluation_value, r.limit_percent, r.credit_limit, r.code) == (D("8.50"), D("35.0"), D("17500000.00"), "5A1")
    r6 = services.compute_assessment({**big, "scores": scores_all(1)})  # 72/360 = 20 % → grade 6
    assert (r6.grade, r6.credit_limit, r6.code) == (6, D("0.00"), "1A6")


def test_zero_current_liabilities_is_handled():
    st = {**STATEMENT, "current_liabilities": "0"}
    r = services.compute_assessment({**st, "scores": scores_all(4)})
    assert r.ratios["current_ratio"] is None and r.ratios["quick_ratio"] is None and r.ratios["cash_ratio"] is None
    # A = B = cap 5; C = 0; D = 2 → 8.00 → 35 %; WC 5M, OA (5M + 4M)/2 = 4.5M → 1,575,000.
    assert r.evaluation_value == D("8.00")
    assert r.credit_limit == D("1575000.00")
    assert r.code == "5A2"
    assert any(x["code"] == "no_current_liabilities" for x in r.reasons)


def test_negative_net_worth_grants_no_credit():
    st = {**STATEMENT, "total_liabilities": "13000000", "net_worth": "-1000000"}
    r = services.compute_assessment({**st, "scores": scores_all(4)})
    assert r.evaluation_value is None and r.credit_limit == D("0.00") and r.code == "1A2"
    assert any(x["code"] == "net_worth_not_positive" for x in r.reasons)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"current_assets": "-1"}, "current_assets", "This figure cannot be negative."),
    ({"cash": "abc"}, "cash", "Enter an amount in yuan, e.g. 1250000.00."),
    ({"total_assets": None}, "total_assets", "This figure is required."),
    ({"total_assets": "0", "current_assets": "0", "inventory": "0", "cash": "0"}, "total_assets",
     "Total assets must be greater than zero."),
    ({"inventory": "6000000"}, "inventory", "Inventory cannot exceed current assets."),
    ({"current_liabilities": "9000000"}, "current_liabilities", "Current liabilities cannot exceed total liabilities."),
    ({"net_worth": "5000000"}, "net_worth", "does not equal total assets − total liabilities"),
])
def test_bad_statement_is_refused_field_by_field(changes, field, message):
    with pytest.raises(ValidationError) as exc:
        services.compute_assessment({**STATEMENT, **changes})
    assert field in exc.value.message_dict
    assert any(message in m for m in exc.value.message_dict[field])


@pytest.mark.parametrize(("scores", "message"), [
    ({"impression": [3, 3, 3, 6]}, "Impression, aspect 4: score 6 is outside 0–5."),
    ({"impression": [3, 3, -1, 3]}, "Impression, aspect 3: score -1 is outside 0–5."),
    ({"impression": [3, 3, 3]}, "Impression: give exactly 4 scores, one per aspect."),
    ({"impression": [3, "x", 3, 3]}, "Impression, aspect 2: “x” is not a whole number."),
    ({"nonsense": [3, 3, 3, 3]}, "Unknown characteristic item “nonsense”."),
])
def test_bad_scores_are_refused(scores, message):
    with pytest.raises(ValidationError) as exc:
        services.compute_assessment({**STATEMENT, "scores": scores})
    assert message in exc.value.message_dict["scores"]
