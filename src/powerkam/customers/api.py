"""REST API (/api/v1/) for the customer archive.

Every queryset comes from core.scoping (a customer outside the caller's scope answers 404);
every write goes through customers.services, whose Django ValidationErrors become DRF 400s
with field errors. Executives are read-only (core.permissions.StaffPermission).
"""

from typing import Any

import django_filters
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.settings import api_settings

from powerkam.core.filters import RecordIdFilter
from powerkam.core.pagination import Pagination
from powerkam.core.scoped import ScopedFilterSet
from powerkam.core.scoping import scope_to_user, visible_customers
from powerkam.imports.exports import FORMATS, export_response
from powerkam.org.api import AdminWriteViewSet, django_errors_as_400
from powerkam.org.models import OrgUnit

from . import selectors, services
from .filters import CustomerFilter, search_customers
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
from .paging import ListPaginator, search_count_cap
from .quality import RULES
from .serializers import (
    CloseCustomerSerializer,
    ContactSerializer,
    CustomerDetailSerializer,
    CustomerListSerializer,
    CustomerWriteSerializer,
    FindingSerializer,
    HistoryEntrySerializer,
    MeteringPointSerializer,
    SubstationSerializer,
    SupplyContractSerializer,
    SupplyLineSerializer,
    SupplyPointSerializer,
    TransformerSerializer,
)

# --- queries ------------------------------------------------------------------------------


def customer_list_queryset(user):
    """The scoped customer list (the same rows as the list page): one query per page."""
    return selectors.customer_list_queryset(visible_customers(user))


def customer_detail_queryset(user):
    """The scoped customers with every archive record the detail shows, prefetched."""
    qs = (
        Customer.objects.select_related("org_unit", "primary_manager", "secondary_manager", "developed_by")
        .prefetch_related(
            "contacts",
            Prefetch("supply_points", queryset=SupplyPoint.objects.select_related("substation", "supply_line__substation")),
            "transformers",
            "metering_points",
            "contracts",
            Prefetch("findings", queryset=DataQualityFinding.objects.filter(status=DataQualityFinding.Status.OPEN),
                     to_attr="open_findings_list"),
            Prefetch("timeline", queryset=TimelineEvent.objects.select_related("actor")[:50], to_attr="recent_timeline"),
        )
    )
    return selectors.with_open_findings(visible_customers(user, qs))


# The API pages through the whole trail rather than the 360 page's newest entries.
HISTORY_LIMIT = 100_000


def customer_history(customer: Customer, user) -> list[dict[str, Any]]:
    """The customer's audit trail (selectors.audit_trail, the same one the 360 page shows),
    flattened to one row per changed field, newest first; creations and deletions are one row
    without a field. Values are as displayed (choice labels, related names, masked ID numbers)."""
    rows: list[dict[str, Any]] = []
    trail = selectors.audit_trail(customer, can_see_full_id=getattr(user, "can_see_full_id", False),
                                  limit=HISTORY_LIMIT)
    for entry in trail:
        base = {
            "when": entry.when, "who": entry.who.pk if entry.who else None,
            "who_name": entry.who.display_name if entry.who else None,
            "record_type": entry.model_label, "record": entry.object_label, "action": entry.action,
        }
        if not entry.changes:
            rows.append({**base, "field": None, "field_label": None, "old": None, "new": None})
        for change in entry.changes:
            rows.append({**base, "field": change.field, "field_label": change.label, "old": change.old,
                         "new": change.new})
    return rows


