"""CMDB imports on real Celery workers over Redis (issue 5): a confirmed import reaches the worker
through the outbox after commit and runs to the end, chunk by chunk; delivered again it changes
nothing; delivered twice at once to two workers it is imported once.

Like tests/test_celery_worker.py, the workers are ``celery -A cogest worker`` subprocesses on a
queue of this run only, reading the test database (committed data: ``transactional_db``).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from contextlib import ExitStack

import pytest

from tests.sla.test_sweep_worker import wait_until_ready
from tests.test_celery_worker import WAIT_SECONDS, celery_worker

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="REDIS_URL is not set: no Redis broker to test against",
    ),
]

ROWS = 1200  # three chunks of 500


def servers_file(rows: int) -> bytes:
    lines = ["name,asset_tag,os,cpu,internal_owner,relations"]
    for n in range(rows):
        # each server depends on the next one: most relations point forward, to later chunks
        lines.append(f"srv-{n},W-{n},linux,{n % 16 + 1},ivan,depends_on:W-{(n + 1) % rows}")
    return ("\n".join(lines) + "\n").encode()


def previewed_import(mode: str):
    from cmdb.importing import import_preview
    from cogest.demo import seed
    from tests.cmdb.test_importing import make_classes

    world = seed()
    server = make_classes()["server"]
    job = import_preview(
        ci_class=server, filename="servers.csv", content=servers_file(ROWS), mode=mode,
        by=world.users["ivan"],
    )  # fmt: skip
    assert (job.status, job.created_count, job.errors) == ("previewed", ROWS, [])
    return world, job


def wait_until_finished(job_id: int, timeout: float) -> tuple[object, list[tuple[str, int]]]:
    """The job once done or failed, and the (status, rows processed) seen on the way."""
    from cmdb.models import ImportJob

    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if not seen or seen[-1] != (job.status, job.processed_rows):
            seen.append((job.status, job.processed_rows))
        if job.status in ("done", "failed"):
            return job, seen
        time.sleep(0.05)
    pytest.fail(f"import {job_id} not finished after {timeout} s: {seen}")


def imported_state() -> dict:
    from cmdb.models import CIRelation, ConfigurationItem
    from cogest.models import AuditEvent

    return {
        "cis": sorted(ConfigurationItem.objects.values_list("asset_tag", "version")),
        "relations": CIRelation.objects.count(),
        "audit": sorted(
            AuditEvent.objects.filter(action__startswith="ci.").values_list("action", "object_id")
        ),
    }


def assert_imported_once(job) -> None:
    from cmdb.models import CIRelation, ConfigurationItem
    from cogest.models import AuditEvent
    from cogest.services import audit_verify

    assert (job.status, job.created_count, job.processed_rows) == ("done", ROWS, ROWS)
    assert (job.updated_count, job.skipped_count, job.errors) == (0, 0, [])
    assert ConfigurationItem.objects.count() == ROWS
    assert CIRelation.objects.count() == ROWS
    assert AuditEvent.objects.filter(action="ci.imported").count() == ROWS
    assert AuditEvent.objects.filter(action="ci.relation_added").count() == ROWS
    assert audit_verify().ok


def test_a_confirmed_import_runs_on_a_worker_and_a_second_delivery_changes_nothing(
    transactional_db, monkeypatch
):
    from cmdb.importing import import_confirm
    from cmdb.tasks import cmdb_import_task
    from cogest import outbox
    from cogest.models import OutboxMessage

    # given: a previewed import, and a worker on a queue of this run only
    world, job = previewed_import(mode="skip")
    run = uuid.uuid4().hex[:12]
    queue = f"cogest-test-import-{run}"
    # the outbox sends the confirmed job to this run's queue (instead of the default one)
    enqueue = outbox.enqueue
    monkeypatch.setattr(outbox, "enqueue", lambda name, *args: enqueue(name, *args, queue=queue))
    with celery_worker(queue, name=f"import-{run}") as worker:
        # when: the user confirms; the job leaves through the outbox once that commits
        import_confirm(job=job, by=world.users["ivan"])
        # then: the worker runs it to the end
        job, seen = wait_until_finished(job.pk, WAIT_SECONDS * 2)
        assert_imported_once(job)
        assert OutboxMessage.objects.get(args=[job.pk]).sent_at is not None
        assert seen[-1] == ("done", ROWS)
        assert all(status in ("queued", "running", "done") for status, _rows in seen)
        # when: the same job is delivered again (a redelivery after a lost acknowledgement)
        before = imported_state()
        again = cmdb_import_task.apply_async(args=[job.pk], queue=queue)
        # then: it finds the job done and leaves everything as it was
        assert again.get(timeout=WAIT_SECONDS) == "done"
        again.forget()
        assert imported_state() == before
        assert worker.poll() is None, "the worker died"


def test_an_import_delivered_twice_at_once_to_two_workers_is_imported_once(transactional_db):
    from cmdb.models import ImportJob
    from cmdb.tasks import cmdb_import_task

    world, job = previewed_import(mode="strict")
    # confirmed without the outbox's own delivery: both deliveries are sent below
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    run = uuid.uuid4().hex[:12]
    queue = f"cogest-test-import-{run}"
    names = [f"import-{run}-{n}" for n in (1, 2)]
    nodes = [f"{name}@{socket.gethostname()}" for name in names]
    with ExitStack() as stack:
        workers = [stack.enter_context(celery_worker(queue, name=name)) for name in names]
        wait_until_ready(nodes, WAIT_SECONDS)
        # when: two deliveries at once; each idle worker takes one (prefetch 1, acks late)
        sent = [cmdb_import_task.apply_async(args=[job.pk], queue=queue) for _ in range(2)]
        results = [result.get(timeout=WAIT_SECONDS * 2) for result in sent]
        for result in sent:
            result.forget()
        # then: one of them imported the file; the other left it to the first (and answers
        # the status it found: queued while the first was claiming it, running, or done)
        job, _seen = wait_until_finished(job.pk, WAIT_SECONDS)
        assert_imported_once(job)
        assert "done" in results and set(results) <= {"done", "running", "queued"}, results
        assert all(worker.poll() is None for worker in workers), "a worker died"
