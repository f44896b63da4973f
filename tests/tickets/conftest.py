import pytest

from tickets.services import ticket_create


@pytest.fixture
def new_ticket(users):
    """``new_ticket(**overrides)``: an incident opened by ana, routed by the matrix."""

    def make(**overrides):
        data = {
            "by": users["ana"],
            "type": "incident",
            "title": "VPN drops every 10 minutes",
            "functional_area": "networks",
            "support_level": "L1",
            "impact": "medium",
            "urgency": "high",
        }
        data.update(overrides)
        return ticket_create(**data)

    return make


@pytest.fixture
def working_ticket(new_ticket, users):
    """A ticket ana is working on (in progress)."""
    from tickets.services import ticket_transition

    ticket = new_ticket(assignee=users["ana"], team=None)
    return ticket_transition(ticket=ticket, by=users["ana"], to="in_progress")
