"""Forms for the visit pages. Business validation lives in services.py; forms parse input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from powerkam.core.scoped import ScopedModelChoiceField, ScopedModelMultipleChoiceField
from powerkam.customers import constants as cc
from powerkam.org.models import Staff

from . import constants as c

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"})
FOLLOW_UP_ROWS = 3


class PlanVisitForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    planned_on = forms.DateField(label=_("planned for"), widget=DATE)
    assignee = ScopedModelChoiceField(label=_("responsible"), queryset=Staff.objects.none(), required=False,
                                      widget=forms.Select(attrs={"class": "form-select"}))
    purpose = forms.CharField(label=_("purpose"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args, staff_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if staff_qs is not None:
            self.fields["assignee"].queryset = staff_qs


class RescheduleForm(forms.Form):
    new_date = forms.DateField(label=_("new day"), widget=DATE)
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.TextInput(attrs={"class": "form-control"}))


class RecordVisitForm(forms.Form):
    done_on = forms.DateField(label=_("visited on"), widget=DATE)
    participants = ScopedModelMultipleChoiceField(label=_("participants"), queryset=Staff.objects.none(), required=False,
                                                  widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 4}))
    contacts_met = ScopedModelMultipleChoiceField(label=_("contacts met"), queryset=None, required=False,
                                                  widget=forms.CheckboxSelectMultiple)
    findings = forms.CharField(label=_("findings"), required=False,
                               widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}))
    customer_needs = forms.CharField(label=_("customer needs"), required=False,
                                     widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))

    def __init__(self, *args, contacts_qs, staff_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts_met"].queryset = contacts_qs
        self.fields["participants"].queryset = staff_qs
        for i in range(1, FOLLOW_UP_ROWS + 1):
            self.fields[f"fu{i}_title"] = forms.CharField(label=_("follow-up"), max_length=200, required=False,
                                                          widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
            self.fields[f"fu{i}_assignee"] = ScopedModelChoiceField(
                label=_("who"), queryset=staff_qs, required=False,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
            self.fields[f"fu{i}_due"] = forms.DateField(label=_("due"), required=False,
                                                        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control form-control-sm"}))

    def follow_up_rows(self):
        return [(self[f"fu{i}_title"], self[f"fu{i}_assignee"], self[f"fu{i}_due"]) for i in range(1, FOLLOW_UP_ROWS + 1)]

    def follow_ups(self):
        from .services import FollowUp

        rows = []
        for i in range(1, FOLLOW_UP_ROWS + 1):
            title = self.cleaned_data.get(f"fu{i}_title") or ""
            who = self.cleaned_data.get(f"fu{i}_assignee")
            due = self.cleaned_data.get(f"fu{i}_due")
            if title or who or due:
                rows.append(FollowUp(assignee=who, due_on=due, title=title))
        return rows


class CareForm(forms.Form):
    customer = forms.IntegerField(label=_("customer"), widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("kind"), choices=c.CareKind.choices, widget=forms.Select(attrs={"class": "form-select"}))
    occurred_on = forms.DateField(label=_("date"), widget=DATE)
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)
    summary = forms.CharField(label=_("summary"), max_length=500, widget=forms.TextInput(attrs={"class": "form-control"}))


class OccasionForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=120, widget=forms.TextInput(attrs={"class": "form-control"}))
    kind = forms.ChoiceField(label=_("kind"), choices=c.OccasionKind.choices, widget=forms.Select(attrs={"class": "form-select"}))
    starts_on = forms.DateField(label=_("visit from"), widget=DATE)
    ends_on = forms.DateField(label=_("visit by"), widget=DATE)
    all_key_accounts = forms.BooleanField(label=_("all key accounts"), required=False)
    org_units = forms.ModelMultipleChoiceField(label=_("org units"), queryset=None, required=False,
                                               widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 6}))
    tiers = forms.MultipleChoiceField(label=_("key account tiers"), choices=cc.KeyAccountTier.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    usage_categories = forms.MultipleChoiceField(label=_("usage categories"), choices=cc.UsageCategory.choices,
                                                 required=False, widget=forms.CheckboxSelectMultiple)
    industries = forms.MultipleChoiceField(label=_("industries"), choices=cc.Industry.choices, required=False,
                                           widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 6}))
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))

    def __init__(self, *args, units_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_units"].queryset = units_qs


def apply_validation_error(form, exc) -> None:
    """Put a service's ValidationError on the form's fields (unknown fields → non-field errors)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for err in errors:
                form.add_error(field if field in form.fields else None, err)
    else:
        for err in exc.error_list:
            form.add_error(None, err)
