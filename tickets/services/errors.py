"""Domain errors of tickets; one exception handler maps them to HTTP, one mixin to forms."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class InvalidTransition(ValidationError):
    """The workflow does not allow this move (400)."""

    def __init__(self, *, current: str, requested: str, reason: str = ""):
        self.current, self.requested = current, requested
        message = reason or _("A ticket cannot go from “%(current)s” to “%(requested)s”.") % {
            "current": current,
            "requested": requested,
        }
        super().__init__({"status": [message]}, code="invalid_transition")


class StaleVersion(Exception):
    """The caller edited an old version of the ticket (412 in the API)."""

    def __init__(self, *, current: int, expected: int):
        self.current, self.expected = current, expected
        super().__init__(f"Ticket is at version {current}, not {expected}.")
