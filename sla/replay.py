"""``manage.py sla_replay``: recompute a ticket's clocks from the event log and compare.

The audit trail holds every ticket change that moves a clock (creation, status changes with their
pending reason, priority changes, assignments, handoffs and their answers, comments). Replaying
it rebuilds the clocks with the same code that built them — the subscribers of ``sla.services``,
at the instants the trail records — inside a savepoint that is always rolled back, so nothing
is changed. Each replayed clock is compared with the stored one; a difference means a clock was
edited by hand, an event went missing, or the rules changed since (a policy edited: the replay
uses today's policies).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from cogest.models import AuditEvent, Team
from sla import engine, services
from sla.businesstime import working_time
from sla.models import Clock
from tickets import events
from tickets.models import Comment, Ticket

# Instants a second apart are the same: the trail records its own time a few milliseconds after
# the change it describes.
TOLERANCE = dt.timedelta(seconds=2)
COMPARED = (
    "state",
    "target_minutes",
    "started_at",
    "due_at",
    "warned_at",
    "breached_at",
    "stopped_at",
    "stop_reason",
    "elapsed_seconds",
)


@dataclass(frozen=True)
class Difference:
    ticket_id: int
    clock: str  # "sla/resolution/3"
    field: str
    stored: object
    replayed: object

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} {self.clock}: {self.field} {self.stored} ≠ {self.replayed}"


def replay_tickets(ticket_ids: Iterable[int], *, now: dt.datetime | None = None):
    """Differences between stored and replayed clocks, ticket by ticket."""
    now = now or timezone.now()
    for ticket_id in ticket_ids:
        yield from replay_ticket(ticket_id, now=now)


def replay_ticket(ticket_id: int, *, now: dt.datetime | None = None) -> list[Difference]:
    now = now or timezone.now()
    stored = _snapshot(ticket_id, now)
    with transaction.atomic():
        savepoint = transaction.savepoint()
        try:
            Clock.objects.filter(ticket_id=ticket_id).delete()
            with _quiet_notices():
                for audit in _trail(ticket_id):
                    _play(ticket_id, audit)
            replayed = _snapshot(ticket_id, now)
        finally:
            transaction.savepoint_rollback(savepoint)
    return _compare(ticket_id, stored, replayed)


def _trail(ticket_id: int):
    return AuditEvent.objects.filter(
        object_type="tickets.ticket", object_id=str(ticket_id)
    ).order_by("id")


class _quiet_notices:
    """No warning or breach is recorded or published while replaying."""

    def __enter__(self):
        self.saved = services.record_notices
        services.record_notices = lambda events, *, source: 0

    def __exit__(self, *exc):
        services.record_notices = self.saved


def _play(ticket_id: int, audit: AuditEvent) -> None:
    """One trail entry as the domain event the services published then, with the ticket's
    fields as they were, at the instant it happened."""
    before, after = audit.before or {}, audit.after or {}
    action = audit.action
    fields: dict = {}
    event = None
    if action == "ticket.created":
        ticket = Ticket.objects.only("created_at").get(pk=ticket_id)
        team = after.get("team")
        fields = {"team_id": team, "engagement_id": after.get("engagement")}
        if "priority" in after:
            fields["priority"] = after["priority"]
        event = events.TicketCreated(
            ticket_id=ticket_id,
            actor_id=audit.actor_id,
            team_id=team,
            priority=after.get("priority", 3),
            ticket_type=after.get("type", ""),
            engagement_id=after.get("engagement"),
            team_organization_id=_organization(team),
            created_at=ticket.created_at,
        )
        at = ticket.created_at
    else:
        at = audit.created_at
    # Only what the subscribers read of the ticket is set back (type, priority, team,
    # engagement); the status travels in the event.
    if action == "ticket.status_changed":
        event = events.TicketStatusChanged(
            ticket_id=ticket_id,
            actor_id=audit.actor_id,
            before=before.get("status", ""),
            after=after["status"],
            pending_reason=after.get("pending_reason", ""),
            reopened=before.get("status") == "resolved" and after["status"] == "in_progress",
        )
    elif action == "ticket.updated" and "priority" in after:
        fields = {"priority": after["priority"]}
        event = events.TicketPriorityChanged(
            ticket_id=ticket_id,
            actor_id=audit.actor_id,
            before=before.get("priority", after["priority"]),
            after=after["priority"],
        )
    elif action == "ticket.assigned" and "team" in after:
        fields = {"team_id": after["team"]}
        event = events.TicketAssigned(
            ticket_id=ticket_id,
            actor_id=audit.actor_id,
            team_before=before.get("team"),
            team_after=after["team"],
            assignee_before=before.get("assignee"),
            assignee_after=after.get("assignee"),
        )
    elif action == "ticket.handed_off":
        fields = {"team_id": after["team"], "engagement_id": after.get("engagement")}
        event = events.TicketHandedOff(
            ticket_id=ticket_id,
            actor_id=audit.actor_id,
            handoff_id=after.get("handoff") or 0,
            from_team_id=before.get("team"),
            to_team_id=after["team"],
            to_organization_id=_organization(after["team"]),
        )
    elif action == "handoff.accepted":
        event = events.HandoffAccepted(
            ticket_id=ticket_id,
            actor_id=audit.actor_id,
            handoff_id=after.get("handoff") or 0,
            team_id=after.get("team"),
        )
    elif action == "handoff.rejected":
        fields = {"team_id": after.get("team")}
        event = events.HandoffRejected(
            ticket_id=ticket_id,
            actor_id=audit.actor_id,
            handoff_id=after.get("handoff") or 0,
            back_to_team_id=after.get("team"),
        )
    elif action == "comment.added":
        event = _comment_event(ticket_id, audit)
    if fields:
        Ticket.objects.filter(pk=ticket_id).update(**fields)
    if event is None:
        return
    token = services.replay_instant.set(at)
    try:
        HANDLERS[type(event)](event)
    finally:
        services.replay_instant.reset(token)


def _comment_event(ticket_id: int, audit: AuditEvent):
    """A comment was the first response when the ticket's first response is its time."""
    comment = Comment.objects.filter(pk=(audit.after or {}).get("comment")).first()
    first = Ticket.objects.filter(pk=ticket_id).values_list("first_response_at", flat=True)[0]
    if comment is None or first is None or comment.created_at != first:
        return None
    return events.CommentAdded(
        ticket_id=ticket_id,
        actor_id=audit.actor_id,
        comment_id=comment.pk,
        visibility=comment.visibility,
        author_organization_id=comment.author_organization_id,
        first_response=True,
    )


