"""The page that explains a ticket's SLA clocks, on both sides (namespace ``sla-clocks``):
``/tickets/<number>/sla/`` for internal staff, ``/partner/tickets/<number>/sla/`` in the partner
portal. Mounted at the root by ``cogest/urls.py``."""

from django.urls import path

# The ``number`` path converter (INC-000123) is the ticket pages' own, registered there.
import tickets.urls  # noqa: F401
from sla import views_clocks

app_name = "sla-clocks"
urlpatterns = [
    path(
        "tickets/<number:number>/sla/",
        views_clocks.TicketClocksView.as_view(),
        name="ticket",
    ),
    path(
        "partner/tickets/<number:number>/sla/",
        views_clocks.PartnerTicketClocksView.as_view(),
        name="partner-ticket",
    ),
]
