"""REST API (/api/v1/imports/): upload a file (dry run or commit), follow the job, get the error
report and the templates. Jobs are private to the user who started them."""

from pathlib import PurePath

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from . import services
from .models import ImportJob
from .readers import max_upload_bytes
from .registry import is_kind, kind_names
from .uploads import declared_too_large, limit_upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CanImport(BasePermission):
    message = "You are not allowed to import data."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.can_import)


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    quality = serializers.SerializerMethodField()
    error_report_url = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    can_retry = serializers.BooleanField(read_only=True)

    class Meta:
        model = ImportJob
        fields = ("id", "kind", "filename", "status", "dry_run", "background", "total_rows", "processed_rows",
                  "progress", "quality", "summary", "message", "can_retry", "error_report_url", "created_by", "created_at", "finished_at")
        read_only_fields = fields

    def get_progress(self, job: ImportJob) -> dict:
        done, total = services.job_progress(job)
        return {"done": done, "total": total, "percent": min(100, done * 100 // total) if total else 0}

    def get_quality(self, job: ImportJob) -> dict | None:
        """The data-quality pass of a large import's customers (a job after the commit): customers
        checked of total, and when it finished; null when the import ran the checks itself."""
        if not job.quality_total:
            return None
        return {"done": job.quality_done, "total": job.quality_total, "percent": job.quality_percent,
                "finished_at": job.quality_finished_at}

    def get_error_report_url(self, job: ImportJob) -> str | None:
        if not job.error_report:
            return None
        url = reverse("import-error-report", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=())  # every registered kind (registry.py), set per instance
    file = serializers.FileField()
    dry_run = serializers.BooleanField(default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_names()


class ImportJobViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin,
                       viewsets.GenericViewSet):
    """POST multipart (kind, file, dry_run) runs a dry run or a full import; GET follows it."""

    serializer_class = ImportJobSerializer
    permission_classes = [CanImport]
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ("kind", "status")
    ordering_fields = ("created_at",)
    search_fields = ()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ImportJob.objects.none()
        return ImportJob.objects.filter(created_by=self.request.user).select_related("created_by")

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body (authentication's CSRF check does): the size limit while
        # reading it (uploads.py).
        if request.method == "POST" and not declared_too_large(request):
            self._upload_limit = limit_upload(request)
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses={201: ImportJobSerializer})
    def create(self, request, *args, **kwargs):
        too_large = ValidationError({"file": [_("The file is larger than %(mb)s MB.") % {"mb": f"{max_upload_bytes() / 1048576:g}"}]})
        if declared_too_large(request):
            raise too_large
        data = request.data
        if getattr(self, "_upload_limit", None) is not None and self._upload_limit.exceeded:
            raise too_large
        upload = ImportUploadSerializer(data=data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        job = services.start_import(data["kind"], data["file"], data["file"].name, actor=request.user,
                                    dry_run=data["dry_run"])
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        services.recover_if_lost(self.get_object())  # a job whose worker is gone is marked failed
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=None, responses={201: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Run a job that failed without row errors (its worker died) again from its stored upload,
        as a new job."""
        job = self.get_object()
        try:
            again = services.retry_import(job, actor=request.user)
        except DjangoValidationError as exc:
            raise ValidationError({"detail": exc.messages}) from None
        return Response(self.get_serializer(again).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Write a job whose dry run was clean."""
        job = self.get_object()
        try:
            job = services.commit_import(job, actor=request.user)
        except DjangoValidationError as exc:
            raise ValidationError({"detail": exc.messages}) from None
        return Response(self.get_serializer(job).data)

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="error-report", url_name="error-report")
    def error_report(self, request, pk=None):
        job = self.get_object()
        if not job.error_report:
            raise Http404
        stem = PurePath(job.filename).stem or "import"
        return FileResponse(job.error_report.open("rb"), as_attachment=True, filename=f"{stem}-errors.xlsx",
                            content_type=XLSX)

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"], url_path=r"templates/(?P<kind>[a-z_]+)", url_name="template")
    def template(self, request, kind=None):
        """The xlsx template of one import kind (customers, contacts, supply_points, transformers,
        metering_points, and the kinds other modules register)."""
        if not is_kind(kind):
            raise Http404
        response = HttpResponse(services.template_xlsx(kind), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="powerkam-{kind}-template.xlsx"'
        return response


def register(router) -> None:
    router.register("imports", ImportJobViewSet, basename="import")
