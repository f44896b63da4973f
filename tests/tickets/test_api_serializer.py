"""The list's direct rendering (``ticket_list_rows`` + ``ticket_list_data``) gives exactly what
DRF's field-by-field rendering of ``TicketSerializer`` gives (it exists only to be faster)."""

import pytest
from django.utils import timezone

from cmdb.models import CIClass, ConfigurationItem
from tickets.api.serializers import (
    TICKET_FIELDS,
    TICKET_LIST_COLUMNS,
    TicketSerializer,
    ticket_list_data,
)
from tickets.models import Ticket
from tickets.selectors import ticket_api_prefetches, ticket_list_rows
from tickets.services import ticket_transition


@pytest.fixture
def clocks(demo):
    """SLA policies, so the tickets below get clocks (running, met) to render."""
    from sla.demo import seed_policies

    seed_policies(demo)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Madrid"])
def test_fast_list_rendering_matches_drf_for_every_field(
    clocks, new_ticket, working_ticket, users, zone
):
    resolved = ticket_transition(
        ticket=working_ticket, by=users["ana"], to="resolved", resolution="Done"
    )
    with_cis = new_ticket(functional_area="networks", support_level="L2")
    server = CIClass.objects.create(name="Test server", slug="test-server")
    cis = [
        ConfigurationItem.objects.create(
            name=f"srv-{i}", ci_class=server, managed_by=users["ana"].profile.organization
        )
        for i in (2, 1)
    ]
    with_cis.cis.set(cis)
    tickets = [new_ticket(), with_cis, resolved]
    with timezone.override(zone):
        rows = ticket_list_rows(
            Ticket.objects.filter(pk__in=[t.pk for t in tickets]),
            TICKET_LIST_COLUMNS,
            user=users["ana"],
        )
        fast = {item["id"]: item for item in ticket_list_data(rows)}
        for ticket in tickets:
            ticket = Ticket.objects.prefetch_related(*ticket_api_prefetches(user=users["ana"])).get(
                pk=ticket.pk
            )
            generic = TicketSerializer(ticket).data
            assert fast[ticket.pk] == generic
            assert list(fast[ticket.pk]) == TICKET_FIELDS
    assert fast[with_cis.pk]["cis"] == sorted(ci.pk for ci in cis)
    assert fast[resolved.pk]["resolved_at"] is not None
    states = {clock["state"] for item in fast.values() for clock in item["sla"]}
    assert {"running", "met"} <= states
    assert all(clock["due_at"] for item in fast.values() for clock in item["sla"])


def test_fast_detail_rendering_matches_drf(clocks, new_ticket, users, rf):
    from tickets.api.serializers import TicketDetailSerializer, ticket_detail_data
    from tickets.selectors import ticket_detail_rows
    from tickets.services import ticket_watch

    ticket = new_ticket(description="**Bold** <script>alert(1)</script>")
    ticket_watch(ticket=ticket.pk, by=users["ivan"], watching=True)
    ticket_watch(ticket=ticket.pk, by=users["ana"], watching=True)
    request = rf.get("/api/v1/tickets/")
    [row] = ticket_detail_rows(
        Ticket.objects.filter(pk=ticket.pk), TICKET_LIST_COLUMNS, user=users["ana"]
    )
    fast = ticket_detail_data(row, request=request)
    ticket = Ticket.objects.prefetch_related(
        *ticket_api_prefetches(user=users["ana"], detail=True)
    ).get(pk=ticket.pk)
    generic = TicketDetailSerializer(ticket, context={"request": request}).data
    assert fast == generic
    assert len(fast["sla"]) == 3
    assert fast["watchers"] == sorted([users["ivan"].pk, users["ana"].pk])
    assert "<script>" not in fast["description_html"]
