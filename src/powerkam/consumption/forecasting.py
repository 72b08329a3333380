"""Forecasts of kWh (issue #14 item 6): per customer and per org unit, the next 7 days and the
next 12 months, with statsmodels' exponential smoothing (docs/decisions/0007-consumption-forecasting.md),
and a rolling-origin backtest against the seasonal-naive forecast, shown on the page.

- Daily: the series is first put on a working-day footing — each non-working day divided by the
  customer's own non-working / working ratio (core.workdays, holiday table) — then Holt's damped
  trend is fitted and the forecast put back on the calendar of the coming days (a public holiday
  next Thursday is forecast low, an adjusted working Saturday high). Seasonal naive: the same
  weekday a week earlier.
- Monthly: Holt-Winters (damped trend, multiplicative 12-month season) with two years or more of
  history, Holt's damped trend with less. Seasonal naive: the same month a year earlier (with less
  than a year of history, the last month).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

DAILY_HORIZON = 7
MONTHLY_HORIZON = 12
DAILY_HISTORY_DAYS = 182        # the daily model looks at the last half year
DAILY_BACKTEST_ORIGINS = 3      # weekly origins: 21, 14 and 7 days before the end
MONTHLY_BACKTEST_ORIGINS = 3    # monthly origins: 3, 2 and 1 months before the end (1 month ahead)
MIN_DAILY_POINTS = 28
SEASONAL_MONTHS = 24            # Holt-Winters needs two full years


@dataclass
class Result:
    method: str
    daily: list[tuple[date, float]] = field(default_factory=list)
    monthly: list[tuple[date, float]] = field(default_factory=list)
    daily_mape: float | None = None
    daily_naive_mape: float | None = None
    monthly_mape: float | None = None
    monthly_naive_mape: float | None = None


def mape(actual: np.ndarray, forecast: np.ndarray) -> float | None:
    """Mean absolute percentage error (%) over the points whose actual value is positive."""
    actual, forecast = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    ok = np.isfinite(actual) & np.isfinite(forecast) & (actual > 0)
    if not ok.any():
        return None
    return float(np.mean(np.abs(forecast[ok] - actual[ok]) / actual[ok]) * 100)


def _holt(series: np.ndarray, horizon: int, seasonal: bool = False) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short or flat series
        if seasonal:
            model = ExponentialSmoothing(series, trend="add", damped_trend=True, seasonal="mul",
                                         seasonal_periods=12, initialization_method="heuristic")
        else:
            model = ExponentialSmoothing(series, trend="add", damped_trend=True, initialization_method="heuristic"
                                         if len(series) >= 10 else "estimated")
        fitted = model.fit(use_brute=False)
        out = np.asarray(fitted.forecast(horizon), dtype=float)
    return np.clip(out, 0.0, None)


def _fill(series: np.ndarray) -> np.ndarray:
    """Missing days filled from the previous value (the model needs a gapless series)."""
    s = np.asarray(series, dtype=float).copy()
    ok = np.isfinite(s)
    if not ok.any():
        return s
    idx = np.where(ok, np.arange(len(s)), 0)
    np.maximum.accumulate(idx, out=idx)
    s = s[idx]
    first = int(np.flatnonzero(ok)[0])
    s[:first] = s[first]
    return s


def daily_forecast(history: np.ndarray, work_history: np.ndarray, work_future: np.ndarray) -> np.ndarray:
    """The next len(work_future) days from a daily history (NaN missing) and the working-day flags."""
    values = np.asarray(history, dtype=float)
    work = np.asarray(work_history, dtype=bool)
    on, off = values[work & np.isfinite(values)], values[~work & np.isfinite(values)]
    ratio = float(np.median(off) / np.median(on)) if len(on) and len(off) and np.median(on) > 0 else 1.0
    ratio = ratio if ratio > 0 else 1.0
    adjusted = _fill(np.where(work, values, values / ratio))
    level = _holt(adjusted, len(work_future))
    return level * np.where(np.asarray(work_future, dtype=bool), 1.0, ratio)


def daily_backtest(history: np.ndarray, work: np.ndarray, origins: int = DAILY_BACKTEST_ORIGINS
                   ) -> tuple[float | None, float | None]:
    """Rolling origin: at each of the last `origins` weeks, forecast 7 days from the data before it;
    MAPE of the model and of the seasonal naive (the same weekday a week earlier)."""
    n = len(history)
    actual, model, naive = [], [], []
    for k in range(origins, 0, -1):
        origin = n - k * DAILY_HORIZON
        if origin < MIN_DAILY_POINTS + DAILY_HORIZON:
            continue
        start = max(0, origin - DAILY_HISTORY_DAYS)
        model.append(daily_forecast(history[start:origin], work[start:origin], work[origin:origin + DAILY_HORIZON]))
        naive.append(history[origin - DAILY_HORIZON:origin])
        actual.append(history[origin:origin + DAILY_HORIZON])
    if not actual:
        return None, None
    a = np.concatenate(actual)
    return mape(a, np.concatenate(model)), mape(a, np.concatenate(naive))


def monthly_forecast(history: np.ndarray, horizon: int = MONTHLY_HORIZON) -> tuple[np.ndarray, str]:
    """The next `horizon` months from complete monthly totals, and the method used."""
    values = _fill(history)
    if len(values) >= SEASONAL_MONTHS and np.all(values > 0):
        return _holt(values, horizon, seasonal=True), "holt-winters"
    if len(values) >= 4:
        return _holt(values, horizon), "holt"
    last = float(values[-1]) if len(values) else 0.0
    return np.full(horizon, last), "naive"


def monthly_backtest(history: np.ndarray, origins: int = MONTHLY_BACKTEST_ORIGINS) -> tuple[float | None, float | None]:
    n = len(history)
    actual, model, naive = [], [], []
    for k in range(origins, 0, -1):
        origin = n - k
        if origin < 4:
            continue
        model.append(monthly_forecast(history[:origin], 1)[0][0])
        naive.append(history[origin - 12] if origin >= 12 else history[origin - 1])
        actual.append(history[origin])
    if not actual:
        return None, None
    return mape(np.array(actual), np.array(model)), mape(np.array(actual), np.array(naive))


def months_of(start: date, days: int) -> list[tuple[date, int, int]]:
    """(first of month, first column, last column + 1) of each month wholly inside the columns."""
    out = []
    end = start + timedelta(days=days)  # exclusive
    month = date(start.year, start.month, 1)
    if month < start:
        month = _next_month(month)
    while True:
        following = _next_month(month)
        if following > end:
            break
        out.append((month, (month - start).days, (following - start).days))
        month = following
    return out


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def monthly_totals(values: np.ndarray, start: date, min_share: float = 0.9) -> tuple[list[date], np.ndarray]:
    """Monthly kWh of one daily series; a month with fewer than `min_share` of its days present is
    scaled up from its mean day, with fewer still it is left missing (NaN)."""
    months, totals = [], []
    for first, a, b in months_of(start, len(values)):
        chunk = values[a:b]
        present = np.isfinite(chunk)
        if present.sum() == 0 or present.mean() < 0.5:
            totals.append(np.nan)
        elif present.mean() >= min_share:
            totals.append(float(np.nansum(chunk) / present.mean()))
        else:
            totals.append(float(np.nanmean(chunk) * len(chunk)))
        months.append(first)
    # leading months without data are not history
    while totals and not np.isfinite(totals[0]):
        totals.pop(0)
        months.pop(0)
    return months, np.array(totals, dtype=float)


def forecast_series(values: np.ndarray, start: date, is_work, today: date) -> Result:
    """Both forecasts and both backtests of one daily series starting at `start` (NaN missing),
    whose last column is the day before `today`. `is_work(day)` answers from the holiday table."""
    n = len(values)
    days = [start + timedelta(days=i) for i in range(n)]
    work = np.array([is_work(d) for d in days], dtype=bool)
    result = Result(method="")
    present = np.flatnonzero(np.isfinite(values))
    if len(present) >= MIN_DAILY_POINTS:
        first = int(present[0])
        hist, hwork = values[first:], work[first:]
        future = [today + timedelta(days=i) for i in range(DAILY_HORIZON)]
        fwork = np.array([is_work(d) for d in future], dtype=bool)
        tail = slice(max(0, len(hist) - DAILY_HISTORY_DAYS), len(hist))
        result.daily = list(zip(future, daily_forecast(hist[tail], hwork[tail], fwork).tolist(), strict=True))
        result.daily_mape, result.daily_naive_mape = daily_backtest(hist, hwork)
    months, totals = monthly_totals(values, start)
    if len(totals) >= 1:
        fc, method = monthly_forecast(totals)
        nxt = _next_month(months[-1])
        future_months = []
        for _ in range(MONTHLY_HORIZON):
            future_months.append(nxt)
            nxt = _next_month(nxt)
        result.monthly = list(zip(future_months, fc.tolist(), strict=True))
        result.monthly_mape, result.monthly_naive_mape = monthly_backtest(totals)
        result.method = method
    else:
        result.method = "daily-only"
    return result


# =================================================================================================
# The nightly job: key accounts and org units, written to ConsumptionForecast.
# =================================================================================================

HISTORY_DAYS = 3 * 365 + 31  # three years and the month being filled


def run_forecasts(day: date, *, customer_ids: list[int] | None = None, units: bool = True) -> dict:
    """Job `consumption_forecasts`: every key account (or the given customers) and every org unit
    (its subtree's customers summed), as of the day before `day`."""
    import time

    from threadpoolctl import threadpool_limits

    from powerkam.core import workdays
    from powerkam.customers.models import Customer

    from .anomalies import Calendar, load_matrix
    from .models import ConsumptionForecast

    started = time.perf_counter()
    end = day - timedelta(days=1)
    start = end - timedelta(days=HISTORY_DAYS - 1)
    cal = Calendar(start=start, is_work=np.zeros(HISTORY_DAYS, dtype=bool), festival=np.zeros(HISTORY_DAYS, dtype=bool),
                   aligned=np.full(HISTORY_DAYS, -1))
    if customer_ids is None:
        customer_ids = list(Customer.objects.filter(is_key_account=True).values_list("pk", flat=True))
    ids, matrix = load_matrix(cal, np.arange(HISTORY_DAYS), customer_ids)
    loaded = time.perf_counter()
    workday = _cached_workday(workdays.is_workday)
    rows, unit_rows = [], []
    # Each fit is tiny: a multi-threaded BLAS only adds contention (10× slower on a busy 2-core host).
    with threadpool_limits(limits=1):
        for i, cid in enumerate(ids):
            r = forecast_series(matrix[i], start, workday, day)
            rows.append(_forecast_row(r, day, customer_id=int(cid)))
        if units:
            unit_rows = _unit_rows(cal, start, workday, day)
    _save(ConsumptionForecast, rows, "customer_id")
    _save(ConsumptionForecast, unit_rows, "org_unit_id")
    return {"customers": len(rows), "units": len(unit_rows), "load_s": round(loaded - started, 2),
            "total_s": round(time.perf_counter() - started, 2)}


def _unit_rows(cal, start: date, workday, day: date) -> list:
    """Every org unit's forecast: its subtree's customers summed."""
    from powerkam.org.models import OrgUnit

    unit_rows = []
    unit_ids, unit_matrix = unit_totals(cal)
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    for uid, path in paths.items():
        members = [i for i, u in enumerate(unit_ids) if paths.get(int(u), "").startswith(path)]
        if not members:
            continue
        series = np.nansum(unit_matrix[members], axis=0)
        series[np.all(np.isnan(unit_matrix[members]), axis=0)] = np.nan
        unit_rows.append(_forecast_row(forecast_series(series, start, workday, day), day, org_unit_id=uid))
    return unit_rows


def _cached_workday(func):
    memo: dict[date, bool] = {}

    def is_work(day: date) -> bool:
        if day not in memo:
            memo[day] = func(day)
        return memo[day]
    return is_work


def unit_totals(cal) -> tuple[np.ndarray, np.ndarray]:
    """(org unit ids, units × days kWh): the customers' complete daily aggregates summed per unit
    in the database (one GROUP BY), never per customer in Python."""
    from django.db import connection

    from powerkam.customers.models import Customer

    from .models import DailyAggregate

    qn = connection.ops.quote_name
    agg, cust = qn(DailyAggregate._meta.db_table), qn(Customer._meta.db_table)
    end = cal.day(cal.length - 1)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c.org_unit_id, a.day, SUM(a.kwh_total) FROM {agg} a JOIN {cust} c ON c.id = a.customer_id "
                       f"WHERE a.day BETWEEN %s AND %s GROUP BY c.org_unit_id, a.day",
                       [connection.ops.adapt_datefield_value(cal.start), connection.ops.adapt_datefield_value(end)])
        rows = cursor.fetchall()
    from .anomalies import _as_date

    units = sorted({r[0] for r in rows})
    index = {u: i for i, u in enumerate(units)}
    matrix = np.full((len(units), cal.length), np.nan)
    for unit, day, kwh in rows:
        matrix[index[unit], (_as_date(day) - cal.start).days] = float(kwh)
    return np.array(units, dtype=np.int64), matrix


def _forecast_row(r: Result, day: date, **subject):
    from .models import ConsumptionForecast

    def rounded(v):
        return None if v is None or not np.isfinite(v) else round(float(v), 2)

    return ConsumptionForecast(
        computed_on=day, method=r.method[:60],
        daily=[[d.isoformat(), round(v, 1)] for d, v in r.daily],
        monthly=[[d.isoformat(), round(v, 1)] for d, v in r.monthly],
        daily_mape=rounded(r.daily_mape), daily_naive_mape=rounded(r.daily_naive_mape),
        monthly_mape=rounded(r.monthly_mape), monthly_naive_mape=rounded(r.monthly_naive_mape), **subject)


def _save(model, rows: list, subject: str) -> None:
    """Replace the subjects' forecasts: one DELETE and batched INSERTs (a forecast is derived data,
    recomputed nightly; not audited)."""
    from django.db import transaction

    if not rows:
        return
    with transaction.atomic():
        model.objects.filter(**{f"{subject}__in": [getattr(r, subject) for r in rows]}).delete()
        model.objects.bulk_create(rows, batch_size=1000)
