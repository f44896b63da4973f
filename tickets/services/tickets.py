"""Creating tickets, editing their fields, assigning them and moving them along the workflow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb.models import ConfigurationItem
from cogest.choices import FunctionalArea, SupportLevel
from cogest.events import publish
from cogest.models import Engagement, Team
from cogest.querysets import viewer_for
from cogest.services import audit_record
from tickets import events
from tickets.choices import (
    TRANSITIONS,
    Level,
    PendingReason,
    ResolutionCode,
    Source,
    Status,
    priority_for,
)
from tickets.choices import TicketType as Type
from tickets.models import Ticket
from tickets.numbering import next_number
from tickets.routing import Route, route

from .common import bump, check_assignee, lock_ticket, start_holding, ticket_snapshot
from .errors import InvalidTransition

_UNSET = object()
EDITABLE_FIELDS = ("title", "description", "impact", "urgency", "functional_area", "support_level")


def _choice(field: str, value: str, choices) -> str:
    if value not in choices.values:
        raise ValidationError({field: [_("“%(value)s” is not a valid choice.") % {"value": value}]})
    return value


def _visible_cis(by, cis: Iterable) -> list[ConfigurationItem]:
    """The CIs a ticket may link: those the actor can see (an unknown id is an error)."""
    ids = [ci.pk if hasattr(ci, "pk") else int(ci) for ci in cis]
    if not ids:
        return []
    found = list(ConfigurationItem.objects.restrict(by, "view").filter(pk__in=ids))
    missing = sorted(set(ids) - {ci.pk for ci in found})
    if missing:
        raise ValidationError(
            {
                "cis": [
                    _("Unknown configuration items: %(ids)s.")
                    % {"ids": ", ".join(map(str, missing))}
                ]
            }
        )
    return found


def engagement_for(
    team: Team | None, *, area: str, level: str, strict: bool = False
) -> Engagement | None:
    """The engagement under which a provider team works this area and level (``strict``: only
    one whose scope covers them; otherwise the team's first active engagement as a fallback)."""
    if team is None or team.organization.is_internal:
        return None
    engagements = list(Engagement.objects.active().filter(teams=team))
    for engagement in engagements:
        if engagement.covers(area=area, level=level):
            return engagement
    return None if strict else (engagements[0] if engagements else None)


@transaction.atomic
def ticket_create(
    *,
    by,
    type: str,
    title: str,
    functional_area: str,
    description: str = "",
    impact: str = Level.MEDIUM,
    urgency: str = Level.MEDIUM,
    support_level: str = SupportLevel.L1,
    team: Team | None = None,
    assignee=None,
    requester=None,
    cis: Iterable = (),
    source: str = Source.WEB,
    watchers: Iterable = (),
) -> Ticket:
    """Open a ticket; with no team it is routed by the responsibility matrix (SPEC 2.2)."""
    viewer = viewer_for(by)
    if not viewer.is_authenticated:
        raise PermissionDenied(_("Sign in to create tickets."))
    _choice("type", type, Type)
    _choice("functional_area", functional_area, FunctionalArea)
    _choice("support_level", support_level, SupportLevel)
    _choice("impact", impact, Level)
    _choice("urgency", urgency, Level)
    _choice("source", source, Source)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": [_("A ticket needs a title.")]})
    if viewer.is_requester:
        # A requester asks for help; routing and assignment are the technicians' call.
        team, assignee, requester = None, None, by
    elif requester is None:
        requester = by
    if team is not None and not Team.objects.restrict(by, "view").filter(pk=team.pk).exists():
        raise ValidationError({"team": [_("Unknown team.")]})
    if team is not None and not team.is_active:
        raise ValidationError({"team": [_("This team is inactive.")]})
    decided = (
        Route(team=team, engagement=None, reason="team chosen by its creator")
        if team is not None
        else route(functional_area=functional_area, support_level=support_level, ticket_type=type)
    )
    team = decided.team
    check_assignee(team=team, assignee=assignee)
    linked_cis = _visible_cis(by, cis)
    engagement = decided.engagement or engagement_for(
        team, area=functional_area, level=support_level
    )
    ticket = Ticket.objects.create(
        number=next_number(type),
        type=type,
        title=title[:200],
        description=description or "",
        status=Status.ASSIGNED if assignee else Status.NEW,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency),
        functional_area=functional_area,
        support_level=support_level,
        team=team,
        assignee=assignee,
        requester=requester,
        engagement=engagement,
        source=source,
        created_by=by,
    )
    if linked_cis:
        ticket.cis.set(linked_cis)
    watchers = list(watchers)
    if watchers:
        ticket.watchers.set(watchers)
    start_holding(ticket, team, at=ticket.created_at, new=True)
    audit_record(
        actor=by,
        action="ticket.created",
        obj=ticket,
        after={
            **ticket_snapshot(
                ticket,
                [
                    "type",
                    "status",
                    "priority",
                    "team",
                    "assignee",
                    "functional_area",
                    "support_level",
                    "engagement",
                ],
            ),
            "cis": [ci.pk for ci in linked_cis],
        },
        note=f"routing: {decided.reason}",
    )
    publish(
        events.TicketCreated(
            ticket_id=ticket.pk,
            actor_id=by.pk,
            team_id=ticket.team_id,
            priority=ticket.priority,
            routed_by_rule_id=decided.rule_id,
            ticket_type=ticket.type,
            engagement_id=ticket.engagement_id,
            team_organization_id=team.organization_id if team is not None else None,
            created_at=ticket.created_at,
        )
    )
    return ticket


