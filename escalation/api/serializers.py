"""Shapes of the escalation API: rules (read and write), their firings, notifications.

Shape only: the rule's own validation (timed triggers need minutes, at least one action, a
shadow engagement for ``activate_shadow``…) is the model's, run by the service. Related objects
are looked up among what the caller may see, so an invisible id reads as "does not exist"."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cogest.api.base import StrictSerializerMixin, VisibleIdField
from cogest.choices import FunctionalArea, SupportLevel, TicketType
from cogest.models import Engagement, Team, UserProfile
from escalation.models import EscalationEvent, EscalationRule, Notification
from escalation.models.rules import PRIORITIES, NotifyRole, Trigger
from escalation.selectors import rule_in_words

User = get_user_model()
MAX_MINUTES = 525_600  # a year


@extend_schema_field({"type": "string", "pattern": "^(L1|L2|L3)?$"})
class LevelOrBlankField(serializers.ChoiceField):
    """A support level or "" (none). Documented with a pattern: an enum here would be named
    after the field and clash with the support level enum of the tickets."""


@extend_schema_field({"type": "string", "pattern": "^(L1|L2|L3)$"})
class LevelField(serializers.ChoiceField):
    """A support level (documented with a pattern, for the same reason)."""


def _teams(user):
    return Team.objects.restrict(user, "view")


def _engagements(user):
    return Engagement.objects.restrict(user, "view")


def _shadow_engagements(user):
    return Engagement.objects.restrict(user, "view").filter(model="shadow")


def _people(user):
    return User.objects.filter(
        is_active=True, profile__in=UserProfile.objects.restrict(user, "view")
    )


def _choices(choices, help_text):
    return serializers.ListField(
        child=serializers.ChoiceField(choices=choices),
        required=False,
        max_length=20,
        help_text=help_text,
    )


class RuleWriteSerializer(StrictSerializerMixin, serializers.Serializer):
    """What a client sends to create (``POST``) or change (``PATCH``) a rule."""

    name = serializers.CharField(max_length=120)
    position = serializers.IntegerField(
        min_value=0, max_value=1_000_000, required=False, help_text=_("Lower runs first.")
    )
    is_active = serializers.BooleanField(required=False)
    stop_processing = serializers.BooleanField(
        required=False,
        help_text=_("When it fires, later rules of the same trigger are not applied."),
    )
    trigger = serializers.ChoiceField(choices=Trigger.choices)
    minutes = serializers.IntegerField(
        min_value=1,
        max_value=MAX_MINUTES,
        allow_null=True,
        required=False,
        help_text=_("Required for unassigned_for, no_update_for and handoff_not_accepted."),
    )
    ticket_types = _choices(TicketType.values, _("Condition: ticket types; empty: any."))
    priorities = _choices(
        [value for value, _label in PRIORITIES], _("Condition: priorities 1-4; empty: any.")
    )
    functional_areas = _choices(FunctionalArea.values, _("Condition: areas; empty: any."))
    support_levels = serializers.ListField(
        child=LevelField(choices=SupportLevel.values),
        required=False,
        max_length=20,
        help_text=_("Condition: support levels (L1, L2, L3); empty: any."),
    )
    teams = VisibleIdField(
        _teams, many=True, required=False, help_text=_("Condition: the holding team.")
    )
    engagements = VisibleIdField(
        _engagements, many=True, required=False, help_text=_("Condition: engagements.")
    )
    ci_criticality_at_most = serializers.IntegerField(
        min_value=1,
        max_value=4,
        allow_null=True,
        required=False,
        help_text=_("Condition: an affected CI of criticality 1 up to this (1 most critical)."),
    )
    reassign_team = VisibleIdField(
        _teams,
        allow_null=True,
        required=False,
        help_text=_("Action: reassign to this team (another organization's: a handoff)."),
    )
    reassign_level = LevelOrBlankField(
        choices=SupportLevel.values,
        allow_blank=True,
        required=False,
        help_text=_("Action: the matrix's team for the ticket's area at this level."),
    )
    raise_priority = serializers.BooleanField(required=False, help_text=_("Action."))
    notify = _choices(NotifyRole.values, _("Action: notify people in these roles."))
    post_to_channel = serializers.BooleanField(
        required=False, help_text=_("Action: post to the team's Slack/Teams channel.")
    )
    activate_shadow = VisibleIdField(
        _shadow_engagements,
        allow_null=True,
        required=False,
        help_text=_("Action: activate this shadow engagement."),
    )
    shadow_minutes = serializers.IntegerField(
        min_value=1,
        max_value=MAX_MINUTES,
        required=False,
        help_text=_("How long the shadow activation lasts."),
    )
    add_watchers = VisibleIdField(
        _people, many=True, required=False, help_text=_("Action: user ids to add.")
    )


class RelatedRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RuleSerializer(serializers.ModelSerializer):
    """A rule as the API shows it, with its sentence for people."""

    trigger = serializers.ChoiceField(choices=Trigger.choices)
    ticket_types = serializers.ListField(child=serializers.CharField())
    priorities = serializers.ListField(child=serializers.IntegerField())
    functional_areas = serializers.ListField(child=serializers.CharField())
    support_levels = serializers.ListField(child=serializers.CharField())
    notify = serializers.ListField(child=serializers.CharField())
    teams = serializers.SerializerMethodField()
    engagements = serializers.SerializerMethodField()
    add_watchers = serializers.SerializerMethodField()
    reassign_team = serializers.IntegerField(source="reassign_team_id", allow_null=True)
    reassign_level = LevelOrBlankField(choices=SupportLevel.values, allow_blank=True)
    activate_shadow = serializers.IntegerField(source="activate_shadow_id", allow_null=True)
    description = serializers.SerializerMethodField(help_text=_("The rule in words."))

    class Meta:
        model = EscalationRule
        fields = [
            "id",
            "name",
            "position",
            "is_active",
            "stop_processing",
            "trigger",
            "minutes",
            "ticket_types",
            "priorities",
            "functional_areas",
            "support_levels",
            "teams",
            "engagements",
            "ci_criticality_at_most",
            "reassign_team",
            "reassign_level",
            "raise_priority",
            "notify",
            "post_to_channel",
            "activate_shadow",
            "shadow_minutes",
            "add_watchers",
            "description",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_teams(self, rule) -> list[int]:
        return [team.pk for team in rule.teams.all()]

    def get_engagements(self, rule) -> list[int]:
        return [engagement.pk for engagement in rule.engagements.all()]

    def get_add_watchers(self, rule) -> list[int]:
        return [user.pk for user in rule.add_watchers.all()]

    def get_description(self, rule) -> str:
        return rule_in_words(rule).sentence


class EventSerializer(serializers.ModelSerializer):
    """One firing of a rule on a ticket, and what it did."""

    rule = RelatedRuleSerializer(read_only=True)
    ticket = serializers.IntegerField(source="ticket_id")
    trigger = serializers.ChoiceField(choices=Trigger.choices)
    actions = serializers.ListField(
        child=serializers.DictField(),
        help_text=_('What was done, e.g. [{"action": "notify", "users": [3]}].'),
    )

    class Meta:
        model = EscalationEvent
        fields = ["id", "rule", "ticket", "trigger", "trigger_key", "fired_at", "actions"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", allow_null=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "urgency",
            "ticket",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("How many notifications were unread."))
