"""Send Celery jobs after commit, reliably: ``enqueue`` records the job with the change; the
broker gets it right after commit, or from ``outbox_flush`` once the broker is back.

Tasks must be idempotent (keyed by ids): a job can reach the broker twice when a send succeeded
but marking it sent did not.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import current_app
from django.db import transaction
from django.utils import timezone

from cogest.models.outbox import OutboxMessage

log = logging.getLogger(__name__)


def enqueue(task_name: str, *args, queue: str = "", **kwargs) -> OutboxMessage:
    """Record a job in the current transaction and send it once the transaction commits."""
    message = OutboxMessage.objects.create(
        task_name=task_name, args=list(args), kwargs=kwargs, queue=queue
    )
    transaction.on_commit(lambda: send(message.pk))
    return message


def send(message_id: int) -> bool:
    """Hand one recorded job to the broker; on a broker error keep it for the flush job."""
    message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return False
    options = {"queue": message.queue} if message.queue else {}
    try:
        # retry=False: with the broker down, fail fast; the web request must not hang on it.
        current_app.send_task(
            message.task_name, args=message.args, kwargs=message.kwargs, retry=False, **options
        )
    except Exception as exc:  # noqa: BLE001 - any broker failure: keep the job for later
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=message.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        log.warning("Broker unavailable; job %s kept in the outbox: %s", message.pk, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=timezone.now(), attempts=message.attempts + 1, last_error=""
    )
    return True


def flush(*, older_than: dt.timedelta = dt.timedelta(seconds=30), limit: int = 500) -> int:
    """Send jobs whose after-commit send failed (or whose process died before sending)."""
    cutoff = timezone.now() - older_than
    pending = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in pending if send(pk))


def purge(*, older_than: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Forget sent jobs after a week."""
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=timezone.now() - older_than).delete()
    return deleted