@transaction.atomic
def ticket_update(
    *, ticket: Ticket | int, by, expected_version: int | None = None, cis=_UNSET, **changes
) -> Ticket:
    """Edit the descriptive fields of a ticket; priority follows impact and urgency."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
    ticket = lock_ticket(ticket=ticket, by=by, expected_version=expected_version)
    choices = {
        "impact": Level,
        "urgency": Level,
        "functional_area": FunctionalArea,
        "support_level": SupportLevel,
    }
    for name, value in changes.items():
        if name in choices:
            _choice(name, value, choices[name])
        if name == "title" and not (value or "").strip():
            raise ValidationError({"title": [_("A ticket needs a title.")]})
    changed = [name for name, value in changes.items() if getattr(ticket, name) != value]
    before = ticket_snapshot(ticket, [*changed, "priority"])
    for name in changed:
        setattr(ticket, name, changes[name].strip() if name == "title" else changes[name])
    old_priority = ticket.priority
    ticket.priority = priority_for(ticket.impact, ticket.urgency)
    cis_changed = False
    if cis is not _UNSET:
        new_cis = _visible_cis(by, cis)
        old_ids = set(ticket.cis.values_list("pk", flat=True))
        if old_ids != {ci.pk for ci in new_cis}:
            ticket.cis.set(new_cis)
            before["cis"], cis_changed = sorted(old_ids), True
    if not changed and not cis_changed:
        return ticket
    bump(ticket, [*changed, "priority"])
    after = ticket_snapshot(ticket, [*changed, "priority"])
    if cis_changed:
        after["cis"] = sorted(ci.pk for ci in new_cis)
    if old_priority == ticket.priority:
        before.pop("priority"), after.pop("priority")
    audit_record(actor=by, action="ticket.updated", obj=ticket, before=before, after=after)
    publish(events.TicketUpdated(ticket_id=ticket.pk, actor_id=by.pk, fields=tuple(sorted(after))))
    if old_priority != ticket.priority:
        publish(
            events.TicketPriorityChanged(
                ticket_id=ticket.pk, actor_id=by.pk, before=old_priority, after=ticket.priority
            )
        )
    return ticket


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket | int, by, team=_UNSET, assignee=_UNSET, expected_version: int | None = None
) -> Ticket:
    """Give a ticket to a team of the same organization and/or a member of it.

    Moving it to another organization is a handoff (``ticket_handoff``). Assigning a person to a
    new ticket moves it to ``assigned``.
    """
    ticket = lock_ticket(ticket=ticket, by=by, expected_version=expected_version)
    if not ticket.is_open:
        raise ValidationError(
            {"status": [_("Closed, resolved or cancelled tickets cannot be reassigned.")]}
        )
    new_team = ticket.team if team is _UNSET else team
    new_assignee = ticket.assignee if assignee is _UNSET else assignee
    if team is not _UNSET and team != ticket.team:
        if team is None:
            raise ValidationError({"team": [_("A ticket that has a team keeps one.")]})
        if not Team.objects.restrict(by, "view").filter(pk=team.pk, is_active=True).exists():
            raise ValidationError({"team": [_("Unknown or inactive team.")]})
        if ticket.team is not None and team.organization_id != ticket.team.organization_id:
            raise ValidationError(
                {
                    "team": [
                        _("That team belongs to another organization: hand the ticket off instead.")
                    ]
                }
            )
        if assignee is _UNSET:
            new_assignee = None
    check_assignee(team=new_team, assignee=new_assignee)
    if new_team == ticket.team and new_assignee == ticket.assignee:
        return ticket
    before = ticket_snapshot(ticket, ["team", "assignee", "status"])
    ticket.team, ticket.assignee = new_team, new_assignee
    fields = ["team", "assignee"]
    if new_team is not None and new_team.pk != before["team"]:
        ticket.engagement = engagement_for(
            new_team, area=ticket.functional_area, level=ticket.support_level
        )
        fields.append("engagement")
        start_holding(ticket, new_team)
    status_before = ticket.status
    if new_assignee is not None and ticket.status == Status.NEW:
        ticket.status = Status.ASSIGNED
        fields.append("status")
    bump(ticket, fields)
    audit_record(
        actor=by,
        action="ticket.assigned",
        obj=ticket,
        before=before,
        after=ticket_snapshot(ticket, ["team", "assignee", "status"]),
    )
    publish(
        events.TicketAssigned(
            ticket_id=ticket.pk,
            actor_id=by.pk,
            team_before=before["team"],
            team_after=ticket.team_id,
            assignee_before=before["assignee"],
            assignee_after=ticket.assignee_id,
        )
    )
    if ticket.status != status_before:
        publish(
            events.TicketStatusChanged(
                ticket_id=ticket.pk, actor_id=by.pk, before=status_before, after=ticket.status
            )
        )
    return ticket


def reopen_window() -> dt.timedelta:
    return dt.timedelta(days=settings.TICKET_REOPEN_DAYS)


@transaction.atomic
def ticket_transition(
    *,
    ticket: Ticket | int,
    by,
    to: str,
    pending_reason: str = "",
    resolution: str = "",
    resolution_code: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Move a ticket along the workflow (SPEC 2.2), record why, and tell the listeners."""
    ticket = lock_ticket(ticket=ticket, by=by, expected_version=expected_version)
    current = ticket.status
    if to not in Status.values:
        raise ValidationError({"status": [_("“%(value)s” is not a status.") % {"value": to}]})
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(current=current, requested=to)
    now = timezone.now()
    reopened = current == Status.RESOLVED and to == Status.IN_PROGRESS
    fields = ["status"]
    if to == Status.ASSIGNED and ticket.assignee_id is None:
        raise InvalidTransition(
            current=current, requested=to, reason=_("Assign the ticket to someone first.")
        )
    if to == Status.IN_PROGRESS and ticket.assignee_id is None:
        if ticket.team is not None and ticket.team.members.filter(pk=by.pk).exists():
            ticket.assignee = by  # whoever starts the work takes it
            fields.append("assignee")
        else:
            raise InvalidTransition(
                current=current, requested=to, reason=_("Assign the ticket to someone first.")
            )
    if to == Status.PENDING:
        if pending_reason not in PendingReason.values:
            raise ValidationError(
                {
                    "pending_reason": [
                        _("Say what the ticket waits for: %(choices)s.")
                        % {"choices": ", ".join(PendingReason.values)}
                    ]
                }
            )
        ticket.pending_reason = pending_reason
        fields.append("pending_reason")
    elif ticket.pending_reason:
        ticket.pending_reason = ""
        fields.append("pending_reason")
    if to == Status.RESOLVED:
        if not (resolution or "").strip():
            raise ValidationError({"resolution": [_("Describe the resolution.")]})
        if resolution_code and resolution_code not in ResolutionCode.values:
            raise ValidationError({"resolution_code": [_("Unknown resolution code.")]})
        ticket.resolution = resolution.strip()
        ticket.resolution_code = resolution_code or ResolutionCode.FIXED
        ticket.resolved_at = now
        fields += ["resolution", "resolution_code", "resolved_at"]
    if reopened:
        if ticket.resolved_at and now - ticket.resolved_at > reopen_window():
            raise InvalidTransition(
                current=current,
                requested=to,
                reason=_(
                    "The reopen window (%(days)s days) has passed: open a new ticket and link it."
                )
                % {"days": settings.TICKET_REOPEN_DAYS},
            )
        ticket.reopen_count += 1
        ticket.resolved_at = None
        fields += ["reopen_count", "resolved_at"]
    if to == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    if to == Status.IN_PROGRESS and ticket.first_response_at is None:
        ticket.first_response_at = now
        fields.append("first_response_at")
    ticket.status = to
    bump(ticket, fields)
    audit_record(
        actor=by,
        action="ticket.status_changed",
        obj=ticket,
        before={"status": current},
        after={
            "status": to,
            **({"pending_reason": pending_reason} if to == Status.PENDING else {}),
            **({"resolution_code": ticket.resolution_code} if to == Status.RESOLVED else {}),
        },
        note=resolution.strip() if to == Status.RESOLVED else "",
    )
    publish(
        events.TicketStatusChanged(
            ticket_id=ticket.pk,
            actor_id=by.pk,
            before=current,
            after=to,
            pending_reason=ticket.pending_reason,
            reopened=reopened,
        )
    )
    return ticket
