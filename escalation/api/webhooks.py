"""``/api/v1/webhooks/`` (SPEC 2.5, 5): an organization's outbound webhooks and their delivery
log. Thin: shape checks here, rules in ``escalation.webhooks``; every read is ``restrict``ed (a
webhook of another organization answers 404), writes are for the organization's managers (403
for its technicians)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from cogest.api.base import RestrictedQuerysetMixin, StrictSerializerMixin
from escalation.models.webhooks import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from escalation.webhooks import webhook_create, webhook_delete, webhook_ping, webhook_update

EVENTS_HELP = _(
    "Events to receive: ticket.created, ticket.status_changed, ticket.assigned, "
    "ticket.handed_off, handoff.accepted, handoff.rejected, comment.added, sla.warning, "
    "sla.breached. Each carries only what the webhook's organization may see."
)


class WebhookSerializer(serializers.ModelSerializer):
    """A webhook as listed and read: never its secret."""

    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.values), help_text=EVENTS_HELP
    )

    class Meta:
        model = Webhook
        fields = [
            "id",
            "organization",
            "name",
            "url",
            "events",
            "is_active",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    """The webhook just created, with its secret: shown this once, keep it to verify
    ``X-Cogest-Signature``."""

    secret = serializers.CharField(
        read_only=True,
        help_text=_(
            "HMAC-SHA256 key of X-Cogest-Signature (sha256=<hex of the raw body>). Shown only "
            "in this response."
        ),
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookInputSerializer(StrictSerializerMixin, serializers.Serializer):
    """What a manager sends to create (``name``, ``url``, ``events`` required) or change one."""

    name = serializers.CharField(max_length=120)
    url = serializers.URLField(
        max_length=500,
        help_text=_(
            "http or https; private, loopback and link-local targets are refused unless the "
            "installation allows them."
        ),
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.values),
        allow_empty=False,
        max_length=len(WebhookEvent.values),
        help_text=EVENTS_HELP,
    )
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookUpdateSerializer(WebhookInputSerializer):
    is_active = serializers.BooleanField(required=False)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    payload = serializers.JSONField(read_only=True, help_text=_("The JSON body sent."))

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_id",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "payload",
        ]
        read_only_fields = fields


DeliveryPageSerializer = inline_serializer(
    name="PaginatedWebhookDeliveryList",
    fields={
        "count": serializers.IntegerField(required=False),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": WebhookDeliverySerializer(many=True),
    },
)


@extend_schema_view(
    list=extend_schema(summary="The webhooks of the caller's organization"),
    retrieve=extend_schema(summary="One webhook (never its secret)"),
)
class WebhookViewSet(
    RestrictedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Outbound webhooks: signed JSON events about the tickets the organization may see."""

    queryset = Webhook.objects.all()
    serializer_class = WebhookSerializer
    parser_classes = [JSONParser]
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields = ["name", "created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(
        summary="Create a webhook for the caller's organization (managers)",
        request=WebhookInputSerializer,
        responses={
            201: WebhookCreatedSerializer,
            400: OpenApiResponse(description="Unknown field, bad or refused URL, unknown event"),
            403: OpenApiResponse(description="Not a manager"),
        },
    )
    def create(self, request, *args, **kwargs):
        data = _parse(WebhookInputSerializer, request)
        webhook = webhook_create(by=request.user, **data)
        return Response(WebhookCreatedSerializer(webhook).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a webhook's name, URL, events or active flag (managers)",
        request=WebhookUpdateSerializer,
        responses={
            200: WebhookSerializer,
            400: OpenApiResponse(description="Unknown field, bad or refused URL, unknown event"),
            403: OpenApiResponse(description="Not a manager"),
        },
    )
    def partial_update(self, request, *args, **kwargs):
        webhook = self.get_object()
        data = _parse(WebhookUpdateSerializer, request, partial=True)
        webhook = webhook_update(webhook=webhook.pk, by=request.user, **data)
        return Response(WebhookSerializer(webhook).data)

    @extend_schema(
        summary="Delete a webhook and its delivery log (managers)",
        responses={204: None, 403: OpenApiResponse(description="Not a manager")},
    )
    def destroy(self, request, *args, **kwargs):
        webhook_delete(webhook=self.get_object().pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="The webhook's delivery log, newest first, with response codes",
        request=None,
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT, description=_("Page number, from 1.")),
            OpenApiParameter("page_size", OpenApiTypes.INT, description=_("Rows per page, ≤ 200.")),
            OpenApiParameter("count", OpenApiTypes.BOOL, description=_("Include the total.")),
        ],
        responses={200: DeliveryPageSerializer},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        webhook = self.get_object()
        log = WebhookDelivery.objects.restrict(request.user, "view").filter(webhook=webhook)
        page = self.paginate_queryset(log.order_by("-created_at", "-id"))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a ping event to the webhook (managers); see it in the delivery log",
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            403: OpenApiResponse(description="Not a manager"),
        },
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        _parse(StrictEmptySerializer, request)
        delivery = webhook_ping(webhook=self.get_object().pk, by=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class StrictEmptySerializer(StrictSerializerMixin, serializers.Serializer):
    """No body, or an empty object."""


def _parse(serializer_class, request, *, partial: bool = False) -> dict:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
