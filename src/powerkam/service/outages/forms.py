from django import forms
from django.utils.translation import gettext_lazy as _

from powerkam.core.scoped import ScopedModelChoiceField
from powerkam.customers.models import Substation, SupplyLine

from . import constants as c
from .selectors import outage_substations, outage_supply_lines


class OutageForm(forms.Form):
    """Parses the page's fields; the rules (window, lines of the substation) are checked by
    services.create_outage so that the page and the API give the same messages."""

    substation = ScopedModelChoiceField(label=_("Substation"), queryset=Substation.objects.none(),
                                        error_messages={"required": _("Choose the substation.")})
    supply_lines = forms.ModelMultipleChoiceField(
        label=_("Supply lines"), queryset=SupplyLine.objects.none(),
        # Check boxes (with a search box in the template), not a list needing Ctrl-click: field
        # staff pick several lines on a phone.
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one supply line."),
                        "invalid_choice": _("Unknown supply line: %(value)s."),
                        "invalid_pk_value": _("Unknown supply line: %(pk)s.")})
    kind = forms.ChoiceField(label=_("Outage kind"), choices=c.OutageKind.choices, initial=c.OutageKind.PLANNED)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # What the API accepts too (selectors.outage_substations / outage_supply_lines).
        self.fields["substation"].queryset = outage_substations(user)
        self.fields["supply_lines"].queryset = outage_supply_lines(user)
        self.fields["supply_lines"].label_from_instance = lambda line: f"{line.substation.name} · {line.name}"
        self._bootstrap()

    def _bootstrap(self):
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(field.widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            if self.errors.get(name):
                css += " is-invalid"
            field.widget.attrs["class"] = css


class NotifyForm(forms.Form):
    override_reason = forms.CharField(label=_("Reason for sending late"), required=False, max_length=2000,
                                      widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))


class PhoneAckForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=255,
                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
