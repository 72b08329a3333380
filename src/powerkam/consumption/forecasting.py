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
  than a year and a half of history — a year before every backtest origin — the last month).
- Which forecast is used (decision 0007, "Model or seasonal naive"): per series and per horizon,
  the fitted model only where its rolling-origin backtest MAPE is strictly lower than the seasonal
  naive's at the same origins; otherwise (or without a backtest) the seasonal naive forecast. A
  forecast the company relies on is never one that did worse than naive on the series' own recent
  past. Both MAPEs and the model used are stored and shown.

This module imports nothing from Django at its top: the job's worker processes import it alone.
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
MONTHLY_BACKTEST_ORIGINS = 6    # monthly origins: 6 … 1 months before the end (1 month ahead)
MIN_DAILY_POINTS = 28
SEASONAL_MONTHS = 24            # Holt-Winters needs two full years

# The forecast used (ConsumptionForecast.daily_model / monthly_model; labels in models.py).
HOLT_WORKDAYS = "holt-workdays"     # daily: Holt's damped trend on the working-day footing
HOLT_WINTERS = "holt-winters"       # monthly: damped trend, multiplicative 12-month season
HOLT = "holt"                       # monthly: damped trend (less than two years)
SEASONAL_NAIVE = "seasonal-naive"   # daily: the same weekday last week; monthly: the same month last year
LAST_MONTH = "last-month"           # monthly naive with less than a year of history


@dataclass
class Result:
    method: str
    daily: list[tuple[date, float]] = field(default_factory=list)
    monthly: list[tuple[date, float]] = field(default_factory=list)
    daily_mape: float | None = None
    daily_naive_mape: float | None = None
    monthly_mape: float | None = None
    monthly_naive_mape: float | None = None
    daily_model: str = ""
    monthly_model: str = ""


def model_wins(model_mape: float | None, naive_mape: float | None) -> bool:
    """The rule (decision 0007): the fitted model is used only where its backtest MAPE is strictly
    lower than the seasonal naive's at the same origins. A tie, or no backtest, means naive."""
    return model_mape is not None and naive_mape is not None and model_mape < naive_mape


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


def daily_naive(history: np.ndarray, horizon: int = DAILY_HORIZON) -> np.ndarray:
    """Seasonal naive: each coming day is the same weekday of the last week (missing days filled
    from the day before, as the model's input)."""
    last_week = _fill(history)[-DAILY_HORIZON:]
    if len(last_week) < DAILY_HORIZON:
        return np.full(horizon, np.nan)
    return np.clip(np.array([last_week[i % DAILY_HORIZON] for i in range(horizon)], dtype=float), 0.0, None)


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
    return paired_mapes(np.concatenate(actual), np.concatenate(model), np.concatenate(naive))


def paired_mapes(actual: np.ndarray, model: np.ndarray, naive: np.ndarray) -> tuple[float | None, float | None]:
    """MAPE of the model and of naive over the same points: where both made a forecast (a naive
    forecast is missing where its source day or month is), so the two figures compare like with like."""
    model, naive = np.asarray(model, dtype=float), np.asarray(naive, dtype=float)
    both = np.isfinite(model) & np.isfinite(naive)
    return mape(actual[both], model[both]), mape(actual[both], naive[both])


def monthly_method(history: np.ndarray) -> str:
    """The fitted model for a monthly history: Holt-Winters with two years, Holt with 4–23 months,
    "naive" (the last month) below that."""
    values = _fill(history)
    if len(values) >= SEASONAL_MONTHS and np.all(values > 0):
        return HOLT_WINTERS
    return HOLT if len(values) >= 4 else "naive"


def monthly_forecast(history: np.ndarray, horizon: int = MONTHLY_HORIZON) -> tuple[np.ndarray, str]:
    """The next `horizon` months from complete monthly totals by the fitted model, and its name."""
    values = _fill(history)
    method = monthly_method(values)
    if method == HOLT_WINTERS:
        return _holt(values, horizon, seasonal=True), method
    if method == HOLT:
        return _holt(values, horizon), method
    last = float(values[-1]) if len(values) else 0.0
    return np.full(horizon, last), method


