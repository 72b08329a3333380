"""Quotes for value-added services: catalogue lines, versions, a discount above the threshold
waits for a supervisor's approval, an accepted quote wins the opportunity."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from powerkam.core.models import Task
from powerkam.pipeline import services
from powerkam.pipeline.models import PipelinePolicy, Quote, QuoteLine
from powerkam.pipeline.services import LineInput

from .conftest import item, kind, stage

pytestmark = pytest.mark.django_db
TODAY = date(2026, 9, 1)


@pytest.fixture
def opp(people):
    return services.save_opportunity(actor=people["m1"], today=TODAY, title="配电房托管", prospect_name="新区医院",
                                     kind=kind("substation_om"), stage=stage("proposal"), close_on=date(2026, 11, 30),
                                     expected_annual_revenue_yuan=Decimal("60000"))


def test_a_quote_within_the_threshold_is_ready_and_totals_in_decimal(opp, people):
    q = services.create_quote(opp, actor=people["m1"], today=TODAY, lines=[
        LineInput(item("OM-01"), Decimal("1"), Decimal("5")),
        LineInput(item("PF-01"), Decimal("3"), Decimal("0"), unit_price_yuan=Decimal("17500.50")),
    ])
    assert q.status == "draft" and q.version == 1
    assert q.subtotal_yuan == Decimal("112501.50") and q.discount_yuan == Decimal("3000.00")
    assert q.total_yuan == Decimal("109501.50")


def test_a_discount_over_the_threshold_waits_for_the_supervisor(opp, people):
    PipelinePolicy.objects.create(pk=1, discount_approval_pct=Decimal("10"))
    q = services.create_quote(opp, actor=people["m1"], today=TODAY,
                              lines=[LineInput(item("OM-01"), Decimal("1"), Decimal("15"))])
    assert q.status == "pending"
    task = Task.objects.get(key=f"pipeline:quote:{q.pk}:approval")
    assert task.assignee == people["sup"] and task.kind == Task.Kind.APPROVAL
    with pytest.raises(ValidationError):
        services.accept_quote(q, actor=people["m1"], today=TODAY)
    with pytest.raises(ValidationError):
        services.decide_quote(q, actor=people["m1"], approve=True)
    services.decide_quote(q, actor=people["sup"], approve=True)
    task.refresh_from_db()
    assert q.status == "approved" and task.status == "done"
    services.accept_quote(q, actor=people["m1"], today=date(2026, 9, 20))
    opp.refresh_from_db()
    assert opp.stage.code == "won" and opp.probability == 100 and opp.cycle_days == 19


def test_a_new_version_supersedes_the_open_one(opp, people):
    q1 = services.create_quote(opp, actor=people["m1"], today=TODAY, lines=[LineInput(item("OM-01"), Decimal("1"))])
    q2 = services.create_quote(opp, actor=people["m1"], today=TODAY, lines=[LineInput(item("OM-01"), Decimal("2"))])
    q1.refresh_from_db()
    assert (q1.status, q2.version, q2.status) == ("superseded", 2, "draft")


@pytest.mark.parametrize("line", [
    LineInput(None, Decimal("1")),
    LineInput("OM-01", Decimal("-1")),
    LineInput("OM-01", Decimal("1"), Decimal("120")),
    LineInput("OM-01", Decimal("1"), Decimal("0"), unit_price_yuan=Decimal("-3")),
])
def test_a_bad_line_is_refused_and_nothing_is_written(opp, people, line):
    if isinstance(line.item, str):
        line.item = item(line.item)
    with pytest.raises(ValidationError) as exc:
        services.create_quote(opp, actor=people["m1"], today=TODAY, lines=[line])
    assert "lines" in exc.value.message_dict
    assert not Quote.objects.exists() and not QuoteLine.objects.exists()


def test_no_quote_for_a_new_connection(people):
    opp = services.save_opportunity(actor=people["m1"], today=TODAY, title="新装", prospect_name="某厂",
                                    kind=kind("new_connection"), close_on=date(2026, 11, 30))
    with pytest.raises(ValidationError):
        services.create_quote(opp, actor=people["m1"], today=TODAY, lines=[LineInput(item("OM-01"), Decimal("1"))])
