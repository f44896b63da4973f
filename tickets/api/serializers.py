"""API shapes of tickets (SPEC 5). Input serializers check shape only: unknown fields, types,
enumerations and lengths. The workflow, routing and visibility rules live in the services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cogest.api.base import StrictSerializerMixin, VisibleIdField
from cogest.choices import FunctionalArea, SupportLevel
from cogest.expressions import json_instant
from cogest.filters import MAX_ID
from cogest.markdown import render_markdown
from cogest.models import Team
from cogest.querysets import viewer_for
from tickets.choices import (
    TRANSITIONS,
    Level,
    LinkKind,
    PendingReason,
    ResolutionCode,
    Status,
    TicketType,
    Visibility,
)
from tickets.models import Attachment, Comment, Handoff, Ticket, TicketLink, WorkLog
from tickets.services.handoffs import CHECKLIST_KEYS

User = get_user_model()

TEXT_MAX = 50_000  # descriptions, resolutions, summaries: generous, but bounded

SLA_TARGETS = ("response", "resolution", "accept", "party_resolution")
SLA_KINDS = ("sla", "ola", "uc")
SLA_STATES = ("running", "paused", "met", "breached")


# --- Input fields --------------------------------------------------------------------------


class AssigneeField(VisibleIdField):
    """A member of a team the caller can see (the service checks it is the ticket's team)."""

    def get_queryset(self):
        user = self.context["request"].user
        members = Team.objects.restrict(user, "view").values("members")
        return User.objects.filter(pk__in=members, is_active=True)


class RequesterField(VisibleIdField):
    """Any active person (only internal staff name a requester: checked by the serializer)."""

    def get_queryset(self):
        return User.objects.filter(is_active=True)


class IdListField(serializers.ListField):
    child = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)


CHECKLIST_SCHEMA = {
    "type": "object",
    "description": "What the sending team did and knows. Keys: " + ", ".join(CHECKLIST_KEYS) + ".",
    "properties": {
        key: {
            "oneOf": [
                {"type": "string"},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "array", "items": {"type": "string"}},
            ],
            "nullable": True,
        }
        for key in CHECKLIST_KEYS
    },
    "additionalProperties": False,
}


@extend_schema_field(CHECKLIST_SCHEMA)
class ChecklistField(serializers.DictField):
    pass


class StrictInput(StrictSerializerMixin, serializers.Serializer):
    """Unknown fields are an error, and so are fields of the representation one cannot write
    (with a message saying so)."""

    read_only_names: tuple[str, ...] = ()

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            read_only = sorted(set(data.keys()) & set(self.read_only_names))
            if read_only:
                raise serializers.ValidationError(
                    {name: [_("This field cannot be written.")] for name in read_only}
                )
        return super().to_internal_value(data)


# --- Tickets -------------------------------------------------------------------------------


class SlaClockSerializer(serializers.Serializer):
    """One clock of the ticket: the end-to-end ``sla`` targets (``response``, ``resolution``) and
    each holding party's own (``accept``, ``party_resolution``: ``ola`` internal, ``uc``
    provider)."""

    target = serializers.ChoiceField(choices=SLA_TARGETS)
    kind = serializers.ChoiceField(choices=SLA_KINDS)
    party = serializers.IntegerField(allow_null=True, help_text=_("Organization id."))
    state = serializers.ChoiceField(choices=SLA_STATES)
    due_at = serializers.DateTimeField(allow_null=True)


def clock_data(clock) -> dict:
    """A clock of the SLA app, read by attribute (tickets does not import sla)."""
    return {
        "target": getattr(clock, "target", None),
        "kind": getattr(clock, "kind", None),
        "party": getattr(clock, "party_id", None),
        "state": getattr(clock, "state", None),
        "due_at": serializers.DateTimeField().to_representation(getattr(clock, "due_at", None))
        if getattr(clock, "due_at", None)
        else None,
    }


