"""API serializers for the customer archive.

Reads: a light list serializer (constant query count with the viewset's select_related) and
a detail serializer with the archive records nested read-only. Writes: serializers only
validate; the viewsets hand validated data to customers.services. ID numbers of persons are
masked for users without can_see_full_id everywhere they leave the server.
"""

from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from powerkam.core.scoped import ScopedPrimaryKeyRelatedField, customers_in_scope
from powerkam.core.scoping import scope_to_user

from . import constants as c
from .models import (
    Contact,
    Customer,
    DataQualityFinding,
    MeteringPoint,
    Substation,
    SupplyContract,
    SupplyLine,
    SupplyPoint,
    TimelineEvent,
    Transformer,
)
from .selectors import (
    customer_reference_scopes,
    shown_id_number,
    usable_substations,
    usable_supply_lines,
)
from .services import CUSTOMER_EDITABLE_FIELDS

# What a scanned supply contract may be (served back inline, so no HTML or scripts).
SCAN_EXTENSIONS = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".ofd"}


def _user(serializer: serializers.Serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


# --- grid reference data -------------------------------------------------------------------


class SubstationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Substation
        fields = ["id", "name", "voltage_level", "org_unit"]


class SupplyLineSerializer(serializers.ModelSerializer):
    substation_name = serializers.CharField(source="substation.name", read_only=True)

    class Meta:
        model = SupplyLine
        fields = ["id", "substation", "substation_name", "name", "voltage_level"]


# --- archive records (hang off one customer) -----------------------------------------------


class ArchiveRecordSerializer(serializers.ModelSerializer):
    """Base for records that hang off a customer. `customer` accepts only customers the caller
    can see (an out-of-scope id is "does not exist", the same answer as a wrong id) and is
    fixed once the record exists."""

    customer = ScopedPrimaryKeyRelatedField(Customer, scope=customers_in_scope)

    # The references a record may hold, each through the caller's scope (core.scoped); the
    # page forms (customers.forms) use the same querysets.
    REFERENCE_SCOPES = {
        "supply_point": (SupplyPoint, lambda user, context: scope_to_user(SupplyPoint.objects.all(), user)),
        "substation": (Substation, lambda user, context: usable_substations(user)),
        "supply_line": (SupplyLine, lambda user, context: usable_supply_lines(user)),
    }

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, (list, tuple)) and hasattr(self.instance, "pk"):
            fields["customer"] = serializers.PrimaryKeyRelatedField(read_only=True)
        for name, (model, scope) in self.REFERENCE_SCOPES.items():
            old = fields.get(name)
            if old is not None and not old.read_only:
                fields[name] = ScopedPrimaryKeyRelatedField(model, scope=scope, required=old.required,
                                                            allow_null=old.allow_null, label=old.label)
        return fields

    def record_customer(self, attrs) -> Customer | None:
        return attrs.get("customer") or getattr(self.instance, "customer", None)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        point = attrs.get("supply_point")
        customer = self.record_customer(attrs)
        if point is not None and customer is not None and point.customer_id != customer.pk:
            raise serializers.ValidationError({"supply_point": _("This supply point belongs to another customer.")})
        return attrs


class ContactSerializer(ArchiveRecordSerializer):
    class Meta:
        model = Contact
        fields = ["id", "customer", "name", "role", "title", "mobile", "phone", "email", "is_primary", "birthday"]


