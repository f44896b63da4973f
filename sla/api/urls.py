"""``/api/v1/sla/...``: the KPI report and the reviews (included under ``api/v1/``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

# A SimpleRouter: the API root view is the core's (one root for /api/v1/).
router = SimpleRouter(trailing_slash=True)
router.register("sla/reviews", views.KpiReviewViewSet, basename="sla-review")

urlpatterns = [
    path("sla/report/", views.SlaReportView.as_view(), name="sla-report"),
    *router.urls,
]
