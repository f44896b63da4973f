"""``GET /api/v1/sla/policies/`` (SPEC 5): the SLA policies the caller may read, with their
targets. Read-only: policies are configured in the admin by internal managers. Restricted like
every read: internal staff read every policy, a provider those of its own engagements, a
requester none."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from cogest.api.base import RestrictedQuerysetMixin
from cogest.choices import TicketType
from cogest.filters import IdsFilter, StrictBooleanFilter
from sla.models import SlaPolicy, SlaTarget
from sla.models.policies import PENDING_REASON_CHOICES, PRIORITY_CHOICES, Metric, Scope


class SlaTargetSerializer(serializers.ModelSerializer):
    # The values alone, as the tickets API's ``sla`` field lists them: one enum in the schema.
    target = serializers.ChoiceField(
        source="metric",
        choices=Metric.values,
        help_text=_(
            "response and resolution: end to end (kind sla); accept and party_resolution: the "
            "holding party's own (kind ola for an internal team, uc for a provider)."
        ),
    )
    priority = serializers.IntegerField(
        allow_null=True, help_text=_("1-4; null: every priority the policy covers.")
    )
    minutes = serializers.IntegerField(help_text=_("The target in business minutes."))
    calendar = serializers.IntegerField(
        source="calendar_id",
        allow_null=True,
        help_text=_("Business calendar id; null: the policy's calendar."),
    )

    class Meta:
        model = SlaTarget
        fields = ["id", "target", "priority", "minutes", "calendar"]
        read_only_fields = fields


class SlaPolicySerializer(serializers.ModelSerializer):
    scope = serializers.ChoiceField(
        choices=Scope.choices,
        help_text=_(
            "end_to_end: the SLA to the requester; party: the holding team's commitment "
            "(OLA for an internal team, UC for a provider)."
        ),
    )
    engagement = serializers.IntegerField(
        source="engagement_id",
        allow_null=True,
        help_text=_("Engagement id; null: the internal default."),
    )
    # Values-only choice sets here and below: the API speaks in values, and the schema then
    # names these enums once instead of warning about a second name for the tickets' sets.
    ticket_types = serializers.ListField(
        child=serializers.ChoiceField(choices=TicketType.values),
        help_text=_("Ticket types in scope; empty: every type."),
    )
    priorities = serializers.ListField(
        child=serializers.ChoiceField(choices=PRIORITY_CHOICES),
        help_text=_("Priorities in scope; empty: every priority."),
    )
    calendar = serializers.IntegerField(source="calendar_id", help_text=_("Business calendar id."))
    pause_reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=[key for key, _label in PENDING_REASON_CHOICES]),
        help_text=_(
            "Pending reasons (requester, provider, change) that pause the clocks of this policy."
        ),
    )
    warning_percent = serializers.IntegerField(
        help_text=_("A warning is recorded at this share of the target.")
    )
    targets = SlaTargetSerializer(many=True, read_only=True)

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "scope",
            "engagement",
            "ticket_types",
            "priorities",
            "calendar",
            "warning_percent",
            "pause_reasons",
            "precedence",
            "is_active",
            "targets",
        ]
        read_only_fields = fields


class SlaPolicyFilterSet(django_filters.FilterSet):
    engagement = IdsFilter(field_name="engagement_id", help_text=_("Engagement ids."))
    internal_default = StrictBooleanFilter(
        field_name="engagement",
        lookup_expr="isnull",
        help_text=_("true: the internal default policies (no engagement); false: engagements'."),
    )
    scope = django_filters.ChoiceFilter(
        choices=Scope.choices, help_text=_("end_to_end (SLA) or party (OLA/UC).")
    )
    is_active = StrictBooleanFilter(field_name="is_active", help_text=_("true: active only."))

    class Meta:
        model = SlaPolicy
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="List the SLA policies the caller may read",
        description=(
            "Each policy with its targets. Internal staff read every policy; a provider those "
            "of its own engagements; requesters none."
        ),
    )
)
class SlaPolicyViewSet(RestrictedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """SLA policies and their targets (SPEC 2.4, 5), read-only."""

    queryset = SlaPolicy.objects.prefetch_related(
        Prefetch("targets", queryset=SlaTarget.objects.order_by("id"))
    ).order_by("scope", "precedence", "name", "id")
    serializer_class = SlaPolicySerializer
    filterset_class = SlaPolicyFilterSet
    ordering_fields = ["name", "precedence", "id"]
