"""Worked examples of the calculator (exact yuan): TOU energy, capacity vs demand, the 105 % demand
excess (发改办价格〔2016〕1583号), the 40 % minimum, PF adjustment base, funds, rounding."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from powerkam.billing.calculator import Load, Surcharge, TariffSpec, billed_demand, calculate

TOU = TariffSpec(
    code="LI-10", name="大工业", category="two_part", is_tou=True,
    prices={"sharp": D("1.1"), "peak": D("0.95"), "flat": D("0.62"), "valley": D("0.32")},
    capacity_price=D("25"), demand_price=D("36"),
    surcharges=(Surcharge("water", "国家重大水利工程建设基金", D("0.00196875")),
                Surcharge("resettle", "大中型水库移民后期扶持资金", D("0.0062")),
                Surcharge("renewable", "可再生能源电价附加", D("0.019"))),
)


def month_load(**kw):
    base = dict(kwh={"sharp": D("5000"), "peak": D("20000"), "flat": D("30000"), "valley": D("25000")},
                kvarh=D("48000"), max_demand_kw=D("400"), declared_demand_kw=D("380"), capacity_kva=D("630"),
                pf_standard="0.90", basic_method="capacity")
    base.update(kw)
    return Load(**base)


def test_two_part_tou_bill_by_capacity():
    r = calculate(TOU, month_load())
    amounts = {ln.item: ln.amount for ln in r.lines}
    assert amounts["energy_sharp"] == D("5500.00")
    assert amounts["energy_peak"] == D("19000.00")
    assert amounts["energy_flat"] == D("18600.00")
    assert amounts["energy_valley"] == D("8000.00")
    assert r.energy_charge == D("51100.00")
    assert r.basic_charge == D("15750.00")  # 630 kVA × 25
    assert r.power_factor == D("0.86")
    assert r.pf_adjustment_rate == D("0.0200")
    assert r.pf_adjustment_amount == D("1337.00")  # (51100 + 15750) × 2 %, funds excluded
    assert amounts["fund_water"] == D("157.50")
    assert amounts["fund_resettle"] == D("496.00")
    assert amounts["fund_renewable"] == D("1520.00")
    assert r.surcharges == D("2173.50")
    assert r.total == D("70360.50")
    assert sum(ln.amount for ln in r.lines) == r.total


def test_capacity_vs_demand_answer():
    r = calculate(TOU, month_load())
    # demand: declared 380 → up to 399 kW at 36; 1 kW above 105 % at 72 → 14364 + 72
    assert r.comparison.capacity_charge == D("15750.00")
    assert r.comparison.demand_charge == D("14436.00")
    assert r.comparison.cheaper == "demand"
    assert r.comparison.saving == D("1314.00")


def test_demand_billing_total():
    r = calculate(TOU, month_load(basic_method="demand"))
    assert r.basic_charge == D("14436.00")
    assert r.pf_adjustment_amount == D("1310.72")  # (51100 + 14436) × 2 % = 1310.72
    assert r.total == D("51100.00") + D("14436.00") + D("1310.72") + D("2173.50")
    items = [ln.item for ln in r.lines]
    assert "basic_demand_excess" in items and "basic_capacity" not in items


@pytest.mark.parametrize(("actual", "declared", "capacity", "normal", "excess", "amount"), [
    ("500", "400", "1000", "420", "80", "20880.00"),   # 420 × 36 + 80 × 72
    ("420", "400", "1000", "400", "0", "14400.00"),    # exactly 105 %: no excess
    ("415", "400", "1000", "400", "0", "14400.00"),    # within 105 %: declared value
    ("300", "400", "1000", "400", "0", "14400.00"),    # below declared: declared value
    ("350", "300", "1000", "400", "0", "14400.00"),    # declared below 40 % of 1000 kVA → 400
    ("450", "300", "1000", "420", "30", "17280.00"),   # 40 % floor, then 105 % of it
])
def test_demand_rules_1583(actual, declared, capacity, normal, excess, amount):
    _approved, n, e = billed_demand(D(actual), D(declared), D(capacity))
    assert (n, e) == (D(normal), D(excess))
    r = calculate(TOU, month_load(basic_method="demand", max_demand_kw=D(actual), declared_demand_kw=D(declared),
                                  capacity_kva=D(capacity), kvarh=None))
    assert r.basic_charge == D(amount)


def test_rounding_is_half_up_per_line():
    t = TariffSpec(code="X", name="x", category="single_part", is_tou=False, prices={}, price_single=D("0.615"))
    r = calculate(t, Load(kwh_total=D("3"), pf_standard="none"))
    assert r.energy_charge == D("1.85")  # 1.845 → 1.85 (banker's rounding would give 1.84)
    r = calculate(t, Load(kwh_total=D("1"), pf_standard="none"))
    assert r.total == D("0.62")  # 0.615 → 0.62


def test_single_part_with_given_power_factor():
    t = TariffSpec(code="GC", name="一般工商业", category="single_part", is_tou=False, prices={}, price_single=D("0.68"))
    r = calculate(t, Load(kwh_total=D("12345"), power_factor=D("0.83"), pf_standard="0.85"))
    assert r.energy_charge == D("8394.60")
    assert r.basic_charge == D("0.00")
    assert r.pf_adjustment_rate == D("0.0100")
    assert r.pf_adjustment_amount == D("83.95")  # 83.946
    assert r.total == D("8478.55")
    assert r.comparison is None


def test_pf_reduction_is_negative():
    r = calculate(TOU, month_load(kvarh=D("20000")))  # 80000/√(80000²+20000²) = 0.970 → 0.97 → −0.75 %
    assert r.power_factor == D("0.97")
    assert r.pf_adjustment_rate == D("-0.0075")
    assert r.pf_adjustment_amount == D("-501.38")  # 66850 × −0.0075 = −501.375


@pytest.mark.parametrize(("load_kw", "field"), [
    ({"kwh": {"peak": D("-1")}}, "kwh_peak"),
    ({"power_factor": D("1.2"), "kvarh": None}, "power_factor"),
    ({"kwh": {}, "kwh_total": D("100")}, "kwh_flat"),
    ({"basic_method": "demand", "declared_demand_kw": None}, "declared_demand_kw"),
    ({"capacity_kva": None}, "capacity_kva"),
])
def test_bad_input_field_errors(load_kw, field):
    with pytest.raises(ValidationError) as exc:
        calculate(TOU, month_load(**load_kw))
    assert field in exc.value.message_dict
