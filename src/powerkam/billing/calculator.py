"""The bill calculator (电费试算): pure functions over plain values, Decimal throughout.

`calculate(tariff, load)` returns an itemised `BillResult`. Every line amount is rounded to
0.01 yuan with ROUND_HALF_UP; the charges are sums of rounded lines, and the total the sum of
the charges, so the printed lines always add up to the printed total.

Rules:
- energy charge: kWh per time-of-use period × that period's price (or total kWh × the non-TOU
  price);
- basic charge (two-part tariffs only): capacity (kVA) × yuan/kVA·month, or by maximum demand per
  发改办价格〔2016〕1583号 (see `demand_basic_charge`), at 90 % of the demand price in a month whose
  kWh per kVA of capacity reaches 260 (发改价格〔2023〕526号, `demand_price_for`);
- power-factor adjustment per 《功率因数调整电费办法》(1983): cosφ = kWh / √(kWh² + kvarh²),
  rounded half-up to 2 places, looked up in the official table of the customer's standard;
  the percentage applies to basic charge + energy charge (not to government funds and
  surcharges, which are collected on behalf of the state);
- funds and surcharges: total kWh × each item's price, one line each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import constants as c

ZERO = Decimal("0")


def money(value: Decimal) -> Decimal:
    return value.quantize(c.CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Surcharge:
    code: str
    name: str
    price: Decimal


@dataclass(frozen=True)
class TariffSpec:
    """The prices the calculator needs; built from a catalogue `Tariff` or given inline."""

    code: str
    name: str
    category: str  # c.TariffCategory
    is_tou: bool
    prices: dict[str, Decimal | None]  # TOU period -> yuan/kWh
    price_single: Decimal | None = None
    capacity_price: Decimal | None = None
    demand_price: Decimal | None = None
    surcharges: tuple[Surcharge, ...] = ()

    @property
    def two_part(self) -> bool:
        return self.category == c.TariffCategory.TWO_PART


@dataclass
class Load:
    """A month's metered quantities and the customer's contract terms."""

    kwh: dict[str, Decimal] = field(default_factory=dict)  # TOU period -> kWh
    kwh_total: Decimal | None = None  # for non-TOU tariffs
    kvarh: Decimal | None = None
    power_factor: Decimal | None = None  # given instead of kvarh
    max_demand_kw: Decimal | None = None
    declared_demand_kw: Decimal | None = None
    capacity_kva: Decimal | None = None
    pf_standard: str = "none"  # "0.90" | "0.85" | "0.80" | "none"
    basic_method: str = c.BasicMethod.CAPACITY

    @property
    def total_kwh(self) -> Decimal:
        if self.kwh:
            return sum(self.kwh.values(), ZERO)
        return self.kwh_total or ZERO


@dataclass(frozen=True)
class Line:
    item: str
    label: str
    quantity: Decimal | None
    unit: str
    unit_price: Decimal | None
    amount: Decimal

    def as_dict(self) -> dict:
        return {
            "item": self.item, "label": self.label,
            "quantity": None if self.quantity is None else str(self.quantity),
            "unit": self.unit,
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "amount": str(self.amount),
        }


@dataclass
class BasicComparison:
    capacity_charge: Decimal
    demand_charge: Decimal
    cheaper: str  # "capacity" | "demand" | "equal"
    saving: Decimal

    def as_dict(self) -> dict:
        return {"capacity_charge": str(self.capacity_charge), "demand_charge": str(self.demand_charge),
                "cheaper": self.cheaper, "saving": str(self.saving)}


@dataclass
class BillResult:
    tariff_code: str
    kwh: Decimal
    kvarh: Decimal | None
    energy_charge: Decimal
    basic_charge: Decimal
    power_factor: Decimal | None
    pf_adjustment_rate: Decimal
    pf_adjustment_amount: Decimal
    surcharges: Decimal
    total: Decimal
    lines: list[Line]
    basic_method: str | None
    billed_demand_kw: Decimal | None = None
    comparison: BasicComparison | None = None

    def as_dict(self) -> dict:
        return {
            "tariff_code": self.tariff_code,
            "kwh": str(self.kwh),
            "energy_charge": str(self.energy_charge),
            "basic_charge": str(self.basic_charge),
            "basic_method": self.basic_method,
            "billed_demand_kw": None if self.billed_demand_kw is None else str(self.billed_demand_kw),
            "power_factor": None if self.power_factor is None else str(self.power_factor),
            "pf_adjustment_rate": str(self.pf_adjustment_rate),
            "pf_adjustment_amount": str(self.pf_adjustment_amount),
            "surcharges": str(self.surcharges),
            "total": str(self.total),
            "lines": [line.as_dict() for line in self.lines],
            "basic_comparison": self.comparison.as_dict() if self.comparison else None,
        }


# --- the rules -----------------------------------------------------------------------------------


def power_factor(kwh: Decimal, kvarh: Decimal) -> Decimal | None:
    """Monthly average PF, cosφ = kWh / √(kWh² + kvarh²), rounded half-up to 2 places as the 1983
    rules say (取小数后两位, 四舍五入). None when there is no energy at all."""
    if kwh < 0 or kvarh < 0:
        raise ValueError("negative energy")
    if kwh == 0 and kvarh == 0:
        return None
    apparent = (kwh * kwh + kvarh * kvarh).sqrt()
    return (kwh / apparent).quantize(c.PF_PLACES, rounding=ROUND_HALF_UP)


def pf_adjustment_rate(standard: str, pf: Decimal | None) -> Decimal:
    """The adjustment as a fraction (+0.02 = +2 % increase, −0.0075 = 0.75 % reduction)."""
    if pf is None or standard not in c.PF_STANDARDS:
        return Decimal("0.0000")
    pf = pf.quantize(c.PF_PLACES, rounding=ROUND_HALF_UP)
    key = (standard, pf)
    rate = _RATE_CACHE.get(key)
    if rate is None:
        rate = (c.pf_adjustment_percent(standard, pf) / 100).quantize(c.RATE_PLACES, rounding=ROUND_HALF_UP)
        _RATE_CACHE[key] = rate
    return rate


# (standard, PF rounded to 2 places) -> rate: at most 3 × 101 entries, each read from the official
# table once per process (a billing run looks one up per bill).
_RATE_CACHE: dict[tuple[str, Decimal], Decimal] = {}


def billed_demand(max_demand_kw: Decimal, declared_kw: Decimal, capacity_kva: Decimal | None
                  ) -> tuple[Decimal, Decimal, Decimal]:
    """(declared demand as approved, demand at the normal price, excess demand at double price).

    发改办价格〔2016〕1583号 三: the declared (contract) demand is approved at no less than 40 % of
    the capacity; an actual maximum demand up to 105 % of it is billed at the declared value;
    above 105 %, the part above 105 % is charged at double price (加一倍收取) — so the normal-price
    demand is 105 % of the declared demand and the excess is actual − 105 % × declared.
    """
    approved = declared_kw
    if capacity_kva:
        approved = max(approved, capacity_kva * c.DEMAND_MIN_SHARE_OF_CAPACITY)
    threshold = approved * c.DEMAND_TOLERANCE
    if max_demand_kw <= threshold:
        return approved, approved, ZERO
    return approved, threshold, max_demand_kw - threshold


def high_use(total_kwh: Decimal, capacity_kva: Decimal | None) -> bool:
    """发改价格〔2023〕526号: the month's kWh per kVA of capacity reaches 260 (260 itself counts)."""
    return bool(capacity_kva) and total_kwh >= c.DEMAND_HIGH_USE_KWH_PER_KVA * capacity_kva


