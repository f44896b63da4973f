"""A real Celery worker on Redis: delivery after commit, nothing sent on rollback, results back.

The test starts ``celery -A cogest worker`` as a subprocess on a queue of its own, pointed at the
test database (committed data: ``transactional_db``), and sends ``audit_probe_task`` through Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, transaction

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="REDIS_URL is not set: no Redis broker to test against",
    ),
]

REPO_ROOT = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 30
STOP_SECONDS = 15


class Rollback(Exception):
    pass


def worker_database_url() -> str:
    """A DATABASE_URL for the test database this test process uses (as the worker must)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        path = Path(db["NAME"])
        assert path.is_absolute(), f"the worker cannot share an in-memory database: {path}"
        return f"sqlite:///{path}"
    assert connection.vendor == "postgresql", connection.vendor
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{quote(db['NAME'], safe='')}"


def wait_for_probe(marker: str, timeout: float) -> bool:
    from cogest.models import AuditEvent

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if AuditEvent.objects.filter(action="system.probe", object_repr=marker).exists():
            return True
        time.sleep(0.2)
    return False


def stop_worker(worker: subprocess.Popen) -> None:
    """Warm shutdown with SIGTERM; SIGKILL if it is still there after STOP_SECONDS."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)


def forget_queue(queue: str) -> None:
    """Remove the run's queue and kombu's routing tables for it from Redis (the queue's exchange
    has the queue's name: ``apply_async(queue=...)`` creates both)."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.zrem("_kombu.binding_deadlines", queue)
    finally:
        client.close()


@contextmanager
def celery_worker(queue: str, name: str) -> Iterator[subprocess.Popen]:
    """A worker process on ``queue``, reading the test database; its output is printed if the
    block fails, and it is stopped (SIGTERM, then SIGKILL) whatever happens."""
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "cogest",
        "worker",
        "--pool",
        "solo",
        "--concurrency",
        "1",
        "-l",
        "info",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"{name}@%h",
        "-Q",
        queue,
    ]
    with tempfile.TemporaryFile("w+", prefix="celery-worker-", suffix=".log") as log:
        worker = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        try:
            yield worker
            stop_worker(worker)
            assert worker.returncode == 0, f"the worker exited with {worker.returncode}"
        except BaseException:
            stop_worker(worker)
            log.seek(0)
            print(f"--- celery worker output ({' '.join(command)}) ---\n{log.read()}")
            raise
        finally:
            stop_worker(worker)
            forget_queue(queue)


def test_task_sent_on_commit_runs_on_a_real_worker_and_rollback_sends_nothing(transactional_db):
    from cogest.models import AuditEvent
    from cogest.services import audit_verify
    from cogest.tasks import audit_probe_task

    # given: a worker on a queue of this run only (leftovers of other runs never reach it)
    run = uuid.uuid4().hex[:12]
    queue = f"cogest-test-{run}"
    committed, rolled_back = f"probe-commit-{run}", f"probe-rollback-{run}"
    sent = {}
    with celery_worker(queue, name=f"test-{run}") as worker:
        # when: one dispatch inside a transaction that commits...
        with transaction.atomic():
            transaction.on_commit(
                lambda: sent.setdefault(
                    committed, audit_probe_task.apply_async(args=[committed], queue=queue)
                )
            )
        # ...and one inside a transaction that is rolled back
        with pytest.raises(Rollback), transaction.atomic():
            transaction.on_commit(
                lambda: sent.setdefault(
                    rolled_back, audit_probe_task.apply_async(args=[rolled_back], queue=queue)
                )
            )
            raise Rollback

        # then: the committed one runs on the worker, writes its event and returns its result
        assert list(sent) == [committed]
        assert wait_for_probe(committed, WAIT_SECONDS), "the worker never wrote the probe event"
        assert sent[committed].get(timeout=WAIT_SECONDS) == committed
        sent[committed].forget()
        event = AuditEvent.objects.get(action="system.probe", object_repr=committed)
        assert event.actor_label == "system:probe"
        assert event.object_id == sent[committed].id
        assert worker.poll() is None, "the worker died"
        # the rolled-back one never reaches the worker
        assert not wait_for_probe(rolled_back, 2)
        assert not AuditEvent.objects.filter(object_repr=rolled_back).exists()
    # and the trail is still one unbroken chain
    assert audit_verify().ok
