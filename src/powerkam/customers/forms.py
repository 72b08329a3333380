"""Forms of the archive pages. They parse and show errors; the services decide and write."""

from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from powerkam.core.scoped import NOT_VISIBLE
from powerkam.org.selectors import manager_choices

from . import constants as c
from .models import (
    Contact,
    Customer,
    MeteringPoint,
    SupplyContract,
    SupplyPoint,
    Transformer,
)
from .selectors import customer_reference_scopes, usable_substations, usable_supply_lines
from .services import CUSTOMER_EDITABLE_FIELDS

# Scanned supply contracts: what a scanner or phone produces, and no more than 10 MB.
CONTRACT_SCAN_EXTENSIONS = {".pdf": b"%PDF", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff", ".png": b"\x89PNG"}
CONTRACT_SCAN_MAX_BYTES = 10 * 1024 * 1024


def apply_validation_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: field errors on their fields, the rest on top.
    A form may rename model fields through its `service_field_names` mapping."""
    renames = getattr(form, "service_field_names", {})
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            name = renames.get(name, name)
            target = name if name in form.fields else None
            for e in errors:
                form.add_error(target, e)
    else:
        form.add_error(None, error)
    if hasattr(form, "_bootstrap"):
        form._bootstrap()


class BootstrapMixin:
    """Bootstrap 5 classes on every widget, and is-invalid on fields with errors."""

    def _bootstrap(self) -> None:
        for name, f in self.fields.items():
            widget = f.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if self.is_bound and name in self.errors:
                css += " is-invalid"
            widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        self._bootstrap()


class CustomerForm(BootstrapMixin, forms.ModelForm):
    """The archive fields a clerk edits (services.CUSTOMER_EDITABLE_FIELDS). Closing a customer
    is its own operation (it needs a reason), so "closed" is not offered here."""

    class Meta:
        model = Customer
        fields = CUSTOMER_EDITABLE_FIELDS
        widgets = {
            "opened_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        inst = self.instance
        self.fields["lifecycle_status"].choices = [
            (v, lbl) for v, lbl in c.LifecycleStatus.choices if v != c.LifecycleStatus.CLOSED]
        # The same choices the API accepts (selectors.customer_reference_scopes).
        for name, scope in customer_reference_scopes(inst).items():
            self.fields[name].queryset = scope(user, {})
            self.fields[name].error_messages["invalid_choice"] = NOT_VISIBLE
        self.fields["org_unit"].label_from_instance = lambda u: ("— " * max(u.depth, 0)) + u.name
        self._bootstrap()

    FIELDSETS = (
        (_("Identity"), ("number", "name", "customer_type", "credit_code", "business_licence_no",
                         "legal_representative", "id_number", "address")),
        (_("Usage and billing"), ("industry", "usage_category", "voltage_level", "contract_capacity_kva",
                                  "operating_capacity_kva", "tariff_code", "basic_charge_method",
                                  "pf_standard", "tou_enabled", "opened_on")),
        (_("Segmentation"), ("lifecycle_status", "importance_level", "scope", "cooperation_depth",
                             "is_key_account", "ka_tier")),
        (_("Organisation"), ("org_unit", "primary_manager", "secondary_manager", "developed_by", "notes")),
    )

    def fieldsets(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def clean_credit_code(self):
        return (self.cleaned_data.get("credit_code") or "").strip().upper()

    def clean_id_number(self):
        return (self.cleaned_data.get("id_number") or "").strip().upper()

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CloseCustomerForm(BootstrapMixin, forms.Form):
    service_field_names = {"close_reason": "reason"}

    reason = forms.CharField(label=_("Reason for closing"), max_length=255, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    closed_on = forms.DateField(label=_("Closed on"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._bootstrap()


class ReassignForm(BootstrapMixin, forms.Form):
    """Reassign a customer's primary/secondary manager (1+1); the service checks the rules."""

    primary_manager = forms.ModelChoiceField(label=_("Primary manager"), queryset=None, required=False)
    secondary_manager = forms.ModelChoiceField(label=_("Secondary manager"), queryset=None, required=False)

    def __init__(self, *args, user, customer: Customer, **kwargs):
        kwargs.setdefault("initial", {"primary_manager": customer.primary_manager_id,
                                      "secondary_manager": customer.secondary_manager_id})
        super().__init__(*args, **kwargs)
        qs = manager_choices(user, include_ids=(customer.primary_manager_id, customer.secondary_manager_id))
        for name in ("primary_manager", "secondary_manager"):
            self.fields[name].queryset = qs
            self.fields[name].error_messages["invalid_choice"] = NOT_VISIBLE
            self.fields[name].label_from_instance = lambda s: f"{s.display_name} · {s.org_unit or ''}"
        self._bootstrap()


# --- Archive records hanging off a customer ---------------------------------------------------

class RecordForm(BootstrapMixin, forms.ModelForm):
    def __init__(self, *args, customer: Customer, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.customer = customer
        self.user = user
        for name in ("supply_point",):
            if name in self.fields:
                self.fields[name].queryset = SupplyPoint.objects.filter(customer=customer)
                self.fields[name].error_messages["invalid_choice"] = NOT_VISIBLE
        self._bootstrap()


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContactForm(RecordForm):
    class Meta:
        model = Contact
        fields = ("name", "role", "title", "mobile", "phone", "email", "is_primary", "birthday")
        widgets = {"birthday": DATE}


class SupplyPointForm(RecordForm):
    class Meta:
        model = SupplyPoint
        fields = ("name", "source_type", "substation", "supply_line", "voltage_level", "capacity_kva")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The grid the user may pick, as in the API (selectors.usable_substations).
        self.fields["substation"].queryset = usable_substations(self.user)
        self.fields["supply_line"].queryset = usable_supply_lines(self.user)
        for name in ("substation", "supply_line"):
            self.fields[name].error_messages["invalid_choice"] = NOT_VISIBLE

    def clean(self):
        data = super().clean()
        line, substation = data.get("supply_line"), data.get("substation")
        if line and substation and line.substation_id != substation.pk:
            self.add_error("supply_line", _("This supply line does not leave the chosen substation."))
        elif line and not substation:
            data["substation"] = line.substation
        return data


class TransformerForm(RecordForm):
    class Meta:
        model = Transformer
        fields = ("supply_point", "model_no", "serial_no", "capacity_kva", "quantity", "in_service")


class MeteringPointForm(RecordForm):
    class Meta:
        model = MeteringPoint
        fields = ("supply_point", "number", "meter_no", "ct_ratio", "pt_ratio", "multiplier")
        help_texts = {"multiplier": _("Normally CT ratio × PT ratio.")}


class SupplyContractForm(RecordForm):
    class Meta:
        model = SupplyContract
        fields = ("number", "signed_on", "valid_from", "valid_to", "property_boundary", "scan")
        widgets = {"signed_on": DATE, "valid_from": DATE, "valid_to": DATE,
                   "scan": forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"})}

    def clean_scan(self):
        scan = self.cleaned_data.get("scan")
        if not scan or not hasattr(scan, "content_type"):  # unchanged or cleared
            return scan
        ext = Path(scan.name).suffix.lower()
        if ext not in CONTRACT_SCAN_EXTENSIONS:
            raise ValidationError(_("Upload the signed copy as PDF, JPG or PNG."), code="scan_type")
        if scan.size > CONTRACT_SCAN_MAX_BYTES:
            raise ValidationError(_("The signed copy is larger than 10 MB."), code="scan_size")
        head = scan.read(8)
        scan.seek(0)
        if not head.startswith(CONTRACT_SCAN_EXTENSIONS[ext]):
            raise ValidationError(_("The file's content is not a %(ext)s file."), code="scan_content",
                                  params={"ext": ext.lstrip(".").upper()})
        return scan


RECORD_FORMS = {
    "contact": (ContactForm, "contacts"),
    "supply_point": (SupplyPointForm, "power"),
    "transformer": (TransformerForm, "equipment"),
    "metering_point": (MeteringPointForm, "metering"),
    "contract": (SupplyContractForm, "contracts"),
}
