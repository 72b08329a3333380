"""Read-side queries of the consumption app (plain functions; views and the API call them)."""

from __future__ import annotations

from datetime import date

import numpy as np

from . import constants as c
from .models import IntervalReading

SLOT_LABELS = [f"{(s * c.INTERVAL_MINUTES) // 60:02d}:{(s * c.INTERVAL_MINUTES) % 60:02d}"
               for s in range(1, c.SLOTS_PER_DAY + 1)]


def nullable(values: np.ndarray) -> list[float | None]:
    return [None if v != v else round(float(v), 3) for v in values.tolist()]


def day_curves(customer_id: int, day: date) -> list[dict]:
    """The customer's metering points' curves for one day: [{id, number, kw[96], kvar[96]}] (NaN =
    missing). Two queries, whatever the number of meters."""
    from powerkam.customers.models import MeteringPoint

    rows = list(IntervalReading.objects.filter(customer_id=customer_id, day=day)
                .values_list("metering_point_id", "slot", "kw", "kvar"))
    ids = sorted({r[0] for r in rows})
    numbers = dict(MeteringPoint.objects.filter(pk__in=ids).values_list("pk", "number")) if ids else {}
    curves = {mp: {"id": mp, "number": numbers.get(mp, ""), "kw": np.full(c.SLOTS_PER_DAY, np.nan),
                   "kvar": np.full(c.SLOTS_PER_DAY, np.nan)} for mp in ids}
    for mp, slot, kw, kvar in rows:
        curves[mp]["kw"][slot - 1] = kw
        if kvar is not None:
            curves[mp]["kvar"][slot - 1] = kvar
    return [curves[mp] for mp in ids]
