"""Forms of the analysis pages: the period / org-unit filter and the anomaly reason."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from powerkam.org.selectors import visible_org_units

from .analysis import Period
from .models import AnomalyReason, UsageAnomaly

MONTH_FORMATS = ["%Y-%m"]


class PeriodForm(forms.Form):
    """From month – to month (default: the last 12 months up to the last complete one) and an org
    unit among the user's own (with its sub-units)."""

    from_month = forms.DateField(label=_("From month"), required=False, input_formats=MONTH_FORMATS,
                                 error_messages={"invalid": _("Enter a month as YYYY-MM.")})
    to_month = forms.DateField(label=_("To month"), required=False, input_formats=MONTH_FORMATS,
                               error_messages={"invalid": _("Enter a month as YYYY-MM.")})
    org_unit = forms.ModelChoiceField(label=_("Org unit (with sub-units)"), queryset=None, required=False,
                                      error_messages={"invalid_choice": _("Choose one of your org units.")})

    def __init__(self, data, *, user, today: date):
        super().__init__(data)
        self.today = today
        self.fields["org_unit"].queryset = visible_org_units(user).order_by("path")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        this_month = self.today.replace(day=1)
        last = (data.get("to_month") or _add_months(this_month, -1)).replace(day=1)
        first = (data.get("from_month") or _add_months(last, -11)).replace(day=1)
        if first > last:
            self.add_error("from_month", _("The first month must not be after the last."))
        elif _months_between(first, last) > 36:
            self.add_error("from_month", _("Choose at most 36 months."))
        data["first"], data["last"] = first, last
        return data

    def period(self) -> Period:
        last = self.cleaned_data["last"]
        return Period(self.cleaned_data["first"], _add_months(last, 1).replace(day=1) - _one_day())


def _one_day():
    from datetime import timedelta

    return timedelta(days=1)


def _add_months(day: date, n: int) -> date:
    m = day.year * 12 + day.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month + 1


class ReasonForm(forms.Form):
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=AnomalyReason.objects.filter(is_active=True),
                                    empty_label="—", error_messages={"required": _("Choose a reason from the list."),
                                                                     "invalid_choice": _("Choose a reason from the list.")})
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label_from_instance = lambda r: r.label


class AnomalyFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", "—"), *UsageAnomaly.Status.choices])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", "—"), *UsageAnomaly.Kind.choices])
    org_unit = forms.ModelChoiceField(label=_("Org unit (with sub-units)"), queryset=None, required=False,
                                      error_messages={"invalid_choice": _("Choose one of your org units.")})

    def __init__(self, data, *, user):
        super().__init__(data)
        self.fields["org_unit"].queryset = visible_org_units(user).order_by("path")
