"""Read side of tickets: lists, one ticket, its timeline and its history, always restricted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, JSONField, OuterRef, Prefetch, QuerySet, Value

from cogest.expressions import JsonFields, RowsAsList
from cogest.models import AuditEvent
from cogest.querysets import viewer_for
from tickets.models import Attachment, Comment, Handoff, Ticket, WorkLog

TICKET_LIST_QUERYSET = Ticket.objects.select_related("team__organization", "assignee", "requester")
TICKET_DETAIL_QUERYSET = Ticket.objects.select_related(
    "team__organization", "assignee", "requester", "engagement__provider", "created_by"
).prefetch_related("cis__ci_class", "watchers")

# Ticket audit actions that carry no content a reader could be denied (fields, workflow).
OPEN_HISTORY_ACTIONS = frozenset(
    {
        "ticket.created",
        "ticket.updated",
        "ticket.assigned",
        "ticket.status_changed",
        "ticket.handed_off",
        "handoff.accepted",
        "handoff.rejected",
        "ticket.linked",
        "ticket.unlinked",
        "decision.recorded",
    }
)
CONTENT_ACTIONS = frozenset({"comment.added", "attachment.added"})


def ticket_list_for_user(*, user) -> QuerySet[Ticket]:
    return TICKET_LIST_QUERYSET.restrict(user, "view")


def ticket_list_rows(tickets: QuerySet[Ticket], columns: tuple[str, ...], *, user) -> QuerySet:
    """Rows (tuples) of ``tickets`` for an API list: ``columns``, the ids of the affected CIs,
    then the SLA clocks ``user`` may read (dicts), in one query: a page of 200 tickets is still
    one round trip."""
    return tickets.annotate(
        ci_ids=_related_ids(Ticket.cis, "configurationitem_id"), clock_list=_clocks(user)
    ).values_list(*columns, "ci_ids", "clock_list")


def ticket_detail_rows(tickets: QuerySet[Ticket], columns: tuple[str, ...], *, user) -> QuerySet:
    """``ticket_list_rows`` plus the watchers' ids: one ticket in one query."""
    return tickets.annotate(
        ci_ids=_related_ids(Ticket.cis, "configurationitem_id"),
        clock_list=_clocks(user),
        watcher_ids=_related_ids(Ticket.watchers, "user_id"),
    ).values_list(*columns, "ci_ids", "clock_list", "watcher_ids")


CLOCK_FIELDS = ("target", "kind", "party_id", "state", "due_at")


def visible_clocks(user) -> QuerySet | None:
    """The SLA clocks ``user`` may read (``ticket.clocks``, a reverse relation the SLA app adds,
    through its ``restrict``); ``None`` while no app provides them. tickets/ never imports sla/:
    lists, filters, the API and prefetches all reach the clocks through here."""
    try:
        relation = Ticket._meta.get_field("clocks")
    except FieldDoesNotExist:
        return None
    return relation.related_model._default_manager.restrict(user, "view")


def clock_rows(user, fields: tuple[str, ...]):
    """Each ticket's clocks ``user`` may read as JSON objects of ``fields``, oldest first, in
    the tickets' own query (``Value([])`` while no app provides clocks)."""
    clocks = visible_clocks(user)
    if clocks is None:
        return Value([], output_field=JSONField())
    return RowsAsList(
        clocks.filter(ticket_id=OuterRef("pk"))
        .order_by("started_at", "id")
        .values(value=JsonFields(**{name: name for name in fields}))
    )


def _clocks(user):
    """The clocks of the API's ``sla`` field: ``{target, kind, party_id, state, due_at}``."""
    return clock_rows(user, CLOCK_FIELDS)


def _related_ids(relation, column: str) -> RowsAsList:
    """The ids on the far side of a ticket's many-to-many ``relation``, ascending."""
    return RowsAsList(
        relation.through.objects.filter(ticket_id=OuterRef("pk"))
        .order_by(column)
        .values(value=F(column))
    )


def ticket_queue_for_user(*, user) -> QuerySet[Ticket]:
    """My open tickets."""
    return ticket_list_for_user(user=user).open().filter(assignee=user)


def ticket_team_queue_for_user(*, user) -> QuerySet[Ticket]:
    """Open, unassigned tickets of my teams."""
    return ticket_list_for_user(user=user).open().filter(team__members=user, assignee__isnull=True)


def handoffs_waiting_for(*, user) -> QuerySet[Handoff]:
    """Handoffs my organization must answer."""
    viewer = viewer_for(user)
    return (
        Handoff.objects.restrict(user, "view")
        .filter(status="pending", to_organization_id=viewer.organization_id)
        .select_related("ticket", "to_team", "from_team", "created_by", "from_organization")
        .order_by("created_at")
    )


def handoffs_waiting_on_others(*, user) -> QuerySet[Handoff]:
    """Handoffs my organization sent that the other side has not answered yet."""
    viewer = viewer_for(user)
    return (
        Handoff.objects.restrict(user, "view")
        .filter(status="pending", from_organization_id=viewer.organization_id)
        .select_related("ticket", "to_team__organization", "created_by")
        .order_by("created_at")
    )


def teams_for_ticket(*, ticket: Ticket, user) -> tuple[list, list]:
    """Active teams the user sees, split in two: those of the organization that holds the
    ticket (reassignment stays there) and the others (handoff targets)."""
    from cogest.selectors import team_list_for_user

    owner = ticket.team.organization_id if ticket.team_id else viewer_for(user).organization_id
    teams = list(team_list_for_user(user=user).filter(is_active=True))
    return (
        [t for t in teams if t.organization_id == owner],
        [t for t in teams if t.organization_id != owner],
    )


