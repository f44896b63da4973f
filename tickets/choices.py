"""Ticket vocabulary and the one table of allowed workflow moves (SPEC 2.2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cogest.choices import TicketType

__all__ = ["TicketType"]

TYPE_PREFIX = {
    TicketType.INCIDENT: "INC",
    TicketType.SERVICE_REQUEST: "REQ",
    TicketType.PROBLEM: "PRB",
    TicketType.CHANGE: "CHG",
}


class Status(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset({Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING})

# The one table of allowed moves: the service enforces it, the UI draws its buttons from it.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.ASSIGNED, Status.CANCELLED}),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.PENDING, Status.RESOLVED, Status.CANCELLED}),
    Status.PENDING: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),  # → in_progress: reopen
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}


class Level(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


# impact × urgency → priority 1..4 (SPEC 2.2)
PRIORITY_MATRIX = {
    ("high", "high"): 1,
    ("high", "medium"): 2,
    ("high", "low"): 3,
    ("medium", "high"): 2,
    ("medium", "medium"): 3,
    ("medium", "low"): 4,
    ("low", "high"): 3,
    ("low", "medium"): 4,
    ("low", "low"): 4,
}


def priority_for(impact: str, urgency: str) -> int:
    return PRIORITY_MATRIX[(impact, urgency)]


class PendingReason(models.TextChoices):
    REQUESTER = "requester", _("Waiting for the requester")
    PROVIDER = "provider", _("Waiting for a provider")
    CHANGE = "change", _("Waiting for a change")


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", _("Fixed")
    WORKAROUND = "workaround", _("Workaround")
    FULFILLED = "fulfilled", _("Request fulfilled")
    NO_FAULT = "no_fault", _("No fault found")
    DUPLICATE = "duplicate", _("Duplicate")
    USER_ERROR = "user_error", _("User error")


class Source(models.TextChoices):
    WEB = "web", _("Web")
    PORTAL = "portal", _("Partner portal")
    API = "api", _("API")
    EMAIL = "email", _("Email")
    MONITORING = "monitoring", _("Monitoring")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    SHARED = "shared", _("Shared")
    INTERNAL = "internal", _("Internal")


class HandoffStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for acceptance")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class LinkKind(models.TextChoices):
    DUPLICATE_OF = "duplicate_of", _("Duplicate of")
    CAUSED_BY = "caused_by", _("Caused by")
    PARENT_OF = "parent_of", _("Parent of")
    RELATES_TO = "relates_to", _("Relates to")
