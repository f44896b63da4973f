"""The SLA sweep (SPEC 2.4 timers): only due clocks are read, each warning and breach is recorded
once — whatever the redeliveries and however many sweeps run at once — and published."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from cogest.events import subscribe, unsubscribe
from cogest.models import AuditEvent
from sla.demo import seed_policies
from sla.events import SlaBreached, SlaWarning
from sla.models import Clock, SlaNotice
from sla.services import sweep
from tickets.services import ticket_create

MADRID = ZoneInfo("Europe/Madrid")


def madrid(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MADRID)


def p1(users, n=1):
    return [
        ticket_create(
            by=users["ana"],
            type="incident",
            title=f"Payroll down {i}",
            functional_area="systems",
            impact="high",
            urgency="high",
        )
        for i in range(n)
    ]


@pytest.fixture
def published():
    seen = []
    subscribe(SlaWarning, seen.append)
    subscribe(SlaBreached, seen.append)
    yield seen
    unsubscribe(SlaWarning, seen.append)
    unsubscribe(SlaBreached, seen.append)


@pytest.mark.django_db
def test_warning_then_breach_each_once(demo, users, published):
    seed_policies(demo)
    with time_machine.travel(madrid(2026, 11, 30, 9, 0), tick=False):
        [ticket] = p1(users)
    response = Clock.objects.get(ticket=ticket, target="response")
    assert sweep(now=madrid(2026, 11, 30, 9, 11)) == 0  # 11 min: not yet 75 %
    assert sweep(now=madrid(2026, 11, 30, 9, 12)) == 1  # the warning, only the response clock
    response.refresh_from_db()
    assert response.warned_at == madrid(2026, 11, 30, 9, 11, 15)
    assert response.next_event_at == madrid(2026, 11, 30, 9, 15)
    assert sweep(now=madrid(2026, 11, 30, 9, 12)) == 0  # again: nothing new
    assert sweep(now=madrid(2026, 11, 30, 9, 16)) == 1  # the breach
    response.refresh_from_db()
    assert response.state == "breached" and response.next_event_at is None
    assert response.breached_at == madrid(2026, 11, 30, 9, 15)
    assert sweep(now=madrid(2026, 11, 30, 9, 30)) == 0
    notices = SlaNotice.objects.filter(clock=response)
    assert sorted(notices.values_list("kind", flat=True)) == ["breached", "warning"]
    assert [type(e).__name__ for e in published] == ["SlaWarning", "SlaBreached"]
    assert published[1].ticket_id == ticket.pk and published[1].target == "response"
    audited = AuditEvent.objects.filter(action__startswith="sla.", object_id=str(ticket.pk))
    assert sorted(audited.values_list("action", flat=True)) == ["sla.breached", "sla.warning"]


@pytest.mark.django_db
def test_a_late_sweep_records_warning_and_breach_together(demo, users, published):
    seed_policies(demo)
    with time_machine.travel(madrid(2026, 11, 30, 9, 0), tick=False):
        [ticket] = p1(users)
    # Four hours later every clock of the P1 is past due (response 15 min, OLA 3 h).
    recorded = sweep(now=madrid(2026, 11, 30, 13, 30))
    assert recorded == 6  # warning + breach × (response, resolution, OLA)
    assert len(published) == 6
    assert Clock.objects.filter(ticket=ticket, state="breached").count() == 3


@pytest.mark.django_db
def test_the_sweep_reads_only_due_clocks(demo, users):
    """Cost grows with due clocks, not with open tickets: the same queries for 1 or 30 open
    tickets when none is due."""
    seed_policies(demo)
    with time_machine.travel(madrid(2026, 11, 30, 9, 0), tick=False):
        p1(users, 1)
    sweep(now=madrid(2026, 11, 30, 9, 1))  # warm caches
    with CaptureQueriesContext(connection) as few:
        assert sweep(now=madrid(2026, 11, 30, 9, 1)) == 0
    with time_machine.travel(madrid(2026, 11, 30, 9, 0), tick=False):
        p1(users, 30)
    with CaptureQueriesContext(connection) as many:
        assert sweep(now=madrid(2026, 11, 30, 9, 1)) == 0
    assert len(few.captured_queries) == len(many.captured_queries)
    select = [q["sql"] for q in many.captured_queries if "sla_clock" in q["sql"]]
    assert select and all("next_event_at" in sql for sql in select)


@pytest.mark.django_db
def test_a_redelivered_breach_is_not_recorded_twice(demo, users, published):
    """The unique (clock, kind) constraint is the last word: a notice already there is skipped
    and not published again, even when the clock row says otherwise."""
    seed_policies(demo)
    with time_machine.travel(madrid(2026, 11, 30, 9, 0), tick=False):
        [ticket] = p1(users)
    sweep(now=madrid(2026, 11, 30, 9, 16))
    assert len(published) == 2
    # A job that had read the clock before the first sweep committed, replayed.
    Clock.objects.filter(ticket=ticket, target="response").update(
        warned_at=None, breached_at=None, state="running", next_event_at=madrid(2026, 11, 30, 9, 0)
    )
    assert sweep(now=madrid(2026, 11, 30, 9, 16)) == 0
    assert len(published) == 2
    assert SlaNotice.objects.filter(clock__ticket=ticket).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_record_each_breach_once(demo, users):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SKIP LOCKED between two connections")
    seed_policies(demo)
    with time_machine.travel(madrid(2026, 11, 30, 9, 0), tick=False):
        tickets = p1(users, 40)
    results, errors = [], []
    barrier = threading.Barrier(3)

    def run():
        try:
            barrier.wait()
            results.append(sweep(now=madrid(2026, 11, 30, 13, 30), batch_size=7))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    expected = len(tickets) * 3 * 2  # three clocks each, a warning and a breach
    assert sum(results) == expected
    assert SlaNotice.objects.count() == expected
