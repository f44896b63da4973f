"""Helpers shared by the ticket services: locking with version checks, holdings, snapshots."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from cogest.models import Team, UserProfile
from tickets.models import Ticket, TicketHolding

from .errors import StaleVersion

User = get_user_model()


def lock_ticket(*, ticket: Ticket | int, by, expected_version: int | None = None) -> Ticket:
    """The ticket row, locked for a change by ``by`` (404 invisible, 403 forbidden, 412 stale)."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    locked = Ticket.objects.lock_for_change(by, pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current=locked.version, expected=expected_version, label=_("Ticket"))
    return locked


def bump(ticket: Ticket, fields: list[str]) -> None:
    ticket.version += 1
    ticket.save(update_fields=[*fields, "version", "updated_at"])


def organization_id_of(user) -> int | None:
    return (
        UserProfile.objects.filter(user_id=user.pk)
        .values_list("organization_id", flat=True)
        .first()
    )


def check_assignee(*, team: Team | None, assignee) -> None:
    """An assignee is a member of the ticket's team (SPEC 2.2)."""
    if assignee is None:
        return
    if team is None:
        raise ValidationError({"assignee": [_("Choose a team before an assignee.")]})
    if not team.members.filter(pk=assignee.pk).exists():
        raise ValidationError(
            {
                "assignee": [
                    _("%(user)s is not a member of %(team)s.")
                    % {"user": assignee.get_username(), "team": team.name}
                ]
            }
        )
    if not assignee.is_active:
        raise ValidationError({"assignee": [_("This person's account is inactive.")]})


def start_holding(ticket: Ticket, team: Team | None, *, at=None, new: bool = False) -> None:
    """Record that ``team`` holds the ticket from now (ending the previous holding; a ``new``
    ticket has none to end)."""
    at = at or timezone.now()
    current = (
        None if new else TicketHolding.objects.filter(ticket=ticket, ended_at__isnull=True).first()
    )
    if current is not None and team is not None and current.team_id == team.pk:
        return
    if current is not None:
        TicketHolding.objects.filter(pk=current.pk).update(ended_at=at)
    if team is not None:
        TicketHolding.objects.create(
            ticket=ticket, team=team, organization_id=team.organization_id, started_at=at
        )


def ticket_snapshot(ticket: Ticket, fields) -> dict:
    """Plain values of some ticket fields for the audit trail (ids for relations)."""
    snapshot = {}
    for name in fields:
        field = Ticket._meta.get_field(name)
        snapshot[name] = getattr(ticket, field.attname)
    return snapshot
