"""Periodic jobs of the core. Thin, keyed by ids, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.management import call_command

from cogest import outbox
from cogest.services import audit_record, audit_verify

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def audit_verify_task() -> dict:
    """Check the audit chain; a broken chain is logged as an error and recorded in the trail."""
    report = audit_verify()
    if not report.ok:
        log.error("Audit chain broken at event %s: %s", report.broken_at, report.reason)
        audit_record(
            actor=None,
            actor_label="system:audit_verify",
            action="audit.chain_broken",
            object_type="cogest.auditevent",
            object_id=str(report.broken_at),
            note=report.reason,
        )
    return {"checked": report.checked, "ok": report.ok, "broken_at": report.broken_at}


@shared_task(acks_late=True)
def login_attempts_cleanup_task() -> None:
    """Forget failed-login records older than 30 days (django-axes keeps them otherwise)."""
    call_command("axes_reset_failure_logs", "--age", "30")


@shared_task(acks_late=True)
def grants_expire_task() -> int:
    """Mark access grants past their end as expired (access already stopped at the end)."""
    from cogest.grants import grant_expire_due

    return grant_expire_due()


@shared_task(acks_late=True)
def outbox_flush_task() -> int:
    """Send jobs that could not reach the broker right after their commit (e.g. Redis was down)."""
    sent = outbox.flush()
    outbox.purge()
    return sent


@shared_task(acks_late=True, bind=True)
def audit_probe_task(self, marker: str) -> str:
    """Write one audit event from a worker: proves broker, worker and database work together."""
    audit_record(
        actor=None,
        actor_label="system:probe",
        action="system.probe",
        object_type="celery.task",
        object_id=self.request.id or "",
        object_repr=marker,
    )
    return marker
