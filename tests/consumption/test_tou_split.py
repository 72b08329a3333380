"""TOU split of a known curve across band edges, load factor and maximum demand (aggregates.py)."""

from datetime import date, time
from decimal import Decimal

import numpy as np
from django.utils import timezone

from powerkam.consumption.aggregates import day_figures, tou_weights

from .conftest import BANDS

DAY = date(2026, 11, 2)


def test_constant_curve_splits_by_band_hours():
    fig = day_figures(DAY, np.full(96, 100.0), None, tou_weights(list(BANDS)))
    # 100 kW × 0.25 h = 25 kWh a slot; sharp 2 h, peak 5 h, valley 8 h, flat 9 h
    assert fig.kwh_total == Decimal("2400.000")
    assert (fig.kwh_sharp, fig.kwh_peak, fig.kwh_flat, fig.kwh_valley) == (
        Decimal("200.000"), Decimal("500.000"), Decimal("900.000"), Decimal("800.000"))


def test_slots_either_side_of_an_edge_fall_in_their_own_band():
    kw = np.zeros(96)
    kw[31] = 400.0  # slot 32: 07:45–08:00, flat
    kw[32] = 800.0  # slot 33: 08:00–08:15, peak
    kw[27] = 40.0   # slot 28: 06:45–07:00, valley
    kw[28] = 80.0   # slot 29: 07:00–07:15, flat
    fig = day_figures(DAY, kw, None, tou_weights(list(BANDS)))
    assert fig.kwh_flat == Decimal("120.000")  # (400 + 80) × 0.25
    assert fig.kwh_peak == Decimal("200.000")
    assert fig.kwh_valley == Decimal("10.000")
    assert fig.kwh_total == Decimal("330.000")


def test_an_edge_inside_an_interval_splits_it_by_minutes():
    w = tou_weights([("peak", time(10, 5), time(11))])
    # slot 41 is 10:00–10:15: 5 minutes flat, 10 minutes peak
    assert np.allclose(w[40], [0, 2 / 3, 1 / 3, 0])
    fig = day_figures(DAY, np.where(np.arange(96) == 40, 120.0, 0.0), None, w)
    assert (fig.kwh_peak, fig.kwh_flat) == (Decimal("20.000"), Decimal("10.000"))


def test_load_factor_and_maximum_demand_of_a_known_curve():
    kw = np.array([100.0] * 48 + [200.0] * 48)
    kw[70] = 300.0  # slot 71 ends at 17:45
    fig = day_figures(DAY, kw, None, tou_weights([]))
    assert fig.max_demand_kw == Decimal("300.000")
    assert timezone.localtime(fig.max_demand_at).time() == time(17, 45)
    # mean = (48×100 + 47×200 + 300) / 96 = 150.0 + 100/96 ; LF = mean / 300
    assert fig.load_factor == Decimal(str(round(((4800 + 9400 + 300) / 96) / 300, 4)))
    assert fig.kwh_total == Decimal("3625.000")


def test_power_factor_from_the_days_energies():
    fig = day_figures(DAY, np.full(96, 300.0), np.full(96, 225.0), tou_weights([]))
    # P = 7200 kWh, Q = 7200 × 0.75 → cos φ = 1 / √(1 + 0.5625) = 0.8
    assert fig.avg_power_factor == Decimal("0.8000")
    assert fig.kvarh == Decimal("5400.000")


def test_missing_slots_are_left_out():
    kw = np.full(96, 100.0)
    kw[:4] = np.nan
    fig = day_figures(DAY, kw, None, tou_weights([]))
    assert fig.slots == 92
    assert fig.kwh_total == Decimal("2300.000")
    assert fig.load_factor == Decimal("1.0000")
