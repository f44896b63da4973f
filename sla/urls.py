"""Internal SLA pages, mounted at ``/sla/``: the dashboard and the KPI reviews."""

from django.urls import path

from sla import views

app_name = "sla"

urlpatterns = [
    path("", views.InternalDashboardView.as_view(), name="dashboard"),
    path("at-risk/", views.InternalAtRiskView.as_view(), name="at-risk"),
    path("export/", views.InternalDashboardExportView.as_view(), name="export"),
    path("reviews/", views.InternalReviewListView.as_view(), name="reviews"),
    path("reviews/prepare/", views.InternalReviewPrepareView.as_view(), name="review-prepare"),
    path("reviews/<int:pk>/", views.InternalReviewDetailView.as_view(), name="review"),
    path(
        "reviews/<int:pk>/export/",
        views.InternalReviewExportView.as_view(),
        name="review-export",
    ),
    path(
        "reviews/<int:pk>/meeting/",
        views.InternalReviewMeetingView.as_view(),
        name="review-meeting",
    ),
    path(
        "reviews/<int:pk>/actions/",
        views.InternalReviewActionAddView.as_view(),
        name="review-action-add",
    ),
    path(
        "reviews/<int:pk>/refresh/",
        views.InternalReviewRefreshView.as_view(),
        name="review-refresh",
    ),
    path(
        "reviews/actions/<int:pk>/done/",
        views.InternalReviewActionDoneView.as_view(),
        name="review-action-done",
    ),
]
