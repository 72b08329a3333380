"""Worked examples of the visit plan rule (seed 001: premium every 6 months, medium every quarter,
low credit every month)."""

from datetime import date

import pytest

from powerkam.core.models import Task
from powerkam.credit.models import BehaviourRating
from powerkam.customers import constants as cc
from powerkam.service.visits import constants as c
from powerkam.service.visits.models import Visit, VisitInterval, VisitPolicy
from powerkam.service.visits.services import add_months, generate_plans, interval_months, next_due

from .conftest import TODAY
from .helpers import done_visit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 5, 15), 6, date(2026, 11, 15)),
    (date(2026, 8, 31), 6, date(2027, 2, 28)),   # no 31 February: the month's last day
    (date(2027, 8, 31), 6, date(2028, 2, 29)),   # leap year
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),  # over the year end
    (date(2026, 3, 31), 3, date(2026, 6, 30)),
])
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_interval_per_tier_and_low_credit_wins():
    table = {"premium": 6, "medium": 3, "general": 3, "low_credit": 1}
    assert interval_months("premium", False, table) == 6
    assert interval_months("medium", False, table) == 3
    assert interval_months("", False, table) == 3  # no tier: the general interval
    assert interval_months("premium", True, table) == 1
    assert interval_months("medium", True, table) == 1


def test_next_due_rules():
    # Visited: last visit + interval.
    assert next_due(last_done=date(2026, 8, 31), months=6, today=TODAY, first_within_days=14) == date(2027, 2, 28)
    # Never visited: first visit 14 days after the plan is made.
    assert next_due(last_done=None, months=6, today=TODAY, first_within_days=14) == date(2026, 12, 7)
    # A missed cycle is planned for the generation day, never in the past.
    assert next_due(last_done=date(2026, 5, 1), months=3, today=TODAY, first_within_days=14) == TODAY


def test_generation_per_tier_from_a_given_start(key_account, team):
    premium = key_account(cc.KeyAccountTier.PREMIUM)
    medium = key_account(cc.KeyAccountTier.MEDIUM)
    low = key_account(cc.KeyAccountTier.PREMIUM)
    never = key_account(cc.KeyAccountTier.MEDIUM)
    missed = key_account(cc.KeyAccountTier.MEDIUM)
    done_visit(premium, date(2026, 8, 31))
    done_visit(premium, date(2026, 2, 10))  # older: ignored
    done_visit(medium, date(2026, 10, 15))
    done_visit(low, date(2026, 11, 10))
    done_visit(missed, date(2026, 5, 1))
    BehaviourRating.objects.create(customer=low, level="D", since=date(2026, 9, 1), rated_on=TODAY)

    counts = generate_plans(TODAY)

    assert counts == {"key_accounts": 5, "already_planned": 0, "no_manager": 0, "created": 5}
    due = dict(Visit.objects.filter(status=c.VisitStatus.PLANNED).values_list("customer_id", "due_on"))
    assert due == {
        premium.pk: date(2027, 2, 28),   # 2026-08-31 + 6 months
        medium.pk: date(2027, 1, 15),    # 2026-10-15 + 3 months
        low.pk: date(2026, 12, 10),      # low credit: 2026-11-10 + 1 month, although premium
        never.pk: date(2026, 12, 7),     # never visited: today + 14 days
        missed.pk: TODAY,                # 2026-08-01 already past: today
    }
    visit = Visit.objects.get(customer=premium, status=c.VisitStatus.PLANNED)
    assert visit.planned_on == date(2027, 2, 26)  # due on a Sunday: planned on the Friday before
    assert visit.assignee == team["manager"]
    assert visit.source == c.VisitSource.CYCLE
    assert visit.history.count() == 1  # audited
    task = Task.objects.get(key=f"visit:{visit.pk}")
    assert task.kind == Task.Kind.VISIT
    assert task.assignee == team["manager"]
    assert task.customer == premium
    assert task.due_at.date() == date(2027, 2, 26)
    assert task.link == f"/service/visits/{visit.pk}/"


def test_generation_is_idempotent(key_account):
    for tier in (cc.KeyAccountTier.PREMIUM, cc.KeyAccountTier.MEDIUM, cc.KeyAccountTier.GENERAL):
        key_account(tier)
    first = generate_plans(TODAY)
    rows = list(Visit.objects.order_by("pk").values_list("pk", "customer_id", "due_on"))
    tasks = list(Task.objects.order_by("pk").values_list("pk", "key"))
    second = generate_plans(TODAY)
    third = generate_plans(date(2026, 11, 24))
    assert first["created"] == 3
    assert second == {"key_accounts": 3, "already_planned": 3, "no_manager": 0, "created": 0}
    assert third["created"] == 0
    assert list(Visit.objects.order_by("pk").values_list("pk", "customer_id", "due_on")) == rows
    assert list(Task.objects.order_by("pk").values_list("pk", "key")) == tasks


def test_generation_skips_non_key_closed_and_unmanaged(key_account, org_tree):
    from tests.factories import CustomerFactory

    CustomerFactory(is_key_account=False, org_unit=org_tree["s1"])
    key_account(lifecycle_status=cc.LifecycleStatus.CLOSED)
    unmanaged = CustomerFactory(is_key_account=True, ka_tier="premium", org_unit=org_tree["s1"], primary_manager=None)
    counts = generate_plans(TODAY)
    assert counts == {"key_accounts": 1, "already_planned": 0, "no_manager": 1, "created": 0}
    assert not Visit.objects.filter(customer=unmanaged).exists()


def test_intervals_are_configurable(key_account):
    premium = key_account(cc.KeyAccountTier.PREMIUM)
    done_visit(premium, date(2026, 8, 31))
    VisitInterval.objects.filter(category="premium").update(months=4)
    VisitPolicy.objects.filter(pk=1).update(first_visit_within_days=3)
    never = key_account(cc.KeyAccountTier.PREMIUM)
    generate_plans(TODAY)
    assert Visit.objects.get(customer=premium, status="planned").due_on == date(2026, 12, 31)
    assert Visit.objects.get(customer=never).due_on == date(2026, 11, 26)


def test_default_rules_are_seeded():
    assert dict(VisitInterval.objects.values_list("category", "months")) == {
        "premium": 6, "medium": 3, "general": 3, "low_credit": 1}
    policy = VisitPolicy.objects.get(pk=1)
    assert (policy.first_visit_within_days, policy.escalate_after_days) == (14, 7)


def test_generation_query_count_does_not_grow(key_account, django_assert_max_num_queries):
    for _i in range(3):
        key_account()
    with django_assert_max_num_queries(20) as ctx:
        generate_plans(TODAY)
    small = len(ctx.captured_queries)
    Visit.objects.all().delete()
    Task.objects.all().delete()
    for _i in range(30):
        key_account()
    with django_assert_max_num_queries(small) :
        generate_plans(TODAY)