def monthly_naive_kind(months: int) -> str:
    """Which naive forecast a monthly history of `months` months gets — in its backtest and in its
    forecast alike, so the figure shown is the one of the forecast given: the same month a year
    earlier once every backtest origin has a year before it, else the last month."""
    return SEASONAL_NAIVE if months - MONTHLY_BACKTEST_ORIGINS >= 12 else LAST_MONTH


def monthly_naive(history: np.ndarray, horizon: int = MONTHLY_HORIZON) -> tuple[np.ndarray, str]:
    """The naive forecast of `monthly_naive_kind`: each coming month the same month a year earlier,
    or the last month repeated."""
    values = _fill(history)
    kind = monthly_naive_kind(len(values))
    if kind == SEASONAL_NAIVE:
        return np.array([values[len(values) - 12 + i % 12] for i in range(horizon)], dtype=float), kind
    return np.full(horizon, float(values[-1]) if len(values) else 0.0), kind


def monthly_backtest(history: np.ndarray, origins: int = MONTHLY_BACKTEST_ORIGINS) -> tuple[float | None, float | None]:
    """Rolling origin: at each of the last `origins` months (with 4 months before it), forecast one
    month ahead from the months before it; MAPE of the fitted model and of the seasonal naive (the
    same month a year earlier or the month before: `monthly_naive_kind`)."""
    n = len(history)
    lag = 12 if monthly_naive_kind(n) == SEASONAL_NAIVE else 1
    actual, model, naive = [], [], []
    for k in range(origins, 0, -1):
        origin = n - k
        if origin < 4:
            continue
        model.append(monthly_forecast(history[:origin], 1)[0][0])
        naive.append(history[origin - lag])
        actual.append(history[origin])
    if not actual:
        return None, None
    return paired_mapes(np.array(actual, dtype=float), np.array(model), np.array(naive))


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


def working_days(start: date, days: int, is_work) -> np.ndarray:
    """The working-day flags of `days` days from `start` (`is_work(day)`: the holiday table)."""
    return np.array([is_work(start + timedelta(days=i)) for i in range(days)], dtype=bool)


@dataclass
class Choice:
    """One horizon's forecast used, and the backtest it was chosen by."""
    forecast: np.ndarray
    model: str
    model_mape: float | None
    naive_mape: float | None


def daily_choice(history: np.ndarray, work_history: np.ndarray, work_future: np.ndarray) -> Choice:
    """The next 7 days of a daily history (NaN missing, first day present): Holt on working days
    where its backtest beats the same weekday last week's, else that seasonal naive forecast."""
    model_mape, naive_mape = daily_backtest(history, work_history)
    if model_wins(model_mape, naive_mape):
        tail = slice(max(0, len(history) - DAILY_HISTORY_DAYS), len(history))
        forecast, model = daily_forecast(history[tail], work_history[tail], work_future), HOLT_WORKDAYS
    else:
        forecast, model = daily_naive(history, len(work_future)), SEASONAL_NAIVE
    return Choice(forecast, model, model_mape, naive_mape)


def monthly_choice(totals: np.ndarray) -> Choice:
    """The next 12 months of monthly totals: the fitted model (Holt-Winters or Holt) where its
    backtest beats the seasonal naive's, else the seasonal naive (same month last year; the last
    month with less than a year)."""
    model_mape, naive_mape = monthly_backtest(totals)
    if model_wins(model_mape, naive_mape):
        forecast, model = monthly_forecast(totals)
    else:
        forecast, model = monthly_naive(totals)
    return Choice(forecast, model, model_mape, naive_mape)


