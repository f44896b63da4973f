"""Jobs of the outbound webhooks: one delivery attempt, and the sweep that resends deliveries
whose scheduled retry was lost. Thin, keyed by ids, safe to run twice (escalation.webhooks
claims each attempt before posting)."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

log = logging.getLogger(__name__)

# A retry overdue by this much has lost its job (a broker restart, a killed worker).
OVERDUE_GRACE = dt.timedelta(minutes=2)


@shared_task(acks_late=True)
def webhook_deliver_task(delivery_id: int) -> str:
    """Try the delivery once; on a retryable failure schedule the next try at its backoff time.

    Retries are new jobs with an ETA, not ``self.retry``: the delivery row (attempts,
    ``next_attempt_at``) is the state, so an eager run, a duplicate job or a lost one cannot
    post twice or loop — an early job finds the delivery not due and stops."""
    from escalation.webhooks import webhook_deliver

    outcome = webhook_deliver(delivery_id=delivery_id)
    if outcome.retry_at is not None:
        schedule_retry(delivery_id, outcome.retry_at)
    return outcome.result


def schedule_retry(delivery_id: int, at: dt.datetime) -> None:
    try:
        webhook_deliver_task.apply_async(args=[delivery_id], eta=at, retry=False)
    except Exception as error:  # noqa: BLE001 - the sweep resends it once the broker is back
        log.warning("webhook delivery %s: retry not scheduled (%s)", delivery_id, error)


@shared_task(acks_late=True)
def webhook_retry_sweep_task() -> int:
    """Resend pending deliveries whose retry is overdue; returns how many were sent."""
    from escalation.webhooks import deliveries_overdue

    overdue = deliveries_overdue(now=timezone.now(), grace=OVERDUE_GRACE)
    for delivery_id in overdue:
        schedule_retry(delivery_id, timezone.now())
    return len(overdue)
