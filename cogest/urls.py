"""URL map: the internal UI at /, the partner portal at /partner/, the API at /api/v1/."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cogest import grant_views, views

partner_patterns = (
    [
        path("", views.PartnerHomeView.as_view(), name="home"),
        path("matrix/", views.MatrixView.as_view(), name="matrix"),
        path("access/", grant_views.AccessGrantListView.as_view(), name="access"),
        path("engagements/<int:pk>/", views.EngagementDetailView.as_view(), name="engagement"),
        path(
            "engagements/<int:pk>/shadow/",
            views.EngagementShadowView.as_view(),
            name="engagement-shadow",
        ),
    ],
    "partner",
)

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("preferences/", views.PreferencesView.as_view(), name="preferences"),
    path("teams/", views.TeamListView.as_view(), name="teams"),
    path("engagements/", views.EngagementListView.as_view(), name="engagements"),
    path("engagements/<int:pk>/", views.EngagementDetailView.as_view(), name="engagement"),
    path(
        "engagements/<int:pk>/shadow/",
        views.EngagementShadowView.as_view(),
        name="engagement-shadow",
    ),
    path("matrix/", views.MatrixView.as_view(), name="matrix"),
    path("audit/", views.AuditTrailView.as_view(), name="audit"),
    path("access/", grant_views.AccessGrantListView.as_view(), name="access"),
    path(
        "access/<int:pk>/<str:op>/",
        grant_views.AccessGrantDecisionView.as_view(),
        name="access-decide",
    ),
    path("partner/kpis/", include("sla.partner_urls")),
    path("partner/", include(partner_patterns)),
    path("partner/", include("tickets.partner_urls", namespace="partner-tickets")),
    path("cmdb/", include("cmdb.urls")),
    path("partner/cmdb/", include("cmdb.partner_urls")),
    path("tickets/", include("tickets.urls")),
    path("sla/", include("sla.urls")),
    path("", include("sla.urls_clocks")),
    path("", include("escalation.urls")),
    path("partner/", include("escalation.partner_urls", namespace="partner-escalation")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cogest.api.urls")),
    path("api/v1/", include("cmdb.api.urls")),
    path("api/v1/", include("tickets.api.urls")),
    path("api/v1/", include("sla.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

if settings.COGEST_BENCH:
    # bench/run.py only: bare views (one raw SQL query each) to measure the real ones against.
    from bench.bare import urlpatterns as bench_urlpatterns

    urlpatterns += bench_urlpatterns

handler403 = "cogest.views.error_403"
handler404 = "cogest.views.error_404"
handler500 = "cogest.views.error_500"
