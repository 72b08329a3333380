"""REST representations of connection projects (read side) and the request bodies of the
operations (write side; the services validate the business rules)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from powerkam.core.scoped import ScopedPrimaryKeyRelatedField, customers_in_scope
from powerkam.customers import constants as cc
from powerkam.customers.models import Customer, Substation, SupplyLine, Transformer
from powerkam.customers.selectors import usable_substations, usable_supply_lines
from powerkam.org.models import Staff

from . import constants as c
from . import licences
from .models import (
    Contractor,
    Defect,
    Pause,
    Project,
    ProjectDocument,
    ProjectEvent,
    ProjectMeteringPoint,
    ProjectSupplyPoint,
    ProjectTransformer,
    StageRecord,
    TimingRule,
)


class StaffRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class StageRecordSerializer(serializers.ModelSerializer):
    owner = StaffRefSerializer()

    class Meta:
        model = StageRecord
        fields = ["id", "stage", "side", "owner", "started_on", "ended_on", "limit_workdays", "warn_percent",
                  "paused_workdays", "deadline", "deadline_provisional", "warn_on", "is_paused", "warned",
                  "escalation_level", "grid_workdays", "customer_workdays", "within_commitment", "note"]
        read_only_fields = fields


class PauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pause
        fields = ["id", "stage_record", "reason", "note", "started_on", "ended_on", "workdays"]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectDocument
        fields = ["id", "name", "position", "received_on"]
        read_only_fields = fields


class ContractorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contractor
        fields = ["id", "role", "name", "licence_number", "licence_class", "licence_valid_from", "licence_valid_to",
                  "override_reason", "override_at"]
        read_only_fields = fields


class DefectSerializer(serializers.ModelSerializer):
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Defect
        fields = ["id", "item", "severity", "responsible_party", "deadline", "found_on", "photo", "is_open",
                  "cleared_at", "clear_note"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectEvent
        fields = ["id", "kind", "stage_record", "level", "note", "occurred_at"]
        read_only_fields = fields


class PlannedSupplyPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectSupplyPoint
        fields = ["id", "name", "substation", "supply_line", "source_type", "voltage_level", "capacity_kva",
                  "archived"]
        read_only_fields = fields


class PlannedTransformerSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectTransformer
        fields = ["id", "action", "supply_point", "existing", "model_no", "serial_no", "capacity_kva", "quantity",
                  "archived"]
        read_only_fields = fields


class PlannedMeteringPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectMeteringPoint
        fields = ["id", "supply_point", "number", "meter_no", "ct_ratio", "pt_ratio", "archived"]
        read_only_fields = fields


class ProjectSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True, allow_null=True,
                                            default=None)
    first_contact_owner = StaffRefSerializer(read_only=True)
    tracker = StaffRefSerializer(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Project
        fields = ["id", "number", "application_type", "applicant_type", "customer", "customer_number",
                  "applicant_name", "site_address", "requested_capacity_kva", "voltage_level", "supply_mode",
                  "industry", "usage_category", "expected_energisation_on", "is_key_project", "green_channel",
                  "org_unit", "first_contact_owner", "tracker", "status", "stage", "due_on", "due_provisional",
                  "is_overdue", "is_paused", "escalation_level", "accepted_on", "energised_on",
                  "commitment_workdays", "grid_workdays", "customer_workdays", "legacy_number"]
        read_only_fields = fields


class ProjectDetailSerializer(ProjectSerializer):
    stages = StageRecordSerializer(many=True, read_only=True)
    pauses = PauseSerializer(many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)
    contractors = ContractorSerializer(many=True, read_only=True)
    defects = DefectSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    supply_points = PlannedSupplyPointSerializer(many=True, read_only=True)
    transformers = PlannedTransformerSerializer(many=True, read_only=True)
    metering_points = PlannedMeteringPointSerializer(many=True, read_only=True)
    licence_problems = serializers.SerializerMethodField()
    licence_overridden = serializers.SerializerMethodField()

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "applicant_credit_code", "applicant_contact", "applicant_phone",
                  "contract_number", "contract_signed_on", "contract_valid_from", "contract_valid_to", "notes",
                  "licence_problems", "licence_overridden", "stages", "pauses", "documents", "contractors",
                  "defects", "events", "supply_points", "transformers", "metering_points"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_licence_problems(self, obj: Project) -> list[str]:
        from django.utils import timezone

        return licences.licence_problems(obj, timezone.localdate(), list(obj.contractors.all()))

    def get_licence_overridden(self, obj: Project) -> bool:
        return licences.is_overridden(obj, list(obj.contractors.all()))


class TimingRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimingRule
        fields = ["id", "application_type", "voltage_level", "supply_mode", "green_channel", "stage", "workdays",
                  "warn_percent"]
        read_only_fields = fields


# --- request bodies ----------------------------------------------------------------------------------------


def _staff_field(**kwargs):
    from . import services

    return ScopedPrimaryKeyRelatedField(Staff, scope=lambda user, context: services.worker_queryset(), **kwargs)


class ApplicationSerializer(serializers.Serializer):
    application_type = serializers.ChoiceField(choices=c.ApplicationType.choices)
    applicant_type = serializers.ChoiceField(choices=c.ApplicantType.choices)
    customer = ScopedPrimaryKeyRelatedField(
        Customer, scope=customers_in_scope, required=False, allow_null=True, default=None,
        error_messages={"does_not_exist": _("Unknown customer: choose a customer you can see.")},
        help_text=_("An existing customer or a prospect (must be visible to you)."))
    applicant_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    applicant_credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    applicant_contact = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    applicant_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    site_address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    requested_capacity_kva = serializers.CharField(max_length=30, help_text=_("kVA, greater than 0."))
    voltage_level = serializers.ChoiceField(choices=cc.VoltageLevel.choices)
    supply_mode = serializers.ChoiceField(choices=c.SupplyMode.choices, default=c.SupplyMode.SINGLE)
    industry = serializers.ChoiceField(choices=cc.Industry.choices, required=False, allow_blank=True, default="")
    usage_category = serializers.ChoiceField(choices=cc.UsageCategory.choices,
                                             default=cc.UsageCategory.GENERAL_COMMERCIAL)
    expected_energisation_on = serializers.DateField(required=False, allow_null=True, default=None)
    is_key_project = serializers.BooleanField(default=False)
    green_channel = serializers.BooleanField(default=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    tracker = _staff_field(help_text=_("The dedicated tracker (专人全程跟踪)."))
    accepted_on = serializers.DateField(required=False, allow_null=True, default=None)


class AdvanceSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=c.Stage.choices, help_text=_("The stage being completed (must be current)."))
    ended_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    next_owner = _staff_field(required=False, allow_null=True, default=None)
    customer_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=20,
                                            help_text=_("Energisation of a new applicant: the new customer number."))


class PauseRequestSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=c.PauseReason.choices)
    started_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class ResumeSerializer(serializers.Serializer):
    ended_on = serializers.DateField(required=False, allow_null=True, default=None)


class ReceiveDocumentSerializer(serializers.Serializer):
    document = serializers.IntegerField(min_value=1, help_text=_("A document of this project's notice."))
    received_on = serializers.DateField(required=False, allow_null=True, default=None)


class ContractorRequestSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=c.ContractorRole.choices)
    name = serializers.CharField(max_length=200, allow_blank=True)
    licence_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    licence_class = serializers.ChoiceField(choices=c.LicenceClass.choices, required=False, allow_blank=True,
                                            default="")
    licence_valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    licence_valid_to = serializers.DateField(required=False, allow_null=True, default=None)


class OverrideReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000)


class DefectRequestSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=200, allow_blank=True)
    severity = serializers.ChoiceField(choices=c.DefectSeverity.choices, default=c.DefectSeverity.MAJOR)
    responsible_party = serializers.ChoiceField(choices=c.ResponsibleParty.choices,
                                                default=c.ResponsibleParty.BUILDER)
    deadline = serializers.DateField(required=False, allow_null=True, default=None)
    found_on = serializers.DateField(required=False, allow_null=True, default=None)
    photo = serializers.FileField(required=False, allow_null=True, default=None)


class ClearDefectSerializer(serializers.Serializer):
    defect = serializers.IntegerField(min_value=1, help_text=_("A defect of this project."))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class EnergiseSerializer(serializers.Serializer):
    energised_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    customer_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    legal_representative = serializers.CharField(required=False, allow_blank=True, default="", max_length=60,
                                                 help_text=_("A new customer's legal representative."))


class TrackerSerializer(serializers.Serializer):
    tracker = _staff_field()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000)
    cancelled_on = serializers.DateField(required=False, allow_null=True, default=None)


class SupplyPointRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, allow_blank=True)
    voltage_level = serializers.ChoiceField(choices=cc.VoltageLevel.choices, required=False, allow_blank=True,
                                            default="")
    capacity_kva = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    source_type = serializers.ChoiceField(choices=cc.SourceType.choices, default=cc.SourceType.MAIN)
    substation = ScopedPrimaryKeyRelatedField(Substation, scope=lambda user, context: usable_substations(user),
                                              required=False, allow_null=True, default=None)
    supply_line = ScopedPrimaryKeyRelatedField(SupplyLine, scope=lambda user, context: usable_supply_lines(user),
                                               required=False, allow_null=True, default=None)


def _transformers_of_project(user, context) -> object:
    """An `existing` transformer: one of the project's own customer's (the view puts the project
    in the context); anything else is refused like a missing id."""
    project = context.get("project")
    if project is None or not project.customer_id:
        return Transformer.objects.none()
    return Transformer.objects.filter(customer_id=project.customer_id)


class TransformerRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=c.TransformerAction.choices, default=c.TransformerAction.ADD)
    capacity_kva = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    model_no = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    serial_no = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    supply_point = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None,
                                            help_text=_("A planned supply point of this project."))
    existing = ScopedPrimaryKeyRelatedField(Transformer, scope=_transformers_of_project, required=False,
                                            allow_null=True, default=None,
                                            help_text=_("Reduction: the customer's transformer taken out of service."))


class MeteringPointRequestSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=32, allow_blank=True)
    ct_ratio = serializers.CharField(max_length=20, default="1/1")
    pt_ratio = serializers.CharField(max_length=20, default="1/1")
    meter_no = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    supply_point = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None,
                                            help_text=_("A planned supply point of this project."))


class ContractRequestSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40, allow_blank=True)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    signed_on = serializers.DateField(required=False, allow_null=True, default=None)
