"""Forms for the pipeline pages. They parse input and check what a form can see (the 1+1 rule is
also here, so the page answers before the service); the service decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from powerkam.core.scoped import ScopedModelChoiceField, ScopedModelMultipleChoiceField
from powerkam.customers.models import Customer
from powerkam.org.models import OrgUnit, Staff

from . import constants as c
from .models import (
    Competitor,
    GovernmentProject,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    ServiceItem,
)

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"})
QUOTE_LINES = 5


def _style(form) -> None:
    for f in form.fields.values():
        w = f.widget
        if isinstance(w, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            continue
        if isinstance(w, forms.DateInput):
            w.input_type = "date"
            w.format = "%Y-%m-%d"
        css = "form-select" if isinstance(w, forms.Select | forms.SelectMultiple) else "form-control"
        w.attrs.setdefault("class", css)
        if isinstance(w, forms.Textarea):
            w.attrs.setdefault("rows", 2)


def one_plus_one_errors(status, primary, secondary) -> dict:
    """The 1+1 rule as the form checks it (the service checks it again)."""
    errors = {}
    if status == c.GovStatus.APPROVED:
        if not primary:
            errors["primary_manager"] = _("An approved project needs a primary manager (1+1 dual managers).")
        if not secondary:
            errors["secondary_manager"] = _("An approved project needs a secondary manager (1+1 dual managers).")
    if primary and secondary and primary == secondary:
        errors["secondary_manager"] = _("The secondary manager must be a different person from the primary manager.")
    return errors


class ProjectForm(forms.ModelForm):
    org_unit = ScopedModelChoiceField(label=_("org unit"), queryset=OrgUnit.objects.none())
    primary_manager = ScopedModelChoiceField(label=_("primary manager"), queryset=Staff.objects.none(), required=False)
    secondary_manager = ScopedModelChoiceField(label=_("secondary manager"), queryset=Staff.objects.none(),
                                               required=False)

    class Meta:
        model = GovernmentProject
        fields = ["name", "gov_status", "approval_doc_no", "approval_date", "approving_authority", "investor",
                  "site_address", "org_unit", "industry", "expected_load_kw", "expected_capacity_kva",
                  "expected_annual_kwh", "reliability", "expected_energisation_on", "load_class", "voltage_level",
                  "supply_mode", "primary_manager", "secondary_manager", "notes"]
        widgets = {"approval_date": DATE, "expected_energisation_on": DATE}

    def __init__(self, *args, units=None, managers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units
        self.fields["primary_manager"].queryset = managers
        self.fields["secondary_manager"].queryset = managers
        _style(self)

    def clean(self):
        data = super().clean()
        for name, message in one_plus_one_errors(data.get("gov_status"), data.get("primary_manager"),
                                                 data.get("secondary_manager")).items():
            if name not in self.errors:
                self.add_error(name, message)
        return data


class MilestonesForm(forms.Form):
    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[f"p{row.milestone_id}"] = forms.DateField(label=_("planned"), required=False, widget=DATE,
                                                                  initial=row.planned_on)
            self.fields[f"a{row.milestone_id}"] = forms.DateField(label=_("actual"), required=False, widget=DATE,
                                                                  initial=row.actual_on)

    def table(self):
        return [(row, self[f"p{row.milestone_id}"], self[f"a{row.milestone_id}"]) for row in self.rows]


class ContactLogForm(forms.Form):
    contacted_on = forms.DateField(label=_("date"), widget=DATE)
    department = forms.CharField(label=_("government department"), max_length=100)
    person = forms.CharField(label=_("person met"), max_length=60, required=False)
    summary = forms.CharField(label=_("summary"), widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class ProjectContactForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=60)
    title = forms.CharField(label=_("job title"), max_length=60, required=False)
    mobile = forms.CharField(label=_("mobile"), max_length=20, required=False)
    email = forms.EmailField(label=_("email"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class ReportForm(forms.Form):
    week = forms.DateField(label=_("week"), widget=DATE)
    problems = forms.CharField(label=_("problems"), required=False, widget=forms.Textarea)
    help_needed = forms.CharField(label=_("help needed from the company"), required=False, widget=forms.Textarea)
    next_steps = forms.CharField(label=_("next steps"), required=False, widget=forms.Textarea)

    def __init__(self, *args, milestones, **kwargs):
        super().__init__(*args, **kwargs)
        self.milestones = milestones
        for m in milestones:
            self.fields[f"m_{m.code}"] = forms.CharField(label=m.name, required=False, max_length=500)
        _style(self)

    def progress_fields(self):
        return [self[f"m_{m.code}"] for m in self.milestones]

    def progress(self) -> dict:
        return {m.code: self.cleaned_data.get(f"m_{m.code}", "") for m in self.milestones}


class OpportunityForm(forms.ModelForm):
    customer = ScopedModelChoiceField(label=_("customer"), queryset=Customer.objects.none(), required=False,
                                      widget=forms.NumberInput(attrs={"placeholder": _("customer id (optional)")}))
    owner = ScopedModelChoiceField(label=_("owner"), queryset=Staff.objects.none())
    org_unit = ScopedModelChoiceField(label=_("org unit"), queryset=OrgUnit.objects.none(), required=False)
    government_project = ScopedModelChoiceField(label=_("government key project"),
                                                queryset=GovernmentProject.objects.none(), required=False)
    competitors = ScopedModelMultipleChoiceField(label=_("competitors"), queryset=Competitor.objects.none(),
                                                 required=False, widget=forms.CheckboxSelectMultiple)
    probability = forms.IntegerField(label=_("probability (%)"), required=False)

    class Meta:
        model = Opportunity
        fields = ["title", "customer", "prospect_name", "site_address", "contact_name", "contact_mobile", "government_project",
                  "kind", "stage", "probability", "expected_kva", "expected_annual_kwh",
                  "expected_annual_revenue_yuan", "close_on", "owner", "org_unit", "next_step", "next_step_on",
                  "competitors", "loss_reason", "loss_note"]
        widgets = {"close_on": DATE, "next_step_on": DATE}

    def __init__(self, *args, customers, staff, units, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["owner"].queryset = staff
        self.fields["org_unit"].queryset = units
        self.fields["government_project"].queryset = projects
        self.fields["competitors"].queryset = Competitor.objects.filter(is_active=True)
        self.fields["kind"].queryset = OpportunityKind.objects.filter(is_active=True)
        self.fields["stage"].queryset = OpportunityStage.objects.all()
        _style(self)

    def clean_probability(self):
        value = self.cleaned_data.get("probability")
        if value is not None and not (0 <= value <= 100):
            raise forms.ValidationError(_("The probability is a percentage between 0 and 100."))
        return value


class LossForm(forms.Form):
    loss_reason = forms.ChoiceField(label=_("loss reason"), choices=c.LossReason.choices)
    loss_note = forms.CharField(label=_("loss note"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class QuoteForm(forms.Form):
    valid_until = forms.DateField(label=_("valid until"), required=False, widget=DATE)
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        items = ServiceItem.objects.filter(is_active=True)
        for i in range(1, QUOTE_LINES + 1):
            self.fields[f"l{i}_item"] = forms.ModelChoiceField(label=_("service"), queryset=items, required=False)
            self.fields[f"l{i}_quantity"] = forms.DecimalField(label=_("quantity"), required=False, max_digits=12,
                                                               decimal_places=2)
            self.fields[f"l{i}_unit_price"] = forms.DecimalField(label=_("unit price (yuan)"), required=False,
                                                                 max_digits=14, decimal_places=2)
            self.fields[f"l{i}_discount"] = forms.DecimalField(label=_("discount (%)"), required=False, max_digits=5,
                                                               decimal_places=2)
        _style(self)

    def line_rows(self):
        return [(i, self[f"l{i}_item"], self[f"l{i}_quantity"], self[f"l{i}_unit_price"], self[f"l{i}_discount"])
                for i in range(1, QUOTE_LINES + 1)]

    def lines(self):
        from .services import LineInput

        result = []
        for i in range(1, QUOTE_LINES + 1):
            d = self.cleaned_data
            if d.get(f"l{i}_item") is None and d.get(f"l{i}_quantity") is None:
                continue
            result.append(LineInput(item=d.get(f"l{i}_item"), quantity=d.get(f"l{i}_quantity"),
                                    unit_price_yuan=d.get(f"l{i}_unit_price"),
                                    discount_pct=d.get(f"l{i}_discount")))
        return result


def apply_validation_error(form, exc) -> None:
    """Put a service's ValidationError on the form's fields (unknown fields → non-field errors)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for err in errors:
                if field in form.fields and field in form.errors and err.message in form.errors[field]:
                    continue
                form.add_error(field if field in form.fields else None, err)
    else:
        for err in exc.error_list:
            form.add_error(None, err)
