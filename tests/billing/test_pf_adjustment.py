"""功率因数调整电费办法 (1983): PF from energy, rounded half-up to 2 places; the three official tables."""

from decimal import Decimal as D

import pytest

from powerkam.billing.calculator import pf_adjustment_rate, power_factor

# (standard, PF, rate as a fraction) straight from the printed tables.
TABLE_CASES = [
    # 表一 0.90
    ("0.90", "1.00", "-0.0075"), ("0.90", "0.95", "-0.0075"), ("0.90", "0.94", "-0.0060"),
    ("0.90", "0.92", "-0.0030"), ("0.90", "0.91", "-0.0015"), ("0.90", "0.90", "0.0000"),
    ("0.90", "0.89", "0.0050"), ("0.90", "0.86", "0.0200"), ("0.90", "0.80", "0.0500"),
    ("0.90", "0.70", "0.1000"), ("0.90", "0.69", "0.1100"), ("0.90", "0.65", "0.1500"),
    ("0.90", "0.64", "0.1700"), ("0.90", "0.60", "0.2500"),
    # 表二 0.85
    ("0.85", "1.00", "-0.0110"), ("0.85", "0.94", "-0.0110"), ("0.85", "0.93", "-0.0095"),
    ("0.85", "0.91", "-0.0065"), ("0.85", "0.90", "-0.0050"), ("0.85", "0.86", "-0.0010"),
    ("0.85", "0.85", "0.0000"), ("0.85", "0.84", "0.0050"), ("0.85", "0.75", "0.0500"),
    ("0.85", "0.65", "0.1000"), ("0.85", "0.64", "0.1100"), ("0.85", "0.60", "0.1500"),
    ("0.85", "0.59", "0.1700"), ("0.85", "0.55", "0.2500"),
    # 表三 0.80
    ("0.80", "1.00", "-0.0130"), ("0.80", "0.92", "-0.0130"), ("0.80", "0.91", "-0.0115"),
    ("0.80", "0.90", "-0.0100"), ("0.80", "0.85", "-0.0050"), ("0.80", "0.81", "-0.0010"),
    ("0.80", "0.80", "0.0000"), ("0.80", "0.79", "0.0050"), ("0.80", "0.70", "0.0500"),
    ("0.80", "0.60", "0.1000"), ("0.80", "0.59", "0.1100"), ("0.80", "0.55", "0.1500"),
    ("0.80", "0.54", "0.1700"), ("0.80", "0.50", "0.2500"),
]


@pytest.mark.parametrize(("standard", "pf", "rate"), TABLE_CASES)
def test_official_tables(standard, pf, rate):
    assert pf_adjustment_rate(standard, D(pf)) == D(rate)


def test_not_assessed_means_no_adjustment():
    assert pf_adjustment_rate("none", D("0.50")) == D("0")
    assert pf_adjustment_rate("0.90", None) == D("0")


@pytest.mark.parametrize(("kwh", "kvarh", "pf"), [
    ("10000", "4843", "0.90"),   # 0.90001
    ("100", "49.6", "0.90"),     # 0.89586: rounded half-up, not truncated to 0.89
    ("100", "50", "0.89"),       # 0.89443
    ("80000", "48000", "0.86"),  # 0.85749
    ("1000", "0", "1.00"),
    ("0", "100", "0.00"),
])
def test_power_factor_from_energy(kwh, kvarh, pf):
    assert power_factor(D(kwh), D(kvarh)) == D(pf)


def test_no_energy_no_power_factor():
    assert power_factor(D("0"), D("0")) is None


def test_unrounded_pf_input_is_rounded_half_up_before_lookup():
    # 0.895 → 0.90 → no adjustment under 0.90; 0.8949 → 0.89 → +0.5 %
    assert pf_adjustment_rate("0.90", D("0.895")) == D("0")
    assert pf_adjustment_rate("0.90", D("0.8949")) == D("0.0050")
