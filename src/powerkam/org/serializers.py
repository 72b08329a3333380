"""API serializers for org units and staff. Password hashes never leave the server."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import OrgUnit, Staff


class OrgUnitSerializer(serializers.ModelSerializer):
    parent_name = serializers.CharField(source="parent.name", read_only=True, default=None)
    depth = serializers.IntegerField(read_only=True)

    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "kind", "parent", "parent_name", "path", "depth", "is_active"]
        read_only_fields = ["path"]


def portfolio_count(staff: Staff) -> int:
    """Customers (not closed) the staff member manages as primary or secondary manager.
    List querysets annotate it (see org.api.StaffViewSet); a single fresh object counts."""
    annotated = getattr(staff, "portfolio_count", None)
    if annotated is not None:
        return annotated
    primary = staff.primary_customers.exclude(lifecycle_status="closed").count()
    secondary = staff.secondary_customers.exclude(lifecycle_status="closed").count()
    return primary + secondary


class StaffMinimalSerializer(serializers.ModelSerializer):
    """What every staff member may read about colleagues (to pick a manager, to see who did what)."""

    display_name = serializers.CharField(read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True, default=None)
    portfolio_count = serializers.SerializerMethodField()

    class Meta:
        model = Staff
        fields = ["id", "username", "display_name", "role", "org_unit", "org_unit_name", "portfolio_count"]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_portfolio_count(self, obj: Staff) -> int:
        return portfolio_count(obj)


class StaffAdminSerializer(StaffMinimalSerializer):
    """Administrators manage accounts. The password is write-only and checked by Django's
    password validators; the hash is never serialised."""

    password = serializers.CharField(
        write_only=True, required=False, allow_blank=False, style={"input_type": "password"},
        help_text=_("Set or change the password (write-only)."),
    )

    class Meta:
        model = Staff
        fields = [
            "id", "username", "display_name", "full_name", "first_name", "last_name", "email",
            "employee_no", "phone", "role", "org_unit", "org_unit_name", "is_active", "is_superuser",
            "last_login", "date_joined", "portfolio_count", "password",
        ]
        read_only_fields = ["is_superuser", "last_login", "date_joined"]

    def validate(self, attrs):
        password = attrs.get("password")
        if password:
            # The similarity validator compares against the account's names and email.
            candidate = self.instance or Staff(**{k: v for k, v in attrs.items() if k != "password"})
            try:
                password_validation.validate_password(password, candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs

    def create(self, validated_data):
        password = validated_data.pop("password", None)
        staff = Staff(**validated_data)
        if password:
            staff.set_password(password)
        else:
            staff.set_unusable_password()
        staff.save()
        return staff

    def update(self, instance, validated_data):
        password = validated_data.pop("password", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        if password:
            instance.set_password(password)
        instance.save()
        return instance
