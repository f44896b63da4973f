"""Partner-portal SLA pages, mounted at ``/partner/kpis/``: a provider manager's engagement KPIs
and reviews, a technician's own work."""

from django.urls import path

from sla import views

app_name = "partner-kpis"

urlpatterns = [
    path("", views.PartnerDashboardView.as_view(), name="dashboard"),
    path("at-risk/", views.PartnerAtRiskView.as_view(), name="at-risk"),
    path("export/", views.PartnerDashboardExportView.as_view(), name="export"),
    path("reviews/", views.PartnerReviewListView.as_view(), name="reviews"),
    path("reviews/<int:pk>/", views.PartnerReviewDetailView.as_view(), name="review"),
    path(
        "reviews/<int:pk>/export/",
        views.PartnerReviewExportView.as_view(),
        name="review-export",
    ),
    path(
        "reviews/<int:pk>/meeting/",
        views.PartnerReviewMeetingView.as_view(),
        name="review-meeting",
    ),
    path(
        "reviews/<int:pk>/actions/",
        views.PartnerReviewActionAddView.as_view(),
        name="review-action-add",
    ),
    path(
        "reviews/actions/<int:pk>/done/",
        views.PartnerReviewActionDoneView.as_view(),
        name="review-action-done",
    ),
]
