"""The one filter form of the money analyses: period (month to month), org unit, industry,
usage category and key-account tier. The page, the API and the export read it alike."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from powerkam.customers.constants import Industry, KeyAccountTier, UsageCategory
from powerkam.org.selectors import visible_org_units

from . import constants as c
from .selectors import ReportFilter, add_months

MONTH_FORMATS = ["%Y-%m"]


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value):
        if isinstance(value, date):
            return value.strftime("%Y-%m")
        return value


class ReportFilterForm(forms.Form):
    from_month = forms.DateField(label=_("From month"), required=False, input_formats=MONTH_FORMATS,
                                 widget=MonthInput(), error_messages={"invalid": _("Enter a month as YYYY-MM.")})
    to_month = forms.DateField(label=_("To month"), required=False, input_formats=MONTH_FORMATS,
                               widget=MonthInput(), error_messages={"invalid": _("Enter a month as YYYY-MM.")})
    org_unit = forms.ModelChoiceField(label=_("Org unit (with sub-units)"), queryset=None, required=False,
                                      error_messages={"invalid_choice": _("Choose one of your org units.")})
    industry = forms.ChoiceField(label=_("Industry"), required=False, choices=[("", "—"), *Industry.choices])
    usage_category = forms.ChoiceField(label=_("Usage category"), required=False,
                                       choices=[("", "—"), *UsageCategory.choices])
    ka_tier = forms.ChoiceField(label=_("Key-account tier"), required=False,
                                choices=[("", "—"), *KeyAccountTier.choices])

    def __init__(self, data, *, user, today: date):
        super().__init__(data)
        self.today = today
        self.fields["org_unit"].queryset = visible_org_units(user).order_by("path")
        self.fields["org_unit"].label_from_instance = lambda u: "\u3000" * max(u.depth, 0) + u.name

    def clean(self):
        data = super().clean()
        default = ReportFilter.default(self.today)
        first = data.get("from_month")
        last = data.get("to_month")
        if "from_month" in self.errors or "to_month" in self.errors:
            return data
        first = first.replace(day=1) if first else None
        last = last.replace(day=1) if last else None
        if first and not last:
            last = min(add_months(first, c.DEFAULT_MONTHS - 1), default.date_to) if first <= default.date_to else first
        if last and not first:
            first = add_months(last, -(c.DEFAULT_MONTHS - 1))
        first, last = first or default.date_from, last or default.date_to
        if first > last:
            self.add_error("to_month", _("The last month must not be before the first month."))
        elif len(ReportFilter(first, last).months) > c.MAX_MONTHS:
            self.add_error("from_month", _("Choose at most %(n)d months.") % {"n": c.MAX_MONTHS})
        data["from_month"], data["to_month"] = first, last
        return data

    def report_filter(self) -> ReportFilter:
        """The filter of a valid form."""
        d = self.cleaned_data
        unit = d.get("org_unit")
        return ReportFilter(d["from_month"], d["to_month"], org_unit_path=unit.path if unit else "",
                            industry=d.get("industry") or "", usage_category=d.get("usage_category") or "",
                            ka_tier=d.get("ka_tier") or "")
