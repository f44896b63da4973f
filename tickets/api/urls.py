"""``/api/v1/tickets/...`` (included under ``api/v1/`` next to the core's routes)."""

from rest_framework.routers import SimpleRouter

from . import views

TICKET = rf"tickets/(?P<ticket_pk>{views.ID_PATTERN})"

# A SimpleRouter: the API root view is the core's (one root for /api/v1/).
router = SimpleRouter(trailing_slash=True)
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register(f"{TICKET}/comments", views.CommentViewSet, basename="ticket-comment")
router.register(f"{TICKET}/attachments", views.AttachmentViewSet, basename="ticket-attachment")
router.register(f"{TICKET}/worklogs", views.WorkLogViewSet, basename="ticket-worklog")
router.register(f"{TICKET}/handoffs", views.HandoffViewSet, basename="ticket-handoff")
router.register(f"{TICKET}/links", views.TicketLinkViewSet, basename="ticket-link")

urlpatterns = router.urls
