"""Usage advice: kvar for a known load and PF, capacity vs demand with the calculator, peak→valley."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from powerkam.billing import constants as bc
from powerkam.billing.calculator import Load, calculate
from powerkam.billing.services import spec_from_tariff
from powerkam.consumption.advice import kvar_needed, usage_advice
from powerkam.consumption.models import DailyAggregate


@pytest.mark.parametrize(("p", "pf1", "pf2", "kvar"), [
    # 1,000 kW from 0.80 to 0.90: tanφ₁ = 0.75, tanφ₂ = 0.48432 → 265.7 kvar
    (Decimal("1000"), Decimal("0.80"), Decimal("0.90"), Decimal("265.7")),
    # 500 kW from 0.70 to 0.85: tanφ₁ = 1.02020, tanφ₂ = 0.61974 → 200.2 kvar
    (Decimal("500"), Decimal("0.70"), Decimal("0.85"), Decimal("200.2")),
    (Decimal("500"), Decimal("0.92"), Decimal("0.90"), Decimal("0.0")),  # already above the standard
])
def test_kvar_needed_for_a_known_load_and_pf(p, pf1, pf2, kvar):
    assert kvar_needed(p, pf1, pf2) == kvar


def _year_of_aggregates(customer, first: date, *, kwh=Decimal("9600"), kvarh=Decimal("7200"), max_kw=Decimal("500")):
    rows = []
    day = first
    while day < date(first.year + 1, first.month, 1):
        rows.append(DailyAggregate(customer=customer, day=day, kwh_total=kwh, kwh_sharp=kwh / 10,
                                   kwh_peak=kwh * 3 / 10, kwh_flat=kwh * 3 / 10, kwh_valley=kwh * 3 / 10,
                                   kvarh=kvarh, max_demand_kw=max_kw, slots=96, complete=True))
        day += timedelta(days=1)
    DailyAggregate.objects.bulk_create(rows)


@pytest.mark.django_db
def test_advice_figures_from_twelve_months(meter, tariff):
    customer = meter.customer
    customer.pf_standard = "0.90"
    customer.basic_charge_method = "capacity"
    customer.save()
    _year_of_aggregates(customer, date(2025, 11, 1))
    advice = usage_advice(customer, today=date(2026, 11, 15))
    assert len(advice.months) == 12 and advice.months[0].month == date(2025, 11, 1)
    nov = advice.months[0]
    assert nov.kwh == Decimal("288000")  # 30 days × 9,600
    # the capacity/demand comparison of November is the calculator's for that month's load
    load = Load(kwh={p: v for p, v in nov.kwh_by_period.items()}, kvarh=nov.kvarh, max_demand_kw=Decimal("500"),
                declared_demand_kw=Decimal("500"), capacity_kva=Decimal("800"), pf_standard="0.90",
                basic_method=bc.BasicMethod.CAPACITY)
    result = calculate(spec_from_tariff(tariff), load)
    assert nov.capacity_charge == result.comparison.capacity_charge == Decimal("20000.00")  # 800 kVA × 25
    # 288,000 kWh / 800 kVA = 360 ≥ 260: demand at 90 % — 500 kW × 36 × 0.9
    assert nov.high_use and nov.demand_charge == Decimal("16200.00")
    assert advice.cheaper == "demand"
    assert advice.basic_saving == advice.capacity_total - advice.demand_total
    # 1 % of the year's kWh from peak (0.95) to valley (0.32): 0.01 × 3,504,000 × 0.63
    assert advice.kwh_total == Decimal("3504000")
    assert advice.shift_yuan_per_percent == Decimal("22075.20")
    # PF = 9600 / √(9600² + 7200²) = 0.80 → to 0.90 at the year's maximum demand 500 kW
    assert advice.pf_now == Decimal("0.80")
    assert advice.kvar == Decimal("132.8")
    assert advice.pf_yuan_saved > 0
    # at PF 0.80 under the 0.90 table: +5 % of (energy + basic); at 0.90: 0
    assert nov.pf_adjustment_now == result.pf_adjustment_amount and nov.pf_adjustment_at_standard == Decimal("0.00")


@pytest.mark.django_db
def test_no_data_no_advice(meter):
    assert not usage_advice(meter.customer, today=date(2026, 11, 15)).has_data


@pytest.mark.django_db
def test_shares_are_over_the_days_with_a_known_split(meter, tariff):
    """A month with days of daily readings without period registers (split NULL): the peak and valley
    shares are over the other days, and that month is counted, not billed on a partial split."""
    customer = meter.customer
    _year_of_aggregates(customer, date(2025, 11, 1))  # 10 % sharp, 30 % peak, 30 % flat, 30 % valley
    DailyAggregate.objects.filter(customer=customer, day__range=(date(2026, 3, 1), date(2026, 3, 10))).update(
        kwh_total=Decimal("20000"), kwh_sharp=None, kwh_peak=None, kwh_flat=None, kwh_valley=None)
    advice = usage_advice(customer, today=date(2026, 11, 15))
    assert advice.split_incomplete_months == 1
    assert advice.peak_share == Decimal("0.400") and advice.valley_share == Decimal("0.300")
    march = next(m for m in advice.months if m.month == date(2026, 3, 1))
    assert march.kwh == Decimal("9600") * 21 + Decimal("20000") * 10 and march.kwh_split == Decimal("9600") * 21
    assert march.capacity_charge is None  # a TOU tariff is not billed on part of the month's energy