def demand_price_for(price: Decimal, total_kwh: Decimal, capacity_kva: Decimal | None) -> Decimal:
    """The demand price of the month: 90 % of the tariff's in a high-use month (526号), else the tariff's."""
    if high_use(total_kwh, capacity_kva):
        return price * c.DEMAND_HIGH_USE_PRICE_SHARE
    return price


def demand_basic_charge(price: Decimal, max_demand_kw: Decimal, declared_kw: Decimal,
                        capacity_kva: Decimal | None, *, label: dict[str, str] | None = None
                        ) -> tuple[Decimal, list[Line]]:
    label = label or labels()
    approved, normal, excess = billed_demand(max_demand_kw, declared_kw, capacity_kva)
    lines = [Line("basic_demand", label["basic_demand"], normal, "kW", price, money(normal * price))]
    if excess:
        double = price * c.DEMAND_EXCESS_MULTIPLIER
        lines.append(Line("basic_demand_excess", label["basic_demand_excess"],
                          excess, "kW", double, money(excess * double)))
    return sum((ln.amount for ln in lines), ZERO), lines


def capacity_basic_charge(price: Decimal, capacity_kva: Decimal, *, label: dict[str, str] | None = None
                          ) -> tuple[Decimal, list[Line]]:
    amount = money(capacity_kva * price)
    return amount, [Line("basic_capacity", (label or labels())["basic_capacity"], capacity_kva, "kVA", price,
                         amount)]


