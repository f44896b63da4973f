"""API of the CMDB: imports of CIs from CSV or JSON files (internal staff only).

    GET|POST  /api/v1/ci-imports/          GET /api/v1/ci-imports/{id}/
    POST      /api/v1/ci-imports/{id}/run/

``POST`` takes a multipart upload (``file``, ``ci_class``, ``mode``, ``format``, ``dry_run``) and
answers the checked job: the counts it would produce and each bad row's errors. With
``dry_run=false`` it is queued at once; otherwise ``run/`` confirms it. ``GET`` follows the job's
progress. Thin: ``cmdb.importing`` does the work; providers and requesters see no import (404)
and may not create one (403).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from cmdb.choices import ImportFormat, ImportMode
from cmdb.importing import (
    import_confirm,
    import_preview,
    job_progress,
    max_bytes,
    may_import,
    read_upload,
    too_big_message,
)
from cmdb.models import ImportJob
from cogest.api.base import RestrictedQuerysetMixin, StrictSerializerMixin

ID_PATTERN = r"[0-9]{1,18}"  # a longer id is simply a 404
# Multipart overhead around the file: anything far above the limit is refused unread.
ENVELOPE_BYTES = 64 * 1024


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy(
            "CSV: the file's line (the header is line 1); JSON: the item, from 1. Null for the "
            "file as a whole."
        ),
    )
    field = serializers.CharField(help_text=gettext_lazy("The column or key; empty for the row."))
    message = serializers.CharField()
    more = serializers.IntegerField(
        required=False,
        help_text=gettext_lazy("Only on a last entry: how many more errors were not kept."),
    )


@extend_schema_field(ImportRowErrorSerializer(many=True))
class ImportErrorsField(serializers.JSONField):
    pass


class ImportJobSerializer(serializers.ModelSerializer):
    ci_class = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    progress = serializers.SerializerMethodField(help_text=gettext_lazy("Percent of rows done."))
    errors = ImportErrorsField(read_only=True)
    url = serializers.SerializerMethodField(help_text=gettext_lazy("The import's page."))

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "ci_class",
            "format",
            "mode",
            "filename",
            "status",
            "total_rows",
            "processed_rows",
            "progress",
            "created_count",
            "updated_count",
            "unchanged_count",
            "skipped_count",
            "errors",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "url",
        ]
        read_only_fields = fields

    def get_progress(self, job) -> int:
        return job_progress(job)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, job) -> str:
        path = reverse("cmdb:import-detail", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ImportCreateSerializer(StrictSerializerMixin, serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, use_url=False)
    ci_class = serializers.SlugField(help_text=gettext_lazy("The class's slug, e.g. server."))
    mode = serializers.ChoiceField(
        choices=ImportMode.choices,
        default=ImportMode.STRICT,
        help_text=gettext_lazy("strict: any bad row and nothing is saved; skip: bad rows skipped."),
    )
    format = serializers.ChoiceField(
        choices=ImportFormat.choices,
        required=False,
        help_text=gettext_lazy("Default: from the file's extension (.csv, .json)."),
    )
    dry_run = serializers.BooleanField(
        default=True,
        help_text=gettext_lazy("true (default): only check; false: check and queue the import."),
    )


class ImportRunSerializer(StrictSerializerMixin, serializers.Serializer):
    mode = serializers.ChoiceField(
        choices=ImportMode.choices,
        required=False,
        help_text=gettext_lazy("Run in this mode instead of the one chosen at upload."),
    )


@extend_schema_view(
    list=extend_schema(summary="Recent CMDB imports (internal staff)"),
    retrieve=extend_schema(summary="One import: status, counts, progress and row errors"),
    create=extend_schema(
        summary="Upload a CSV or JSON file of CIs: checked at once, queued unless dry_run",
        request={"multipart/form-data": ImportCreateSerializer},
        responses={
            201: ImportJobSerializer,
            400: OpenApiResponse(description="A bad file or field: nothing saved"),
            403: OpenApiResponse(description="Imports are for the internal team"),
            413: OpenApiResponse(description="Larger than the import limit"),
        },
    ),
    run=extend_schema(
        summary="Confirm a previewed import: a worker runs it",
        request=ImportRunSerializer,
        responses={
            202: ImportJobSerializer,
            400: OpenApiResponse(description="Not a previewed import"),
        },
    ),
)
class ImportJobViewSet(
    RestrictedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """CSV and JSON imports of CIs: dry-run preview with per-row errors, then a background job."""

    queryset = (
        ImportJob.objects.select_related("ci_class").defer("content").order_by("-created_at", "-id")
    )
    serializer_class = ImportJobSerializer
    lookup_value_regex = ID_PATTERN
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filter_backends: list = []

    def create(self, request, *args, **kwargs):
        if not may_import(request.user):
            raise exceptions.PermissionDenied(_("Imports are for the internal team."))
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_bytes() + ENVELOPE_BYTES:
            raise RequestTooLarge(too_big_message())
        serializer = ImportCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = import_preview(
            ci_class=data["ci_class"],
            filename=data["file"].name,
            content=read_upload(data["file"]),
            fmt=data.get("format"),
            mode=data["mode"],
            by=request.user,
        )
        if not data["dry_run"]:
            job = import_confirm(job=job, by=request.user)
        body = ImportJobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser])
    def run(self, request, pk=None):
        job = self.get_object()
        serializer = ImportRunSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        job = import_confirm(job=job, by=request.user, mode=serializer.validated_data.get("mode"))
        body = ImportJobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


#: (prefix, viewset, basename) registered on the CMDB router; urlpatterns for other views.
routes: list = [("ci-imports", ImportJobViewSet, "ci-import")]
urlpatterns: list = []
