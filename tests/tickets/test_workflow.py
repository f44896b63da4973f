"""The ticket workflow of SPEC 2.2: every allowed move works, every other is refused with
nothing saved; numbering, routing, priority and assignment rules."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from cogest.models import AuditEvent
from tickets.choices import TRANSITIONS, Status
from tickets.models import Ticket, TicketHolding
from tickets.services import (
    InvalidTransition,
    StaleVersion,
    ticket_assign,
    ticket_create,
    ticket_transition,
    ticket_update,
)

ALL_STATUSES = list(Status.values)


def _put_in(ticket, status):
    """Force a ticket into a status (test setup only), with what that status needs."""
    extra = {"pending_reason": "requester"} if status == Status.PENDING else {"pending_reason": ""}
    Ticket.objects.filter(pk=ticket.pk).update(status=status, **extra)
    ticket.refresh_from_db()
    return ticket


def _args_for(to):
    if to == Status.PENDING:
        return {"pending_reason": "requester"}
    if to == Status.RESOLVED:
        return {"resolution": "Replaced the faulty switch port."}
    return {}


def test_numbers_are_per_type_and_increase(new_ticket):
    first, second = new_ticket(), new_ticket()
    request = new_ticket(type="service_request", title="New laptop")
    assert first.number.startswith("INC-") and len(first.number) == 10
    assert int(second.number[4:]) == int(first.number[4:]) + 1
    assert request.number.startswith("REQ-")


def test_new_ticket_without_team_is_routed_by_the_matrix_and_the_rule_is_audited(new_ticket, demo):
    ticket = new_ticket(functional_area="networks", support_level="L2")
    assert ticket.team == demo.teams["acme-networks"]
    assert ticket.engagement == demo.engagements["acme"]
    event = AuditEvent.objects.get(action="ticket.created", object_id=str(ticket.pk))
    assert event.note.startswith("routing: matrix rule")
    assert TicketHolding.objects.get(ticket=ticket, ended_at__isnull=True).team == ticket.team


def test_a_level_with_no_rule_falls_back_to_first_level(new_ticket, demo):
    ticket = new_ticket(functional_area="applications", support_level="L3")
    assert ticket.team == demo.teams["service-desk"]


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        ("high", "high", 1),
        ("high", "medium", 2),
        ("high", "low", 3),
        ("medium", "high", 2),
        ("medium", "medium", 3),
        ("medium", "low", 4),
        ("low", "high", 3),
        ("low", "medium", 4),
        ("low", "low", 4),
    ],
)
def test_priority_follows_the_impact_urgency_matrix(new_ticket, impact, urgency, priority):
    assert new_ticket(impact=impact, urgency=urgency).priority == priority


def test_changing_urgency_recomputes_priority_and_bumps_version(new_ticket, users):
    ticket = new_ticket(impact="high", urgency="low")
    updated = ticket_update(ticket=ticket, by=users["ana"], urgency="high")
    assert (updated.priority, updated.version) == (1, ticket.version + 1)


@pytest.mark.parametrize(
    ("current", "to"),
    [(c, t) for c in ALL_STATUSES for t in ALL_STATUSES if t in TRANSITIONS[c]],
)
def test_every_allowed_transition_works(new_ticket, users, current, to):
    ticket = _put_in(new_ticket(assignee=users["ana"]), current)
    if current == Status.RESOLVED:
        Ticket.objects.filter(pk=ticket.pk).update(resolved_at=ticket.created_at)
    moved = ticket_transition(ticket=ticket, by=users["ana"], to=to, **_args_for(to))
    assert Ticket.objects.get(pk=ticket.pk).status == to == moved.status
    assert (
        AuditEvent.objects.filter(action="ticket.status_changed", object_id=str(ticket.pk)).count()
        == 1
    )


@pytest.mark.parametrize(
    ("current", "to"),
    [(c, t) for c, t in itertools.product(ALL_STATUSES, ALL_STATUSES) if t not in TRANSITIONS[c]],
)
def test_every_other_transition_is_refused_and_nothing_changes(new_ticket, users, current, to):
    ticket = _put_in(new_ticket(assignee=users["ana"]), current)
    version = ticket.version
    with pytest.raises(InvalidTransition):
        ticket_transition(ticket=ticket, by=users["ana"], to=to, **_args_for(to))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version) == (current, version)
    assert not AuditEvent.objects.filter(action="ticket.status_changed").exists()


def test_pending_needs_a_known_reason(working_ticket, users):
    for reason in ("", "lunch"):
        with pytest.raises(ValidationError) as error:
            ticket_transition(
                ticket=working_ticket, by=users["ana"], to="pending", pending_reason=reason
            )
        assert "pending_reason" in error.value.message_dict
    assert Ticket.objects.get(pk=working_ticket.pk).status == "in_progress"


def test_resolving_needs_a_resolution_and_records_it(working_ticket, users):
    with pytest.raises(ValidationError):
        ticket_transition(ticket=working_ticket, by=users["ana"], to="resolved", resolution="  ")
    resolved = ticket_transition(
        ticket=working_ticket,
        by=users["ana"],
        to="resolved",
        resolution="Firmware upgraded",
        resolution_code="fixed",
    )
    assert resolved.resolved_at is not None and resolved.resolution == "Firmware upgraded"


def test_reopen_works_inside_the_window_and_is_refused_after(working_ticket, users, settings):
    settings.TICKET_REOPEN_DAYS = 7
    resolved = ticket_transition(
        ticket=working_ticket, by=users["ana"], to="resolved", resolution="Done"
    )
    reopened = ticket_transition(ticket=resolved, by=users["ana"], to="in_progress")
    assert (reopened.reopen_count, reopened.resolved_at) == (1, None)
    resolved = ticket_transition(
        ticket=reopened, by=users["ana"], to="resolved", resolution="Done again"
    )
    with (
        time_machine.travel(resolved.resolved_at + dt.timedelta(days=8)),
        pytest.raises(InvalidTransition),
    ):
        ticket_transition(ticket=resolved, by=users["ana"], to="in_progress")
    assert Ticket.objects.get(pk=resolved.pk).status == "resolved"


def test_starting_work_assigns_a_team_member_who_starts_it(new_ticket, users):
    ticket = new_ticket(functional_area="systems")  # Service Desk, ana is a member
    ticket = ticket_assign(ticket=ticket, by=users["ana"], assignee=users["ana"])
    assert ticket.status == "assigned"
    started = ticket_transition(ticket=ticket, by=users["ana"], to="in_progress")
    assert started.first_response_at is not None


def test_assignee_must_be_a_member_of_the_team(new_ticket, users):
    ticket = new_ticket(functional_area="systems")
    with pytest.raises(ValidationError) as error:
        ticket_assign(ticket=ticket, by=users["ana"], assignee=users["ivan"])
    assert "assignee" in error.value.message_dict
    with pytest.raises(ValidationError):
        new_ticket(assignee=users["pablo"])
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.version == 1


def test_reassigning_to_another_organization_is_a_handoff_not_an_assignment(
    new_ticket, users, demo
):
    ticket = new_ticket(functional_area="systems")
    with pytest.raises(ValidationError) as error:
        ticket_assign(ticket=ticket, by=users["ana"], team=demo.teams["acme-networks"])
    assert "team" in error.value.message_dict


def test_stale_version_is_refused(new_ticket, users):
    ticket = new_ticket()
    ticket_update(ticket=ticket, by=users["ana"], title="VPN drops (Madrid office)")
    with pytest.raises(StaleVersion):
        ticket_update(ticket=ticket, by=users["ivan"], title="Other", expected_version=1)
    assert Ticket.objects.get(pk=ticket.pk).title == "VPN drops (Madrid office)"


def test_requester_opens_a_ticket_that_is_routed_and_cannot_change_it(users, demo):
    ticket = ticket_create(
        by=users["rita"],
        type="service_request",
        title="Need a monitor",
        functional_area="devices",
        team=demo.teams["acme-networks"],
    )
    assert ticket.requester == users["rita"] and ticket.team == demo.teams["service-desk"]
    with pytest.raises(PermissionDenied):
        ticket_transition(ticket=ticket, by=users["rita"], to="cancelled")


def test_provider_cannot_touch_a_ticket_it_never_held(new_ticket, users):
    ticket = new_ticket(functional_area="systems")
    with pytest.raises(Ticket.DoesNotExist):
        ticket_transition(ticket=ticket, by=users["pablo"], to="cancelled")
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_bad_choices_are_field_errors(users):
    for field, value in (
        ("type", "outage"),
        ("functional_area", "printers"),
        ("impact", "huge"),
        ("support_level", "L9"),
    ):
        with pytest.raises(ValidationError) as error:
            ticket_create(
                **{
                    "by": users["ana"],
                    "type": "incident",
                    "title": "x",
                    "functional_area": "networks",
                    field: value,
                }
            )
        assert field in error.value.message_dict
    assert Ticket.objects.count() == 0
