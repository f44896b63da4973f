"""Pages of the CMDB: imports (internal UI only; the partner portal has none)."""

from django.urls import path

from cmdb.views.imports import (
    ImportDetailView,
    ImportListView,
    ImportNewView,
    ImportProgressView,
    ImportRunView,
    ImportTemplateView,
)

urlpatterns: list = [
    path("imports/", ImportListView.as_view(), name="import-list"),
    path("imports/new/", ImportNewView.as_view(), name="import-new"),
    path("imports/template/<slug:slug>.csv", ImportTemplateView.as_view(), name="import-template"),
    path("imports/<int:pk>/", ImportDetailView.as_view(), name="import-detail"),
    path("imports/<int:pk>/progress/", ImportProgressView.as_view(), name="import-progress"),
    path("imports/<int:pk>/run/", ImportRunView.as_view(), name="import-run"),
]
partner_urlpatterns: list = []
