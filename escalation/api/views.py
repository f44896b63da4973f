"""The escalation API (SPEC 5): ``/api/v1/escalation/rules/`` (internal staff read, internal
managers write), ``/api/v1/escalation/events/`` (the firings on tickets the caller sees) and
``/api/v1/notifications/`` (the caller's own). Thin: parse, call a service or a restricted
read, render."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cogest.api.base import RestrictedQuerysetMixin
from cogest.filters import ChoicesFilter, IdsFilter, StrictBooleanFilter
from escalation.configuration import (
    notification_mark_all_read,
    notification_mark_read,
    rule_create,
    rule_update,
    rules_readable_by,
)
from escalation.models import EscalationEvent, EscalationRule, Notification
from escalation.models.rules import Trigger
from escalation.selectors import EVENT_QUERYSET, RULE_QUERYSET

from .serializers import (
    EventSerializer,
    NotificationSerializer,
    ReadAllSerializer,
    RuleSerializer,
    RuleWriteSerializer,
)

# Ids in URLs: digits, no more than a database key holds (a longer one is simply a 404).
ID_PATTERN = r"[0-9]{1,18}"


class CanReadRules(permissions.BasePermission):
    """The rules' configuration is for internal staff (SPEC 3); providers and requesters get a
    403 (they read the escalation matrix page instead)."""

    message = gettext_lazy("Escalation rules are configured by the internal team.")

    def has_permission(self, request, view) -> bool:
        return rules_readable_by(request.user)


class RuleFilterSet(django_filters.FilterSet):
    trigger = ChoicesFilter(
        choices=Trigger.choices, help_text=gettext_lazy("One or more triggers.")
    )
    is_active = StrictBooleanFilter(help_text=gettext_lazy("true: active rules only."))

    class Meta:
        model = EscalationRule
        fields: list[str] = []


BAD_INPUT = OpenApiResponse(description="Invalid input (unknown field, bad value, a rule with "
                            "no action, a timed trigger without minutes…)")  # fmt: skip
FORBIDDEN = OpenApiResponse(description="Not an internal manager (write) or not internal staff")


@extend_schema_view(
    list=extend_schema(
        summary="List the escalation rules, in the order they run",
        responses={200: RuleSerializer(many=True), 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        summary="One escalation rule", responses={200: RuleSerializer, 403: FORBIDDEN}
    ),
    create=extend_schema(
        summary="Create an escalation rule (internal managers)",
        request=RuleWriteSerializer,
        responses={201: RuleSerializer, 400: BAD_INPUT, 403: FORBIDDEN},
    ),
    partial_update=extend_schema(
        summary="Change an escalation rule (internal managers)",
        request=RuleWriteSerializer,
        responses={200: RuleSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 404: None},
    ),
)
class EscalationRuleViewSet(
    RestrictedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Escalation rules (SPEC 2.5): when (a trigger), for which tickets (conditions), what to do
    (actions). Every change is audited (``escalation.rule_created`` / ``rule_changed``)."""

    queryset = RULE_QUERYSET.order_by("position", "id")
    serializer_class = RuleSerializer
    permission_classes = [permissions.IsAuthenticated, CanReadRules]
    filterset_class = RuleFilterSet
    ordering_fields = ["position", "id", "name"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = ID_PATTERN

    def create(self, request):
        data = self._parse(request, partial=False)
        rule = rule_create(by=request.user, data=data)
        return Response(self._render(rule.pk), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        rule = self.get_object()  # invisible → 404; the service checks "change" (403)
        data = self._parse(request, partial=True)
        rule_update(rule=rule, by=request.user, data=data)
        return Response(self._render(rule.pk))

    def _parse(self, request, *, partial: bool) -> dict:
        serializer = RuleWriteSerializer(
            data=request.data, partial=partial, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _render(self, pk: int) -> dict:
        return RuleSerializer(self.get_queryset().get(pk=pk)).data


class EventFilterSet(django_filters.FilterSet):
    ticket = IdsFilter(field_name="ticket_id", help_text=gettext_lazy("Ticket ids."))
    rule = IdsFilter(field_name="rule_id", help_text=gettext_lazy("Rule ids."))
    trigger = ChoicesFilter(
        choices=Trigger.choices, help_text=gettext_lazy("One or more triggers.")
    )

    class Meta:
        model = EscalationEvent
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="List the escalation events on tickets the caller may see")
)
class EscalationEventViewSet(
    RestrictedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Each firing of a rule on a ticket (unique per rule, ticket and occasion), newest first;
    restricted to the tickets the caller may see."""

    queryset = EVENT_QUERYSET.order_by("-fired_at", "-id")
    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    ordering_fields = ["fired_at", "id"]


class NotificationFilterSet(django_filters.FilterSet):
    unread = StrictBooleanFilter(
        field_name="read_at", lookup_expr="isnull", help_text=gettext_lazy("true: unread only.")
    )

    class Meta:
        model = Notification
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="List the caller's notifications, newest first"),
    read=extend_schema(
        summary="Mark one of the caller's notifications read",
        request=None,
        responses={200: NotificationSerializer, 404: None},
    ),
    read_all=extend_schema(
        summary="Mark all the caller's notifications read",
        request=None,
        responses={200: ReadAllSerializer},
    ),
)
class NotificationViewSet(RestrictedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's in-app notifications (nobody else's)."""

    queryset = Notification.objects.select_related("ticket").order_by("-created_at", "-id")
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    lookup_value_regex = ID_PATTERN

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()  # someone else's → 404
        notification = notification_mark_read(notification=notification, by=request.user)
        return Response(NotificationSerializer(notification).data)

    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": notification_mark_all_read(by=request.user)})
