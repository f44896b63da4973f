"""The runbooks' daily job: a review task for each runbook whose review date has come (SPEC 2.6).

Thin and safe to run twice or at once: the work is chosen by the current state (runbooks whose
date passed without a task for that date) and a unique constraint (runbook, date) makes each
task happen once, whatever the redeliveries.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from cmdb.runbooks import runbook_review_tasks_due

log = logging.getLogger(__name__)


@shared_task(name="cmdb.tasks_runbooks.runbook_review_tasks_task", acks_late=True)
def runbook_review_tasks_task() -> list[int]:
    """Create the review tasks that are due today (in the installation's timezone)."""
    created = runbook_review_tasks_due(today=timezone.localdate())
    if created:
        log.info("Created %d runbook review task(s): %s", len(created), created)
    return created
