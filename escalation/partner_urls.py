"""Escalation pages of the partner portal, mounted at ``/partner/`` (namespace
``partner-escalation``, app ``escalation``: templates write ``{% url 'escalation:…' %}`` and
Django resolves it on the side of the page being rendered). Read-only matrix, own
notifications; the rules' configuration is not here."""

from django.urls import path

from escalation import views

app_name = "escalation"
urlpatterns = [
    path("escalation/", views.PartnerEscalationMatrixView.as_view(), name="matrix"),
    path("notifications/", views.PartnerNotificationList.as_view(), name="notifications"),
    path(
        "notifications/read-all/",
        views.PartnerNotificationReadAll.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/preferences/",
        views.PartnerNotificationPreferences.as_view(),
        name="notification-preferences",
    ),
    path(
        "notifications/<int:pk>/read/",
        views.PartnerNotificationRead.as_view(),
        name="notification-read",
    ),
]
