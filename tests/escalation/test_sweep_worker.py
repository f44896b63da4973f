"""The escalation sweep on real Celery workers over Redis (issue 7 acceptance): a rule fires once
per occasion when ``escalation_sweep_task`` is delivered twice and when two deliveries run at
the same time on two workers — its actions (a priority raised by one step, a notification) are
done once, not twice."""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from contextlib import ExitStack

import pytest
import time_machine
from django.utils import timezone

from tests.sla.test_sweep_worker import wait_until_ready
from tests.test_celery_worker import WAIT_SECONDS, celery_worker

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="REDIS_URL is not set: no Redis broker to test against",
    ),
]


def unassigned_ticket_and_rule():
    """A P3 ticket nobody took two hours ago, and a rule: unassigned for 30 minutes → raise
    the priority and tell the team lead."""
    from cogest.demo import seed
    from escalation.models import EscalationRule
    from tickets.services import ticket_create

    world = seed()
    EscalationRule.objects.create(
        name="Unassigned for 30 min",
        trigger="unassigned_for",
        minutes=30,
        raise_priority=True,
        notify=["team_lead"],
    )
    with time_machine.travel(timezone.now() - dt.timedelta(hours=2), tick=False):
        ticket = ticket_create(
            by=world.users["ana"], type="incident", title="Printer offline",
            functional_area="devices", impact="medium", urgency="medium",
        )  # fmt: skip
    assert ticket.priority == 3 and ticket.assignee_id is None
    return ticket


def assert_fired_once(ticket, sent) -> list[int]:
    from cogest.models import AuditEvent
    from cogest.services import audit_verify
    from escalation.models import EscalationEvent, Notification

    results = [result.get(timeout=WAIT_SECONDS) for result in sent]
    for result in sent:
        result.forget()
    assert EscalationEvent.objects.filter(ticket=ticket).count() == 1
    ticket.refresh_from_db()
    assert ticket.priority == 2  # raised once: twice would have made it a P1
    assert Notification.objects.filter(ticket=ticket).count() == 1
    fired = AuditEvent.objects.filter(action="escalation.fired", object_id=str(ticket.pk))
    assert fired.count() == 1
    assert audit_verify().ok
    assert sorted(results) == [0, 1], results
    return results


def test_an_escalation_sweep_delivered_twice_fires_once(transactional_db):
    from escalation.tasks import escalation_sweep_task

    ticket = unassigned_ticket_and_rule()
    run = uuid.uuid4().hex[:12]
    queue = f"cogest-test-esc-{run}"
    with celery_worker(queue, name=f"esc-{run}") as worker:
        sent = [escalation_sweep_task.apply_async(queue=queue) for _ in range(2)]
        assert assert_fired_once(ticket, sent) == [1, 0]
        assert worker.poll() is None, "the worker died"


def test_two_escalation_sweeps_at_once_fire_once(transactional_db):
    from escalation.tasks import escalation_sweep_task

    ticket = unassigned_ticket_and_rule()
    run = uuid.uuid4().hex[:12]
    queue = f"cogest-test-esc-{run}"
    names = [f"esc-{run}-{n}" for n in (1, 2)]
    nodes = [f"{name}@{socket.gethostname()}" for name in names]
    with ExitStack() as stack:
        workers = [stack.enter_context(celery_worker(queue, name=name)) for name in names]
        wait_until_ready(nodes, WAIT_SECONDS)
        sent = [escalation_sweep_task.apply_async(queue=queue) for _ in range(2)]
        assert_fired_once(ticket, sent)
        assert all(worker.poll() is None for worker in workers), "a worker died"