class CustomerPagination(Pagination):
    """The API's pagination (same parameters), paged by ListPaginator: a large list's count
    remembered for a few seconds, one query per page, and a search's count capped at
    settings.POWERKAM_SEARCH_COUNT_CAP (customers.paging). The response says whether `count`
    is exact: `count_exact: false` means more than `count` customers match; `?page=last` is
    counted exactly."""

    count_cap: int | None = None

    def django_paginator_class(self, queryset, page_size) -> ListPaginator:
        # DRF builds the paginator as self.django_paginator_class(queryset, page_size).
        return ListPaginator(queryset, page_size, count_cap=self.count_cap)

    def paginate_queryset(self, queryset, request, view=None):
        self.count_cap = search_count_cap(request.query_params.get("q"))
        return super().paginate_queryset(queryset, request, view)

    def get_page_number(self, request, paginator):
        # "last" goes to ListPaginator.page as is: it counts exactly, then serves the last page
        number = request.query_params.get(self.page_query_param) or 1
        return "last" if number in self.last_page_strings else number

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        exact = paginator.count_exact
        return Response({
            "count": paginator.count if exact else paginator.count_cap,
            "count_exact": exact,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        response["properties"] = {
            "count": {**properties["count"], "description": (
                "How many customers match; with count_exact false, more than this many do (a search's "
                "count stops at a cap; ?page=last counts exactly).")},
            "count_exact": {"type": "boolean", "example": True},
            **{key: value for key, value in properties.items() if key != "count"},
        }
        response["required"] = [*response["required"], "count_exact"]
        return response


# Query parameters of the customer API that are not filters.
NOT_FILTERS = frozenset({"page", "page_size", "ordering", "format", "file_format"})


class CustomerFilterBackend(DjangoFilterBackend):
    """CustomerFilter, except that a query string with no filter but the search `q` — the list
    and search as typed — is searched directly, without building the filter set's form: the
    same rows (selectors.search_only_term)."""

    def filter_queryset(self, request, queryset, view):
        term = selectors.search_only_term(request.query_params, NOT_FILTERS)
        if term is not None:
            return search_customers(queryset, term)
        return super().filter_queryset(request, queryset, view)


class StableOrderingFilter(OrderingFilter):
    """?ordering= with the id as the last key when the chosen keys are not unique (name,
    capacity, open findings …): pages of an OFFSET list split ties the same way on every page,
    so no customer shows on two pages or on none."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not any(key.lstrip("-") in ("pk", "id", "number") for key in ordering):
            ordering = [*ordering, "pk"]
        return ordering


# The list's rows, written out directly: the same JSON as CustomerListSerializer (a test compares
# them), without DRF's per-field machinery, which was the largest Python cost of a list page
# (50 rows × 24 fields). If the serializer's fields change, list_rows returns None and the
# viewset serializes through DRF (and the comparison test fails until this is updated).
LIST_ROW_FIELDS = (
    "id", "number", "name", "customer_type", "credit_code", "id_number", "legal_representative",
    "industry", "usage_category", "voltage_level", "contract_capacity_kva", "operating_capacity_kva",
    "lifecycle_status", "importance_level", "is_key_account", "ka_tier",
    "org_unit", "org_unit_name", "primary_manager", "primary_manager_name",
    "secondary_manager", "secondary_manager_name", "open_findings_count", "updated_at",
)
_list_fields: dict | None = None


def _list_serializer_fields() -> dict | None:
    """CustomerListSerializer's fields (built once per process), or None if they are not the
    ones list_rows writes."""
    global _list_fields
    if _list_fields is None:
        fields = CustomerListSerializer().fields
        _list_fields = dict(fields) if tuple(fields) == LIST_ROW_FIELDS else {}
    return _list_fields or None


def list_rows(customers, user) -> list[dict] | None:
    fields = _list_serializer_fields()
    if fields is None:
        return None
    # DRF's own field objects for the formats that are not plain values (None stays None, as in
    # Serializer.to_representation).
    contract_kva = fields["contract_capacity_kva"].to_representation
    operating_kva = fields["operating_capacity_kva"].to_representation
    updated_at = fields["updated_at"].to_representation
    full_id = getattr(user, "can_see_full_id", False)
    rows = []
    for c in customers:
        pm, sm = c.primary_manager, c.secondary_manager
        rows.append({
            "id": c.pk, "number": c.number, "name": c.name, "customer_type": c.customer_type,
            "credit_code": c.credit_code,
            "id_number": c.id_number if full_id else selectors.shown_id_number(user, c.id_number),
            "legal_representative": c.legal_representative, "industry": c.industry,
            "usage_category": c.usage_category, "voltage_level": c.voltage_level,
            "contract_capacity_kva": None if c.contract_capacity_kva is None else contract_kva(c.contract_capacity_kva),
            "operating_capacity_kva": None if c.operating_capacity_kva is None else operating_kva(c.operating_capacity_kva),
            "lifecycle_status": c.lifecycle_status, "importance_level": c.importance_level,
            "is_key_account": bool(c.is_key_account), "ka_tier": c.ka_tier,
            "org_unit": c.org_unit_id, "org_unit_name": c.org_unit.name,
            "primary_manager": c.primary_manager_id,
            "primary_manager_name": pm.display_name if pm is not None else None,
            "secondary_manager": c.secondary_manager_id,
            "secondary_manager_name": sm.display_name if sm is not None else None,
            "open_findings_count": None if (n := getattr(c, "open_findings", 0)) is None else int(n),
            "updated_at": None if c.updated_at is None else updated_at(c.updated_at),
        })
    return rows


class IgnoreFormatNegotiation(DefaultContentNegotiation):
    """The export reads ?format=xlsx|csv itself; DRF must not treat it as a renderer choice."""

    def filter_renderers(self, renderers, format):
        return renderers


# --- customers ------------------------------------------------------------------------------

EXPORT_PARAMETERS = [
    OpenApiParameter("format", str, enum=list(FORMATS), description="xlsx (default) or csv"),
    OpenApiParameter("file_format", str, enum=list(FORMATS), description="Alias of format"),
]


@extend_schema_view(
    create=extend_schema(request=CustomerWriteSerializer, responses={201: CustomerDetailSerializer}),
    update=extend_schema(request=CustomerWriteSerializer, responses=CustomerDetailSerializer),
    partial_update=extend_schema(request=CustomerWriteSerializer, responses=CustomerDetailSerializer),
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Key-account customers within the caller's scope. No hard delete: close and reopen.

    List filters: `q` (name, number prefix, credit code, contact phone), `org_unit` (with
    sub-units), `manager`, `has_open_findings`, `lifecycle_status`, `is_key_account`, … —
    the same filters as the customer list page."""

    filter_backends = [CustomerFilterBackend, StableOrderingFilter]
    filterset_class = CustomerFilter
    pagination_class = CustomerPagination
    ordering_fields = ["number", "name", "contract_capacity_kva", "updated_at", "created_at", "open_findings"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        user = self.request.user
        if self.action in ("list", "export"):
            return customer_list_queryset(user)
        if self.action == "retrieve":
            return customer_detail_queryset(user)
        return visible_customers(user)

    def list(self, request, *args, **kwargs):
        """One page of the filtered, scoped list in one query (customers.paging.ListPaginator):
        page 1 directly, a later page by its ids first, so that the open-findings count is
        evaluated for the page's rows only, not for every row OFFSET skips (issue #2: 125–280 ms
        for a deep page of 100,000 customers); the count only when the list is longer than a
        page, and remembered for a large list."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is None:  # no pagination requested
            return Response(self.get_serializer(queryset, many=True).data)
        data = list_rows(page, request.user)
        if data is None:  # the serializer changed: DRF's generic path
            data = self.get_serializer(page, many=True).data
        return self.get_paginated_response(data)

    def get_serializer_class(self):
        return {
            "list": CustomerListSerializer,
            "export": CustomerListSerializer,
            "create": CustomerWriteSerializer,
            "update": CustomerWriteSerializer,
            "partial_update": CustomerWriteSerializer,
            "close": CloseCustomerSerializer,
            "history": HistoryEntrySerializer,
        }.get(self.action, CustomerDetailSerializer)

    def _detail(self, pk: int) -> dict:
        customer = customer_detail_queryset(self.request.user).get(pk=pk)
        return CustomerDetailSerializer(customer, context=self.get_serializer_context()).data

    def _require_in_scope(self, customer: Customer) -> None:
        # Run inside the write's transaction: raising here rolls the write back.
        if not visible_customers(self.request.user).filter(pk=customer.pk).exists():
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [
                _("You would no longer see this customer: choose an org unit or manager within your scope.")]})

    def create(self, request, *args, **kwargs):
        serializer = CustomerWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            with django_errors_as_400():
                customer = services.create_customer(actor=request.user, **serializer.validated_data)
            self._require_in_scope(customer)
        return Response(self._detail(customer.pk), status=201)

    def update(self, request, *args, **kwargs):
        customer = self.get_object()
        serializer = CustomerWriteSerializer(customer, data=request.data, partial=kwargs.get("partial", False),
                                             context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            with django_errors_as_400():
                services.update_customer(customer, actor=request.user, **serializer.validated_data)
            self._require_in_scope(customer)
        return Response(self._detail(customer.pk))

    @extend_schema(request=CloseCustomerSerializer, responses=CustomerDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def close(self, request, pk=None):
        """Close (销户) the customer: the archive is kept, the customer leaves the active lists."""
        customer = self.get_object()
        serializer = CloseCustomerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with django_errors_as_400(rename={"close_reason": "reason"}):
            services.close_customer(customer, actor=request.user, reason=serializer.validated_data["reason"],
                                    closed_on=serializer.validated_data.get("closed_on"))
        return Response(self._detail(customer.pk))

    @extend_schema(request=None, responses=CustomerDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request, pk=None):
        """Reopen a closed customer."""
        customer = self.get_object()
        with django_errors_as_400():
            services.reopen_customer(customer, actor=request.user)
        return Response(self._detail(customer.pk))

    @extend_schema(responses=HistoryEntrySerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, pk=None):
        """The audit trail of the customer and its archive records, newest first, paginated."""
        customer = self.get_object()
        page = self.paginate_queryset(customer_history(customer, request.user))
        return self.get_paginated_response(HistoryEntrySerializer(page, many=True).data)

    @extend_schema(
        parameters=EXPORT_PARAMETERS,
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
                   (200, "text/csv"): OpenApiTypes.BINARY,
                   400: OpenApiResponse(description="Unknown format")},
    )
    @action(detail=False, methods=["get"], pagination_class=None, content_negotiation_class=IgnoreFormatNegotiation)
    def export(self, request):
        """The filtered, scoped customer list as xlsx or csv (same filters as the list)."""
        fmt = request.query_params.get("file_format") or request.query_params.get("format") or "xlsx"
        if fmt not in FORMATS:
            raise serializers.ValidationError({"format": [_("Unknown export format.")]})
        rows = self.filter_queryset(self.get_queryset()).iterator(chunk_size=2000)
        return export_response(rows, selectors.customer_export_columns(request.user), fmt=fmt, filename="customers")


# --- archive records ------------------------------------------------------------------------


class RecordFilter(ScopedFilterSet):
    # A plain number: a customer outside the scope gives an empty list, not "no such customer".
    customer = RecordIdFilter(field_name="customer_id", label=_("Customer"))


class SupplyPointFilter(RecordFilter):
    substation = RecordIdFilter(field_name="substation_id", label=_("Substation"))
    supply_line = RecordIdFilter(field_name="supply_line_id", label=_("Supply line"))

    class Meta:
        model = SupplyPoint
        fields = ["source_type", "voltage_level"]


class TransformerFilter(RecordFilter):
    supply_point = RecordIdFilter(field_name="supply_point_id", label=_("Supply point"))

    class Meta:
        model = Transformer
        fields = ["in_service"]


class MeteringPointFilter(RecordFilter):
    supply_point = RecordIdFilter(field_name="supply_point_id", label=_("Supply point"))

    class Meta:
        model = MeteringPoint
        fields = ["number", "meter_no"]


class ContactFilter(RecordFilter):
    class Meta:
        model = Contact
        fields = ["role", "is_primary"]


class ContractFilter(RecordFilter):
    class Meta:
        model = SupplyContract
        fields = {"valid_to": ["lt", "gte"], "number": ["exact"]}


class ArchiveRecordViewSet(viewsets.ModelViewSet):
    """A record that hangs off a customer. Scoped through its customer; written through
    services.save_record / delete_record (validated, audited, on the timeline)."""

    model: type = Contact
    related: tuple[str, ...] = ()
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return scope_to_user(self.model.objects.select_related(*self.related), self.request.user)

    def perform_create(self, serializer):
        instance = self.model(**serializer.validated_data)
        with django_errors_as_400():
            services.save_record(instance, actor=self.request.user)
        serializer.instance = instance

    def perform_update(self, serializer):
        instance = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(instance, name, value)
        with django_errors_as_400():
            services.save_record(instance, actor=self.request.user)

    def perform_destroy(self, instance):
        with django_errors_as_400():
            services.delete_record(instance, actor=self.request.user)


class ContactViewSet(ArchiveRecordViewSet):
    model = Contact
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    search_fields = ["name", "mobile", "phone"]
    ordering_fields = ["name", "customer"]


class SupplyPointViewSet(ArchiveRecordViewSet):
    model = SupplyPoint
    related = ("substation", "supply_line__substation")
    serializer_class = SupplyPointSerializer
    filterset_class = SupplyPointFilter
    search_fields = ["name"]
    ordering_fields = ["name", "customer", "capacity_kva"]


class TransformerViewSet(ArchiveRecordViewSet):
    model = Transformer
    serializer_class = TransformerSerializer
    filterset_class = TransformerFilter
    search_fields = ["model_no", "serial_no"]
    ordering_fields = ["customer", "capacity_kva"]


class MeteringPointViewSet(ArchiveRecordViewSet):
    model = MeteringPoint
    serializer_class = MeteringPointSerializer
    filterset_class = MeteringPointFilter
    search_fields = ["number", "meter_no"]
    ordering_fields = ["number", "customer"]


@extend_schema_view(
    create=extend_schema(request={"multipart/form-data": SupplyContractSerializer,
                                  "application/json": SupplyContractSerializer}),
    partial_update=extend_schema(request={"multipart/form-data": SupplyContractSerializer,
                                          "application/json": SupplyContractSerializer}),
    update=extend_schema(request={"multipart/form-data": SupplyContractSerializer,
                                  "application/json": SupplyContractSerializer}),
)
class SupplyContractViewSet(ArchiveRecordViewSet):
    """Supply contracts; upload the signed copy as multipart field `scan`."""

    model = SupplyContract
    serializer_class = SupplyContractSerializer
    filterset_class = ContractFilter
    search_fields = ["number"]
    ordering_fields = ["number", "valid_to", "customer"]


# --- grid reference data and findings ---------------------------------------------------------


class SubstationViewSet(AdminWriteViewSet):
    queryset = Substation.objects.all()
    serializer_class = SubstationSerializer
    filterset_fields = ["voltage_level", "org_unit"]
    search_fields = ["name"]
    ordering_fields = ["name"]


class SupplyLineViewSet(AdminWriteViewSet):
    queryset = SupplyLine.objects.select_related("substation")
    serializer_class = SupplyLineSerializer
    filterset_fields = ["substation", "voltage_level"]
    search_fields = ["name", "substation__name"]
    ordering_fields = ["name"]


class FindingFilter(ScopedFilterSet):
    rule = django_filters.ChoiceFilter(choices=[(r.code, r.label) for r in RULES], label=_("Rule"))
    customer = RecordIdFilter(field_name="customer_id", label=_("Customer"))
    org_unit = RecordIdFilter(method="filter_org_unit", label=_("Org unit (with sub-units)"))

    class Meta:
        model = DataQualityFinding
        fields = ["rule", "status", "customer"]

    def filter_org_unit(self, queryset, name, value):
        path = OrgUnit.objects.filter(pk=value).values_list("path", flat=True).first()
        return queryset.filter(customer__org_unit__path__startswith=path) if path else queryset.none()


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Data-quality findings of the customers in scope. Findings flag; fix the archive to
    resolve them (the rules re-run on every save and nightly)."""

    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    ordering_fields = ["detected_at", "rule", "status"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return scope_to_user(DataQualityFinding.objects.select_related("customer"), self.request.user)


def register(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("contacts", ContactViewSet, basename="contact")
    router.register("supply-points", SupplyPointViewSet, basename="supply-point")
    router.register("transformers", TransformerViewSet, basename="transformer")
    router.register("metering-points", MeteringPointViewSet, basename="metering-point")
    router.register("contracts", SupplyContractViewSet, basename="contract")
    router.register("substations", SubstationViewSet, basename="substation")
    router.register("supply-lines", SupplyLineViewSet, basename="supply-line")
    router.register("findings", FindingViewSet, basename="finding")