HANDLERS = {
    events.TicketCreated: services.on_ticket_created,
    events.TicketStatusChanged: services.on_status_changed,
    events.TicketPriorityChanged: services.on_priority_changed,
    events.TicketAssigned: services.on_assigned,
    events.TicketHandedOff: services.on_handed_off,
    events.HandoffAccepted: services.on_handoff_accepted,
    events.HandoffRejected: services.on_handoff_rejected,
    events.CommentAdded: services.on_comment_added,
}


def _organization(team_id: int | None) -> int | None:
    if team_id is None:
        return None
    return Team.objects.filter(pk=team_id).values_list("organization_id", flat=True).first()


def _snapshot(ticket_id: int, now: dt.datetime) -> dict[str, dict]:
    """The ticket's clocks as of ``now`` (warnings and breaches due by then caught up, as a
    sweep would), keyed by kind/target/party and their order."""
    result: dict[str, dict] = {}
    seen: dict[str, int] = {}
    for clock in Clock.objects.filter(ticket_id=ticket_id).order_by("started_at", "id"):
        engine.fire_due(clock, now=now, wt=working_time(clock.calendar_id))
        base = f"{clock.kind}/{clock.target}/{clock.party_id}"
        seen[base] = seen.get(base, 0) + 1
        result[f"{base}#{seen[base]}"] = {name: getattr(clock, name) for name in COMPARED}
    return result


def _compare(ticket_id: int, stored: dict, replayed: dict) -> list[Difference]:
    differences = []
    for key in sorted(stored.keys() | replayed.keys()):
        mine, theirs = stored.get(key), replayed.get(key)
        if mine is None or theirs is None:
            differences.append(
                Difference(
                    ticket_id, key, "clock", "present" if mine else "missing",
                    "present" if theirs else "missing",
                )
            )  # fmt: skip
            continue
        for name in COMPARED:
            if not _same(mine[name], theirs[name]):
                differences.append(Difference(ticket_id, key, name, mine[name], theirs[name]))
    return differences


def _same(a, b) -> bool:
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return abs(a - b) <= TOLERANCE
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
        return abs(a - b) <= TOLERANCE.total_seconds()
    return a == b
