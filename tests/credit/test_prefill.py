"""A new credit assessment is pre-filled from data the system holds (issue #10 item 8): the
payment-record aspects from the payment-behaviour rating and the penalties of the last 12
months, the statement figures and the ratio aspects from the latest financial statement."""

from datetime import date
from decimal import Decimal

import pytest

from powerkam.credit import services
from powerkam.credit.forms import score_field_name
from powerkam.credit.models import BehaviourRating
from powerkam.receivables.models import LateFee
from tests.factories import CustomerFactory

from .factories import STATEMENT, make_bill, scores_all

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 3)


@pytest.fixture
def known(org_tree, make_staff):
    manager = make_staff("manager", org_tree["s1"])
    customer = CustomerFactory(org_unit=org_tree["s1"], primary_manager=manager, is_key_account=True)
    BehaviourRating.objects.create(customer=customer, level="B", since=date(2026, 6, 1), rated_on=date(2026, 12, 1),
                                   on_time_rate=Decimal("0.9600"), bills_due=25, bills_late=1, max_days_overdue=8,
                                   arrears=Decimal("0.00"))
    late = make_bill(customer, due_on=date(2026, 5, 20), paid_on=date(2026, 5, 28))
    LateFee.objects.create(bill=late, customer=customer, as_of=date(2026, 5, 28), days=8, amount=Decimal("16.00"),
                           rule="test")
    old = make_bill(customer, due_on=date(2025, 3, 20), paid_on=date(2025, 4, 2))
    LateFee.objects.create(bill=old, customer=customer, as_of=date(2025, 4, 2), days=13, amount=Decimal("26.00"),
                           rule="test")  # older than 12 months: not counted
    services.create_assessment(customer=customer, actor=manager, data={**STATEMENT, "scores": scores_all(3)},
                               assessed_on=date(2026, 3, 1), statement_date=date(2025, 12, 31))
    return {"manager": manager, "customer": customer}


def test_payment_record_and_ratio_aspects_are_scored_from_held_data(known):
    p = services.prefill(known["customer"], today=TODAY)
    assert p.scores == {
        ("payment_record", 1): 4,   # 96 % on time
        ("payment_record", 2): 3,   # longest delay 8 days
        ("payment_record", 3): 5,   # no arrears
        ("payment_record", 4): 4,   # one penalty in 12 months
        ("solvency", 1): 5,         # current ratio 2.0
        ("solvency", 2): 4,         # quick ratio 1.4
        ("solvency", 3): 4,         # cash ratio 0.32
        ("solvency", 4): 2,         # debt ratio 0.6667
        ("profitability", 1): 3,    # sales margin 6 %
        ("profitability", 2): 3,    # gross margin 25 %
        ("profitability", 3): 3,    # cost-profit 6.49 %
        ("balance_sheet", 2): 5,    # inventory turnover 10
    }
    assert p.initial["current_assets"] == Decimal("5000000.00")
    assert p.initial["statement_date"] == date(2025, 12, 31)


def test_the_new_assessment_page_shows_the_prefilled_values(known, login):
    page = login(known["manager"]).get(f"/credit/customers/{known['customer'].pk}/assess/")
    form = page.context["form"]
    assert form[score_field_name("payment_record", 1)].value() == "4"
    assert form[score_field_name("solvency", 4)].value() == "2"
    assert form[score_field_name("impression", 1)].value() == "3"  # no data: the default
    assert form["current_assets"].value() == Decimal("5000000.00")
    assert 'id="prefill-sources"' in page.content.decode()


def test_without_data_nothing_is_prefilled(org_tree):
    customer = CustomerFactory(org_unit=org_tree["s1"])
    p = services.prefill(customer, today=TODAY)
    assert (p.scores, p.sources) == ({}, [])