_LABEL_CACHE: dict[str, dict[str, str]] = {}


def labels() -> dict[str, str]:
    """Line labels in the active language, translated once per language (a billing run computes
    hundreds of thousands of lines)."""
    lang = get_language() or ""
    cached = _LABEL_CACHE.get(lang)
    if cached is None:
        cached = {f"energy_{p}": _("Energy, %(period)s") % {"period": p.label} for p in c.TOU_PERIODS}
        cached.update({
            "energy": _("Energy"),
            "basic_capacity": _("Basic charge by capacity"),
            "basic_demand": _("Basic charge by demand"),
            "basic_demand_excess": _("Demand above 105 percent of declared (double price)"),
            "pf_adjustment": _("Power factor adjustment (PF %(pf)s, standard %(std)s)"),
            "yuan": _("yuan"),
        })
        _LABEL_CACHE[lang] = cached
    return cached


_PF_STANDARDS_OR_NONE = (*c.PF_STANDARDS, "none")


def validate(tariff: TariffSpec, load: Load) -> None:
    """Every problem with the input at once, as field errors (raises ValidationError)."""
    errors: dict[str, str] = {}
    for period, kwh in load.kwh.items():
        if kwh is not None and kwh < 0:
            errors[f"kwh_{period}"] = _("Energy cannot be negative.")
    for name, value in (("kwh_total", load.kwh_total), ("kvarh", load.kvarh), ("max_demand_kw", load.max_demand_kw),
                        ("declared_demand_kw", load.declared_demand_kw), ("capacity_kva", load.capacity_kva)):
        if value is not None and value < 0:
            errors[name] = _("This value cannot be negative.")
    if load.power_factor is not None and not (0 < load.power_factor <= 1):
        errors["power_factor"] = _("The power factor must be greater than 0 and at most 1.")
    if load.pf_standard not in _PF_STANDARDS_OR_NONE:
        errors["pf_standard"] = _("Unknown power factor standard.")
    if tariff.is_tou:
        if not load.kwh and load.kwh_total:
            errors["kwh_flat"] = _("This tariff is time-of-use: give the kWh of each period.")
        for period in load.kwh:
            if load.kwh[period] and tariff.prices.get(period) is None:
                errors[f"kwh_{period}"] = _("This tariff has no price for this period.")
    if tariff.two_part:
        if load.basic_method == c.BasicMethod.DEMAND:
            if tariff.demand_price is None:
                errors["basic_method"] = _("This tariff has no basic price by demand.")
            if load.max_demand_kw is None:
                errors["max_demand_kw"] = _("Demand billing needs the maximum demand.")
            if load.declared_demand_kw is None:
                errors["declared_demand_kw"] = _("Demand billing needs the declared demand.")
        elif load.basic_method == c.BasicMethod.CAPACITY:
            if tariff.capacity_price is None:
                errors["basic_method"] = _("This tariff has no basic price by capacity.")
            if not load.capacity_kva:
                errors["capacity_kva"] = _("Capacity billing needs the capacity.")
        else:
            errors["basic_method"] = _("Unknown basic charge method.")
    if errors:
        raise ValidationError(errors)


