"""Forms parse and present; the rules are in services.py (errors come back field by field)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from powerkam.core.scoped import ScopedModelChoiceField
from powerkam.core.scoping import visible_customers
from powerkam.customers.models import Customer
from powerkam.org.models import READ_ONLY_ROLES, Staff

from . import constants as c


def worker_queryset():
    """Staff who can hold a stage: active and not read-only."""
    return (Staff.objects.filter(is_active=True).exclude(role__in=READ_ONLY_ROLES)
            .select_related("org_unit").order_by("org_unit__path", "full_name", "username"))


def about_staff_queryset():
    """Whom a complaint may be about: any active staff member."""
    return Staff.objects.filter(is_active=True).select_related("org_unit").order_by("org_unit__path", "full_name",
                                                                                    "username")


class StaffChoiceField(ScopedModelChoiceField):
    def label_from_instance(self, obj: Staff) -> str:
        unit = obj.org_unit.name if obj.org_unit_id else ""
        return f"{obj.display_name} · {obj.get_role_display()}" + (f" · {unit}" if unit else "")


class BootstrapForm(forms.Form):
    """Bootstrap 5 classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            css = "form-select form-select-sm" if isinstance(widget, forms.Select) else "form-control form-control-sm"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class IntakeForm(BootstrapForm):
    customer = forms.CharField(label=_("Customer"), max_length=40,
                               help_text=_("Customer number (or pick from the list)."))
    channel = forms.ChoiceField(label=_("Channel"), choices=c.Channel.choices, initial=c.Channel.PHONE)
    ticket_type = forms.ChoiceField(label=_("Type"), choices=c.TicketType.choices, initial=c.TicketType.COMPLAINT)
    cause = forms.ChoiceField(label=_("Cause"), choices=[("", "—"), *c.Cause.choices], required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    contact_name = forms.CharField(label=_("Contact name"), max_length=60, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=32, required=False)
    about_staff = StaffChoiceField(label=_("About staff member"), queryset=Staff.objects.none(), required=False,
                                   help_text=_("Only for a complaint about a person."))
    assignee = StaffChoiceField(label=_("Hand to"), queryset=Staff.objects.none(), required=False,
                                help_text=_("Leave empty to keep it yourself."))
    attachment = forms.FileField(label=_("Attachment"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["about_staff"].queryset = about_staff_queryset()
        self.fields["assignee"].queryset = worker_queryset()

    def clean_customer(self) -> Customer:
        value = self.cleaned_data["customer"].strip()
        lookup = Q(number=value)
        if value.isdigit() and len(value) < 9:
            lookup |= Q(pk=int(value))
        customer = visible_customers(self.user).filter(lookup).select_related("org_unit").first()
        if customer is None:
            raise ValidationError(_("Unknown customer: choose a customer you can see."))
        return customer


class AssignForm(BootstrapForm):
    to = StaffChoiceField(label=_("Hand to"), queryset=Staff.objects.none())
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = worker_queryset()


class AdvanceForm(BootstrapForm):
    stage = forms.CharField(widget=forms.HiddenInput)
    result_note = forms.CharField(label=_("Result of this stage"), widget=forms.Textarea(attrs={"rows": 3}),
                                  required=False)
    outcome = forms.ChoiceField(label=_("Customer satisfied?"), choices=[("", "—"), *c.RevisitOutcome.choices],
                                required=False)
    next_owner = StaffChoiceField(label=_("Next stage owner"), queryset=Staff.objects.none(), required=False,
                                  help_text=_("Leave empty to keep the current owner."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["next_owner"].queryset = worker_queryset()


class ReasonForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class AttachmentForm(BootstrapForm):
    file = forms.FileField(label=_("File"))


class AnalysisForm(BootstrapForm):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    org_unit = forms.IntegerField(label=_("Org unit"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The period ends before it starts."))
        return data