TICKET_FIELDS = [
    "id",
    "number",
    "type",
    "title",
    "description",
    "status",
    "impact",
    "urgency",
    "priority",
    "functional_area",
    "support_level",
    "team",
    "assignee",
    "requester",
    "cis",
    "created_at",
    "updated_at",
    "resolved_at",
    "version",
    "sla",
    # Extensions of SPEC 5 (read-only).
    "engagement",
    "source",
    "pending_reason",
    "resolution",
    "resolution_code",
    "first_response_at",
    "closed_at",
    "reopen_count",
]


_DATETIME = serializers.DateTimeField()
_RELATIONS = frozenset({"team", "assignee", "requester", "engagement"})
_DATETIMES = frozenset(
    {"created_at", "updated_at", "resolved_at", "first_response_at", "closed_at"}
)


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as lists show it (SPEC 5); ids for every relation, no per-row query."""

    sla = serializers.SerializerMethodField(
        help_text=_("The ticket's SLA clocks; empty until the SLA app runs them.")
    )

    class Meta:
        model = Ticket
        fields = TICKET_FIELDS
        read_only_fields = TICKET_FIELDS

    @extend_schema_field(SlaClockSerializer(many=True))
    def get_sla(self, ticket) -> list[dict]:
        clocks = getattr(ticket, "clocks", None)
        if clocks is None:
            return []
        return [clock_data(clock) for clock in clocks.all()]


# The columns ``ticket_list_rows`` reads for those fields (the relations by their ``_id``).
TICKET_LIST_COLUMNS = tuple(
    f"{name}_id" if name in _RELATIONS else name
    for name in TICKET_FIELDS
    if name not in ("cis", "sla")
)


def _list_plan() -> tuple[tuple[str, int | None, str], ...]:
    """For each field of ``TICKET_FIELDS``: its position in a ``ticket_list_rows`` row and how
    to render it."""
    index = {name: i for i, name in enumerate((*TICKET_LIST_COLUMNS, "ci_ids", "clock_list"))}
    plan = []
    for name in TICKET_FIELDS:
        if name in _RELATIONS:
            plan.append((name, index[f"{name}_id"], "plain"))
        elif name in _DATETIMES:
            plan.append((name, index[name], "datetime"))
        elif name == "cis":
            plan.append((name, index["ci_ids"], "plain"))
        elif name == "sla":
            plan.append((name, index["clock_list"], "sla"))
        else:
            plan.append((name, index[name], "plain"))
    return tuple(plan)


_LIST_PLAN = _list_plan()


def ticket_list_data(rows) -> list[dict]:
    """The API list representation of ``ticket_list_rows`` rows: exactly what
    ``TicketSerializer`` gives for the same tickets (a test holds them equal), without building
    model instances or running DRF fields one by one; lists are the hot path of SPEC 8."""
    tz = timezone.get_current_timezone()
    data = []
    for row in rows:
        item = {}
        for name, position, kind in _LIST_PLAN:
            if kind == "plain":
                item[name] = row[position]
            elif kind == "datetime":
                value = row[position]
                item[name] = _iso(value, tz) if value is not None else None
            else:
                item[name] = [_clock(clock, tz) for clock in row[position]]
        data.append(item)
    return data


def _clock(clock: dict, tz) -> dict:
    """A clock object of a row as ``SlaClockSerializer`` renders it."""
    due_at = json_instant(clock["due_at"])
    if due_at:
        due_at = _iso(due_at, tz)
    return {
        "target": clock["target"],
        "kind": clock["kind"],
        "party": clock["party_id"],
        "state": clock["state"],
        "due_at": due_at or None,
    }


def _iso(value, tz) -> str:
    """DRF's ISO 8601 rendering of an aware datetime in the current timezone."""
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def ticket_detail_data(row, *, request=None) -> dict:
    """The API representation of one ``ticket_detail_rows`` row: exactly what
    ``TicketDetailSerializer`` gives (a test holds them equal)."""
    [data] = ticket_list_data([row])
    data["watchers"] = row[len(TICKET_LIST_COLUMNS) + 2]
    data["description_html"] = str(render_markdown(data["description"]))
    allowed = TRANSITIONS[data["status"]]
    data["allowed_transitions"] = [status for status in Status.values if status in allowed]
    path = reverse("ticket-detail", kwargs={"pk": data["id"]})
    data["url"] = request.build_absolute_uri(path) if request else path
    return data