def calculate(tariff: TariffSpec, load: Load, *, label: dict[str, str] | None = None) -> BillResult:
    """The itemised bill for one month. Raises ValidationError (field errors) on bad input.
    `label`: the line labels (`labels()`), when the caller computes many bills in one language."""
    validate(tariff, load)
    label = label or labels()
    total_kwh = load.total_kwh
    lines: list[Line] = []
    # Energy
    if tariff.is_tou:
        for period in c.TOU_PERIODS:
            kwh = load.kwh.get(period)
            if not kwh:
                continue
            price = tariff.prices[period]
            lines.append(Line(f"energy_{period}", label[f"energy_{period}"], kwh, "kWh", price, money(kwh * price)))
    else:
        kwh = total_kwh
        price = tariff.price_single if tariff.price_single is not None else tariff.prices.get(c.TouPeriod.FLAT)
        if price is None:
            raise ValidationError({"tariff_code": _("This tariff has no non-TOU price.")})
        lines.append(Line("energy", label["energy"], kwh, "kWh", price, money(kwh * price)))
    energy_charge = sum((ln.amount for ln in lines), ZERO)

    # Basic charge, and what the other method would have cost for this load
    basic_charge = ZERO
    billed_kw = None
    comparison = None
    method = None
    if tariff.two_part:
        method = load.basic_method
        capacity_amount = demand_amount = None
        if tariff.capacity_price is not None and load.capacity_kva:
            capacity_amount, capacity_lines = capacity_basic_charge(tariff.capacity_price, load.capacity_kva,
                                                                     label=label)
        if tariff.demand_price is not None and load.max_demand_kw is not None:
            declared = load.declared_demand_kw if load.declared_demand_kw is not None else load.max_demand_kw
            demand_price = demand_price_for(tariff.demand_price, total_kwh, load.capacity_kva)
            demand_amount, demand_lines = demand_basic_charge(demand_price, load.max_demand_kw, declared,
                                                              load.capacity_kva, label=label)
        if method == c.BasicMethod.CAPACITY:
            basic_charge, chosen = capacity_amount, capacity_lines
        else:
            basic_charge, chosen = demand_amount, demand_lines
            billed_kw = sum((ln.quantity for ln in demand_lines), ZERO)
        lines.extend(chosen)
        if capacity_amount is not None and demand_amount is not None:
            diff = capacity_amount - demand_amount
            cheaper = "equal" if diff == 0 else ("demand" if diff > 0 else "capacity")
            comparison = BasicComparison(capacity_amount, demand_amount, cheaper, abs(diff))

    # Power-factor adjustment on basic + energy
    if load.power_factor is not None:
        pf = load.power_factor.quantize(c.PF_PLACES, rounding=ROUND_HALF_UP)
    elif load.kvarh is not None:
        pf = power_factor(total_kwh, load.kvarh)
    else:
        pf = None
    rate = pf_adjustment_rate(load.pf_standard, pf)
    base = energy_charge + basic_charge
    pf_amount = money(base * rate)
    if load.pf_standard in c.PF_STANDARDS and pf is not None:
        lines.append(Line("pf_adjustment", label["pf_adjustment"] % {"pf": pf, "std": load.pf_standard},
                          base, label["yuan"], rate, pf_amount))

    # Funds and surcharges
    surcharge_total = ZERO
    for s in tariff.surcharges:
        amount = money(total_kwh * s.price)
        surcharge_total += amount
        lines.append(Line(f"fund_{s.code}", s.name, total_kwh, "kWh", s.price, amount))

    total = energy_charge + basic_charge + pf_amount + surcharge_total
    return BillResult(
        tariff_code=tariff.code, kwh=total_kwh, kvarh=load.kvarh,
        energy_charge=money(energy_charge), basic_charge=money(basic_charge), power_factor=pf,
        pf_adjustment_rate=rate, pf_adjustment_amount=pf_amount, surcharges=money(surcharge_total),
        total=money(total), lines=lines, basic_method=method, billed_demand_kw=billed_kw, comparison=comparison,
    )
