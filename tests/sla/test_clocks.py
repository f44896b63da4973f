"""SLA clocks driven by the ticket's events (SPEC 2.4): which clocks start, how they pause,
resume, are recomputed and stop, and the due instants in business time."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sla.demo import seed_policies
from sla.models import Clock, ClockEvent, SlaNotice
from tickets.services import (
    comment_add,
    handoff_accept,
    handoff_reject,
    ticket_create,
    ticket_handoff,
    ticket_transition,
    ticket_update,
)

MADRID = ZoneInfo("Europe/Madrid")
UTC = dt.UTC


def madrid(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MADRID)


@pytest.fixture
def policies(demo):
    return seed_policies(demo)


@pytest.fixture
def at():
    """``with at(when):`` — the frozen present."""
    return lambda when: time_machine.travel(when, tick=False)


def open_ticket(users, *, impact="medium", urgency="medium", area="systems", **extra):
    return ticket_create(
        by=users["ana"],
        type="incident",
        title="Printer queue stuck",
        functional_area=area,
        support_level="L1",
        impact=impact,
        urgency=urgency,
        **extra,
    )


def clocks(ticket) -> dict[tuple[str, str], Clock]:
    """Open and stopped clocks by (kind, target); the latest wins."""
    return {(c.kind, c.target): c for c in Clock.objects.filter(ticket=ticket).order_by("id")}


def test_a_p1_gets_end_to_end_and_team_clocks_on_24x7(policies, users, at):
    with at(madrid(2026, 11, 27, 23, 0)):  # Friday night: 24x7 counts anyway
        ticket = open_ticket(users, impact="high", urgency="high")
    found = clocks(ticket)
    assert set(found) == {("sla", "response"), ("sla", "resolution"), ("ola", "party_resolution")}
    assert found["sla", "response"].due_at == madrid(2026, 11, 27, 23, 15)
    assert found["sla", "resolution"].due_at == madrid(2026, 11, 28, 3, 0)
    assert found["ola", "party_resolution"].due_at == madrid(2026, 11, 28, 2, 0)
    internal = users["ana"].profile.organization_id
    assert {c.party_id for c in found.values()} == {internal}
    assert found["ola", "party_resolution"].team_id == ticket.team_id
    assert all(c.state == "running" for c in found.values())
    # Warning at 75 %: 11 min 15 s into the 15 minutes.
    assert found["sla", "response"].warn_at == madrid(2026, 11, 27, 23, 11, 15)
    assert found["sla", "response"].next_event_at == found["sla", "response"].warn_at


def test_office_hours_skip_the_weekend_and_a_holiday_across_dst(policies, users, at):
    # Friday 29 Oct 2027, 16:00 CEST; the clocks fall back on Sunday; Monday 1 Nov is a
    # national holiday (All Saints). Four business hours: 2 on Friday, 2 on Tuesday from 08:00.
    with at(madrid(2027, 10, 29, 16, 0)):
        ticket = open_ticket(users)  # P3: response 4 h, resolution 3 business days
    found = clocks(ticket)
    due = found["sla", "response"].due_at
    assert due == madrid(2027, 11, 2, 10, 0)
    assert due.astimezone(UTC) == dt.datetime(2027, 11, 2, 9, 0, tzinfo=UTC)  # CET, UTC+1
    # 30 business hours: Fri 2 h, Tue–Thu 3 × 10 h = 32 h > 30 h → Thursday 16:00.
    assert found["sla", "resolution"].due_at == madrid(2027, 11, 4, 16, 0)


def test_pending_for_the_requester_pauses_and_the_due_time_moves(policies, users, at):
    with at(madrid(2026, 11, 30, 9, 0)):  # Monday
        ticket = open_ticket(users, assignee=users["ana"], team=None)
        ticket = ticket_transition(ticket=ticket, by=users["ana"], to="in_progress")
    resolution = clocks(ticket)["sla", "resolution"]
    assert resolution.due_at == madrid(2026, 12, 3, 9, 0)  # 30 business hours
    with at(madrid(2026, 11, 30, 10, 0)):
        ticket = ticket_transition(
            ticket=ticket, by=users["ana"], to="pending", pending_reason="requester"
        )
    resolution.refresh_from_db()
    assert resolution.state == "paused" and resolution.due_at is None
    assert resolution.elapsed_seconds == 3600 and resolution.next_event_at is None
    with at(madrid(2026, 11, 30, 15, 0)):  # five business hours later
        ticket_transition(ticket=ticket, by=users["ana"], to="in_progress")
    resolution.refresh_from_db()
    assert resolution.state == "running"
    assert resolution.due_at == madrid(2026, 12, 3, 14, 0)  # moved by the five hours paused
    kinds = list(resolution.events.values_list("kind", "reason"))
    assert kinds == [
        ("started", "ticket created"),
        ("paused", "pending: requester"),
        ("resumed", "in_progress"),
    ]


def test_pending_for_a_provider_pauses_only_the_policies_that_say_so(policies, users, at):
    with at(madrid(2026, 11, 30, 9, 0)):
        ticket = open_ticket(users, assignee=users["ana"], team=None)
        ticket = ticket_transition(ticket=ticket, by=users["ana"], to="in_progress")
        ticket_transition(ticket=ticket, by=users["ana"], to="pending", pending_reason="provider")
    found = clocks(ticket)
    assert found["sla", "resolution"].state == "running"  # the requester still waits
    assert found["ola", "party_resolution"].state == "paused"  # the team waits on a provider


def test_first_public_answer_stops_the_response_clock_met(policies, users, at):
    with at(madrid(2026, 11, 30, 9, 0)):
        ticket = open_ticket(users, requester=users["rita"])
    with at(madrid(2026, 11, 30, 9, 20)):
        comment_add(ticket=ticket, by=users["ana"], body="On it.", visibility="public")
    response = clocks(ticket)["sla", "response"]
    assert response.state == "met" and response.stop_reason == "responded"
    assert response.elapsed_seconds == 20 * 60
    assert response.next_event_at is None
    assert clocks(ticket)["sla", "resolution"].state == "running"


def test_an_internal_comment_is_no_response(policies, users, at):
    with at(madrid(2026, 11, 30, 9, 0)):
        ticket = open_ticket(users, requester=users["rita"])
        comment_add(ticket=ticket, by=users["ana"], body="Looking.", visibility="internal")
    assert clocks(ticket)["sla", "response"].state == "running"


def test_raising_the_priority_recomputes_on_the_new_policy_and_keeps_the_time_counted(
    policies, users, at
):
    with at(madrid(2026, 11, 30, 9, 0)):
        ticket = open_ticket(users)  # P3, office hours
    with at(madrid(2026, 11, 30, 10, 0)):
        ticket_update(ticket=ticket.pk, by=users["ana"], impact="high", urgency="high")  # → P1
    resolution = clocks(ticket)["sla", "resolution"]
    assert resolution.policy.name == "Northwind SLA P1 (24x7)"
    assert resolution.target_minutes == 240
    # One hour counted already; three left on 24x7 from 10:00.
    assert resolution.due_at == madrid(2026, 11, 30, 13, 0)
    event = resolution.events.get(kind="recomputed")
    assert "P3 → P1" in event.reason


def test_a_handoff_stops_the_teams_clock_and_starts_the_providers_own(policies, users, at):
    with at(madrid(2026, 11, 30, 9, 0)):  # P2 network incident at Service Desk
        ticket = open_ticket(users, impact="high", area="networks")
    assert ticket.priority == 2
    from cogest.models import Team

    acme_networks = Team.objects.get(name="Acme Networks")
    with at(madrid(2026, 11, 30, 10, 0)):
        ticket_handoff(ticket=ticket, by=users["ana"], team=acme_networks, summary="Core switch")
    found = clocks(ticket)
    ola = found["ola", "party_resolution"]
    assert ola.state == "met" and ola.stop_reason == "handed off"
    assert ola.elapsed_seconds == 3600
    accept = found["uc", "accept"]
    acme = acme_networks.organization_id
    assert accept.party_id == acme and accept.state == "running"
    assert accept.due_at == madrid(2026, 11, 30, 10, 30)
    uc = found["uc", "party_resolution"]
    # Acme's P2 resolution: 6 h of Madrid office hours, from the handoff, not the creation.
    assert uc.started_at == madrid(2026, 11, 30, 10, 0)
    assert uc.due_at == madrid(2026, 11, 30, 16, 0)
    with at(madrid(2026, 11, 30, 10, 10)):
        handoff_accept(ticket=ticket.pk, by=users["pablo"])
    accept.refresh_from_db()
    assert accept.state == "met" and accept.stop_reason == "accepted"
    assert accept.elapsed_seconds == 600
    assert clocks(ticket)["sla", "resolution"].state == "running"  # end to end goes on


def test_a_rejected_handoff_gives_the_team_its_clock_back(policies, users, at):
    from cogest.models import Team

    with at(madrid(2026, 11, 30, 9, 0)):
        ticket = open_ticket(users, impact="high", area="networks")
    with at(madrid(2026, 11, 30, 10, 0)):
        ticket_handoff(
            ticket=ticket, by=users["ana"], team=Team.objects.get(name="Acme Networks"),
            summary="Core switch",
        )  # fmt: skip
    with at(madrid(2026, 11, 30, 11, 0)):
        handoff_reject(ticket=ticket.pk, by=users["pablo"], reason="Not ours: a laptop")
    found = clocks(ticket)
    assert found["uc", "accept"].stop_reason == "rejected"
    assert found["uc", "party_resolution"].stop_reason == "rejected"
    ola = found["ola", "party_resolution"]
    assert ola.state == "running" and ola.elapsed_seconds == 3600  # counts on from 1 h
    assert ola.due_at == madrid(2026, 11, 30, 16, 0)  # 6 h OLA: 1 h done, 5 h from 11:00
    assert list(ola.events.values_list("kind", flat=True)) == ["started", "stopped", "resumed"]


def test_resolving_stops_the_clocks_and_reopening_resumes_them(policies, users, at):
    with at(madrid(2026, 11, 30, 9, 0)):
        ticket = open_ticket(users, assignee=users["ana"], team=None)
        ticket = ticket_transition(ticket=ticket, by=users["ana"], to="in_progress")
    with at(madrid(2026, 11, 30, 11, 0)):
        ticket = ticket_transition(
            ticket=ticket, by=users["ana"], to="resolved", resolution="Replaced the toner"
        )
    resolution = clocks(ticket)["sla", "resolution"]
    assert resolution.state == "met" and resolution.elapsed_seconds == 7200
    with at(madrid(2026, 11, 30, 14, 0)):
        ticket_transition(ticket=ticket, by=users["ana"], to="in_progress")
    resolution.refresh_from_db()
    assert resolution.state == "running" and resolution.stopped_at is None
    assert resolution.due_at == madrid(2026, 12, 3, 12, 0)  # 28 h left from 14:00 Monday
    assert Clock.objects.filter(ticket=ticket, target="resolution").count() == 1


def test_stopping_after_the_due_time_is_a_breach_even_before_any_sweep(policies, users, at):
    with at(madrid(2026, 11, 30, 9, 0)):
        ticket = open_ticket(users, impact="high", urgency="high", requester=users["rita"])
    with at(madrid(2026, 11, 30, 9, 40)):  # 15 minutes was the target
        comment_add(ticket=ticket, by=users["ana"], body="Here.", visibility="public")
    response = clocks(ticket)["sla", "response"]
    assert response.state == "breached"
    assert response.breached_at == madrid(2026, 11, 30, 9, 15)
    assert SlaNotice.objects.filter(clock=response, kind="breached").count() == 1
    assert SlaNotice.objects.filter(clock=response, kind="warning").count() == 1


def test_cancelling_stops_every_clock(policies, users, at):
    with at(madrid(2026, 11, 30, 9, 0)):
        ticket = open_ticket(users)
        ticket_transition(ticket=ticket, by=users["ana"], to="cancelled")
    assert set(Clock.objects.filter(ticket=ticket).values_list("state", flat=True)) == {"met"}
    assert not Clock.objects.filter(ticket=ticket, next_event_at__isnull=False).exists()
    assert ClockEvent.objects.filter(clock__ticket=ticket, kind="stopped").count() == 3


def test_without_any_policy_a_ticket_simply_has_no_clock(demo, users):
    ticket = open_ticket(users)
    assert not Clock.objects.filter(ticket=ticket).exists()
