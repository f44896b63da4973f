"""Periodic jobs of tickets. Thin, idempotent: a rerun finds nothing left to do."""

from celery import shared_task

from tickets.services.autoclose import ticket_autoclose


@shared_task(acks_late=True)
def ticket_autoclose_task() -> int:
    return ticket_autoclose()
