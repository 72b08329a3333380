"""Demo credit data: assessments for ~100 key accounts (most approved) and today's
payment-behaviour rating of every customer. Deterministic for a seed; re-running skips the
customers that already have an assessment."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from . import constants as c
from . import services
from .models import CreditAssessment


def _money(x: float) -> str:
    return str(Decimal(str(round(x, -2))).quantize(Decimal("0.01")))


def demo_statement(rng: random.Random) -> dict:
    ta = rng.uniform(2e6, 6e7)
    debt = rng.uniform(0.3, 0.85)
    tl = ta * debt
    ca = ta * rng.uniform(0.3, 0.6)
    cl = min(tl, ca / rng.uniform(0.7, 2.6))
    sales = ta * rng.uniform(0.6, 2.0)
    cos = sales * rng.uniform(0.6, 0.9)
    total_cost = cos + sales * rng.uniform(0.03, 0.14)
    data = {
        "total_assets": _money(ta), "total_liabilities": _money(tl), "current_assets": _money(ca),
        "current_liabilities": _money(cl), "inventory": _money(ca * rng.uniform(0.1, 0.45)),
        "cash": _money(ca * rng.uniform(0.04, 0.3)), "sales_revenue": _money(sales), "cost_of_sales": _money(cos),
        "total_cost": _money(total_cost), "net_profit": _money((sales - total_cost) * 0.75),
    }
    return data


def demo_scores(rng: random.Random) -> dict:
    base = rng.choice([2, 3, 3, 4, 4, 4, 5])
    return {item: [max(c.SCORE_MIN, min(c.SCORE_MAX, base + rng.choice([-1, 0, 0, 1]))) for _ in range(4)]
            for item in c.ITEM_KEYS}


def load_demo(*, seed: int = 1, today: date, log=None, count: int = 100) -> dict:
    from powerkam.customers.models import Customer
    from powerkam.org.models import Role, Staff

    log = log or (lambda msg: None)
    rng = random.Random(seed * 7919 + 6)
    customers = list(Customer.objects.filter(is_key_account=True).select_related("org_unit", "primary_manager")
                     .order_by("pk")[:count])
    done = set(CreditAssessment.objects.filter(customer__in=customers).values_list("customer_id", flat=True))
    supervisors = list(Staff.objects.filter(role=Role.SUPERVISOR, is_active=True).select_related("org_unit"))
    created = approved = 0
    with transaction.atomic():
        for customer in customers:
            statement, scores = demo_statement(rng), demo_scores(rng)
            assessed_on = today - timedelta(days=rng.randint(5, 330))
            if customer.pk in done:
                continue
            preparer = customer.primary_manager
            assessment = services.create_assessment(
                customer=customer, actor=preparer, data={**statement, "scores": scores}, assessed_on=assessed_on,
                statement_date=date(assessed_on.year - 1, 12, 31), note="")
            created += 1
            path = customer.org_unit.path if customer.org_unit_id else ""
            approvers = [s for s in supervisors if s.org_unit_id and path.startswith(s.org_unit.path)]
            if approvers and rng.random() < 0.8:
                services.approve_assessment(assessment, actor=approvers[0])
                approved += 1
    log(f"credit: {created} assessments ({approved} approved)")
    ratings = services.rate_payment_behaviour(today)
    log(f"credit: payment behaviour {ratings}")
    return {"assessments": created, "approved": approved, "ratings": ratings}
