"""``/api/v1/runbooks/`` (SPEC 2.6, 5): runbooks, their versions and acknowledgements.

Thin: shapes are checked here (unknown fields are a 400), rules live in ``cmdb.runbooks``. Every
read is ``restrict``ed (an invisible runbook answers 404 on its URL and every URL under it); a
visible runbook the caller may not change answers 403. ``PATCH`` and publishing take
``If-Match: <version>``; a stale one answers 412.
"""

from __future__ import annotations

from django.db.models import F, Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from cmdb import runbooks as rb
from cmdb.choices import RunbookKind, Side
from cmdb.models import CIClass, Runbook, RunbookAcknowledgement, RunbookVersion
from cogest.api.base import (
    IF_MATCH_HEADER,
    RestrictedQuerysetMixin,
    StrictSerializerMixin,
    expected_version,
)
from cogest.api.exceptions import Conflict
from cogest.choices import FunctionalArea
from cogest.filters import MAX_ID

ID_PATTERN = r"[0-9]{1,18}"
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


# --- Serializers ------------------------------------------------------------------------------


class RunbookSerializer(serializers.ModelSerializer):
    """A runbook as listed: metadata, links (CIs as far as the caller sees them) and whether
    each side acknowledged the current version."""

    areas = serializers.ListField(child=serializers.ChoiceField(choices=FunctionalArea.choices))
    ci_classes = serializers.SerializerMethodField(help_text=gettext_lazy("Class slugs."))
    cis = serializers.SerializerMethodField(
        help_text=gettext_lazy("Ids of the linked CIs the caller sees.")
    )
    acknowledged_internal = serializers.BooleanField(
        source="ack_internal",
        help_text=gettext_lazy("The internal side acknowledged the current version."),
    )
    acknowledged_provider = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "The provider side acknowledged the current version (null: no provider side)."
        )
    )
    acknowledged = serializers.BooleanField(
        help_text=gettext_lazy("Every side of the runbook acknowledged the current version.")
    )

    class Meta:
        model = Runbook
        fields = [
            "id",
            "title",
            "kind",
            "areas",
            "ci_classes",
            "cis",
            "internal_owner",
            "provider_owner",
            "provider_organization",
            "review_on",
            "current_version",
            "version",
            "acknowledged_internal",
            "acknowledged_provider",
            "acknowledged",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_ci_classes(self, obj) -> list[str]:
        return sorted(c.slug for c in obj.ci_classes.all())

    def get_cis(self, obj) -> list[int]:
        return [ci.pk for ci in obj.visible_cis]

    def get_acknowledged_provider(self, obj) -> bool | None:
        return obj.ack_provider if obj.provider_organization_id else None


class RunbookDetailSerializer(RunbookSerializer):
    """One runbook, with the text of its current version."""

    body = serializers.SerializerMethodField(
        help_text=gettext_lazy("Markdown of the current version.")
    )
    note = serializers.SerializerMethodField(
        help_text=gettext_lazy("What changed in the current version.")
    )

    class Meta(RunbookSerializer.Meta):
        fields = [*RunbookSerializer.Meta.fields, "body", "note"]
        read_only_fields = fields

    def _current(self, obj) -> RunbookVersion | None:
        return next((v for v in obj.current_versions), None)

    def get_body(self, obj) -> str:
        current = self._current(obj)
        return current.body if current else ""

    def get_note(self, obj) -> str:
        current = self._current(obj)
        return current.note if current else ""


class AcknowledgementSerializer(serializers.ModelSerializer):
    side = serializers.ChoiceField(choices=Side.choices)
    version = serializers.IntegerField(source="runbook_version.number")

    class Meta:
        model = RunbookAcknowledgement
        fields = ["side", "user", "acknowledged_at", "version"]
        read_only_fields = fields


class VersionSerializer(serializers.ModelSerializer):
    acknowledgements = AcknowledgementSerializer(many=True, read_only=True)

    class Meta:
        model = RunbookVersion
        fields = ["number", "body", "note", "author", "created_at", "acknowledgements"]
        read_only_fields = fields


class RunbookCreateInput(StrictSerializerMixin, serializers.Serializer):
    """A new runbook and the text of its version 1."""

    title = serializers.CharField(max_length=rb.TITLE_LIMIT)
    kind = serializers.ChoiceField(choices=RunbookKind.choices)
    body = serializers.CharField(max_length=rb.BODY_LIMIT, trim_whitespace=False)
    note = serializers.CharField(
        max_length=rb.NOTE_LIMIT, required=False, allow_blank=True, default=""
    )
    areas = serializers.ListField(
        child=serializers.ChoiceField(choices=FunctionalArea.choices),
        required=False,
        default=list,
        max_length=len(FunctionalArea.values),
    )
    ci_classes = serializers.ListField(
        child=serializers.SlugField(max_length=60),
        required=False,
        default=list,
        max_length=rb.LINK_LIMIT,
        help_text=gettext_lazy("Class slugs."),
    )
    cis = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=rb.LINK_LIMIT,
        help_text=gettext_lazy("CI ids (CIs the caller sees)."),
    )
    internal_owner = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text=gettext_lazy("An internal staff member's id.")
    )
    provider_owner = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("A provider's person; their organization co-owns the runbook."),
    )
    review_on = serializers.DateField(required=False, allow_null=True, default=None)


