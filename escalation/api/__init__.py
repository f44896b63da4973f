"""REST API of the escalation app (SPEC 5)."""
