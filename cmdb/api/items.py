"""API of the CMDB: items, relations, classes and impact analysis (SPEC 5).

    GET|POST  /api/v1/cis/                 GET|PATCH /api/v1/cis/{id}/
    GET       /api/v1/cis/{id}/impact/     GET       /api/v1/cis/{id}/dependencies/
    GET|POST  /api/v1/ci-relations/        GET|DELETE /api/v1/ci-relations/{id}/
    GET       /api/v1/ci-classes/          GET       /api/v1/ci-classes/{id}/

Thin: every queryset is ``restrict(user, "view")`` (an invisible CI is a 404 on its URL and every
URL under it), writes go through ``cmdb.services`` (which check ``change``: visible but not
yours is a 403). A provider's PATCH of a CI its organization does not manage files a proposal
for an internal owner's review: ``202 Accepted`` with the proposal, the CI unchanged.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from cmdb.choices import CRITICALITY_CHOICES, CIStatus, Environment, RelationType
from cmdb.filters import CIFilterSet, CIRelationFilterSet
from cmdb.impact import DEFAULT_DEPTH, MAX_DEPTH, ci_dependencies, ci_impact
from cmdb.models import CIChangeProposal, CIClass, CIRelation, ConfigurationItem
from cmdb.schema import unstorable
from cmdb.services import ci_create, ci_update, may_change_ci, relation_create, relation_delete
from cogest.api.base import (
    IF_MATCH_HEADER,
    RestrictedQuerysetMixin,
    StrictSerializerMixin,
    VisibleIdField,
    expected_version,
)
from cogest.api.filters import FilterBackend
from cogest.filters import MAX_ID
from cogest.models import Organization, Team, UserProfile
from cogest.querysets import viewer_for

User = get_user_model()

ID_PATTERN = r"[0-9]{1,18}"  # a longer id is simply a 404
TEXT_MAX = 50_000

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
DEPTH = OpenApiParameter(
    "depth",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    required=False,
    description=f"How many relations away to look: 1 to {MAX_DEPTH} (default {DEFAULT_DEPTH}).",
)


def parse(serializer_class, request, **kwargs):
    """Validated input of ``serializer_class`` (400 on any shape error)."""
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer


def _iso(value, tz) -> str | None:
    """DRF's ISO 8601 rendering of an aware datetime in the timezone ``tz``."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# --- Input fields ---------------------------------------------------------------------------


def _teams(user):
    return Team.objects.restrict(user, "view")


def _organizations(user):
    return Organization.objects.restrict(user, "view")


def _people(user):
    return User.objects.filter(
        is_active=True, profile__in=UserProfile.objects.restrict(user, "view")
    )


@extend_schema_field(OpenApiTypes.STR)
class ClassSlugField(serializers.SlugRelatedField):
    """A CI class by its slug (``server``, ``business_service``...)."""

    default_error_messages = {
        "does_not_exist": gettext_lazy("Unknown class “{value}”."),
        "invalid": gettext_lazy("A class slug (text)."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self):
        return CIClass.objects.restrict(self.context["request"].user, "view")

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 60 or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictInput(StrictSerializerMixin, serializers.Serializer):
    """Unknown fields are an error, and so are the read-only fields of the representation
    (with a message saying so)."""

    read_only_names: tuple[str, ...] = ()

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"detail": [_("Send a JSON object.")]}, code="invalid"
            )
        read_only = sorted(set(data) & set(self.read_only_names))
        if read_only:
            raise serializers.ValidationError(
                {name: [_("This field cannot be written.")] for name in read_only}
            )
        return super().to_internal_value(data)


# --- Configuration items --------------------------------------------------------------------

#: SPEC 5's fields, then this API's extensions (read in the same query).
CI_FIELDS = (
    "id",
    "name",
    "ci_class",
    "status",
    "environment",
    "site",
    "criticality",
    "owner_team",
    "managed_by",
    "attributes",
    "version",
    "is_service",
    "asset_tag",
    "serial",
    "description",
    "internal_owner",
    "provider_owner",
    "created_at",
    "updated_at",
)
# The column of each field in a ``values_list`` row.
_CI_COLUMNS = {
    "ci_class": "ci_class__slug",
    "is_service": "ci_class__is_service",
    "owner_team": "owner_team_id",
    "managed_by": "managed_by_id",
    "internal_owner": "internal_owner_id",
    "provider_owner": "provider_owner_id",
}
CI_COLUMNS = tuple(_CI_COLUMNS.get(name, name) for name in CI_FIELDS)
READ_ONLY_CI_FIELDS = (
    "id",
    "version",
    "is_service",
    "created_at",
    "updated_at",
    "url",
    "may_change",
)


