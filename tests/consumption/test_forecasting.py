"""Forecasts (issue #14 item 6): a working-day aware daily forecast, a monthly forecast, the
rolling-origin backtest against seasonal naive, and the nightly job's rows."""

from datetime import date, timedelta

import numpy as np
import pytest

from powerkam.consumption import forecasting as fc
from powerkam.consumption.models import ConsumptionForecast
from tests.factories import CustomerFactory, OrgUnitFactory

from .analysis_data import put_daily, regular_series


def weekday_calendar(day: date) -> bool:
    return day.weekday() < 5


def series(days: int, start: date, level=1000.0, noise=0.02, seed=3):
    rng = np.random.default_rng(seed)
    return np.array([(level if weekday_calendar(start + timedelta(days=i)) else level * 0.4) * rng.lognormal(0, noise)
                     for i in range(days)])


def test_daily_forecast_follows_the_working_day_calendar():
    start = date(2025, 1, 6)  # a Monday
    values = series(140, start)
    work = np.array([weekday_calendar(start + timedelta(days=i)) for i in range(140)])
    future = np.array([True, True, True, True, True, False, False])
    out = fc.daily_forecast(values, work, future)
    assert out[:5] == pytest.approx([1000] * 5, rel=0.05)
    assert out[5:] == pytest.approx([400] * 2, rel=0.08)


def test_a_holiday_on_a_weekday_is_forecast_low():
    start = date(2025, 1, 6)
    values = series(140, start)
    work = np.array([weekday_calendar(start + timedelta(days=i)) for i in range(140)])
    out = fc.daily_forecast(values, work, np.array([True, False, True]))
    assert out[1] < out[0] * 0.5


def test_backtest_beats_seasonal_naive_on_a_noisy_series():
    start = date(2025, 1, 6)
    values = series(200, start, noise=0.08, seed=5)
    work = np.array([weekday_calendar(start + timedelta(days=i)) for i in range(200)])
    model, naive = fc.daily_backtest(values, work)
    assert model is not None and naive is not None
    assert model < naive  # smoothing averages the noise the naive forecast copies


def test_mape():
    assert fc.mape(np.array([100.0, 200.0, 0.0]), np.array([110.0, 180.0, 5.0])) == pytest.approx(10.0)
    assert fc.mape(np.array([0.0]), np.array([1.0])) is None


def test_monthly_forecast_with_two_years_is_seasonal():
    months = np.array([100 + 30 * np.cos(2 * np.pi * (m - 7) / 12) for m in range(36)]) * 1000
    out, method = fc.monthly_forecast(months)
    assert method == "holt-winters"
    assert out[6] > out[0]  # July above January
    model, naive = fc.monthly_backtest(months)
    assert model is not None and model < 10


def test_monthly_totals_leave_out_short_months():
    start = date(2025, 1, 15)
    months, totals = fc.monthly_totals(np.full(100, 10.0), start)
    assert months[0] == date(2025, 2, 1)  # January is not whole inside the series
    assert totals[0] == pytest.approx(280.0)


def test_nightly_job_writes_customer_and_unit_forecasts(db, django_assert_max_num_queries):
    unit = OrgUnitFactory()
    today = date(2025, 6, 21)
    start = today - timedelta(days=420)
    customers = [CustomerFactory(org_unit=unit, is_key_account=True) for _ in range(2)]
    for i, cu in enumerate(customers):
        put_daily(cu, start, regular_series(start, 420, seed=i))
    result = fc.run_forecasts(today)
    assert result["customers"] == 2 and result["units"] == 1
    f = ConsumptionForecast.objects.get(customer=customers[0])
    assert [d for d, _v in f.daily][0] == "2025-06-21" and len(f.daily) == 7 and len(f.monthly) == 12
    assert f.daily_mape is not None and f.daily_naive_mape is not None
    unit_f = ConsumptionForecast.objects.get(org_unit=unit)
    assert unit_f.next_7d_kwh == pytest.approx(
        sum(ConsumptionForecast.objects.get(customer=c).next_7d_kwh for c in customers), rel=0.1)
    fc.run_forecasts(today)  # a rerun replaces, never duplicates
    assert ConsumptionForecast.objects.count() == 3
