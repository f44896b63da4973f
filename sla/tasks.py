"""Periodic jobs of the SLA app. Thin, idempotent, safe to run twice or at once."""

from __future__ import annotations

from celery import shared_task

from sla.services import sweep


@shared_task(acks_late=True)
def sla_sweep_task() -> int:
    """Record the warnings and breaches that are due (each once, whatever the redeliveries)."""
    return sweep()
