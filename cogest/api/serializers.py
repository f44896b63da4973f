"""API shapes of the core: organizations, teams, engagements, the caller, the audit trail."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from cogest.models import AuditEvent, Engagement, Organization, Team

User = get_user_model()


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "kind"]


class TeamSerializer(serializers.ModelSerializer):
    support_level = serializers.CharField(source="lowest_level", read_only=True)
    lead = serializers.PrimaryKeyRelatedField(read_only=True)
    members = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "slug",
            "organization",
            "functional_areas",
            "support_level",
            "support_levels",
            "lead",
            "members",
            "contact_email",
            "is_active",
        ]

    def get_members(self, team) -> list[int]:
        return [m.pk for m in team.members.all()]


class EngagementSerializer(serializers.ModelSerializer):
    teams = serializers.SerializerMethodField()

    class Meta:
        model = Engagement
        fields = [
            "id",
            "name",
            "provider",
            "model",
            "scope_areas",
            "scope_levels",
            "scope_ci_filter",
            "teams",
            "starts_on",
            "ends_on",
            "internal_owner",
            "provider_owner",
            "review_cadence",
            "kpi_targets",
            "is_active",
            "shadow_for_team",
            "shadow_on_absence",
            "shadow_out_of_hours",
            "shadow_backlog_threshold",
            "shadow_manual_until",
        ]

    def get_teams(self, engagement) -> list[int]:
        return [t.pk for t in engagement.teams.all()]


class MeSerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()
    role = serializers.CharField(source="profile.role", read_only=True)
    language = serializers.CharField(source="profile.language", read_only=True)
    timezone = serializers.CharField(source="profile.timezone", read_only=True)
    teams = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "organization",
            "role",
            "language",
            "timezone",
            "teams",
        ]

    def get_organization(self, user) -> dict | None:
        profile = getattr(user, "profile", None)
        if profile is None:
            return None
        return OrganizationSerializer(profile.organization).data

    def get_teams(self, user) -> list[int]:
        return list(user.teams.values_list("pk", flat=True))


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_label",
            "actor_organization",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "note",
            "request_id",
            "hash",
            "prev_hash",
        ]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
