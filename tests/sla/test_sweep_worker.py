"""The SLA sweep on real Celery workers over Redis (issue 6 acceptance): a warning and a breach are
recorded exactly once when ``sla_sweep_task`` is delivered twice in a row and when two deliveries
run at the same time on two workers.

Like tests/test_celery_worker.py, the workers are ``celery -A cogest worker`` subprocesses on a
queue of this run only, reading the test database (committed data: ``transactional_db``).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from collections import Counter
from contextlib import ExitStack

import pytest
import time_machine
from django.utils import timezone

from tests.test_celery_worker import WAIT_SECONDS, celery_worker

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="REDIS_URL is not set: no Redis broker to test against",
    ),
]


def seed_overdue_p1():
    """The demo core and SLA policies, and a P1 created a day ago: every clock of it (response
    15 min, resolution 4 h and the OLA's 3 h, all 24x7) has its warning and breach due."""
    from cogest.demo import seed
    from sla.demo import seed_policies
    from sla.models import Clock
    from tickets.services import ticket_create

    world = seed()
    seed_policies(world)
    with time_machine.travel(timezone.now() - dt.timedelta(days=1), tick=False):
        ticket = ticket_create(
            by=world.users["ana"],
            type="incident",
            title="Payroll down",
            functional_area="systems",
            impact="high",
            urgency="high",
        )
    assert ticket.priority == 1
    clocks = list(Clock.objects.filter(ticket=ticket))
    assert {c.target for c in clocks} >= {"response", "resolution"}
    assert all(c.next_event_at is not None and c.next_event_at <= timezone.now() for c in clocks)
    return ticket, clocks


def wait_for_notices(ticket, count: int, timeout: float) -> int:
    from sla.models import SlaNotice

    deadline = time.monotonic() + timeout
    found = 0
    while time.monotonic() < deadline:
        found = SlaNotice.objects.filter(ticket=ticket).count()
        if found >= count:
            return found
        time.sleep(0.1)
    return found


def wait_until_ready(workers: list[str], timeout: float) -> None:
    """Both workers answer a ping: each is consuming, so two messages go one to each."""
    from celery import current_app

    deadline = time.monotonic() + timeout
    answered: set[str] = set()
    while time.monotonic() < deadline:
        replies = current_app.control.ping(destination=workers, timeout=0.5) or []
        answered |= {name for reply in replies for name in reply}
        if answered >= set(workers):
            return
    pytest.fail(f"workers not ready after {timeout} s: {sorted(set(workers) - answered)}")


def tasks_run_by(workers: list[str]) -> dict[str, int]:
    from celery import current_app

    stats = current_app.control.inspect(destination=workers, timeout=2).stats() or {}
    return {
        name: stats.get(name, {}).get("total", {}).get("sla.tasks.sla_sweep_task", 0)
        for name in workers
    }


def assert_recorded_exactly_once(ticket, clocks, sent) -> list[int]:
    """Each (clock, kind) notice once, one audit event per notice (written by one of the
    deliveries), every clock breached, the audit chain intact, and the deliveries' results add up
    to the notices recorded. Returns the results, in the order sent."""
    from cogest.models import AuditEvent
    from cogest.services import audit_verify
    from sla.models import Clock, SlaNotice

    expected = 2 * len(clocks)  # a warning and a breach per clock
    assert wait_for_notices(ticket, expected, WAIT_SECONDS) == expected, "notices never recorded"
    results = [result.get(timeout=WAIT_SECONDS) for result in sent]
    for result in sent:
        result.forget()

    notices = Counter(
        SlaNotice.objects.filter(ticket=ticket).values_list("clock_id", "kind").order_by()
    )
    assert notices == {(c.pk, k): 1 for c in clocks for k in ("warning", "breached")}
    audited = AuditEvent.objects.filter(
        action__in=["sla.warning", "sla.breached"], object_id=str(ticket.pk)
    )
    assert Counter((e.after["clock"], e.action) for e in audited) == {
        (c.pk, f"sla.{k}"): 1 for c in clocks for k in ("warning", "breached")
    }
    assert {e.request_id for e in audited} <= {f"task:{result.id}" for result in sent}
    assert sum(results) == expected, results
    assert set(Clock.objects.filter(ticket=ticket).values_list("state", flat=True)) == {"breached"}
    assert audit_verify().ok
    return results


def test_a_sweep_delivered_twice_records_each_notice_once(transactional_db):
    from sla.tasks import sla_sweep_task

    ticket, clocks = seed_overdue_p1()
    run = uuid.uuid4().hex[:12]
    queue = f"cogest-test-sla-{run}"
    with celery_worker(queue, name=f"sla-{run}") as worker:
        # the same job twice in a row, as a redelivery after a lost acknowledgement would
        sent = [sla_sweep_task.apply_async(queue=queue) for _ in range(2)]

        results = assert_recorded_exactly_once(ticket, clocks, sent)
        assert results == [2 * len(clocks), 0]  # one worker, in order: the second finds none
        assert worker.poll() is None, "the worker died"


def test_two_sweeps_at_once_on_two_workers_record_each_notice_once(transactional_db):
    from sla.tasks import sla_sweep_task

    ticket, clocks = seed_overdue_p1()
    run = uuid.uuid4().hex[:12]
    queue = f"cogest-test-sla-{run}"
    names = [f"sla-{run}-{n}" for n in (1, 2)]
    nodes = [f"{name}@{socket.gethostname()}" for name in names]
    with ExitStack() as stack:
        workers = [stack.enter_context(celery_worker(queue, name=name)) for name in names]
        wait_until_ready(nodes, WAIT_SECONDS)

        # two deliveries at once: each idle worker takes one (prefetch 1, acks late)
        sent = [sla_sweep_task.apply_async(queue=queue) for _ in range(2)]

        assert_recorded_exactly_once(ticket, clocks, sent)
        assert tasks_run_by(nodes) == {node: 1 for node in nodes}
        assert all(worker.poll() is None for worker in workers), "a worker died"
