"""``sla_replay`` rebuilds clocks from the audit trail with the same code and finds any
difference with the stored ones (SPEC 2.4: explainable and replayable)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from cogest.models import Team
from sla.demo import seed_policies
from sla.models import Clock, SlaNotice
from sla.replay import replay_ticket
from tickets.services import (
    comment_add,
    handoff_reject,
    ticket_assign,
    ticket_create,
    ticket_handoff,
    ticket_transition,
    ticket_update,
)

MADRID = ZoneInfo("Europe/Madrid")


def madrid(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MADRID)


@pytest.fixture
def lived(demo, users):
    """A ticket with a full life: response, a handoff rejected, a pause, a priority change,
    resolved and reopened — and a breach on the way."""
    seed_policies(demo)
    ana, pablo = users["ana"], users["pablo"]
    steps = [
        (madrid(2026, 11, 30, 9, 0), lambda t: ticket_create(
            by=ana, type="incident", title="Switch flapping", functional_area="networks",
            impact="high", urgency="medium", requester=users["rita"],
        )),
        (madrid(2026, 11, 30, 9, 10), lambda t: comment_add(
            ticket=t, by=ana, body="Looking into it.", visibility="public"
        )),
        (madrid(2026, 11, 30, 10, 0), lambda t: ticket_handoff(
            ticket=t, by=ana, team=Team.objects.get(name="Acme Networks"), summary="Core switch"
        )),
        (madrid(2026, 11, 30, 11, 0), lambda t: handoff_reject(
            ticket=t.pk, by=pablo, reason="Not ours"
        )),
        (madrid(2026, 11, 30, 11, 30), lambda t: ticket_update(
            ticket=t.pk, by=ana, urgency="low"
        )),
        (madrid(2026, 11, 30, 11, 40), lambda t: ticket_assign(ticket=t.pk, by=ana, assignee=ana)),
        (madrid(2026, 11, 30, 11, 45), lambda t: ticket_transition(
            ticket=t.pk, by=ana, to="in_progress"
        )),
        (madrid(2026, 11, 30, 12, 0), lambda t: ticket_transition(
            ticket=t.pk, by=ana, to="pending", pending_reason="requester"
        )),
        (madrid(2026, 12, 1, 9, 0), lambda t: ticket_transition(
            ticket=t.pk, by=ana, to="in_progress"
        )),
        (madrid(2026, 12, 4, 9, 0), lambda t: ticket_transition(
            ticket=t.pk, by=ana, to="resolved", resolution="Firmware upgraded"
        )),
        (madrid(2026, 12, 4, 12, 0), lambda t: ticket_transition(
            ticket=t.pk, by=ana, to="in_progress"
        )),
    ]  # fmt: skip
    ticket = None
    for when, step in steps:
        with time_machine.travel(when, tick=False):
            result = step(ticket)
            if ticket is None:
                ticket = result
    return ticket


def test_replaying_a_full_life_finds_no_difference(lived):
    kinds = set(Clock.objects.filter(ticket=lived).values_list("kind", "target"))
    assert {("sla", "response"), ("sla", "resolution"), ("ola", "party_resolution")} <= kinds
    assert ("uc", "accept") in kinds
    now = madrid(2026, 12, 4, 13, 0)
    assert replay_ticket(lived.pk, now=now) == []
    assert Clock.objects.filter(ticket=lived).count() == len(kinds) + 0  # nothing was changed


def test_a_clock_edited_by_hand_is_reported(lived):
    clock = Clock.objects.get(ticket=lived, kind="sla", target="resolution")
    Clock.objects.filter(pk=clock.pk).update(elapsed_seconds=clock.elapsed_seconds + 3600)
    differences = replay_ticket(lived.pk, now=madrid(2026, 12, 4, 13, 0))
    assert [d.field for d in differences] == ["elapsed_seconds"]
    assert differences[0].clock.startswith("sla/resolution/")


def test_the_command_reports_and_fails_on_a_difference(lived, capsys):
    with time_machine.travel(madrid(2026, 12, 4, 13, 0), tick=False):
        call_command("sla_replay", "--ticket", str(lived.pk))
    assert "0 differences" in capsys.readouterr().out
    Clock.objects.filter(ticket=lived, target="response").update(stop_reason="edited")
    with (
        time_machine.travel(madrid(2026, 12, 4, 13, 0), tick=False),
        pytest.raises(SystemExit) as exit_,
    ):
        call_command("sla_replay")
    assert exit_.value.code == 1
    assert "stop_reason" in capsys.readouterr().out


def test_replay_records_and_publishes_nothing(lived):
    before = SlaNotice.objects.count()
    Clock.objects.filter(ticket=lived).update(breached_at=None, warned_at=None)
    replay_ticket(lived.pk, now=madrid(2026, 12, 10, 9, 0))
    assert SlaNotice.objects.count() == before
