"""Resolved tickets close by themselves once the reopen window has passed."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cogest.events import publish
from cogest.services import audit_record
from tickets import events
from tickets.choices import Status
from tickets.models import Ticket

from .tickets import reopen_window


def ticket_autoclose(*, now=None, limit: int = 500) -> int:
    """Close resolved tickets whose reopen window has passed; cost grows with the tickets due
    (an index on status and resolved_at), each closed in its own short transaction."""
    now = now or timezone.now()
    cutoff = now - reopen_window()
    due = list(
        Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff)
        .order_by("resolved_at")
        .values_list("pk", flat=True)[:limit]
    )
    closed = 0
    for pk in due:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Status.RESOLVED, resolved_at__lt=cutoff)
                .first()
            )
            if ticket is None:  # reopened meanwhile, or another sweep has it
                continue
            ticket.status, ticket.closed_at = Status.CLOSED, now
            ticket.version += 1
            ticket.save(update_fields=["status", "closed_at", "version", "updated_at"])
            audit_record(
                actor=None,
                actor_label="system:autoclose",
                action="ticket.status_changed",
                obj=ticket,
                before={"status": Status.RESOLVED},
                after={"status": Status.CLOSED},
                note="reopen window passed",
            )
            publish(
                events.TicketStatusChanged(
                    ticket_id=ticket.pk, actor_id=None, before=Status.RESOLVED, after=Status.CLOSED
                )
            )
            closed += 1
    return closed
