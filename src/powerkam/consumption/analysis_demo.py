"""Demo for the anomaly watch (after the consumption demo's ingest): one key account falls away
from its pattern over the last two weeks — as one about to move its production would — so that the
first night's watch (core.demo.run_periodic_jobs) opens an anomaly with a task for its manager and
the churn-risk list is not empty. Forecasts need nothing: the nightly job computes them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

FALL_DAYS = 14
FALL_FACTOR = Decimal("0.45")


def load_demo(*, seed: int = 1, today: date, log=None) -> dict:
    from django.db.models import F

    from .models import DailyAggregate, UsageAnomaly

    log = log or (lambda msg: None)
    if UsageAnomaly.objects.exists():
        return {"falling": 0}
    since = today - timedelta(days=FALL_DAYS)
    customer_id = (DailyAggregate.objects.filter(day__gte=since, customer__is_key_account=True,
                                                 customer__primary_manager__isnull=False)
                   .order_by("customer_id").values_list("customer_id", flat=True).first())
    if customer_id is None:
        return {"falling": 0}
    rows = DailyAggregate.objects.filter(customer_id=customer_id, day__gte=since).update(
        kwh_total=F("kwh_total") * FALL_FACTOR, kwh_sharp=F("kwh_sharp") * FALL_FACTOR,
        kwh_peak=F("kwh_peak") * FALL_FACTOR, kwh_flat=F("kwh_flat") * FALL_FACTOR,
        kwh_valley=F("kwh_valley") * FALL_FACTOR)
    log(f"consumption watch demo: customer {customer_id} falls to {FALL_FACTOR} over {rows} days")
    return {"falling": 1, "days": rows}
