"""Daily aggregates for the anomaly, forecast, load-page and analysis tests (written directly:
the ingest has tests of its own)."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from powerkam.consumption.models import DailyAggregate


def put_daily(customer, start: date, values, **fields) -> int:
    rows = []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        kwh = Decimal(str(round(float(v), 3)))
        rows.append(DailyAggregate(customer=customer, day=start + timedelta(days=i), kwh_total=kwh,
                                   kwh_peak=(kwh * Decimal("0.4")).quantize(Decimal("0.001")),
                                   kwh_valley=(kwh * Decimal("0.3")).quantize(Decimal("0.001")),
                                   kwh_flat=kwh - (kwh * Decimal("0.4")).quantize(Decimal("0.001"))
                                   - (kwh * Decimal("0.3")).quantize(Decimal("0.001")),
                                   max_demand_kw=(kwh / 16).quantize(Decimal("0.001")),
                                   load_factor=Decimal("0.6250"), avg_power_factor=Decimal("0.9200"),
                                   slots=96, complete=True, **fields))
    DailyAggregate.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def regular_series(start: date, days: int, level: float = 8000.0, seed: int = 1):
    """Working days at `level`, other days at half, ±3 % noise (the holiday table's calendar)."""
    from powerkam.core import workdays

    rng = np.random.default_rng(seed)
    out = []
    for i in range(days):
        d = start + timedelta(days=i)
        out.append((level if workdays.is_workday(d) else level / 2) * rng.lognormal(0, 0.03))
    return np.array(out)