def forecast_series(values: np.ndarray, start: date, work: np.ndarray, today: date) -> Result:
    """Both forecasts and both backtests of one daily series starting at `start` (NaN missing),
    whose last column is the day before `today`; `work`: the working-day flags from `start` to the
    last forecast day (len(values) + DAILY_HORIZON)."""
    n = len(values)
    work = np.asarray(work, dtype=bool)
    result = Result(method="")
    present = np.flatnonzero(np.isfinite(values))
    if len(present) >= MIN_DAILY_POINTS:
        first = int(present[0])
        daily = daily_choice(values[first:], work[first:n], work[n:n + DAILY_HORIZON])
        result.daily = list(zip([today + timedelta(days=i) for i in range(DAILY_HORIZON)], daily.forecast.tolist(),
                                strict=True))
        result.daily_model, result.daily_mape, result.daily_naive_mape = daily.model, daily.model_mape, daily.naive_mape
    months, totals = monthly_totals(values, start)
    if len(totals) >= 1:
        monthly = monthly_choice(totals)
        result.method = monthly_method(totals)
        result.monthly_model, result.monthly_mape, result.monthly_naive_mape = (
            monthly.model, monthly.model_mape, monthly.naive_mape)
        nxt = _next_month(months[-1])
        future_months = []
        for _ in range(MONTHLY_HORIZON):
            future_months.append(nxt)
            nxt = _next_month(nxt)
        result.monthly = list(zip(future_months, monthly.forecast.tolist(), strict=True))
    else:
        result.method = "daily-only"
    return result


# =================================================================================================
# Many series at once: chunks of rows in worker processes (both cores of a 2-core server).
# =================================================================================================

MIN_CHUNK = 8         # fewer rows than two chunks are forecast in the job's own process
CHUNKS_PER_WORKER = 4  # smaller chunks balance the workers (series differ in cost)


