"""Jobs of the KPI reviews: the monthly preparation and the owners' notification. Thin, keyed by
ids, safe to run twice (a unique constraint per engagement and period; a sent-at mark per review).

Registered under ``sla.tasks.*`` names, so beat entries and the outbox name them where the other
SLA jobs live; the worker imports this module through ``CELERY_IMPORTS`` (or ``sla/tasks.py``).
"""

from __future__ import annotations

import logging

from celery import shared_task

from sla.reviews import kpi_review_notify, kpi_reviews_prepare_due

log = logging.getLogger(__name__)


@shared_task(name="sla.tasks.prepare_kpi_reviews", acks_late=True)
def prepare_kpi_reviews() -> list[int]:
    """Prepare each active engagement's review of its last finished period, if missing; the
    owners are emailed after commit (monthly beat job)."""
    created = kpi_reviews_prepare_due()
    if created:
        log.info("Prepared %d KPI review(s): %s", len(created), created)
    return created


@shared_task(
    name="sla.tasks.kpi_review_notify",
    bind=True,
    acks_late=True,
    max_retries=5,
    retry_backoff=True,
)
def kpi_review_notify_task(self, review_id: int) -> int:
    """Email both owners of a review's engagement that it is ready (once per review)."""
    try:
        return kpi_review_notify(review_id=review_id)
    except OSError as exc:  # the mail server is down or refused: try again later
        raise self.retry(exc=exc) from exc