class CISerializer(serializers.ModelSerializer):
    """A configuration item as lists show it (SPEC 5): ids for every relation, the class by
    its slug. Lists render the same from one query's rows (``ci_rows_data``)."""

    ci_class = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    is_service = serializers.BooleanField(
        source="ci_class.is_service",
        read_only=True,
        help_text=gettext_lazy("Whether the CI is a business service (its class says so)."),
    )
    managed_by = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text=gettext_lazy("Organization id.")
    )

    class Meta:
        model = ConfigurationItem
        fields = list(CI_FIELDS)
        read_only_fields = fields


class CIDetailSerializer(CISerializer):
    """One CI: the list fields, its URL, and whether the caller changes it directly (else a
    PATCH files a proposal)."""

    url = serializers.SerializerMethodField()
    may_change = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "true: a PATCH changes the CI; false: it files a proposal for internal review."
        )
    )

    class Meta(CISerializer.Meta):
        fields = [*CI_FIELDS, "url", "may_change"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, ci) -> str:
        path = reverse("ci-detail", kwargs={"pk": ci.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_may_change(self, ci) -> bool:
        return may_change_ci(self.context["request"].user, ci)


def ci_rows(queryset):
    """The CIs of ``queryset`` as ``values_list`` rows of ``CI_COLUMNS`` (one query)."""
    return queryset.values_list(*CI_COLUMNS)


def ci_rows_data(rows) -> list[dict]:
    """What ``CISerializer`` gives for those CIs (a test holds them equal), without building
    model instances: lists are the hot path (SPEC 8)."""
    tz = timezone.get_current_timezone()  # once: reading it costs more than a row
    data = []
    for row in rows:
        item = dict(zip(CI_FIELDS, row, strict=True))
        item["created_at"] = _iso(item["created_at"], tz)
        item["updated_at"] = _iso(item["updated_at"], tz)
        data.append(item)
    return data


class CIWriteSerializer(StrictInput):
    """The fields a person sets on a CI (shape only: the class schema, the owners' sides and the
    right to change are the service's)."""

    read_only_names = READ_ONLY_CI_FIELDS

    name = serializers.CharField(max_length=200)
    ci_class = ClassSlugField(help_text=gettext_lazy("The class slug."))
    status = serializers.ChoiceField(choices=CIStatus.choices, required=False)
    environment = serializers.ChoiceField(
        choices=Environment.choices, required=False, allow_blank=True
    )
    site = serializers.CharField(max_length=80, required=False, allow_blank=True)
    criticality = serializers.ChoiceField(choices=CRITICALITY_CHOICES, required=False)
    owner_team = VisibleIdField(rows=_teams, required=False, allow_null=True)
    managed_by = VisibleIdField(
        rows=_organizations,
        required=False,
        help_text=gettext_lazy("Organization id; the caller's organization by default."),
    )
    internal_owner = VisibleIdField(
        rows=_people,
        required=False,
        allow_null=True,
        help_text=gettext_lazy("User id of the internal technical owner."),
    )
    provider_owner = VisibleIdField(
        rows=_people,
        required=False,
        allow_null=True,
        help_text=gettext_lazy("User id of the provider's technical owner."),
    )
    asset_tag = serializers.CharField(max_length=60, required=False, allow_blank=True)
    serial = serializers.CharField(max_length=80, required=False, allow_blank=True)
    attributes = serializers.DictField(
        required=False,
        help_text=gettext_lazy("Values of the class's attributes (its attribute_schema)."),
    )
    description = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)

    def validate_criticality(self, value):
        return int(value)

    def validate_attributes(self, value):
        """What no database stores in JSON: NUL characters, infinite or NaN numbers (their
        meaning is the class schema's, checked by the service)."""
        if unstorable(value):
            raise serializers.ValidationError(
                _("Attributes hold text without NUL characters, finite numbers and booleans.")
            )
        return value

    def service_values(self) -> dict:
        return dict(self.validated_data)


class CIUpdateSerializer(CIWriteSerializer):
    """Changes to a CI (PATCH), with an optional reason (the audit note, or the proposal's)."""

    name = serializers.CharField(max_length=200, required=False)
    ci_class = ClassSlugField(required=False, help_text=gettext_lazy("The class slug."))
    managed_by = VisibleIdField(
        rows=_organizations,
        required=False,
        help_text=gettext_lazy("Organization id (only the internal team hands a CI over)."),
    )
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Why: kept in the history, and shown to the proposal's reviewer."),
    )

    def validate(self, attrs):
        if not set(attrs) - {"reason"}:
            raise serializers.ValidationError({"detail": [_("Send at least one field to change.")]})
        return attrs