def _worker_init() -> None:
    """Each fit is tiny: a multi-threaded BLAS only adds contention (10× slower on a busy 2-core
    host), so a worker's numpy runs single-threaded for its whole life."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def _forecast_rows(rows: np.ndarray, start: date, work: np.ndarray, today: date) -> list[Result]:
    return [forecast_series(row, start, work, today) for row in rows]


def forecast_many(matrix: np.ndarray, start: date, work: np.ndarray, today: date, *, workers: int = 1
                  ) -> tuple[list[Result], int]:
    """`forecast_series` of every row of `matrix` (series × days from `start`), and how many
    processes did it (1: the job's own). With `workers` > 1 the rows go in chunks to a pool of
    fresh processes (spawn: nothing of the job's database connection is inherited); a worker that
    dies (killed, out of memory) loses nothing — its chunks are forecast again here, in the job's
    process."""
    from threadpoolctl import threadpool_limits

    rows = len(matrix)
    if workers <= 1 or rows < 2 * MIN_CHUNK:
        with threadpool_limits(limits=1):
            return _forecast_rows(matrix, start, work, today), 1
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    size = max(MIN_CHUNK, -(-rows // (workers * CHUNKS_PER_WORKER)))
    offsets = list(range(0, rows, size))
    results: dict[int, list[Result]] = {}
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init)
    try:
        futures = {a: pool.submit(_forecast_rows, matrix[a:a + size], start, work, today) for a in offsets}
        for a, future in futures.items():
            try:
                results[a] = future.result()
            except BrokenProcessPool:
                continue  # the chunk is done again below
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    missing = [a for a in offsets if a not in results]
    if missing:
        with threadpool_limits(limits=1):
            for a in missing:
                results[a] = _forecast_rows(matrix[a:a + size], start, work, today)
    return [r for a in offsets for r in results[a]], workers


# =================================================================================================
# The nightly job: key accounts and org units, written to ConsumptionForecast.
# =================================================================================================

HISTORY_DAYS = 3 * 365 + 31  # three years and the month being filled


def forecast_workers() -> int:
    """Worker processes of the forecast job: POWERKAM_FORECAST_WORKERS (settings), else one per CPU
    up to 4."""
    import os

    from django.conf import settings

    configured = getattr(settings, "POWERKAM_FORECAST_WORKERS", 0)
    return max(1, configured or min(os.cpu_count() or 1, 4))


def run_forecasts(day: date, *, customer_ids: list[int] | None = None, units: bool = True,
                  workers: int | None = None) -> dict:
    """Job `consumption_forecasts`: every key account (or the given customers) and every org unit
    (its subtree's customers summed), as of the day before `day`. The series are forecast in
    `workers` processes (default `forecast_workers()`); the results replace the subjects' previous
    forecasts in one transaction, so a rerun — or the rerun core.jobs makes after a lost worker —
    gives the same rows, never a half-written set."""
    import time

    from django.db import transaction

    from powerkam.core import workdays
    from powerkam.customers.models import Customer

    from .anomalies import Calendar, load_matrix
    from .models import ConsumptionForecast

    started = time.perf_counter()
    workers = forecast_workers() if workers is None else workers
    end = day - timedelta(days=1)
    start = end - timedelta(days=HISTORY_DAYS - 1)
    cal = Calendar(start=start, is_work=np.zeros(HISTORY_DAYS, dtype=bool), festival=np.zeros(HISTORY_DAYS, dtype=bool),
                   aligned=np.full(HISTORY_DAYS, -1))
    if customer_ids is None:
        customer_ids = list(Customer.objects.filter(is_key_account=True).values_list("pk", flat=True))
    ids, matrix = load_matrix(cal, np.arange(HISTORY_DAYS), customer_ids)
    unit_ids, unit_series = _unit_series(cal) if units else ([], np.zeros((0, HISTORY_DAYS)))
    loaded = time.perf_counter()
    work = working_days(start, HISTORY_DAYS + DAILY_HORIZON, workdays.is_workday)
    results, used = forecast_many(np.vstack([matrix, unit_series]), start, work, day, workers=workers)
    rows = [_forecast_row(r, day, customer_id=int(cid)) for r, cid in zip(results[:len(ids)], ids, strict=True)]
    unit_rows = [_forecast_row(r, day, org_unit_id=uid) for r, uid in zip(results[len(ids):], unit_ids, strict=True)]
    fitted = time.perf_counter()
    with transaction.atomic():
        _save(ConsumptionForecast, rows, "customer_id")
        _save(ConsumptionForecast, unit_rows, "org_unit_id")
    naive = sum(1 for r in results if r.monthly_model in (SEASONAL_NAIVE, LAST_MONTH))
    return {"customers": len(rows), "units": len(unit_rows), "workers": used, "load_s": round(loaded - started, 2),
            "fit_s": round(fitted - loaded, 2), "total_s": round(time.perf_counter() - started, 2),
            "monthly_naive_used": naive,
            "daily_naive_used": sum(1 for r in results if r.daily_model == SEASONAL_NAIVE)}


def _unit_series(cal) -> tuple[list[int], np.ndarray]:
    """Every org unit's daily series: its subtree's customers summed (units without customers left out)."""
    from powerkam.org.models import OrgUnit

    unit_ids, unit_matrix = unit_totals(cal)
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    subjects, series = [], []
    for uid, path in paths.items():
        members = [i for i, u in enumerate(unit_ids) if paths.get(int(u), "").startswith(path)]
        if not members:
            continue
        total = np.nansum(unit_matrix[members], axis=0)
        total[np.all(np.isnan(unit_matrix[members]), axis=0)] = np.nan
        subjects.append(uid)
        series.append(total)
    return subjects, (np.array(series) if series else np.zeros((0, cal.length)))


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
        computed_on=day, method=r.method[:60], daily_model=r.daily_model, monthly_model=r.monthly_model,
        daily=[[d.isoformat(), round(v, 1)] for d, v in r.daily],
        monthly=[[d.isoformat(), round(v, 1)] for d, v in r.monthly],
        daily_mape=rounded(r.daily_mape), daily_naive_mape=rounded(r.daily_naive_mape),
        monthly_mape=rounded(r.monthly_mape), monthly_naive_mape=rounded(r.monthly_naive_mape), **subject)


def _save(model, rows: list, subject: str) -> None:
    """Replace the subjects' forecasts: one DELETE and batched INSERTs (a forecast is derived data,
    recomputed nightly; not audited). The caller holds the transaction."""
    if not rows:
        return
    model.objects.filter(**{f"{subject}__in": [getattr(r, subject) for r in rows]}).delete()
    model.objects.bulk_create(rows, batch_size=1000)
