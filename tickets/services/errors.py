"""Domain errors of tickets; one exception handler maps them to HTTP, one mixin to forms."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cogest.errors import StaleVersion  # noqa: F401 (raised by the ticket services)


class InvalidTransition(ValidationError):
    """The workflow does not allow this move (400)."""

    def __init__(self, *, current: str, requested: str, reason: str = ""):
        self.current, self.requested = current, requested
        message = reason or _("A ticket cannot go from “%(current)s” to “%(requested)s”.") % {
            "current": current,
            "requested": requested,
        }
        super().__init__({"status": [message]}, code="invalid_transition")
