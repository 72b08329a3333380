"""发改价格〔2023〕526号: a demand-billed user whose month reaches 260 kWh per kVA pays 90 % of the
demand price — at 259 kWh/kVA the full price, at 260 the 90 % price; in the calculator and the run."""

from datetime import date
from decimal import Decimal

import pytest

from powerkam.billing import constants as c
from powerkam.billing.calculator import Load, TariffSpec, calculate

TARIFF = TariffSpec(code="T", name="T", category=c.TariffCategory.TWO_PART, is_tou=False, prices={},
                    price_single=Decimal("0.6"), capacity_price=Decimal("25"), demand_price=Decimal("36"))


def demand_load(kwh_per_kva: int, capacity=Decimal("1000")) -> Load:
    return Load(kwh_total=capacity * kwh_per_kva, max_demand_kw=Decimal("500"), declared_demand_kw=Decimal("500"),
                capacity_kva=capacity, basic_method=c.BasicMethod.DEMAND)


@pytest.mark.parametrize(("kwh_per_kva", "price", "basic"), [
    (259, Decimal("36"), Decimal("18000.00")),   # 500 kW × 36
    (260, Decimal("32.4"), Decimal("16200.00")),  # 500 kW × 36 × 90 %
    (400, Decimal("32.4"), Decimal("16200.00")),
])
def test_demand_price_at_259_and_260_kwh_per_kva(kwh_per_kva, price, basic):
    result = calculate(TARIFF, demand_load(kwh_per_kva))
    line = next(ln for ln in result.lines if ln.item == "basic_demand")
    assert line.unit_price == price
    assert result.basic_charge == basic
    # the capacity/demand comparison uses the month's demand price too
    assert result.comparison.demand_charge == basic


def test_capacity_billing_is_not_affected():
    load = demand_load(300)
    load.basic_method = c.BasicMethod.CAPACITY
    assert calculate(TARIFF, load).basic_charge == Decimal("25000.00")


def test_excess_demand_is_doubled_from_the_reduced_price():
    load = Load(kwh_total=Decimal("260000"), max_demand_kw=Decimal("600"), declared_demand_kw=Decimal("500"),
                capacity_kva=Decimal("1000"), basic_method=c.BasicMethod.DEMAND)
    result = calculate(TARIFF, load)
    excess = next(ln for ln in result.lines if ln.item == "basic_demand_excess")
    assert excess.unit_price == Decimal("64.8") and excess.quantity == Decimal("75.00")


@pytest.mark.django_db
@pytest.mark.parametrize(("kwh", "basic"), [(Decimal("207200"), Decimal("14400.00")),
                                            (Decimal("208000"), Decimal("12960.00"))])
def test_billing_run_applies_the_rule(kwh, basic):
    """800 kVA: 207,200 kWh = 259 kWh/kVA, 208,000 = 260; declared 400 kW × 36 (× 90 %)."""
    from powerkam.billing.models import Bill
    from powerkam.billing.services import run_billing
    from tests.billing.factories import MeterReadingFactory, TariffFactory
    from tests.factories import CustomerFactory

    tariff = TariffFactory(is_tou=False, price_single=Decimal("0.6"), price_peak=None, price_flat=None,
                           price_valley=None, price_sharp=None)
    customer = CustomerFactory(tariff_code=tariff.code, basic_charge_method="demand", contract_capacity_kva=Decimal("800"))
    MeterReadingFactory(customer=customer, period=date(2026, 10, 1), kwh_total=kwh, kwh_sharp=0, kwh_peak=0,
                        kwh_flat=0, kwh_valley=0, max_demand_kw=Decimal("380"), declared_demand_kw=Decimal("400"))
    run_billing(date(2026, 10, 1))
    assert Bill.objects.get(customer=customer).basic_charge == basic