class TicketDetailSerializer(TicketSerializer):
    """One ticket: the list fields plus what a single ticket can afford (the schema and the
    reference rendering; responses are built by ``ticket_detail_data``)."""

    description_html = serializers.SerializerMethodField(
        help_text=_("The description rendered from Markdown and sanitized.")
    )
    allowed_transitions = serializers.ListField(
        child=serializers.ChoiceField(choices=Status.choices),
        read_only=True,
        help_text=_("Statuses the workflow allows next."),
    )
    url = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TICKET_FIELDS, "watchers", "description_html", "allowed_transitions", "url"]
        read_only_fields = fields

    def get_description_html(self, ticket) -> str:
        return str(render_markdown(ticket.description))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, ticket) -> str:
        path = reverse("ticket-detail", kwargs={"pk": ticket.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


READ_ONLY_TICKET_FIELDS = (
    "id",
    "number",
    "priority",
    "created_at",
    "updated_at",
    "resolved_at",
    "version",
    "sla",
    "engagement",
    "source",
    "first_response_at",
    "closed_at",
    "reopen_count",
    "watchers",
    "description_html",
    "allowed_transitions",
    "url",
)


class TicketCreateSerializer(StrictInput):
    """A new ticket. Without ``team`` the responsibility matrix routes it. ``requester`` is the
    caller unless internal staff name someone else."""

    read_only_names = (*READ_ONLY_TICKET_FIELDS, "status", "pending_reason", "resolution")

    type = serializers.ChoiceField(choices=TicketType.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX, help_text=_("Markdown.")
    )
    impact = serializers.ChoiceField(choices=Level.choices, required=False)
    urgency = serializers.ChoiceField(choices=Level.choices, required=False)
    functional_area = serializers.ChoiceField(choices=FunctionalArea.choices)
    support_level = serializers.ChoiceField(choices=SupportLevel.choices, required=False)
    team = VisibleIdField(model=Team, required=False, allow_null=True)
    assignee = AssigneeField(required=False, allow_null=True)
    requester = RequesterField(
        required=False, help_text=_("Internal staff only; the caller by default.")
    )
    cis = IdListField(required=False, help_text=_("Affected configuration item ids."))

    def validate_requester(self, requester):
        viewer = viewer_for(self.context["request"].user)
        if not (viewer.is_admin or (viewer.is_internal and not viewer.is_requester)):
            raise serializers.ValidationError(_("Only internal staff open tickets for others."))
        return requester


class TicketUpdateSerializer(StrictInput):
    """Changes to a ticket (PATCH). ``status`` moves it along the workflow: ``pending`` takes a
    ``pending_reason``, ``resolved`` a ``resolution``. ``team`` within the same organization
    (another organization's team is a handoff)."""

    read_only_names = (*READ_ONLY_TICKET_FIELDS, "type", "requester")

    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX, help_text=_("Markdown.")
    )
    impact = serializers.ChoiceField(choices=Level.choices, required=False)
    urgency = serializers.ChoiceField(choices=Level.choices, required=False)
    functional_area = serializers.ChoiceField(choices=FunctionalArea.choices, required=False)
    support_level = serializers.ChoiceField(choices=SupportLevel.choices, required=False)
    cis = IdListField(required=False, help_text=_("Affected configuration item ids (all of them)."))
    team = VisibleIdField(model=Team, required=False, allow_null=True)
    assignee = AssigneeField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    pending_reason = serializers.ChoiceField(
        choices=PendingReason.choices, required=False, help_text=_("With status pending.")
    )
    resolution = serializers.CharField(
        required=False, max_length=TEXT_MAX, help_text=_("With status resolved (required).")
    )
    resolution_code = serializers.ChoiceField(
        choices=ResolutionCode.choices, required=False, help_text=_("With status resolved.")
    )

    FIELD_NAMES = (
        "title",
        "description",
        "impact",
        "urgency",
        "functional_area",
        "support_level",
        "cis",
    )
    ASSIGNMENT_NAMES = ("team", "assignee")
    TRANSITION_NAMES = ("pending_reason", "resolution", "resolution_code")

    def service_arguments(self) -> dict:
        """The validated data split the way ``ticket_edit`` takes it."""
        data = self.validated_data
        transition = {name: data[name] for name in self.TRANSITION_NAMES if name in data}
        if "status" in data:
            transition["to"] = data["status"]
        return {
            "fields": {name: data[name] for name in self.FIELD_NAMES if name in data},
            "assignment": {name: data[name] for name in self.ASSIGNMENT_NAMES if name in data},
            "transition": transition,
        }


class HandoffSerializer(serializers.ModelSerializer):
    """A handoff to another organization's team and its answer."""

    checklist = ChecklistField(read_only=True)

    class Meta:
        model = Handoff
        fields = [
            "id",
            "ticket",
            "from_team",
            "to_team",
            "from_organization",
            "to_organization",
            "status",
            "summary",
            "checklist",
            "created_by",
            "created_at",
            "responded_by",
            "responded_at",
            "reject_reason",
        ]
        read_only_fields = fields


class HandoffCreateSerializer(StrictInput):
    team = VisibleIdField(model=Team, help_text=_("A team of another organization."))
    summary = serializers.CharField(max_length=TEXT_MAX)
    checklist = ChecklistField(required=False, allow_null=True)


class EmptyInputSerializer(StrictInput):
    """No body, or an empty object (accept, watch, unwatch)."""


class HandoffRejectSerializer(StrictInput):
    reason = serializers.CharField(max_length=TEXT_MAX)


# --- Activity ------------------------------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer):
    body_html = serializers.SerializerMethodField(
        help_text=_("The body rendered from Markdown and sanitized.")
    )
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id",
            "ticket",
            "author",
            "author_name",
            "author_organization",
            "visibility",
            "body",
            "body_html",
            "created_at",
        ]
        read_only_fields = fields

    def get_body_html(self, comment) -> str:
        return str(render_markdown(comment.body))

    def get_author_name(self, comment) -> str:
        return comment.author.get_full_name() or comment.author.get_username()


