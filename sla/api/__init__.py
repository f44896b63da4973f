"""The SLA app's API (SPEC 5): ``/api/v1/sla/...``."""
