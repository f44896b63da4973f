"""The list serializer's direct rendering gives exactly what DRF's field-by-field rendering
would (it exists only to be faster)."""

from rest_framework import serializers

from tickets.api.serializers import TicketSerializer
from tickets.services import ticket_transition


def test_fast_list_rendering_matches_drf_for_every_field(new_ticket, working_ticket, users):
    resolved = ticket_transition(
        ticket=working_ticket, by=users["ana"], to="resolved", resolution="Done"
    )
    for ticket in (
        new_ticket(),
        new_ticket(functional_area="networks", support_level="L2"),
        resolved,
    ):
        serializer = TicketSerializer(ticket)
        generic = serializers.ModelSerializer.to_representation(serializer, ticket)
        assert serializer.data == generic
        assert set(generic) >= {"id", "number", "cis", "sla", "created_at", "resolved_at"}
