"""Forms of the project pages: they parse and present; the rules are in services.py, whose
ValidationError comes back on the form field by field (apply_errors). Numbers and dates the
service validates (capacity, stage dates) are taken as text so that its message — not a generic
one — is what the user reads. The Bootstrap base form, the error mapping and the staff field are
the tickets' (one copy)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from powerkam.core.scoping import visible_customers
from powerkam.customers import constants as cc
from powerkam.org.models import Staff
from powerkam.org.selectors import assignable_staff
from powerkam.service.tickets.forms import BootstrapForm, StaffChoiceField, apply_errors  # noqa: F401 - re-exported

from . import constants as c

DATE = {"type": "date"}


def _date_field(label, required=False, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, required=required, widget=forms.DateInput(attrs=DATE), **kwargs)


class IntakeForm(BootstrapForm):
    """Accept an application (受理): an existing customer or a new applicant without a number."""

    application_type = forms.ChoiceField(label=_("Application type"), choices=c.ApplicationType.choices,
                                         initial=c.ApplicationType.NEW)
    applicant_type = forms.ChoiceField(label=_("Applicant"), choices=c.ApplicantType.choices,
                                       initial=c.ApplicantType.NEW, widget=forms.RadioSelect)
    customer = forms.CharField(label=_("Customer number"), max_length=40, required=False,
                               help_text=_("Only for an existing customer."))
    applicant_name = forms.CharField(label=_("Applicant name"), max_length=200, required=False,
                                     help_text=_("Filled from the archive for an existing customer."))
    applicant_credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18, required=False)
    applicant_contact = forms.CharField(label=_("Contact person"), max_length=60, required=False)
    applicant_phone = forms.CharField(label=_("Contact phone"), max_length=32, required=False)
    site_address = forms.CharField(label=_("Site address"), max_length=255, required=False)
    requested_capacity_kva = forms.CharField(label=_("Requested capacity (kVA)"), max_length=20, required=False)
    voltage_level = forms.ChoiceField(label=_("Voltage level"), choices=cc.VoltageLevel.choices,
                                      initial=cc.VoltageLevel.V10)
    supply_mode = forms.ChoiceField(label=_("Supply mode"), choices=c.SupplyMode.choices,
                                    initial=c.SupplyMode.SINGLE)
    industry = forms.ChoiceField(label=_("Industry (GB/T 4754)"), choices=[("", "—"), *cc.Industry.choices],
                                 required=False)
    usage_category = forms.ChoiceField(label=_("Usage category"), choices=cc.UsageCategory.choices,
                                       initial=cc.UsageCategory.GENERAL_COMMERCIAL)
    expected_energisation_on = _date_field(_("Expected energisation"))
    is_key_project = forms.BooleanField(label=_("Key project"), required=False)
    green_channel = forms.BooleanField(label=_("Green channel"), required=False,
                                       help_text=_("Shorter deadlines; sorted first everywhere."))
    tracker = StaffChoiceField(label=_("Dedicated tracker"), queryset=Staff.objects.none(), required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["tracker"].queryset = assignable_staff(user)
        for name in ("applicant_type", "is_key_project", "green_channel"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def clean_customer(self):
        value = (self.cleaned_data.get("customer") or "").strip()
        if not value:
            return None
        lookup = Q(number=value)
        if value.isdigit() and len(value) < 9:
            lookup |= Q(pk=int(value))
        customer = visible_customers(self.user).filter(lookup).select_related("org_unit").first()
        if customer is None:
            raise ValidationError(_("Unknown customer: choose a customer you can see."))
        return customer


class AdvanceForm(BootstrapForm):
    stage = forms.CharField(widget=forms.HiddenInput)
    ended_on = _date_field(_("Completed on"))
    note = forms.CharField(label=_("Result of this stage"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    next_owner = StaffChoiceField(label=_("Next stage owner"), queryset=Staff.objects.none(), required=False,
                                  help_text=_("Leave empty to keep the current owner."))
    customer_number = forms.CharField(label=_("New customer number"), max_length=32, required=False,
                                      help_text=_("At energisation of a new connection: leave empty to number it "
                                                  "automatically."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["next_owner"].queryset = assignable_staff(user)


class PauseForm(BootstrapForm):
    reason = forms.ChoiceField(label=_("Waiting for"), choices=c.PauseReason.choices)
    started_on = _date_field(_("Paused on"))
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class ResumeForm(BootstrapForm):
    ended_on = _date_field(_("Resumed on"))


class DocumentForm(BootstrapForm):
    document = forms.IntegerField(widget=forms.HiddenInput)
    received_on = _date_field(_("Received on"))


class ContractorForm(BootstrapForm):
    """The customer's own choice (三不指定): free text, never a list the company offers."""

    role = forms.ChoiceField(label=_("Role"), choices=c.ContractorRole.choices)
    name = forms.CharField(label=_("Name (the customer's choice)"), max_length=200, required=False)
    licence_number = forms.CharField(label=_("Licence number"), max_length=60, required=False)
    licence_class = forms.ChoiceField(label=_("Licence class"), choices=[("", "—"), *c.LicenceClass.choices],
                                      required=False)
    licence_valid_from = _date_field(_("Licence valid from"))
    licence_valid_to = _date_field(_("Licence valid to"))


class ReasonForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class TrackerForm(BootstrapForm):
    tracker = StaffChoiceField(label=_("New tracker"), queryset=Staff.objects.none(), required=False)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tracker"].queryset = assignable_staff(user)


class DefectForm(BootstrapForm):
    item = forms.CharField(label=_("Defect"), max_length=200, required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=c.DefectSeverity.choices,
                                 initial=c.DefectSeverity.MAJOR)
    responsible_party = forms.ChoiceField(label=_("Responsible party"), choices=c.ResponsibleParty.choices,
                                          initial=c.ResponsibleParty.BUILDER)
    deadline = _date_field(_("Rectify by"))
    photo = forms.FileField(label=_("Photo"), required=False)


class ClearDefectForm(BootstrapForm):
    defect = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Re-inspection note"), max_length=255, required=False)


class SupplyPointForm(BootstrapForm):
    name = forms.CharField(label=_("Supply point"), max_length=100, required=False)
    voltage_level = forms.ChoiceField(label=_("Voltage level"), choices=[("", _("As the project")),
                                                                        *cc.VoltageLevel.choices], required=False)
    capacity_kva = forms.CharField(label=_("Capacity (kVA)"), max_length=20, required=False,
                                   help_text=_("Empty: the requested capacity."))
    source_type = forms.ChoiceField(label=_("Source type"), choices=cc.SourceType.choices,
                                    initial=cc.SourceType.MAIN)


class TransformerForm(BootstrapForm):
    model_no = forms.CharField(label=_("Model"), max_length=60, required=False)
    serial_no = forms.CharField(label=_("Serial number"), max_length=60, required=False)
    capacity_kva = forms.CharField(label=_("Capacity (kVA)"), max_length=20, required=False)
    quantity = forms.CharField(label=_("Quantity"), max_length=6, initial="1", required=False)


class MeteringPointForm(BootstrapForm):
    number = forms.CharField(label=_("Metering point number"), max_length=32, required=False)
    meter_no = forms.CharField(label=_("Meter number"), max_length=32, required=False)
    ct_ratio = forms.CharField(label=_("CT ratio"), max_length=20, initial="1/1", required=False)
    pt_ratio = forms.CharField(label=_("PT ratio"), max_length=20, initial="1/1", required=False)


class ContractForm(BootstrapForm):
    number = forms.CharField(label=_("Contract number"), max_length=40, required=False)
    signed_on = _date_field(_("Signed on"))
    valid_from = _date_field(_("Valid from"))
    valid_to = _date_field(_("Valid to"))


class ReportForm(BootstrapForm):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs=DATE))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs=DATE))
    org_unit = forms.IntegerField(label=_("Org unit"), required=False)
    application_type = forms.ChoiceField(label=_("Application type"),
                                         choices=[("", _("All")), *c.ApplicationType.choices], required=False)
    voltage_level = forms.ChoiceField(label=_("Voltage level"), choices=[("", _("All")), *cc.VoltageLevel.choices],
                                      required=False)
    green = forms.BooleanField(label=_("Green channel only"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The period ends before it starts."))
        return data