class RunbookUpdateInput(StrictSerializerMixin, serializers.Serializer):
    """Metadata to change (the text is published: ``POST .../versions/``)."""

    title = serializers.CharField(max_length=rb.TITLE_LIMIT)
    kind = serializers.ChoiceField(choices=RunbookKind.choices)
    areas = serializers.ListField(
        child=serializers.ChoiceField(choices=FunctionalArea.choices),
        max_length=len(FunctionalArea.values),
    )
    ci_classes = serializers.ListField(
        child=serializers.SlugField(max_length=60), max_length=rb.LINK_LIMIT
    )
    cis = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=rb.LINK_LIMIT
    )
    internal_owner = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    provider_owner = serializers.IntegerField(min_value=1, max_value=MAX_ID, allow_null=True)
    review_on = serializers.DateField(allow_null=True)


class PublishInput(StrictSerializerMixin, serializers.Serializer):
    body = serializers.CharField(max_length=rb.BODY_LIMIT, trim_whitespace=False)
    note = serializers.CharField(
        max_length=rb.NOTE_LIMIT, required=False, allow_blank=True, default=""
    )


class AcknowledgeInput(StrictSerializerMixin, serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy(
            "The version read; refused if another one is current now. Default: the current one."
        ),
    )


class ListInput(serializers.Serializer):
    """The list's filters (query parameters)."""

    ci = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    ci_class = serializers.SlugField(max_length=60, required=False)
    area = serializers.ChoiceField(choices=FunctionalArea.choices, required=False)
    kind = serializers.ChoiceField(choices=RunbookKind.choices, required=False)
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)


VersionPageSerializer = inline_serializer(
    name="PaginatedRunbookVersionList",
    fields={
        "count": serializers.IntegerField(required=False),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": VersionSerializer(many=True),
    },
)


def _parse(serializer_class, data, *, partial: bool = False) -> dict:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


FILTERS = [
    OpenApiParameter(
        "ci", OpenApiTypes.INT, description="Runbooks linked to this CI or to its class."
    ),
    OpenApiParameter("ci_class", OpenApiTypes.STR, description="Runbooks linked to this class."),
    OpenApiParameter("area", OpenApiTypes.STR, enum=FunctionalArea.values),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=RunbookKind.values),
    OpenApiParameter("q", OpenApiTypes.STR, description="Search in titles and current texts."),
]


