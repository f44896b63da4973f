"""API of sharing and access grants: ``/api/v1/access-grants/``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cogest import grants
from cogest.models import AccessGrant, GrantKind, GrantLevel, Organization

from .base import RestrictedQuerysetMixin, StrictSerializerMixin


class AccessGrantSerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField()

    class Meta:
        model = AccessGrant
        fields = [
            "id",
            "kind",
            "object_type",
            "object_id",
            "object_label",
            "organization",
            "grantee_user",
            "level",
            "status",
            "reason",
            "expires_at",
            "requested_by",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields

    def get_object_type(self, grant) -> str | None:
        return grants.grantable_key(grant.content_type.model_class())


class AccessGrantCreateSerializer(StrictSerializerMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=GrantKind.choices)
    object_type = serializers.CharField()
    object = serializers.CharField(help_text="A ticket number or id, a team slug or id.")
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        help_text="Share only: the provider organization.",
    )
    level = serializers.ChoiceField(choices=GrantLevel.choices, default=GrantLevel.VIEW)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class DecisionSerializer(StrictSerializerMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class AccessGrantViewSet(
    RestrictedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Shares and access requests the caller may see; create, approve, refuse, revoke."""

    queryset = AccessGrant.objects.select_related("content_type")
    serializer_class = AccessGrantSerializer
    filterset_fields = ["status", "kind", "organization"]
    ordering_fields = ["created_at", "expires_at"]

    @extend_schema(request=AccessGrantCreateSerializer, responses={201: AccessGrantSerializer})
    def create(self, request):
        data = AccessGrantCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        obj = grants.resolve_grantable(values["object_type"], values["object"])
        if values["kind"] == GrantKind.SHARE:
            if values.get("organization") is None:
                raise serializers.ValidationError({"organization": ["Required to share."]})
            grant = grants.grant_share(
                obj=obj,
                organization=values["organization"],
                by=request.user,
                level=values["level"],
                reason=values["reason"],
                expires_at=values["expires_at"],
            )
        else:
            grant = grants.grant_request(
                obj=obj,
                by=request.user,
                reason=values["reason"],
                expires_at=values["expires_at"],
                level=values["level"],
            )
        return Response(AccessGrantSerializer(grant).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, service, **extra):
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kwargs = {"note": data.validated_data["note"], **extra}
        if service is grants.grant_approve:
            kwargs["expires_at"] = data.validated_data["expires_at"]
        grant = service(grant=self.get_object(), by=request.user, **kwargs)
        return Response(AccessGrantSerializer(grant).data)

    @extend_schema(request=DecisionSerializer, responses=AccessGrantSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, grants.grant_approve)

    @extend_schema(request=DecisionSerializer, responses=AccessGrantSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        return self._decide(request, grants.grant_refuse)

    @extend_schema(request=DecisionSerializer, responses=AccessGrantSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return self._decide(request, grants.grant_revoke)
