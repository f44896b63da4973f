"""Several changes to one ticket at once (an API PATCH, a full edit form): all or nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tickets.choices import Status
from tickets.models import Ticket

from .common import lock_ticket
from .tickets import _UNSET, ticket_assign, ticket_transition, ticket_update


@transaction.atomic
def ticket_edit(
    *,
    ticket: Ticket | int,
    by,
    expected_version: int | None = None,
    fields: Mapping[str, Any] | None = None,
    assignment: Mapping[str, Any] | None = None,
    transition: Mapping[str, Any] | None = None,
) -> Ticket:
    """Apply descriptive ``fields`` (``ticket_update``), an ``assignment`` (``team`` and/or
    ``assignee``, ``ticket_assign``) and a ``transition`` (``to`` plus ``pending_reason``,
    ``resolution``, ``resolution_code``, ``ticket_transition``) in one transaction.

    Each step is the usual service, with its checks, audit event and domain events; if one
    refuses, nothing is saved. The version is checked once, before the first step. Fields and
    assignment go first, then the workflow move (assign, then start); a ticket that is no longer
    open moves first (a reopen), so that it can then be edited and reassigned. A transition to
    the status the ticket already has is no move at all.
    """
    fields, assignment = dict(fields or {}), dict(assignment or {})
    transition = {k: v for k, v in (transition or {}).items() if v not in ("", None)}
    locked = lock_ticket(ticket=ticket, by=by, expected_version=expected_version)
    to = transition.pop("to", None)
    if to == locked.status and not transition:
        to = None
    if to is None and transition:
        name = sorted(transition)[0]
        raise ValidationError({name: [_("This field goes with a change of status.")]})
    if to is not None and to != Status.PENDING and transition.get("pending_reason"):
        raise ValidationError({"pending_reason": [_("Only a pending ticket waits for a reason.")]})
    if to is not None and to != Status.RESOLVED:
        for name in ("resolution", "resolution_code"):
            if transition.get(name):
                raise ValidationError({name: [_("Only a resolved ticket has a resolution.")]})
    reopen_first = to is not None and not locked.is_open
    if reopen_first:
        ticket_transition(ticket=locked.pk, by=by, to=to, **transition)
    if fields:
        ticket_update(ticket=locked.pk, by=by, **fields)
    if assignment:
        ticket_assign(
            ticket=locked.pk,
            by=by,
            team=assignment.get("team", _UNSET),
            assignee=assignment.get("assignee", _UNSET),
        )
    if to is not None and not reopen_first:
        ticket_transition(ticket=locked.pk, by=by, to=to, **transition)
    return Ticket.objects.get(pk=locked.pk)
