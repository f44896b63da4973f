"""``/api/v1/escalation/…`` and ``/api/v1/notifications/`` (included under ``api/v1/`` by
``cogest/api/urls.py``)."""

from rest_framework.routers import SimpleRouter

from . import views

# A SimpleRouter: the API root view is the core's (one root for /api/v1/).
router = SimpleRouter(trailing_slash=True)
router.register("escalation/rules", views.EscalationRuleViewSet, basename="escalation-rule")
router.register("escalation/events", views.EscalationEventViewSet, basename="escalation-event")
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = router.urls
