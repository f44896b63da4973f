"""Domain events run their subscribers inside the transaction; jobs leave through the outbox
after commit, and survive a broker outage."""

import datetime as dt
import os
import time
from dataclasses import dataclass

import pytest
from celery import Celery
from django.db import transaction
from kombu.exceptions import OperationalError

from cogest import events, outbox
from cogest.models import Organization, OutboxMessage


@dataclass(frozen=True)
class Happened(events.DomainEvent):
    name = "test.happened"
    value: int


@dataclass(frozen=True)
class HappenedLoudly(Happened):
    name = "test.happened_loudly"


@pytest.fixture
def calls():
    seen: list[tuple[str, int]] = []

    def first(event):
        seen.append(("first", event.value))

    def second(event):
        seen.append(("second", event.value))

    events.subscribe(Happened, first)
    events.subscribe(Happened, second)
    events.subscribe(Happened, first)  # idempotent
    yield seen
    events.unsubscribe(Happened, first)
    events.unsubscribe(Happened, second)


def test_subscribers_run_in_registration_order_once_each(calls):
    events.publish(Happened(value=1))
    assert calls == [("first", 1), ("second", 1)]


def test_subscribers_of_a_base_event_hear_its_subclasses(calls):
    events.publish(HappenedLoudly(value=2))
    assert calls == [("first", 2), ("second", 2)]


def test_a_failing_subscriber_rolls_the_change_back(db):
    def boom(event):
        raise RuntimeError("consequence failed")

    events.subscribe(Happened, boom)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            Organization.objects.create(name="Temp", slug="temp", kind="provider")
            events.publish(Happened(value=3))
    finally:
        events.unsubscribe(Happened, boom)
    assert not Organization.objects.filter(slug="temp").exists()


@pytest.fixture
def sent(monkeypatch):
    """Record what reaches the broker instead of sending it."""
    log: list[tuple[str, list, dict]] = []

    def fake_send_task(name, args=None, kwargs=None, **options):
        log.append((name, args, kwargs))

    monkeypatch.setattr(outbox.current_app, "send_task", fake_send_task)
    return log


def test_enqueued_job_reaches_the_broker_only_after_commit(transactional_db, sent):
    with transaction.atomic():
        message = outbox.enqueue("cogest.tasks.audit_probe_task", "m1")
        assert sent == []
    assert sent == [("cogest.tasks.audit_probe_task", ["m1"], {})]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1


def test_rolled_back_job_is_neither_recorded_nor_sent(transactional_db, sent):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        outbox.enqueue("cogest.tasks.audit_probe_task", "m2")
        1 / 0  # noqa: B018
    assert sent == []
    assert OutboxMessage.objects.count() == 0


def test_broker_outage_keeps_the_job_and_the_flush_sends_it_later(
    transactional_db, monkeypatch, sent
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis: Connection refused")

    # given the broker is down when the change commits
    with monkeypatch.context() as down:
        down.setattr(outbox.current_app, "send_task", broker_down)
        with transaction.atomic():
            Organization.objects.create(name="Kept", slug="kept", kind="provider")
            message = outbox.enqueue("cogest.tasks.audit_probe_task", "m3")
    # then the change is saved and the job waits
    assert Organization.objects.filter(slug="kept").exists()
    message.refresh_from_db()
    assert message.sent_at is None and "Connection refused" in message.last_error
    # when the broker is back, the flush sends it exactly once
    assert outbox.flush(older_than=dt.timedelta(0)) == 1
    assert outbox.flush(older_than=dt.timedelta(0)) == 0
    assert sent == [("cogest.tasks.audit_probe_task", ["m3"], {})]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set: no Redis setup")
def test_an_unreachable_redis_fails_fast_instead_of_hanging_the_request(
    transactional_db, monkeypatch, settings
):
    # The project's Redis broker settings, pointed at a closed port: the send gives up at once.
    unreachable = Celery("unreachable")
    unreachable.config_from_object("django.conf:settings", namespace="CELERY")
    unreachable.conf.broker_url = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(outbox, "current_app", unreachable)
    started = time.monotonic()
    with transaction.atomic():
        message = outbox.enqueue("cogest.tasks.audit_probe_task", "m4")
    elapsed = time.monotonic() - started
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1
    assert elapsed < 5, f"the send blocked for {elapsed:.1f}s"