class ProposalSummarySerializer(serializers.ModelSerializer):
    """The proposal a PATCH filed (the proposals API shows and decides it)."""

    class Meta:
        model = CIChangeProposal
        fields = ["id", "ci", "status", "changes", "before", "base_version", "reason", "created_at"]
        read_only_fields = fields


class ImpactEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    ci_class = serializers.CharField(help_text=gettext_lazy("The class slug."))
    criticality = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CIStatus.choices)
    site = serializers.CharField()
    depth = serializers.IntegerField(
        help_text=gettext_lazy("Relations between this CI and the one asked about (1: direct).")
    )


class ImpactSerializer(serializers.Serializer):
    ci = inline_serializer(
        "ImpactOrigin", fields={"id": serializers.IntegerField(), "name": serializers.CharField()}
    )
    depth = serializers.IntegerField(help_text=gettext_lazy("The depth limit applied."))
    cis = ImpactEntrySerializer(many=True, help_text=gettext_lazy("CIs that are not services."))
    services = ImpactEntrySerializer(many=True, help_text=gettext_lazy("Business services."))


@extend_schema_view(
    list=extend_schema(summary="List the configuration items the caller may see"),
    retrieve=extend_schema(
        summary="One configuration item",
        parameters=[ID],
        responses={
            200: OpenApiResponse(
                CIDetailSerializer, description="The CI; the ETag header carries its version."
            )
        },
    ),
)
class CIViewSet(
    RestrictedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Configuration items (SPEC 5): list with filters, register, read, change (or propose a
    change), and what depends on each."""

    queryset = ConfigurationItem.objects.select_related("ci_class")
    serializer_class = CISerializer
    filter_backends = [FilterBackend]
    filterset_class = CIFilterSet
    parser_classes = [JSONParser]
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return CISerializer if self.action == "list" else CIDetailSerializer

    def list(self, request, *args, **kwargs):
        """Filtered, restricted, paginated: one query's rows rendered as ``CISerializer``
        would render them."""
        rows = ci_rows(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(ci_rows_data(self.paginate_queryset(rows)))

    def _ci_response(self, ci: ConfigurationItem, code=status.HTTP_200_OK) -> Response:
        body = CIDetailSerializer(ci, context=self.get_serializer_context()).data
        return Response(body, status=code, headers={"ETag": f'"{body["version"]}"'})

    def _fresh(self, pk) -> ConfigurationItem:
        # Written by a service, which checked the right to; read back with its class.
        return ConfigurationItem.objects.select_related("ci_class").get(pk=pk)

    def retrieve(self, request, *args, **kwargs):
        return self._ci_response(self.get_object())

    @extend_schema(
        summary="Register a configuration item",
        request=CIWriteSerializer,
        responses={
            201: OpenApiResponse(CIDetailSerializer, description="The CI (ETag: its version)."),
            400: OpenApiResponse(description="Invalid fields or attributes"),
            403: OpenApiResponse(description="A provider registering another's CI"),
        },
    )
    def create(self, request, *args, **kwargs):
        values = parse(CIWriteSerializer, request).service_values()
        values.setdefault("managed_by", viewer_for(request.user).organization_id)
        ci = ci_create(by=request.user, **values)
        response = self._ci_response(self._fresh(ci.pk), status.HTTP_201_CREATED)
        response["Location"] = response.data["url"]
        return response

    @extend_schema(
        summary="Change a configuration item, or propose the change",
        description=(
            "Changes the CI when the caller may (internal staff; a provider on the CIs its "
            "organization manages). A provider's change to another CI it sees is filed as a "
            "proposal for an internal owner's review: 202 with the proposal, the CI unchanged."
        ),
        request=CIUpdateSerializer,
        parameters=[ID, IF_MATCH_HEADER],
        responses={
            200: CIDetailSerializer,
            202: inline_serializer(
                "CIChangeProposed",
                fields={"proposal": ProposalSummarySerializer(), "ci": CIDetailSerializer()},
            ),
            400: OpenApiResponse(description="Invalid fields or attributes"),
            403: OpenApiResponse(description="Visible, but not a change the caller may make"),
            412: OpenApiResponse(description="Stale If-Match version"),
        },
    )
    def partial_update(self, request, *args, **kwargs):
        ci = self.get_object()
        version = expected_version(request)
        values = parse(CIUpdateSerializer, request).service_values()
        reason = values.pop("reason", "")
        result = ci_update(
            ci=ci.pk, by=request.user, expected_version=version, reason=reason, **values
        )
        if result.proposed:
            body = {
                "proposal": ProposalSummarySerializer(result.proposal).data,
                "ci": CIDetailSerializer(
                    self._fresh(ci.pk), context=self.get_serializer_context()
                ).data,
            }
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return self._ci_response(self._fresh(ci.pk))

    def _walk(self, request, walk) -> Response:
        ci = self.get_object()
        raw = request.query_params.get("depth", str(DEFAULT_DEPTH))
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_DEPTH):
            raise exceptions.ValidationError(
                {"depth": [_("A whole number from 1 to %(max)s.") % {"max": MAX_DEPTH}]}
            )
        result = walk(ci=ci, user=request.user, depth=int(raw))
        return Response({"ci": {"id": ci.pk, "name": ci.name}, "depth": int(raw), **result})

    @extend_schema(
        summary="What the CI's failure impacts",
        description=(
            "Every CI and business service that depends on this one through depends_on, "
            "runs_on or hosted_on, transitively (A depends_on B: B's failure impacts A), up to "
            "depth relations away, each once at its shortest distance; only what the caller "
            "may see. Cycles are safe."
        ),
        parameters=[ID, DEPTH],
        responses={200: ImpactSerializer},
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def impact(self, request, pk=None):
        return self._walk(request, ci_impact)

    @extend_schema(
        summary="What the CI needs (the reverse of impact)",
        description=(
            "Every CI and business service this one depends on through depends_on, runs_on or "
            "hosted_on, transitively, up to depth relations away; only what the caller may see."
        ),
        parameters=[ID, DEPTH],
        responses={200: ImpactSerializer},
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def dependencies(self, request, pk=None):
        return self._walk(request, ci_dependencies)


# --- Relations ------------------------------------------------------------------------------


class CIRelationSerializer(serializers.ModelSerializer):
    """``source`` —type→ ``target`` (``A depends_on B``: A needs B), with both names."""

    source_name = serializers.CharField(source="source.name", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)

    class Meta:
        model = CIRelation
        fields = [
            "id",
            "source",
            "type",
            "target",
            "source_name",
            "target_name",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields


class CIRelationCreateSerializer(StrictInput):
    read_only_names = ("id", "source_name", "target_name", "created_at", "created_by")

    source = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text=gettext_lazy("CI id.")
    )
    type = serializers.ChoiceField(choices=RelationType.choices)
    target = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text=gettext_lazy("CI id.")
    )


@extend_schema_view(
    list=extend_schema(summary="Relations between CIs the caller may see"),
    retrieve=extend_schema(summary="One relation", parameters=[ID]),
    create=extend_schema(
        summary="Relate two CIs (the caller must be allowed to change the source)",
        request=CIRelationCreateSerializer,
        responses={201: CIRelationSerializer},
    ),
    destroy=extend_schema(summary="Remove a relation", parameters=[ID]),
)
class CIRelationViewSet(
    RestrictedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Typed relations between CIs; unique per (source, type, target), never from a CI to
    itself. Seen by whoever sees both ends; changed by whoever may change the source."""

    queryset = CIRelation.objects.select_related("source", "target")
    serializer_class = CIRelationSerializer
    filter_backends = [FilterBackend]
    filterset_class = CIRelationFilterSet
    parser_classes = [JSONParser]
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "delete", "head", "options"]

    def create(self, request, *args, **kwargs):
        data = parse(CIRelationCreateSerializer, request).validated_data
        relation = relation_create(
            source=data["source"], type=data["type"], target=data["target"], by=request.user
        )
        relation = CIRelation.objects.select_related("source", "target").get(pk=relation.pk)
        return Response(CIRelationSerializer(relation).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        relation_delete(relation=instance.pk, by=self.request.user)


# --- Classes --------------------------------------------------------------------------------


class CIClassSerializer(serializers.ModelSerializer):
    class Meta:
        model = CIClass
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "attribute_schema",
            "is_service",
            "functional_area",
            "icon",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="CI classes and their attribute schemas"),
    retrieve=extend_schema(summary="One CI class", parameters=[ID]),
)
class CIClassViewSet(RestrictedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """The kinds of CI (SPEC 2.3), each with the attribute schema its CIs are validated
    against. Configured in the admin."""

    queryset = CIClass.objects.all()
    serializer_class = CIClassSerializer
    filter_backends: list = []
    lookup_value_regex = ID_PATTERN


#: (prefix, viewset, basename) registered on the CMDB router; urlpatterns for other views.
routes: list = [
    ("cis", CIViewSet, "ci"),
    ("ci-relations", CIRelationViewSet, "ci-relation"),
    ("ci-classes", CIClassViewSet, "ci-class"),
]
urlpatterns: list = []