@extend_schema_view(
    retrieve=extend_schema(
        summary="One runbook with its current text",
        parameters=[ID],
        responses={200: RunbookDetailSerializer},
    ),
)
class RunbookViewSet(
    RestrictedQuerysetMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Runbooks both sides read: list, write, change, publish versions, acknowledge."""

    queryset = Runbook.objects.all()
    serializer_class = RunbookSerializer
    parser_classes = [JSONParser]
    filter_backends: list = []
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "head", "options"]

    def handle_exception(self, exc):
        if isinstance(exc, rb.AlreadyAcknowledged):
            exc = Conflict(" ".join(exc.messages))
        return super().handle_exception(exc)

    def get_queryset(self):
        user = self.request.user
        queryset = rb.with_acknowledgement(super().get_queryset())
        prefetch = ["ci_classes", rb.visible_cis_prefetch(user)]
        if self.action == "retrieve":
            prefetch.append(_current_version_prefetch())
        return queryset.prefetch_related(*prefetch)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Everything under an invisible runbook is a 404, before its input is even read.
        if "pk" in kwargs and self.action != "retrieve":
            visible = Runbook.objects.restrict(request.user, "view").filter(pk=kwargs["pk"])
            if not visible.exists():
                raise exceptions.NotFound()

    def _detail(self, pk, code=status.HTTP_200_OK) -> Response:
        runbook = (
            rb.with_acknowledgement(Runbook.objects.restrict(self.request.user, "view"))
            .prefetch_related(
                "ci_classes",
                rb.visible_cis_prefetch(self.request.user),
                _current_version_prefetch(),
            )
            .get(pk=pk)
        )
        data = RunbookDetailSerializer(runbook).data
        return Response(data, status=code, headers={"ETag": f'"{runbook.version}"'})

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object().pk)

    @extend_schema(
        summary="List the runbooks the caller reads",
        parameters=FILTERS,
        responses={200: RunbookSerializer(many=True)},
    )
    def list(self, request, *args, **kwargs):
        filters = _parse(ListInput, request.query_params)
        ci_class = None
        if "ci_class" in filters:
            ci_class = (
                CIClass.objects.restrict(request.user, "view")
                .filter(slug=filters["ci_class"])
                .first()
            )
            if ci_class is None:
                raise exceptions.ValidationError({"ci_class": [_("Unknown CI class.")]})
        runbooks = rb.runbook_list_for(
            user=request.user,
            kind=filters.get("kind"),
            area=filters.get("area"),
            ci_class=ci_class,
            ci=filters.get("ci"),
            q=filters.get("q"),
        )
        page = self.paginate_queryset(runbooks)
        return self.get_paginated_response(RunbookSerializer(page, many=True).data)

    @extend_schema(
        summary="Write a runbook and publish its version 1",
        request=RunbookCreateInput,
        responses={
            201: RunbookDetailSerializer,
            400: OpenApiResponse(description="Unknown field, bad value or unknown reference"),
            403: OpenApiResponse(description="Requesters do not write runbooks"),
        },
    )
    def create(self, request, *args, **kwargs):
        data = _parse(RunbookCreateInput, request.data)
        runbook = rb.runbook_create(by=request.user, **data)
        return self._detail(runbook.pk, code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a runbook's title, kind, links, owners or review date",
        parameters=[ID, IF_MATCH_HEADER],
        request=RunbookUpdateInput,
        responses={
            200: RunbookDetailSerializer,
            400: OpenApiResponse(description="Unknown field or bad value"),
            403: OpenApiResponse(description="The caller reads the runbook but may not change it"),
            412: OpenApiResponse(description="Stale If-Match version"),
        },
    )
    def partial_update(self, request, *args, **kwargs):
        runbook = self.get_object()
        expected = expected_version(request)
        data = _parse(RunbookUpdateInput, request.data, partial=True)
        rb.runbook_update(runbook=runbook, by=request.user, expected_version=expected, **data)
        return self._detail(runbook.pk)

    @extend_schema(
        methods=["GET"],
        summary="The runbook's versions, newest first, with their acknowledgements",
        parameters=[ID],
        responses={200: VersionPageSerializer},
    )
    @extend_schema(
        methods=["POST"],
        summary="Publish a new text as the next version",
        parameters=[ID, IF_MATCH_HEADER],
        request=PublishInput,
        responses={
            201: VersionSerializer,
            400: OpenApiResponse(description="Unknown field, empty or unchanged text"),
            403: OpenApiResponse(description="The caller reads the runbook but may not change it"),
            412: OpenApiResponse(description="Stale If-Match version"),
        },
    )
    @action(detail=True, methods=["get", "post"])
    def versions(self, request, pk=None):
        if request.method == "POST":
            expected = expected_version(request)
            data = _parse(PublishInput, request.data)
            version = rb.runbook_publish(
                runbook=int(pk), by=request.user, expected_version=expected, **data
            )
            version = _versions(request.user, version.runbook_id).get(pk=version.pk)
            return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(_versions(request.user, int(pk)))
        return self.get_paginated_response(VersionSerializer(page, many=True).data)

    @extend_schema(
        summary="Acknowledge the current version for the caller's side",
        parameters=[ID],
        request=AcknowledgeInput,
        responses={
            201: AcknowledgementSerializer,
            400: OpenApiResponse(description="Unknown field, or another version is current"),
            403: OpenApiResponse(description="Not an owner (or manager) of a side"),
            409: OpenApiResponse(description="This side already acknowledged this version"),
        },
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        data = _parse(AcknowledgeInput, request.data or {})
        ack = rb.runbook_acknowledge(runbook=int(pk), by=request.user, number=data["version"])
        ack = RunbookAcknowledgement.objects.select_related("runbook_version").get(pk=ack.pk)
        return Response(AcknowledgementSerializer(ack).data, status=status.HTTP_201_CREATED)


def _current_version_prefetch() -> Prefetch:
    return Prefetch(
        "versions",
        queryset=RunbookVersion.objects.filter(number=F("runbook__current_version")),
        to_attr="current_versions",
    )


def _versions(user, runbook_id: int):
    return (
        RunbookVersion.objects.restrict(user, "view")
        .filter(runbook_id=runbook_id)
        .prefetch_related(
            Prefetch(
                "acknowledgements",
                queryset=RunbookAcknowledgement.objects.select_related("runbook_version"),
            )
        )
        .order_by("-number")
    )


routes = [("runbooks", RunbookViewSet, "runbook")]
urlpatterns: list = []
