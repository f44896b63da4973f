"""The partner portal's ticket pages, mounted at ``/partner/`` (namespace ``partner-tickets``):
``tickets/`` (the same pages as the internal UI, in the partner layout), ``queue/`` and
``handoffs/``."""

from django.urls import include, path

from tickets import views
from tickets.urls import PARTNER_VIEWS, ticket_patterns

app_name = "tickets"
urlpatterns = [
    path("queue/", views.PartnerQueueView.as_view(), name="queue"),
    path("handoffs/", views.PartnerHandoffsView.as_view(), name="handoffs"),
    path("tickets/", include(ticket_patterns(PARTNER_VIEWS))),
]
