"""Periodic jobs of the SLA app. Thin, idempotent, safe to run twice or at once."""

from __future__ import annotations

from celery import shared_task

from sla.services import sweep

# The KPI review jobs live beside the reviews; the worker learns them here (autodiscovery reads
# this module only).
from sla.tasks_reviews import kpi_review_notify_task, prepare_kpi_reviews  # noqa: F401


@shared_task(acks_late=True)
def sla_sweep_task() -> int:
    """Record the warnings and breaches that are due (each once, whatever the redeliveries)."""
    return sweep()
