"""/api/v1/projects/: list, accept (create), retrieve, and one action per business operation
(advance, pause, resume, receive a document, contractor, licence override, defects,
energise, tracker, cancel, the planned archive data and the contract); /api/v1/projects/
timing-rules/ reads the timing table.

Scoped like the pages (scoping.visible_projects); executives are read-only
(core.permissions.StaffPermission); a business-rule refusal is a 400 with field errors and
changes nothing (the same services as the pages).
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from powerkam.core.permissions import StaffPermission
from powerkam.core.scoped import ScopedFilterBackend, ScopedFilterSet
from powerkam.org.api import django_errors_as_400

from . import constants as c
from . import serializers as s
from . import services
from .models import Project, ProjectDocument, StageRecord, TimingRule
from .scoping import visible_projects

NOT_OF_PROJECT = _("Does not exist or is not visible to you.")


class ProjectFilter(ScopedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    accepted_from = django_filters.DateFilter(field_name="accepted_on", lookup_expr="gte")
    accepted_to = django_filters.DateFilter(field_name="accepted_on", lookup_expr="lte")

    class Meta:
        model = Project
        fields = ["application_type", "applicant_type", "status", "stage", "voltage_level", "supply_mode",
                  "green_channel", "is_key_project", "org_unit", "tracker", "customer"]

    def search(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(number__icontains=value) | Q(applicant_name__icontains=value)
                         | Q(customer__number=value) | Q(legacy_number=value))

    def filter_overdue(self, qs, name, value):
        if value is None:
            return qs
        late = services.overdue_q()
        return qs.filter(late) if value else qs.exclude(late)


def _project_rows(qs):
    return qs.select_related("customer", "first_contact_owner", "tracker")


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):
    permission_classes = [StaffPermission]
    filter_backends = [ScopedFilterBackend, OrderingFilter]
    filterset_class = ProjectFilter
    ordering_fields = ["accepted_on", "due_on", "number", "energised_on", "requested_capacity_kva"]
    ordering = ["-green_channel", "due_on", "id"]  # green channel first everywhere (issue #12 §3)
    queryset = Project.objects.none()
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        return _project_rows(visible_projects(self.request.user))

    def get_serializer_class(self):
        return s.ProjectDetailSerializer if self.action == "retrieve" else s.ProjectSerializer

    def _with_detail(self, qs):
        return qs.prefetch_related(
            Prefetch("stages", StageRecord.objects.select_related("owner")), "pauses", "documents", "contractors",
            "defects", "events", "supply_points", "transformers", "metering_points")

    def retrieve(self, request, *args, **kwargs):
        project = self.get_object()
        fresh = self._with_detail(self.get_queryset()).get(pk=project.pk)
        return Response(s.ProjectDetailSerializer(fresh, context=self.get_serializer_context()).data)

    def _detail(self, project: Project) -> dict:
        fresh = self._with_detail(_project_rows(Project.objects.all())).get(pk=project.pk)
        return s.ProjectDetailSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(request=s.ApplicationSerializer, responses={201: s.ProjectDetailSerializer})
    def create(self, request, *args, **kwargs):
        body = s.ApplicationSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        tracker, accepted_on = d.pop("tracker"), d.pop("accepted_on")
        with django_errors_as_400():
            project = services.accept_application(services.Application(**d), actor=request.user, tracker=tracker,
                                                  accepted_on=accepted_on)
        return Response(self._detail(project), status=status.HTTP_201_CREATED)

    def _act(self, request, serializer_class, run, *, created: bool = False):
        project = self.get_object()
        context = {**self.get_serializer_context(), "project": project}
        body = serializer_class(data=request.data, context=context)
        body.is_valid(raise_exception=True)
        with django_errors_as_400():
            run(project, body.validated_data)
        return Response(self._detail(project), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=s.AdvanceSerializer, responses=s.ProjectDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def advance(self, request, pk=None):
        def run(p, d):
            extra = {"customer_number": d["customer_number"]} if d["stage"] == c.Stage.ENERGISATION else {}
            services.advance(p, actor=request.user, stage=d["stage"], ended_on=d["ended_on"], note=d["note"],
                             next_owner=d["next_owner"], **extra)
        return self._act(request, s.AdvanceSerializer, run)

    @extend_schema(request=s.PauseRequestSerializer, responses=s.ProjectDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def pause(self, request, pk=None):
        return self._act(request, s.PauseRequestSerializer, lambda p, d: services.pause(
            p, actor=request.user, reason=d["reason"], started_on=d["started_on"], note=d["note"]))

    @extend_schema(request=s.ResumeSerializer, responses=s.ProjectDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def resume(self, request, pk=None):
        return self._act(request, s.ResumeSerializer, lambda p, d: services.resume(
            p, actor=request.user, ended_on=d["ended_on"]))

    @extend_schema(request=s.ReceiveDocumentSerializer, responses=s.ProjectDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="receive-document")
    def receive_document(self, request, pk=None):
        def run(p, d):
            doc = ProjectDocument.objects.filter(project=p, pk=d["document"]).first()
            if doc is None:
                raise serializers.ValidationError({"document": [NOT_OF_PROJECT]})
            services.receive_document(doc, actor=request.user, received_on=d["received_on"])
        return self._act(request, s.ReceiveDocumentSerializer, run)

    @extend_schema(request=s.ContractorRequestSerializer, responses=s.ProjectDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def contractor(self, request, pk=None):
        return self._act(request, s.ContractorRequestSerializer, lambda p, d: services.set_contractor(
            p, actor=request.user, **d))

    @extend_schema(request=s.OverrideReasonSerializer, responses=s.ProjectDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="licence-override")
    def licence_override(self, request, pk=None):
        return self._act(request, s.OverrideReasonSerializer, lambda p, d: services.override_licence(
            p, actor=request.user, reason=d["reason"]))

    @extend_schema(request={"multipart/form-data": s.DefectRequestSerializer,
                            "application/json": s.DefectRequestSerializer},
                   responses={201: s.ProjectDetailSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def defect(self, request, pk=None):
        return self._act(request, s.DefectRequestSerializer, lambda p, d: services.record_defect(
            p, actor=request.user, **d), created=True)

    @extend_schema(request=s.ClearDefectSerializer, responses=s.ProjectDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="clear-defect")
    def clear_defect(self, request, pk=None):
        def run(p, d):
            defect = p.defects.filter(pk=d["defect"]).first()
            if defect is None:
                raise serializers.ValidationError({"defect": [NOT_OF_PROJECT]})
            services.clear_defect(defect, actor=request.user, note=d["note"])
        return self._act(request, s.ClearDefectSerializer, run)

    @extend_schema(request=s.EnergiseSerializer, responses=s.ProjectDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def energise(self, request, pk=None):
        return self._act(request, s.EnergiseSerializer, lambda p, d: services.energise(
            p, actor=request.user, energised_on=d["energised_on"], note=d["note"],
            customer_number=d["customer_number"], legal_representative=d["legal_representative"]))

    @extend_schema(request=s.TrackerSerializer, responses=s.ProjectDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def tracker(self, request, pk=None):
        return self._act(request, s.TrackerSerializer, lambda p, d: services.change_tracker(
            p, actor=request.user, tracker=d["tracker"], note=d["note"]))

    @extend_schema(request=s.CancelSerializer, responses=s.ProjectDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        return self._act(request, s.CancelSerializer, lambda p, d: services.cancel(
            p, actor=request.user, reason=d["reason"], cancelled_on=d["cancelled_on"]))

    @staticmethod
    def _planned_point(project: Project, pk):
        if pk is None:
            return None
        point = project.supply_points.filter(pk=pk).first()
        if point is None:
            raise serializers.ValidationError({"supply_point": [NOT_OF_PROJECT]})
        return point

    @extend_schema(request=s.SupplyPointRequestSerializer, responses={201: s.ProjectDetailSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], url_path="supply-point")
    def supply_point(self, request, pk=None):
        return self._act(request, s.SupplyPointRequestSerializer, lambda p, d: services.add_supply_point(
            p, actor=request.user, **d), created=True)

    @extend_schema(request=s.TransformerRequestSerializer, responses={201: s.ProjectDetailSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def transformer(self, request, pk=None):
        def run(p, d):
            d = dict(d)
            d["supply_point"] = self._planned_point(p, d["supply_point"])
            services.add_transformer(p, actor=request.user, **d)
        return self._act(request, s.TransformerRequestSerializer, run, created=True)

    @extend_schema(request=s.MeteringPointRequestSerializer, responses={201: s.ProjectDetailSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], url_path="metering-point")
    def metering_point(self, request, pk=None):
        def run(p, d):
            d = dict(d)
            d["supply_point"] = self._planned_point(p, d["supply_point"])
            services.add_metering_point(p, actor=request.user, **d)
        return self._act(request, s.MeteringPointRequestSerializer, run, created=True)

    @extend_schema(request=s.ContractRequestSerializer, responses=s.ProjectDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def contract(self, request, pk=None):
        return self._act(request, s.ContractRequestSerializer, lambda p, d: services.set_contract(
            p, actor=request.user, **d))


class TimingRuleViewSet(viewsets.ReadOnlyModelViewSet):
    """The timing table (working days per stage); administrators edit it in the admin."""

    permission_classes = [StaffPermission]
    serializer_class = s.TimingRuleSerializer
    filterset_fields = ["application_type", "voltage_level", "supply_mode", "green_channel", "stage"]
    queryset = TimingRule.objects.order_by("application_type", "voltage_level", "supply_mode", "green_channel",
                                           "stage", "id")


def register(router) -> None:
    """Add this app's viewsets to the one /api/v1/ router."""
    router.register("projects/timing-rules", TimingRuleViewSet, basename="project-timing-rule")
    router.register("projects", ProjectViewSet, basename="project")
