"""Jobs of the CMDB. Thin, keyed by ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from cmdb.importing import import_run

# The runbooks' review job lives beside the runbooks; the worker learns it here (autodiscovery
# reads this module only).
from cmdb.tasks_runbooks import runbook_review_tasks_task  # noqa: F401


@shared_task(acks_late=True)
def cmdb_import_task(job_id: int) -> str:
    """Run a confirmed import. A job already done or failed, or running on another worker, is
    left alone; one whose worker died is taken over (``cmdb.importing.import_run``). Returns the
    status the job was left in."""
    return import_run(job_id).status
