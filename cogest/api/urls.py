from django.urls import include, path
from rest_framework.routers import DefaultRouter

from escalation.api.webhooks import WebhookViewSet
from sla.api.policies import SlaPolicyViewSet

from . import views
from .grants import AccessGrantViewSet

router = DefaultRouter(trailing_slash=True)
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("teams", views.TeamViewSet, basename="team")
router.register("engagements", views.EngagementViewSet, basename="engagement")
router.register("audit", views.AuditEventViewSet, basename="audit")
router.register("access-grants", AccessGrantViewSet, basename="access-grant")
router.register("sla/policies", SlaPolicyViewSet, basename="sla-policy")
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("users/me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
    path("", include("escalation.api.urls")),
]
