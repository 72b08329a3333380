"""/api/v1/outages/: create, list, retrieve; POST notify; GET report; POST acknowledge a notice."""

from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from powerkam.core.permissions import StaffPermission, require_writer
from powerkam.core.scoped import ScopedFilterSet, ScopedPrimaryKeyRelatedField
from powerkam.core.scoping import get_visible_or_404
from powerkam.customers.models import Substation
from powerkam.org.api import django_errors_as_400

from . import constants as c
from . import selectors, services
from .models import Outage, OutageDelivery, OutageNotice
from .views import WRITER_REFUSAL, WRITER_ROLES


class OutageSerializer(serializers.ModelSerializer):
    # The substations the page offers (selectors.outage_substations); lines are looked up by the
    # service in selectors.outage_supply_lines.
    substation = ScopedPrimaryKeyRelatedField(Substation, scope=lambda user, context: selectors.outage_substations(user))
    substation_name = serializers.CharField(source="substation.name", read_only=True)
    supply_lines = serializers.ListField(child=serializers.CharField(), write_only=True,
                                         help_text="Supply line ids.")
    supply_line_ids = serializers.SerializerMethodField()
    supply_line_names = serializers.SerializerMethodField()
    notice_deadline = serializers.DateTimeField(read_only=True)
    customers_notified = serializers.IntegerField(source="n_notices", read_only=True, default=None)
    customers_missed = serializers.IntegerField(source="n_missed", read_only=True, default=None)
    customers_acknowledged = serializers.IntegerField(source="n_acked", read_only=True, default=None)

    class Meta:
        model = Outage
        fields = ["id", "number", "kind", "status", "substation", "substation_name", "supply_lines",
                  "supply_line_ids", "supply_line_names", "starts_at", "ends_at", "reason", "notice_deadline",
                  "notified_at", "late_override_reason", "customers_notified", "customers_missed",
                  "customers_acknowledged", "created_at"]
        read_only_fields = ["number", "status", "notified_at", "late_override_reason", "created_at"]
        extra_kwargs = {"substation": {"required": True}}

    def get_supply_line_ids(self, obj) -> list[int]:
        return [line.pk for line in obj.supply_lines.all()]

    def get_supply_line_names(self, obj) -> list[str]:
        return [line.name for line in obj.supply_lines.all()]


class NotifySerializer(serializers.Serializer):
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = OutageDelivery
        fields = ["contact_name", "channel", "address", "status", "sent_at", "error"]


class NoticeSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    deliveries = DeliverySerializer(many=True, read_only=True)

    class Meta:
        model = OutageNotice
        fields = ["id", "customer", "customer_number", "customer_name", "is_key_account", "supply_points",
                  "missed_reason", "acknowledged_at", "ack_method", "ack_note", "call_task", "deliveries"]


class OutageFilter(ScopedFilterSet):
    starts_from = filters.DateFilter(field_name="starts_at", lookup_expr="date__gte")
    starts_to = filters.DateFilter(field_name="starts_at", lookup_expr="date__lte")
    q = filters.CharFilter(method="search")

    class Meta:
        model = Outage
        fields = ["status", "kind", "substation"]

    def search(self, qs, name, value):
        return qs.filter(Q(number__icontains=value) | Q(reason__icontains=value)
                         | Q(substation__name__icontains=value)).distinct()


class OutageViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    viewsets.GenericViewSet):
    """Outages visible to you (your unit's, and any that notified a customer you see)."""

    serializer_class = OutageSerializer
    permission_classes = [StaffPermission]
    filterset_class = OutageFilter
    ordering_fields = ["starts_at", "number", "created_at"]
    ordering = ["-starts_at"]

    def get_queryset(self):
        return selectors.outage_list(self.request.user)

    def create(self, request, *args, **kwargs):
        require_writer(request.user, roles=WRITER_ROLES, message=WRITER_REFUSAL)
        data = request.data
        lines = data.getlist("supply_lines") if hasattr(data, "getlist") else (data.get("supply_lines") or [])
        serializer = self.get_serializer(data=data)
        # Field types first (dates, substation); the business rules (window, lines) in the service.
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        with django_errors_as_400():
            outage = services.create_outage(substation=v["substation"], supply_lines=lines, starts_at=v["starts_at"],
                                            ends_at=v["ends_at"], reason=v["reason"],
                                            kind=v.get("kind", c.OutageKind.PLANNED), actor=request.user,
                                            lines_from=selectors.outage_supply_lines(request.user))
        outage = self.get_queryset().get(pk=outage.pk)
        return Response(self.get_serializer(outage).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NotifySerializer, responses=inline_serializer("NotifyResult", {
        "notices": serializers.IntegerField(), "reached": serializers.IntegerField(),
        "missed": serializers.IntegerField(), "deliveries": serializers.IntegerField(),
        "failed_deliveries": serializers.IntegerField(), "queued": serializers.IntegerField(),
        "call_tasks": serializers.IntegerField(), "late": serializers.BooleanField()}))
    @action(detail=True, methods=["post"])
    def notify(self, request, pk=None):
        """Send the notices. A late planned notice needs a supervisor and `override_reason`."""
        require_writer(request.user, roles=WRITER_ROLES, message=WRITER_REFUSAL)
        outage = self.get_object()
        data = NotifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with django_errors_as_400():
            result = services.notify_outage(outage, actor=request.user,
                                            override_reason=data.validated_data["override_reason"])
        return Response({"notices": result.notices, "reached": result.reached, "missed": result.missed,
                         "deliveries": result.deliveries, "failed_deliveries": result.failed_deliveries,
                         "queued": result.queued, "call_tasks": result.call_tasks, "late": result.late})

    @extend_schema(responses=inline_serializer("OutageReport", {
        "summary": serializers.DictField(child=serializers.IntegerField()),
        "notices": NoticeSerializer(many=True),
        "unlinked_supply_points": serializers.ListField(child=serializers.DictField())}))
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """Who was notified, when, by which channel, acknowledged or not, and who was missed."""
        outage = self.get_object()
        notices = list(selectors.report_notices(outage, request.user))
        gaps = services.unlinked_supply_points(outage).filter(
            customer__in=selectors.scope_to_user(services.Customer.objects.all(), request.user))
        return Response({
            "summary": selectors.report_summary(notices),
            "notices": NoticeSerializer(notices, many=True).data,
            "unlinked_supply_points": [{"customer": p.customer_id, "customer_number": p.customer.number,
                                        "customer_name": p.customer.name, "supply_point": p.name} for p in gaps],
        })


class AckSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class NoticeViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One outage notice of a customer you see; POST acknowledge records "acknowledged by phone"."""

    serializer_class = NoticeSerializer
    permission_classes = [StaffPermission]

    def get_queryset(self):
        return selectors.scope_to_user(OutageNotice.objects.select_related("customer").prefetch_related("deliveries"),
                                       self.request.user)

    @extend_schema(request=AckSerializer, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        notice = get_visible_or_404(OutageNotice.objects.all(), request.user, pk=pk)
        data = AckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with django_errors_as_400():
            services.acknowledge(notice, method=c.AckMethod.PHONE, actor=request.user,
                                 note=data.validated_data["note"])
        return Response(NoticeSerializer(self.get_queryset().get(pk=pk)).data)


def register(router) -> None:
    """Add this app's viewsets to the one /api/v1/ router."""
    router.register("outages", OutageViewSet, basename="outage")
    router.register("outage-notices", NoticeViewSet, basename="outage-notice")
