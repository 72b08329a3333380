"""The anomaly watch's computation on synthetic series (issue #14 item 5): a drop, a rise, zero
and flat readings are found; weekends, public holidays and the Spring Festival dip are not."""

from datetime import date, timedelta

import numpy as np
import pytest

from powerkam.consumption.anomalies import WatchRules, needed_columns, scan
from powerkam.consumption.anomaly_harness import evaluate, package_anchors, package_calendar


def industrial(cal, level=10_000.0, weekend=0.5, seed=1, dip=True):
    """One industrial customer: weekends at half, the festival dip (ramp down 7 days, 8 days at
    20 %, ramp up over 14), ±3 % noise."""
    rng = np.random.default_rng(seed)
    values = np.where(cal.is_work, level, level * weekend).astype(float)
    if dip:
        for anchor in package_anchors(cal.start, cal.day(cal.length - 1)).values():
            for i in range(cal.length):
                off = (cal.day(i) - anchor).days
                if -7 <= off < 0:
                    values[i] *= 1 - 0.8 * (off + 7) / 7
                elif 0 <= off < 8:
                    values[i] *= 0.2
                elif 8 <= off < 22:
                    values[i] *= 0.2 + 0.8 * (off - 8) / 14
    return values * rng.lognormal(0, 0.03, cal.length)


def kinds(values, cal, rules=None):
    return {f.kind for f in scan(np.atleast_2d(values), cal, rules or WatchRules())}


def calendar_to(today):
    return package_calendar(today - timedelta(days=520), today)


def test_normal_customer_raises_nothing():
    cal = calendar_to(date(2025, 7, 16))
    assert kinds(industrial(cal), cal) == set()


@pytest.mark.parametrize("today", [date(2025, 2, 7), date(2025, 2, 14), date(2025, 2, 24), date(2026, 2, 26)])
def test_spring_festival_dip_is_not_an_anomaly(today):
    """The festival (2025-01-28…02-04; 2026-02-15…23) and the ramps around it are this customer's
    own yearly pattern, seen last year too."""
    cal = calendar_to(today)
    assert kinds(industrial(cal), cal) == set()


def test_public_holiday_week_is_not_a_drop():
    cal = calendar_to(date(2025, 10, 9))  # the National Day week 10-01…10-08 just ended
    assert kinds(industrial(cal, dip=False), cal) == set()


def test_injected_drop_is_found_with_its_start():
    today = date(2025, 6, 20)
    cal = calendar_to(today)
    values = industrial(cal, dip=False)
    first = cal.length - 12  # 2025-06-09, a Monday
    values[first:] *= 0.55
    findings = scan(np.atleast_2d(values), cal)
    assert [f.kind for f in findings] == ["drop"]
    assert findings[0].started_on == date(2025, 6, 9)
    assert findings[0].days == 10
    assert findings[0].ratio == pytest.approx(0.55, abs=0.05)


def test_injected_drop_during_the_spring_festival_season_is_found():
    """A customer that stays at 40 % when it should ramp back up after the festival."""
    today = date(2025, 3, 7)
    cal = calendar_to(today)
    values = industrial(cal)
    values[cal.length - 14:] *= 0.4
    assert kinds(values, cal) == {"drop"}


def test_a_short_drop_is_not_enough():
    cal = calendar_to(date(2025, 6, 20))
    values = industrial(cal, dip=False)
    values[cal.length - 4:] *= 0.5  # Tue–Fri: four working days, the rule wants five
    assert kinds(values, cal) == set()
    assert kinds(values, cal, WatchRules(drop_workdays=4)) == {"drop"}


def test_rise_zero_and_flat():
    cal = calendar_to(date(2025, 6, 20))
    rise, zero, flat = (industrial(cal, dip=False, seed=s) for s in (2, 3, 4))
    rise[cal.length - 2:] *= 2.2
    zero[cal.length - 5:] = 0
    flat[cal.length - 5:] = flat[cal.length - 6]
    findings = scan(np.vstack([rise, zero, flat]), cal)
    assert sorted((f.row, f.kind) for f in findings) == [(0, "rise"), (1, "zero"), (2, "flat")]


def test_missing_days_are_not_judged():
    cal = calendar_to(date(2025, 6, 20))
    values = industrial(cal, dip=False)
    values[cal.length - 10:] = np.nan
    assert kinds(values, cal) == set()


def test_only_the_needed_columns_are_read():
    cal = calendar_to(date(2025, 6, 20))
    assert len(needed_columns(cal, WatchRules())) == WatchRules().days_needed
    festive = calendar_to(date(2025, 2, 14))
    cols = needed_columns(festive, WatchRules())
    assert len(cols) > WatchRules().days_needed  # and last year's season
    assert cols.min() < festive.length - 365


@pytest.mark.parametrize("today", [date(2025, 6, 20), date(2025, 2, 14), date(2026, 2, 26)])
def test_a_matrix_of_the_needed_columns_only_gives_the_same_findings(today):
    """The nightly run allocates its matrix from the first needed column on (105 days on an
    ordinary day, not the calendar's 521): in and around the festival season too, nothing changes."""
    from powerkam.consumption.anomaly_harness import inject, synthetic_matrix

    cal = calendar_to(today)
    rng = np.random.default_rng(3)
    values = synthetic_matrix(cal, 300, rng, package_anchors(cal.start, today))
    inject(values, cal, rng, np.arange(0, 300, 3), WatchRules())
    first = int(needed_columns(cal, WatchRules()).min())
    assert first > 0
    whole = [(f.row, f.kind, f.started_on, f.days) for f in scan(values, cal)]
    cut = [(f.row, f.kind, f.started_on, f.days) for f in scan(values[:, first:], cal.from_column(first))]
    assert len(whole) >= 80 and cut == whole


def test_precision_and_recall_on_injected_anomalies():
    """The harness (bench/run_consumption_analysis.py runs it larger): drops of 30–70 % over 5+
    working days, rises, flat lines and zero readings, against normal seasonal and holiday
    variation at 13 dates around the Spring Festival, Labour Day, National Day and others."""
    score = evaluate(per_day=120, seed=7)
    assert score.precision >= 0.9
    assert score.recall >= 0.9
