import datetime as dt

import time_machine
from django.utils import timezone

from cogest.models import AuditEvent
from tickets.models import Ticket
from tickets.services import ticket_transition
from tickets.services.autoclose import ticket_autoclose
from tickets.tasks import ticket_autoclose_task


def test_resolved_tickets_close_after_the_reopen_window_once(
    working_ticket, new_ticket, users, settings
):
    settings.TICKET_REOPEN_DAYS = 7
    old = ticket_transition(
        ticket=working_ticket, by=users["ana"], to="resolved", resolution="Done"
    )
    fresh = new_ticket(assignee=users["ana"])
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        fresh = ticket_transition(ticket=fresh, by=users["ana"], to="in_progress")
        fresh = ticket_transition(ticket=fresh, by=users["ana"], to="resolved", resolution="ok")
        assert ticket_autoclose() == 1
        assert ticket_autoclose_task() == 0  # idempotent: nothing left
    assert Ticket.objects.get(pk=old.pk).status == "closed"
    assert Ticket.objects.get(pk=fresh.pk).status == "resolved"
    event = AuditEvent.objects.get(action="ticket.status_changed", actor_label="system:autoclose")
    assert event.after == {"status": "closed"}
