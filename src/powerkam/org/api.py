"""REST API (/api/v1/): org units and staff.

Also holds the few API pieces the other apps' viewsets share (pagination, turning a Django
ValidationError from a service into a DRF 400 with field errors, 409 for records in use);
org is the lowest app that has an API, so customers and later apps can import them.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, ProtectedError, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings

from powerkam.core.params import record_id
from powerkam.core.permissions import AdminOnly, StaffPermission

from . import two_factor
from .models import OrgUnit, Role, Staff
from .serializers import OrgUnitSerializer, StaffAdminSerializer, StaffMinimalSerializer

# --- shared API plumbing -------------------------------------------------------------------


class InUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This record is still in use and cannot be deleted.")
    default_code = "in_use"


def as_drf_error(exc: DjangoValidationError, rename: dict[str, str] | None = None) -> serializers.ValidationError:
    """A service's Django ValidationError as a DRF 400: field errors stay field errors,
    errors for the whole record go under non_field_errors."""
    rename = rename or {}
    if hasattr(exc, "error_dict"):
        detail: dict[str, list[str]] = {}
        for field, messages in exc.message_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else rename.get(field, field)
            detail.setdefault(key, []).extend(messages)
    else:
        detail = {api_settings.NON_FIELD_ERRORS_KEY: list(exc.messages)}
    return serializers.ValidationError(detail)


@contextmanager
def django_errors_as_400(rename: dict[str, str] | None = None) -> Iterator[None]:
    try:
        yield
    except DjangoValidationError as exc:
        raise as_drf_error(exc, rename) from exc


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or getattr(user, "role", None) == Role.ADMIN))


class AdminWriteViewSet(viewsets.ModelViewSet):
    """Reference data: every staff member reads, administrators write. Deleting a record that
    is still referenced answers 409 instead of failing."""

    permission_classes = [StaffPermission, AdminOnly]

    def perform_create(self, serializer):
        with transaction.atomic(), django_errors_as_400():
            serializer.save()

    def perform_update(self, serializer):
        with transaction.atomic(), django_errors_as_400():
            serializer.save()

    def perform_destroy(self, instance):
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError as exc:
            raise InUse() from exc


# --- org units and staff -------------------------------------------------------------------


class OrgUnitViewSet(AdminWriteViewSet):
    """Org units (company → region → supply station). Filter `?parent=`, `?kind=`; `?within=<id>`
    gives a unit's whole subtree."""

    queryset = OrgUnit.objects.select_related("parent")
    serializer_class = OrgUnitSerializer
    filterset_fields = {"kind": ["exact"], "parent": ["exact", "isnull"], "is_active": ["exact"]}
    search_fields = ["name", "code"]
    ordering_fields = ["path", "name", "code"]

    def get_queryset(self):
        qs = super().get_queryset()
        if within := record_id(self.request.query_params.get("within")):
            path = OrgUnit.objects.filter(pk=within).values_list("path", flat=True).first()
            qs = qs.filter(path__startswith=path) if path else qs.none()
        return qs


def _portfolio_subquery(field: str) -> Coalesce:
    # The customer model is reached through the reverse relation, so org does not import
    # the higher customers app (DESIGN.md "Shape").
    customer_model = Staff._meta.get_field("primary_customers").related_model
    counts = (
        customer_model.objects.filter(**{field: OuterRef("pk")}).exclude(lifecycle_status="closed")
        .order_by().values(field).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


STAFF_READ_DESCRIPTION = ("Every staff member gets these fields; administrators get the full account "
                          "(`StaffAdmin`: also names, e-mail, phone, employee number, active flag and login dates).")


# Reads are documented with the fields everybody gets (an administrator's row has more, which
# the minimal schema allows); writes are administrators' and use their serializer.
@extend_schema_view(list=extend_schema(responses=StaffMinimalSerializer, description=STAFF_READ_DESCRIPTION),
                    retrieve=extend_schema(responses=StaffMinimalSerializer, description=STAFF_READ_DESCRIPTION))
class StaffViewSet(AdminWriteViewSet):
    """Staff accounts. Administrators manage them (no hard delete: set is_active false);
    everybody else reads a minimal list of active staff."""

    filterset_fields = {"role": ["exact"], "org_unit": ["exact"], "is_active": ["exact"]}
    search_fields = ["username", "full_name", "employee_no"]
    ordering_fields = ["username", "full_name", "role", "portfolio_count"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        qs = Staff.objects.select_related("org_unit").annotate(
            portfolio_count=_portfolio_subquery("primary_manager") + _portfolio_subquery("secondary_manager"),
        )
        if not is_admin(self.request.user):
            qs = qs.filter(is_active=True)
        return qs

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False) or is_admin(self.request.user):
            return StaffAdminSerializer
        return StaffMinimalSerializer

    @extend_schema(responses=StaffMinimalSerializer)
    @action(detail=False, methods=["get"], permission_classes=[StaffPermission])
    def me(self, request):
        """The caller's own account, with role and org unit."""
        staff = self.get_queryset().filter(pk=request.user.pk).first() or request.user
        return Response(StaffMinimalSerializer(staff, context=self.get_serializer_context()).data)


def register(router) -> None:
    router.register("org-units", OrgUnitViewSet, basename="org-unit")
    router.register("staff", StaffViewSet, basename="staff")



# --- API token: password and, for an account with two-step login on, the current code ----------


class TokenRequestSerializer(AuthTokenSerializer):
    otp_code = serializers.CharField(
        label=_("Verification code"), required=False, allow_blank=True, max_length=12, write_only=True,
        help_text=_("The current 6-digit code of the authenticator app; required when the account has "
                    "two-step login on."))

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs["user"]
        try:
            two_factor.verify_login(user, attrs.get("otp_code", ""))
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"otp_code": exc.messages}, code=exc.code) from None
        problem = two_factor.access_problem(user, verified=True)
        if problem is not None:
            raise exceptions.PermissionDenied(two_factor.problem_message(problem, user), code=f"two_step_{problem}")
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class ObtainTokenView(ObtainAuthToken):
    """POST username, password and — when the account has two-step login on — `otp_code`: the
    caller's API token (send it as `Authorization: Token <token>`)."""

    serializer_class = TokenRequestSerializer

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer},
                   auth=[], operation_id="auth_token_create")
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
