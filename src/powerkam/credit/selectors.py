"""Read-only questions other modules ask credit (visit plans, the 360 page, analytics)."""

from __future__ import annotations

from collections.abc import Iterable

from .models import BehaviourLevel, BehaviourRating


def low_level_codes() -> list[str]:
    """The level codes that count as "low credit": those flagged `is_low`, else the worst rank."""
    levels = list(BehaviourLevel.objects.order_by("rank").values_list("code", "is_low"))
    low = [code for code, is_low in levels if is_low]
    if not low and levels:
        low = [levels[-1][0]]
    return low


def low_credit_customer_ids(customer_ids: Iterable[int] | None = None) -> set[int]:
    """Customers whose CURRENT payment-behaviour level is a low-credit level. Two queries."""
    qs = BehaviourRating.objects.filter(is_current=True, level__in=low_level_codes())
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=list(customer_ids))
    return set(qs.values_list("customer_id", flat=True))


def current_levels(customer_ids: Iterable[int]) -> dict[int, str]:
    """{customer_id: current level code} for the customers that have a rating. One query."""
    return dict(BehaviourRating.objects.filter(is_current=True, customer_id__in=list(customer_ids))
                .values_list("customer_id", "level"))
