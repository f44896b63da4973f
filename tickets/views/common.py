"""What every ticket page shares: the two audiences (sides) and htmx detection."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from cogest.views import OtherSideRedirectMixin, is_htmx, side_classes
from cogest.views import sided as cogest_sided

__all__ = ["STALE_MESSAGE", "InternalSide", "PartnerSide", "TicketSide", "is_htmx", "sided"]

STALE_MESSAGE = gettext_lazy(
    "This ticket was changed by someone else in the meantime; reload the page and try again."
)


# --- Audiences --------------------------------------------------------------------------------


class TicketSide(OtherSideRedirectMixin):
    """Ticket pages: ``/tickets/`` for internal staff, ``/partner/tickets/`` for a provider."""

    namespaces = ("tickets", "partner-tickets")


InternalSide, PartnerSide = side_classes(TicketSide)


def sided(view_class):
    """The internal and partner versions of a view."""
    return cogest_sided(view_class, TicketSide)
