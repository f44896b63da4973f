"""API shapes of the SLA report and the KPI reviews (SPEC 5: ``/api/v1/sla/...``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cogest.choices import KpiMetric
from cogest.querysets import viewer_for
from sla import metrics
from sla.models import FollowUpAction, KpiReview, ReviewMeeting
from sla.models.reviews import ReviewStatus
from tickets.api.serializers import SLA_KINDS, SLA_TARGETS


class ReportQuerySerializer(serializers.Serializer):
    """``?engagement=<id>&from=<date>&to=<date>``: both dates or neither (then the engagement's
    last finished review period)."""

    engagement = serializers.IntegerField(min_value=1)

    def get_fields(self):
        fields = super().get_fields()
        # ``from`` is a Python keyword: declared here rather than as class attributes.
        fields["from"] = serializers.DateField(required=False)
        fields["to"] = serializers.DateField(required=False)
        return fields

    def validate(self, attrs):
        first, last = attrs.get("from"), attrs.get("to")
        if (first is None) != (last is None):
            raise serializers.ValidationError(
                {"from" if first is None else "to": [_("Give both from and to, or neither.")]}
            )
        if first and last:
            if last < first:
                raise serializers.ValidationError({"to": [_("to comes before from.")]})
            if (last - first).days > 366:
                raise serializers.ValidationError({"to": [_("A report spans at most 366 days.")]})
        return attrs


class ReportEngagementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    provider = serializers.IntegerField(help_text=_("Organization id."))


class KpiRowSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=KpiMetric.choices)
    label = serializers.CharField()
    target = serializers.FloatField()
    value = serializers.FloatField(allow_null=True, help_text=_("Null: nothing to measure."))
    higher_is_better = serializers.BooleanField()
    passed = serializers.BooleanField(allow_null=True)


class FiguresSerializer(serializers.Serializer):
    """Every figure of the period (percentages 0–100, business minutes and hours)."""

    sla_compliance_pct = serializers.FloatField(allow_null=True)
    response_compliance_pct = serializers.FloatField(allow_null=True)
    party_compliance_pct = serializers.FloatField(
        allow_null=True, help_text=_("The provider's own resolution clocks (UC).")
    )
    accept_compliance_pct = serializers.FloatField(allow_null=True)
    mtta_minutes = serializers.FloatField(allow_null=True)
    mttr_hours = serializers.FloatField(allow_null=True)
    handoff_accept_minutes = serializers.FloatField(allow_null=True)
    reopen_rate_pct = serializers.FloatField(allow_null=True)
    backlog_max = serializers.IntegerField(help_text=_("Open tickets at the end of the period."))
    resolution_met = serializers.IntegerField()
    resolution_breached = serializers.IntegerField()
    response_met = serializers.IntegerField()
    response_breached = serializers.IntegerField()
    party_met = serializers.IntegerField()
    party_breached = serializers.IntegerField()
    breaches = serializers.IntegerField()
    resolved_count = serializers.IntegerField()
    tickets_created = serializers.IntegerField()
    tickets_reopened = serializers.IntegerField()


class HeldBySerializer(serializers.Serializer):
    organization = serializers.IntegerField(
        allow_null=True, help_text=_("Organization id; null: time before any team held it.")
    )
    business_seconds = serializers.IntegerField()
    pct = serializers.FloatField(allow_null=True)


class BreachSerializer(serializers.Serializer):
    """A breached clock: whose clock broke, and who held the ticket for how long until then."""

    ticket = serializers.IntegerField()
    number = serializers.CharField()
    target = serializers.ChoiceField(choices=SLA_TARGETS)
    kind = serializers.ChoiceField(choices=SLA_KINDS)
    party = serializers.IntegerField(help_text=_("The organization whose clock broke."))
    due_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField()
    stopped_at = serializers.DateTimeField(allow_null=True)
    stop_reason = serializers.CharField(allow_blank=True)
    holder_at_breach = serializers.IntegerField(
        allow_null=True, help_text=_("The organization holding the ticket when the clock broke.")
    )
    held_by = HeldBySerializer(many=True)


class WorkLogTotalSerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    minutes = serializers.IntegerField()
    billable_minutes = serializers.IntegerField()
    entries = serializers.IntegerField()


class ReportSerializer(serializers.Serializer):
    engagement = ReportEngagementSerializer()
    kpis = KpiRowSerializer(many=True)
    figures = FiguresSerializer()
    breaches = BreachSerializer(many=True)
    breaches_truncated = serializers.BooleanField(
        help_text=_("True when there were more breaches than listed.")
    )
    worklogs = WorkLogTotalSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields


def breach_data(breach: metrics.Breach) -> dict:
    clock = breach.clock
    return {
        "ticket": clock.ticket_id,
        "number": clock.ticket.number,
        "target": clock.target,
        "kind": clock.kind,
        "party": clock.party_id,
        "due_at": clock.due_at,
        "breached_at": clock.breached_at,
        "stopped_at": clock.stopped_at,
        "stop_reason": clock.stop_reason,
        "holder_at_breach": (breach.holder_at_breach or {}).get("organization"),
        "held_by": [
            {"organization": h["organization"], "business_seconds": h["seconds"], "pct": h["pct"]}
            for h in breach.held
        ],
    }


# --- Reviews --------------------------------------------------------------------------------


class ReviewMeetingSerializer(serializers.ModelSerializer):
    attendees = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ReviewMeeting
        fields = ["held_on", "attendees", "minutes", "decisions", "recorded_by", "recorded_at"]


class FollowUpActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUpAction
        fields = ["id", "description", "owner", "due_on", "done_at"]


class KpiReviewSerializer(serializers.ModelSerializer):
    """A review: the scorecard frozen when it was prepared, the work logged (a provider reads
    its own organization's), the meeting record and the follow-up actions."""

    status = serializers.ChoiceField(choices=ReviewStatus.choices, read_only=True)
    kpis = serializers.SerializerMethodField()
    figures = serializers.SerializerMethodField()
    worklogs = serializers.SerializerMethodField()
    meeting = serializers.SerializerMethodField()
    actions = FollowUpActionSerializer(many=True, read_only=True)

    class Meta:
        model = KpiReview
        fields = [
            "id",
            "engagement",
            "period_start",
            "period_end",
            "status",
            "prepared_at",
            "kpis",
            "figures",
            "worklogs",
            "meeting",
            "actions",
        ]

    def _snapshot(self, review) -> dict:
        return review.figures or {}

    @extend_schema_field(KpiRowSerializer(many=True))
    def get_kpis(self, review) -> list[dict]:
        snapshot = self._snapshot(review)
        rows = metrics.kpi_scorecard(snapshot.get("targets", {}), snapshot.get("figures", {}))
        return KpiRowSerializer(rows, many=True).data

    @extend_schema_field(FiguresSerializer)
    def get_figures(self, review) -> dict:
        return FiguresSerializer(
            {**_ZERO_FIGURES, **self._snapshot(review).get("figures", {})}
        ).data

    @extend_schema_field(WorkLogTotalSerializer(many=True))
    def get_worklogs(self, review) -> list[dict]:
        rows = self._snapshot(review).get("worklogs", [])
        viewer = viewer_for(self.context["request"].user)
        if viewer.is_provider:
            rows = [r for r in rows if r["organization"] == viewer.organization_id]
        return WorkLogTotalSerializer(rows, many=True).data

    @extend_schema_field(ReviewMeetingSerializer(allow_null=True))
    def get_meeting(self, review) -> dict | None:
        meeting = getattr(review, "meeting", None)
        return ReviewMeetingSerializer(meeting).data if meeting else None


# Older snapshots may lack a figure added later: the API still answers with every field.
_ZERO_FIGURES = {name: None for name in FiguresSerializer().fields} | {
    name: 0
    for name, field in FiguresSerializer().fields.items()
    if isinstance(field, serializers.IntegerField)
}
