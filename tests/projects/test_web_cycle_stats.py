"""Cycle-time statistics (issue #12 item 8): mean, median, nearest-rank P90 and the share within
commitment, read off working-day histograms — worked examples."""

from datetime import date
from decimal import Decimal

import pytest

from powerkam.projects.analysis import Histogram, histograms, month_starts, stats_of, trend


@pytest.mark.parametrize(("values", "mean", "median", "p90"), [
    ([5], "5.0", "5", "5"),
    ([3, 5], "4.0", "4.0", "5"),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "5.5", "5.5", "9"),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], "6.0", "6", "10"),
    ([61, 38, 38, 40], "44.3", "39.0", "61"),
    ([2, 2, 2, 2, 2, 2, 2, 2, 2, 30], "4.8", "2.0", "2"),
])
def test_mean_median_and_nearest_rank_p90(values, mean, median, p90):
    s = stats_of(values)
    assert s.count == len(values)
    assert (s.mean, s.median, s.p90) == (Decimal(mean), Decimal(median), Decimal(p90))
    assert s.longest == max(values)


def test_share_within_commitment_counts_only_records_with_a_commitment():
    # 15-day supply plan reply: 12 and 15 are within, 16 is not; the record without a commitment
    # counts in the durations but not in the share.
    s = stats_of([12, 15, 16, 4], [15, 15, 15, None])
    assert s.count == 4
    assert s.within_pct == Decimal("66.7")


def test_empty_histogram_has_no_figures():
    s = Histogram().stats()
    assert (s.count, s.mean, s.median, s.p90, s.within_pct) == (0, None, None, None, None)


def test_histograms_from_grouped_rows_equal_the_plain_values():
    rows = [{"stage": "survey", "days": 3, "within": True, "n": 4},
            {"stage": "survey", "days": 9, "within": False, "n": 1},
            {"stage": "reply", "days": 14, "within": True, "n": 2},
            {"stage": "survey", "days": 3, "within": True, "n": 1}]
    h = histograms(rows, key=lambda r: r["stage"])
    assert h["survey"].stats() == stats_of([3, 3, 3, 3, 3, 9], [5] * 6)
    assert h["reply"].stats().within_pct == Decimal("100.0")
    merged = Histogram()
    merged.merge(h["survey"])
    merged.merge(h["reply"])
    assert merged.stats() == stats_of([3, 3, 3, 3, 3, 9, 14, 14], [5, 5, 5, 5, 5, 5, 15, 15])


def test_twelve_month_trend_has_every_month_even_empty_ones():
    months = month_starts(date(2026, 3, 15))
    assert months[0] == date(2025, 4, 1) and months[-1] == date(2026, 3, 1) and len(months) == 12
    by_month = {date(2025, 4, 1): Histogram({61: 1}), date(2026, 3, 1): Histogram({38: 2})}
    rows = trend(by_month, months)
    assert [r["count"] for r in rows] == [1] + [0] * 10 + [2]
    assert rows[0]["mean"] == Decimal("61.0") and rows[-1]["median"] == Decimal("38")
    assert rows[5]["mean"] is None
