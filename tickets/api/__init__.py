"""REST API of tickets (SPEC 5): ``/api/v1/tickets/`` and what hangs under a ticket."""
