"""Domain events of tickets: what SLA clocks, escalation and notifications listen to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cogest.events import DomainEvent


@dataclass(frozen=True)
class TicketEvent(DomainEvent):
    ticket_id: int
    actor_id: int | None


@dataclass(frozen=True)
class TicketCreated(TicketEvent):
    name = "ticket.created"
    team_id: int | None
    priority: int
    routed_by_rule_id: int | None = None
    # What clocks need to start without reading the ticket again.
    ticket_type: str = ""
    engagement_id: int | None = None
    team_organization_id: int | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class TicketStatusChanged(TicketEvent):
    name = "ticket.status_changed"
    before: str
    after: str
    pending_reason: str = ""
    reopened: bool = False


@dataclass(frozen=True)
class TicketAssigned(TicketEvent):
    name = "ticket.assigned"
    team_before: int | None
    team_after: int | None
    assignee_before: int | None
    assignee_after: int | None


@dataclass(frozen=True)
class TicketPriorityChanged(TicketEvent):
    name = "ticket.priority_changed"
    before: int
    after: int


@dataclass(frozen=True)
class TicketUpdated(TicketEvent):
    name = "ticket.updated"
    fields: tuple[str, ...]


@dataclass(frozen=True)
class TicketHandedOff(TicketEvent):
    name = "ticket.handed_off"
    handoff_id: int
    from_team_id: int | None
    to_team_id: int
    to_organization_id: int


@dataclass(frozen=True)
class HandoffAccepted(TicketEvent):
    name = "handoff.accepted"
    handoff_id: int
    team_id: int


@dataclass(frozen=True)
class HandoffRejected(TicketEvent):
    name = "handoff.rejected"
    handoff_id: int
    back_to_team_id: int | None


@dataclass(frozen=True)
class CommentAdded(TicketEvent):
    name = "comment.added"
    comment_id: int
    visibility: str
    author_organization_id: int
    first_response: bool = False


@dataclass(frozen=True)
class WorkLogged(TicketEvent):
    name = "worklog.added"
    worklog_id: int
    minutes: int


@dataclass(frozen=True)
class AttachmentAdded(TicketEvent):
    name = "attachment.added"
    attachment_id: int
    visibility: str