def ticket_get_for_user(*, user, pk) -> Ticket:
    return TICKET_DETAIL_QUERYSET.restrict(user, "view").get(pk=pk)


def _readable(viewer, event: AuditEvent) -> bool:
    if event.action in OPEN_HISTORY_ACTIONS:
        return True
    after = event.after or {}
    if event.action in CONTENT_ACTIONS:
        visibility = after.get("visibility")
        if viewer.is_admin:
            return True
        if viewer.is_requester:
            return visibility == "public"
        return visibility in ("public", "shared") or (
            visibility == "internal" and event.actor_organization_id == viewer.organization_id
        )
    if event.action in ("sla.warning", "sla.breached"):
        # A provider reads the end-to-end clocks and its own, never another party's.
        return (
            viewer.is_admin
            or (viewer.is_internal and not viewer.is_requester)
            or (
                viewer.is_provider
                and (after.get("kind") == "sla" or after.get("party") == viewer.organization_id)
            )
        )
    if event.action in ("escalation.fired", "escalation.failed"):
        return not viewer.is_requester
    if event.action == "worklog.added":
        return (
            viewer.is_admin
            or viewer.is_internal
            or (not viewer.is_requester and event.actor_organization_id == viewer.organization_id)
        )
    return viewer.is_admin or (viewer.is_internal and not viewer.is_requester)


def ticket_history(*, ticket: Ticket, user) -> list[AuditEvent]:
    """The ticket's audit events the reader may see (no trace of content hidden from them)."""
    viewer = viewer_for(user)
    events = (
        AuditEvent.objects.filter(object_type="tickets.ticket", object_id=str(ticket.pk))
        .select_related("actor_organization")
        .order_by("id")
    )
    return [event for event in events if _readable(viewer, event)]


@dataclass
class TimelineEntry:
    """One line of the ticket timeline."""

    kind: str  # comment, attachment, worklog, handoff, event
    at: dt.datetime
    obj: Any = None
    data: dict = field(default_factory=dict)


def ticket_timeline(*, ticket: Ticket, user) -> list[TimelineEntry]:
    """Comments, attachments, work logs, handoffs and workflow events, oldest first; a fixed
    number of queries whatever the ticket holds."""
    entries: list[TimelineEntry] = []
    comments = (
        Comment.objects.restrict(user, "view")
        .filter(ticket=ticket)
        .select_related("author", "author_organization")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.restrict(user)))
    )
    entries += [TimelineEntry("comment", c.created_at, c) for c in comments]
    attachments = (
        Attachment.objects.restrict(user, "view")
        .filter(ticket=ticket, comment__isnull=True)
        .select_related("uploaded_by")
    )
    entries += [TimelineEntry("attachment", a.created_at, a) for a in attachments]
    worklogs = (
        WorkLog.objects.restrict(user, "view")
        .filter(ticket=ticket)
        .select_related("author", "author_organization")
    )
    entries += [TimelineEntry("worklog", w.performed_at, w) for w in worklogs]
    handoffs = (
        Handoff.objects.restrict(user, "view")
        .filter(ticket=ticket)
        .select_related("from_team", "to_team__organization", "created_by", "responded_by")
    )
    for handoff in handoffs:
        entries.append(TimelineEntry("handoff", handoff.created_at, handoff))
        if handoff.responded_at:
            entries.append(
                TimelineEntry(f"handoff_{handoff.status}", handoff.responded_at, handoff)
            )
    for event in ticket_history(ticket=ticket, user=user):
        if event.action in CONTENT_ACTIONS or event.action in {
            "worklog.added",
            "ticket.handed_off",
            "handoff.accepted",
            "handoff.rejected",
        }:
            continue  # shown through their own objects above
        entries.append(TimelineEntry("event", event.created_at, event))
    entries.sort(key=lambda entry: (entry.at, entry.kind != "event"))
    return entries


def attachment_get_for_user(*, user, pk, ticket=None) -> Attachment:
    """One attachment ``user`` may download (``DoesNotExist`` otherwise, a 404): the API and the
    web UI serve files through this one rule."""
    attachments = Attachment.objects.restrict(user, "view")
    if ticket is not None:
        attachments = attachments.filter(ticket_id=getattr(ticket, "pk", ticket))
    return attachments.get(pk=pk)


def ticket_clocks_prefetch(*, user) -> Prefetch | None:
    """The ticket's SLA clocks ``user`` may read, prefetched (``None`` without the SLA app)."""
    clocks = visible_clocks(user)
    if clocks is None:
        return None
    return Prefetch("clocks", queryset=clocks.order_by("started_at", "id"))


def ticket_api_prefetches(*, user, detail: bool = False) -> list[Prefetch]:
    """What the API representation of tickets reads, one query per relation whatever the page
    size: CI ids, SLA clocks and, for one ticket, the watchers."""
    from django.contrib.auth import get_user_model

    from cmdb.models import ConfigurationItem

    prefetches = [Prefetch("cis", queryset=ConfigurationItem.objects.only("pk").order_by("pk"))]
    clocks = ticket_clocks_prefetch(user=user)
    if clocks is not None:
        prefetches.append(clocks)
    if detail:
        users = get_user_model().objects.only("pk").order_by("pk")
        prefetches.append(Prefetch("watchers", queryset=users))
    return prefetches
