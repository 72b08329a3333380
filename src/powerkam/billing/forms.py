"""Forms: the calculator input (page and API share it) and the billing-run request."""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import constants as c
from .calculator import Load, Surcharge, TariffSpec

PF_STANDARD_CHOICES = [("0.90", "0.90"), ("0.85", "0.85"), ("0.80", "0.80"), ("none", _("Not assessed"))]


class MonthField(forms.CharField):
    """A billing month as YYYY-MM (or any date in it as YYYY-MM-DD) → the first day of the month."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value.replace(day=1)
        for fmt in ("%Y-%m", "%Y-%m-%d"):
            try:
                return datetime.strptime(value.strip(), fmt).date().replace(day=1)
            except ValueError:
                continue
        raise ValidationError(_("Enter a month as YYYY-MM."), code="invalid")


def _decimal(label, **kw):
    return forms.DecimalField(label=label, required=False, max_digits=16, decimal_places=4,
                              widget=forms.NumberInput(attrs={"step": "any", "class": "form-control form-control-sm"}), **kw)


class CalculatorForm(forms.Form):
    tariff_code = forms.CharField(label=_("Tariff"), max_length=32, required=False)
    period = MonthField(label=_("Billing month"), widget=forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm"}))
    kwh_sharp = _decimal(_("Sharp-peak kWh"))
    kwh_peak = _decimal(_("Peak kWh"))
    kwh_flat = _decimal(_("Flat kWh"))
    kwh_valley = _decimal(_("Valley kWh"))
    kwh_total = _decimal(_("Total kWh (non-TOU)"))
    kvarh = _decimal(_("Reactive energy (kvarh)"))
    power_factor = _decimal(_("Power factor (instead of kvarh)"))
    max_demand_kw = _decimal(_("Maximum demand (kW)"))
    declared_demand_kw = _decimal(_("Declared demand (kW)"))
    capacity_kva = _decimal(_("Capacity (kVA)"))
    pf_standard = forms.ChoiceField(label=_("Power factor standard"), choices=PF_STANDARD_CHOICES, initial="0.90",
                                    widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    basic_method = forms.ChoiceField(label=_("Basic charge method"), choices=c.BasicMethod.choices,
                                     initial=c.BasicMethod.CAPACITY,
                                     widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    def __init__(self, *args, inline_tariff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_tariff = inline_tariff

    def clean(self):
        data = super().clean()
        if not self.inline_tariff and not data.get("tariff_code") and "tariff_code" not in self.errors:
            self.add_error("tariff_code", _("Choose a tariff."))
        for name in ("kwh_sharp", "kwh_peak", "kwh_flat", "kwh_valley", "kwh_total", "kvarh",
                     "max_demand_kw", "declared_demand_kw", "capacity_kva"):
            value = data.get(name)
            if value is not None and value < 0:
                self.add_error(name, _("This value cannot be negative."))
        pf = data.get("power_factor")
        if pf is not None and not (0 < pf <= 1):
            self.add_error("power_factor", _("The power factor must be greater than 0 and at most 1."))
        if pf is not None and data.get("kvarh") is not None:
            self.add_error("power_factor", _("Give either the reactive energy or the power factor, not both."))
        periods = [data.get(f"kwh_{p}") for p in c.TOU_PERIODS]
        if all(v is None for v in periods) and data.get("kwh_total") is None and "kwh_total" not in self.errors:
            self.add_error("kwh_total", _("Give the kWh of each period or the total kWh."))
        return data

    def load(self) -> Load:
        d = self.cleaned_data
        kwh = {p: d[f"kwh_{p}"] for p in c.TOU_PERIODS if d.get(f"kwh_{p}") is not None}
        return Load(
            kwh=kwh, kwh_total=d.get("kwh_total"), kvarh=d.get("kvarh"), power_factor=d.get("power_factor"),
            max_demand_kw=d.get("max_demand_kw"), declared_demand_kw=d.get("declared_demand_kw"),
            capacity_kva=d.get("capacity_kva"), pf_standard=d.get("pf_standard") or "none",
            basic_method=d.get("basic_method") or c.BasicMethod.CAPACITY,
        )


SURCHARGE_PRICE = forms.DecimalField(max_digits=12, decimal_places=6)


class InlineTariffForm(forms.Form):
    """An inline tariff for the API (not from the catalogue)."""

    code = forms.CharField(max_length=32, required=False)
    name = forms.CharField(max_length=100, required=False)
    category = forms.ChoiceField(choices=c.TariffCategory.choices)
    is_tou = forms.BooleanField(required=False)
    price_sharp = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=6)
    price_peak = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=6)
    price_flat = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=6)
    price_valley = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=6)
    price_single = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=6)
    capacity_price = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=6)
    demand_price = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=6)

    def clean(self):
        data = super().clean()
        if data.get("is_tou"):
            for f in ("price_peak", "price_flat", "price_valley"):
                if data.get(f) is None and f not in self.errors:
                    self.add_error(f, _("A time-of-use tariff needs this price."))
        elif data.get("price_single") is None and "price_single" not in self.errors:
            self.add_error("price_single", _("A tariff without time-of-use needs the non-TOU price."))
        return data

    def spec(self, surcharges: list[dict] | None = None) -> TariffSpec:
        d = self.cleaned_data
        items = []
        if surcharges is not None and not isinstance(surcharges, list):
            raise ValidationError({"tariff": _("The surcharges must be a list of {code, name, price}.")})
        for i, s in enumerate(surcharges or []):
            if not isinstance(s, dict):
                raise ValidationError({"tariff": _("The surcharges must be a list of {code, name, price}.")})
            # The same field as the tariff's own prices: NaN, Infinity and values beyond 12 digits are refused.
            try:
                price = SURCHARGE_PRICE.clean(s.get("price"))
            except ValidationError as exc:
                raise ValidationError({"tariff": _("Surcharge %(n)s has no valid price.") % {"n": i + 1}}) from exc
            if price < 0:
                raise ValidationError({"tariff": _("Prices cannot be negative.")})
            items.append(Surcharge(str(s.get("code") or f"s{i + 1}"), str(s.get("name") or s.get("code") or ""), price))
        return TariffSpec(
            code=d.get("code") or "INLINE", name=d.get("name") or "", category=d["category"], is_tou=bool(d.get("is_tou")),
            prices={p: d.get(f"price_{p}") for p in c.TOU_PERIODS}, price_single=d.get("price_single"),
            capacity_price=d.get("capacity_price"), demand_price=d.get("demand_price"), surcharges=tuple(items),
        )


class BillingRunForm(forms.Form):
    period = MonthField(label=_("Billing month"), widget=forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm"}))