class SupplyPointSerializer(ArchiveRecordSerializer):
    substation_name = serializers.SerializerMethodField()
    supply_line_name = serializers.CharField(source="supply_line.name", read_only=True, default=None)

    class Meta:
        model = SupplyPoint
        fields = ["id", "customer", "name", "substation", "substation_name", "supply_line", "supply_line_name",
                  "source_type", "voltage_level", "capacity_kva"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_substation_name(self, obj: SupplyPoint) -> str | None:
        if obj.substation_id:
            return obj.substation.name
        return obj.supply_line.substation.name if obj.supply_line_id else None

    def validate(self, attrs):
        attrs = super().validate(attrs)
        line = attrs.get("supply_line", getattr(self.instance, "supply_line", None))
        substation = attrs.get("substation", getattr(self.instance, "substation", None))
        if line is not None:
            if substation is None:
                attrs["substation"] = line.substation
            elif line.substation_id != substation.pk:
                raise serializers.ValidationError(
                    {"supply_line": _("This supply line does not leave the chosen substation.")})
        return attrs


class TransformerSerializer(ArchiveRecordSerializer):
    total_kva = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Transformer
        fields = ["id", "customer", "supply_point", "model_no", "serial_no", "capacity_kva", "quantity",
                  "total_kva", "in_service"]


class MeteringPointSerializer(ArchiveRecordSerializer):
    expected_multiplier = serializers.DecimalField(
        max_digits=20, decimal_places=4, read_only=True, allow_null=True,
        help_text=_("CT ratio × PT ratio; the recorded multiplier should equal it."))

    class Meta:
        model = MeteringPoint
        fields = ["id", "customer", "supply_point", "number", "meter_no", "ct_ratio", "pt_ratio", "multiplier",
                  "expected_multiplier"]


class SupplyContractSerializer(ArchiveRecordSerializer):
    class Meta:
        model = SupplyContract
        fields = ["id", "customer", "number", "signed_on", "valid_from", "valid_to", "property_boundary", "scan"]

    def validate_scan(self, value):
        if not value:
            return value
        if Path(value.name).suffix.lower() not in SCAN_EXTENSIONS:
            raise serializers.ValidationError(
                _("Upload the signed copy as one of: %(types)s.") % {"types": ", ".join(sorted(SCAN_EXTENSIONS))})
        if value.size > settings.POWERKAM_MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(
                _("The file is too large (at most %(mb)s MB).") % {"mb": settings.POWERKAM_MAX_UPLOAD_BYTES // (1024 * 1024)})
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        valid_from = attrs.get("valid_from", getattr(self.instance, "valid_from", None))
        valid_to = attrs.get("valid_to", getattr(self.instance, "valid_to", None))
        if valid_from and valid_to and valid_to < valid_from:
            raise serializers.ValidationError({"valid_to": _("The contract cannot end before it starts.")})
        return attrs


# --- findings and timeline ----------------------------------------------------------------


class FindingSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    rule_label = serializers.CharField(read_only=True)
    text = serializers.CharField(read_only=True)

    class Meta:
        model = DataQualityFinding
        fields = ["id", "customer", "customer_number", "customer_name", "rule", "rule_label", "text", "params",
                  "status", "detected_at", "resolved_at"]
        read_only_fields = fields


class OpenFindingSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="rule_label", read_only=True)
    text = serializers.CharField(read_only=True)

    class Meta:
        model = DataQualityFinding
        fields = ["id", "rule", "label", "text", "detected_at"]
        read_only_fields = fields


class TimelineEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.display_name", read_only=True, default=None)
    title = serializers.CharField(source="display_title", read_only=True)

    class Meta:
        model = TimelineEvent
        fields = ["id", "kind", "occurred_at", "title", "detail", "actor", "actor_name"]
        read_only_fields = fields


# --- customers ----------------------------------------------------------------------------


class CustomerListSerializer(serializers.ModelSerializer):
    """One row of the customer list: no nested records, related names from select_related."""

    id_number = serializers.SerializerMethodField()
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    primary_manager_name = serializers.CharField(source="primary_manager.display_name", read_only=True, default=None)
    secondary_manager_name = serializers.CharField(source="secondary_manager.display_name", read_only=True, default=None)
    open_findings_count = serializers.IntegerField(source="open_findings", read_only=True, default=0)

    class Meta:
        model = Customer
        fields = [
            "id", "number", "name", "customer_type", "credit_code", "id_number", "legal_representative",
            "industry", "usage_category", "voltage_level", "contract_capacity_kva", "operating_capacity_kva",
            "lifecycle_status", "importance_level", "is_key_account", "ka_tier",
            "org_unit", "org_unit_name", "primary_manager", "primary_manager_name",
            "secondary_manager", "secondary_manager_name", "open_findings_count", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(help_text="Masked (110105********1234) unless the caller may see full ID numbers."))
    def get_id_number(self, obj: Customer) -> str:
        return shown_id_number(_user(self), obj.id_number)


class CustomerDetailSerializer(CustomerListSerializer):
    """The whole archive of one customer; nested records are read-only (write them through
    their own endpoints)."""

    developed_by_name = serializers.CharField(source="developed_by.display_name", read_only=True, default=None)
    contacts = ContactSerializer(many=True, read_only=True)
    supply_points = SupplyPointSerializer(many=True, read_only=True)
    transformers = TransformerSerializer(many=True, read_only=True)
    metering_points = MeteringPointSerializer(many=True, read_only=True)
    contracts = SupplyContractSerializer(many=True, read_only=True)
    open_findings = OpenFindingSerializer(source="open_findings_list", many=True, read_only=True)
    timeline = serializers.SerializerMethodField(help_text=_("The last 50 timeline events, newest first."))

    class Meta(CustomerListSerializer.Meta):
        fields = [
            *CustomerListSerializer.Meta.fields,
            "business_licence_no", "address", "scope", "cooperation_depth", "tariff_code",
            "basic_charge_method", "pf_standard", "tou_enabled", "developed_by", "developed_by_name",
            "opened_on", "closed_on", "close_reason", "notes", "created_at",
            "contacts", "supply_points", "transformers", "metering_points", "contracts", "open_findings",
            "timeline",
        ]
        read_only_fields = fields

    @extend_schema_field(TimelineEventSerializer(many=True))
    def get_timeline(self, obj: Customer):
        events = getattr(obj, "recent_timeline", None)
        if events is None:
            events = obj.timeline.select_related("actor")[:50]
        return TimelineEventSerializer(events, many=True, context=self.context).data


class CustomerWriteSerializer(serializers.ModelSerializer):
    """Validates the editable archive fields (CUSTOMER_EDITABLE_FIELDS); services write them.

    A client that sends back the masked ID number it was shown leaves the stored one as is.
    Closing goes through POST customers/{id}/close/, not through lifecycle_status."""

    class Meta:
        model = Customer
        fields = list(CUSTOMER_EDITABLE_FIELDS)

    def get_fields(self):
        # The org unit and staff the edit page offers (customers.selectors.customer_reference_scopes).
        fields = super().get_fields()
        instance = self.instance if isinstance(self.instance, Customer) else None
        for name, scope in customer_reference_scopes(instance).items():
            old = fields[name]
            fields[name] = ScopedPrimaryKeyRelatedField(old.queryset.model, scope=scope, required=old.required,
                                                        allow_null=old.allow_null, label=old.label)
        return fields

    def to_internal_value(self, data):
        if hasattr(data, "get"):
            data = data.copy()
            # The credit code is checked after normalising, as create/update_customer store it.
            if isinstance(data.get("credit_code"), str):
                data["credit_code"] = data["credit_code"].strip().upper()
            sent = data.get("id_number")
            if (self.instance is not None and sent and self.instance.id_number
                    and sent == self.instance.masked_id_number() != self.instance.id_number):
                data.pop("id_number")
        return super().to_internal_value(data)

    def validate_lifecycle_status(self, value: str) -> str:
        current = getattr(self.instance, "lifecycle_status", None)
        if value == c.LifecycleStatus.CLOSED and current != c.LifecycleStatus.CLOSED:
            raise serializers.ValidationError(_("Close a customer with the close action, giving the reason."))
        if current == c.LifecycleStatus.CLOSED and value != c.LifecycleStatus.CLOSED:
            raise serializers.ValidationError(_("Reopen a closed customer with the reopen action."))
        return value


class CloseCustomerSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, help_text=_("Why the customer is closed (销户)."))
    closed_on = serializers.DateField(required=False, allow_null=True, help_text=_("Defaults to today."))


class HistoryEntrySerializer(serializers.Serializer):
    """One line of the audit trail: who changed which field of which record, from what, to what."""

    when = serializers.DateTimeField()
    who = serializers.IntegerField(allow_null=True)
    who_name = serializers.CharField(allow_null=True)
    record_type = serializers.CharField(help_text=_("What was changed: customer, contact, supply point, …"))
    record = serializers.CharField(help_text=_("Which one: its number or name."))
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    field = serializers.CharField(allow_null=True)
    field_label = serializers.CharField(allow_null=True)
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)