class CommentCreateSerializer(StrictInput):
    body = serializers.CharField(help_text=_("Markdown."))
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        required=False,
        help_text=_(
            "public (the requester reads it), shared (every organization on the ticket)"
            " or internal (your organization only). Default: internal; public for requesters."
        ),
    )


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "ticket",
            "comment",
            "filename",
            "size",
            "content_type",
            "visibility",
            "uploaded_by",
            "uploader_organization",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment) -> str:
        path = reverse(
            "ticket-attachment-download",
            kwargs={"ticket_pk": attachment.ticket_id, "att_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class AttachmentCreateSerializer(StrictInput):
    file = serializers.FileField(allow_empty_file=False, use_url=False)
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        required=False,
        help_text=_("As for comments. Default: internal; public for requesters."),
    )
    comment = VisibleIdField(
        model=Comment, required=False, allow_null=True, help_text=_("A comment of this ticket.")
    )


class WorkLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkLog
        fields = [
            "id",
            "ticket",
            "author",
            "author_organization",
            "performed_at",
            "minutes",
            "description",
            "billable",
            "created_at",
        ]
        read_only_fields = fields


class WorkLogCreateSerializer(StrictInput):
    minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    description = serializers.CharField(max_length=TEXT_MAX)
    billable = serializers.BooleanField(required=False, default=False)
    performed_at = serializers.DateTimeField(required=False, help_text=_("Default: now."))


class TicketLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketLink
        fields = ["id", "source", "kind", "target", "created_by", "created_at"]
        read_only_fields = fields


class TicketLinkCreateSerializer(StrictInput):
    target = VisibleIdField(model=Ticket)
    kind = serializers.ChoiceField(choices=LinkKind.choices)


class HistoryEventSerializer(serializers.Serializer):
    """One audit event of the ticket, as far as the reader may know of it."""

    id = serializers.IntegerField()
    at = serializers.DateTimeField(source="created_at")
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    actor_organization = serializers.IntegerField(source="actor_organization_id", allow_null=True)
    action = serializers.CharField()
    before = serializers.DictField(allow_null=True)
    after = serializers.DictField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
