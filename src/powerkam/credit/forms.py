"""The credit assessment form: statement figures, 72 score selects, dates and a note.

The form only collects; every rule (non-negative figures, consistency, score range) lives in
services.compute_assessment, whose field errors the form shows next to the fields.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import constants as c
from . import services

FIGURE_LABELS = {
    "current_assets": _("Current assets"),
    "inventory": _("Inventory"),
    "cash": _("Cash and equivalents"),
    "total_assets": _("Total assets"),
    "current_liabilities": _("Current liabilities"),
    "total_liabilities": _("Total liabilities"),
    "net_worth": _("Net worth (equity)"),
    "sales_revenue": _("Sales revenue"),
    "cost_of_sales": _("Cost of sales"),
    "total_cost": _("Total cost and expenses"),
    "net_profit": _("Net profit"),
}
FIGURE_HELP = {
    "net_worth": _("Leave empty to use total assets − total liabilities."),
    "net_profit": _("May be negative (a loss)."),
}
FIGURE_GROUPS = (
    (_("Balance sheet"), ("current_assets", "inventory", "cash", "total_assets", "current_liabilities",
                          "total_liabilities", "net_worth")),
    (_("Income statement"), ("sales_revenue", "cost_of_sales", "total_cost", "net_profit")),
)
SCORE_CHOICES = [(str(v), str(v)) for v in range(c.SCORE_MAX, c.SCORE_MIN - 1, -1)]


def score_field_name(item: str, index: int) -> str:
    return f"s_{item}_{index}"


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(label=_("Assessed on"), widget=forms.DateInput(attrs={"type": "date"}))
    statement_date = forms.DateField(label=_("Statement date"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in services.FINANCIAL_FIELDS:
            self.fields[name] = forms.CharField(
                label=FIGURE_LABELS[name], required=False, help_text=FIGURE_HELP.get(name, ""),
                widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "form-control text-end",
                                              "autocomplete": "off"}))
        for item in c.ITEM_KEYS:
            for i in range(1, c.ASPECTS_PER_ITEM + 1):
                self.fields[score_field_name(item, i)] = forms.CharField(
                    required=False, initial=str(c.SCORE_DEFAULT),
                    widget=forms.Select(choices=SCORE_CHOICES, attrs={"class": "form-select form-select-sm score"}))
        self.result = None

    @classmethod
    def initial_from(cls, assessment) -> dict:
        initial = {"assessed_on": assessment.assessed_on, "statement_date": assessment.statement_date,
                   "note": assessment.note}
        for name in services.FINANCIAL_FIELDS:
            initial[name] = getattr(assessment, name)
        for item, values in (assessment.scores or {}).items():
            for i, v in enumerate(values, start=1):
                initial[score_field_name(item, i)] = str(v)
        return initial

    @classmethod
    def initial_from_prefill(cls, prefill) -> dict:
        """A new assessment's form filled with what the system holds (services.prefill)."""
        initial = dict(prefill.initial)
        for (item, index), score in prefill.scores.items():
            initial[score_field_name(item, index)] = str(score)
        return initial

    def service_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in services.FINANCIAL_FIELDS}
        data["scores"] = {item: [self.cleaned_data.get(score_field_name(item, i)) or str(c.SCORE_DEFAULT)
                                 for i in range(1, c.ASPECTS_PER_ITEM + 1)] for item in c.ITEM_KEYS}
        return data

    def clean(self):
        cleaned = super().clean()
        try:
            self.result = services.compute_assessment(self.service_data())
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(None if field == "scores" else field, message)
        return cleaned

    def sections(self):
        """[(category label, [(item key, item label, [(aspect label, bound field)])])] for the template."""
        out = []
        for _cat, cat_label, items in c.CHARACTERISTICS:
            rows = []
            for item, item_label, aspects in items:
                rows.append((item, services.label(item_label),
                             [(services.label(a), self[score_field_name(item, i)])
                              for i, a in enumerate(aspects, start=1)]))
            out.append((services.label(cat_label), rows))
        return out

    def figure_groups(self):
        return [(title, [self[name] for name in names]) for title, names in FIGURE_GROUPS]
