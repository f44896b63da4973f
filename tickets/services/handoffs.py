"""Handoffs between organizations: checklist and summary out, accept or reject back."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cogest.events import publish
from cogest.models import Team
from cogest.querysets import viewer_for
from cogest.services import audit_record
from tickets import events
from tickets.choices import HandoffStatus, Status
from tickets.models import Handoff, Ticket

from .common import bump, lock_ticket, start_holding
from .tickets import engagement_for

CHECKLIST_KEYS = ("steps_tried", "evidence", "affected_cis", "impact")


def _clean_checklist(checklist) -> dict:
    if checklist in (None, ""):
        return {}
    if not isinstance(checklist, dict):
        raise ValidationError({"checklist": [_("The checklist is an object.")]})
    unknown = sorted(set(checklist) - set(CHECKLIST_KEYS))
    if unknown:
        raise ValidationError(
            {
                "checklist": [
                    _("Unknown checklist items: %(items)s. Use: %(known)s.")
                    % {"items": ", ".join(unknown), "known": ", ".join(CHECKLIST_KEYS)}
                ]
            }
        )
    clean = {}
    for key, value in checklist.items():
        if isinstance(value, list):
            value = [str(v)[:500] for v in value][:50]
        elif not isinstance(value, str | int | float | bool) and value is not None:
            raise ValidationError(
                {"checklist": [_("“%(key)s” must be text or a list.") % {"key": key}]}
            )
        clean[key] = value
    return clean


@transaction.atomic
def ticket_handoff(
    *,
    ticket: Ticket | int,
    by,
    team: Team,
    summary: str,
    checklist=None,
    expected_version: int | None = None,
) -> Handoff:
    """Hand a ticket to another organization's team (SPEC 2.2). The team holds it at once (so
    it can read it), waiting for its acceptance; a rejection sends it back. With
    ``expected_version``, a ticket changed since it was read is refused (``StaleVersion``)."""
    ticket = lock_ticket(ticket=ticket, by=by, expected_version=expected_version)
    if not ticket.is_open:
        raise ValidationError({"status": [_("Only open tickets can be handed off.")]})
    summary = (summary or "").strip()
    if not summary:
        raise ValidationError({"summary": [_("Summarize the ticket for the receiving team.")]})
    checklist = _clean_checklist(checklist)
    if not Team.objects.restrict(by, "view").filter(pk=team.pk, is_active=True).exists():
        raise ValidationError({"team": [_("Unknown or inactive team.")]})
    from_team = ticket.team
    from_org_id = from_team.organization_id if from_team else viewer_for(by).organization_id
    if team.organization_id == from_org_id:
        raise ValidationError(
            {"team": [_("That team is in the same organization: reassign the ticket instead.")]}
        )
    if Handoff.objects.filter(ticket=ticket, status=HandoffStatus.PENDING).exists():
        raise ValidationError({"team": [_("A handoff of this ticket is already waiting.")]})
    # A handoff is a functional escalation: the ticket rises to the receiving team's level.
    levels = team.support_levels or [ticket.support_level]
    level = ticket.support_level if ticket.support_level in levels else levels[0]
    engagement = engagement_for(team, area=ticket.functional_area, level=level, strict=True)
    if not team.organization.is_internal and engagement is None:
        message = _("No active engagement of %(provider)s covers %(area)s at %(level)s.") % {
            "provider": team.organization.name,
            "area": ticket.get_functional_area_display(),
            "level": level,
        }
        raise ValidationError({"team": [message]})
    handoff = Handoff.objects.create(
        ticket=ticket,
        from_team=from_team,
        to_team=team,
        from_organization_id=from_org_id,
        to_organization_id=team.organization_id,
        summary=summary,
        checklist=checklist,
        created_by=by,
    )
    before = {
        "team": ticket.team_id,
        "assignee": ticket.assignee_id,
        "engagement": ticket.engagement_id,
        "support_level": ticket.support_level,
    }
    ticket.team, ticket.assignee, ticket.engagement = team, None, engagement
    ticket.support_level = level
    bump(ticket, ["team", "assignee", "engagement", "support_level"])
    start_holding(ticket, team, at=handoff.created_at)
    audit_record(
        actor=by,
        action="ticket.handed_off",
        obj=ticket,
        before=before,
        after={
            "team": team.pk,
            "assignee": None,
            "engagement": ticket.engagement_id,
            "support_level": level,
            "handoff": handoff.pk,
        },
        note=summary,
    )
    publish(
        events.TicketHandedOff(
            ticket_id=ticket.pk,
            actor_id=by.pk,
            handoff_id=handoff.pk,
            from_team_id=from_team.pk if from_team else None,
            to_team_id=team.pk,
            to_organization_id=team.organization_id,
        )
    )
    return handoff


def _pending_handoff(*, ticket: Ticket | int, by) -> tuple[Handoff, Ticket]:
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    if not Ticket.objects.restrict(by, "view").filter(pk=pk).exists():
        raise Ticket.DoesNotExist(f"No visible ticket {pk}.")
    handoff = (
        Handoff.objects.select_for_update()
        .filter(ticket_id=pk, status=HandoffStatus.PENDING)
        .first()
    )
    if handoff is None:
        raise ValidationError({"detail": [_("No handoff of this ticket is waiting.")]})
    if not Handoff.objects.restrict(by, "change").filter(pk=handoff.pk).exists():
        raise PermissionDenied(_("Only the receiving organization answers a handoff."))
    return handoff, Ticket.objects.select_for_update().get(pk=pk)


@transaction.atomic
def handoff_accept(*, ticket: Ticket | int, by) -> Handoff:
    """The receiving side takes the ticket; a member who accepts becomes its assignee."""
    handoff, ticket = _pending_handoff(ticket=ticket, by=by)
    now = timezone.now()
    handoff.status, handoff.responded_by, handoff.responded_at = HandoffStatus.ACCEPTED, by, now
    handoff.save(update_fields=["status", "responded_by", "responded_at"])
    fields = []
    status_before = ticket.status
    if ticket.assignee_id is None and handoff.to_team.members.filter(pk=by.pk).exists():
        ticket.assignee = by
        fields.append("assignee")
        if ticket.status == Status.NEW:
            ticket.status = Status.ASSIGNED
            fields.append("status")
    bump(ticket, fields)
    audit_record(
        actor=by,
        action="handoff.accepted",
        obj=ticket,
        after={"handoff": handoff.pk, "team": handoff.to_team_id, "assignee": ticket.assignee_id},
    )
    publish(
        events.HandoffAccepted(
            ticket_id=ticket.pk, actor_id=by.pk, handoff_id=handoff.pk, team_id=handoff.to_team_id
        )
    )
    if ticket.status != status_before:
        publish(
            events.TicketStatusChanged(
                ticket_id=ticket.pk, actor_id=by.pk, before=status_before, after=ticket.status
            )
        )
    return handoff


@transaction.atomic
def handoff_reject(*, ticket: Ticket | int, by, reason: str) -> Handoff:
    """The receiving side refuses, with a reason; the ticket goes back to the team it came from."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the handoff is rejected.")]})
    handoff, ticket = _pending_handoff(ticket=ticket, by=by)
    now = timezone.now()
    handoff.status, handoff.responded_by, handoff.responded_at = HandoffStatus.REJECTED, by, now
    handoff.reject_reason = reason
    handoff.save(update_fields=["status", "responded_by", "responded_at", "reject_reason"])
    back = handoff.from_team
    before = {"team": ticket.team_id, "assignee": ticket.assignee_id}
    ticket.team, ticket.assignee = back, None
    ticket.engagement = engagement_for(
        back, area=ticket.functional_area, level=ticket.support_level
    )
    bump(ticket, ["team", "assignee", "engagement"])
    start_holding(ticket, back, at=now)
    audit_record(
        actor=by,
        action="handoff.rejected",
        obj=ticket,
        before=before,
        after={"handoff": handoff.pk, "team": ticket.team_id},
        note=reason,
    )
    publish(
        events.HandoffRejected(
            ticket_id=ticket.pk,
            actor_id=by.pk,
            handoff_id=handoff.pk,
            back_to_team_id=ticket.team_id,
        )
    )
    return handoff
