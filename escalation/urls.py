"""Escalation pages of the internal UI (namespace ``escalation``), mounted at the site root:
``escalation/`` (the matrix), ``escalation/rules/…`` (the rules' configuration) and
``notifications/…``. The partner portal mounts the same app at ``/partner/``
(``escalation/partner_urls.py``, namespace ``partner-escalation``)."""

from django.urls import path

from escalation import views

app_name = "escalation"
urlpatterns = [
    path("escalation/", views.EscalationMatrixView.as_view(), name="matrix"),
    path("escalation/rules/", views.RuleListView.as_view(), name="rules"),
    path("escalation/rules/new/", views.RuleCreateView.as_view(), name="rule-create"),
    path("escalation/rules/preview/", views.RulePreviewView.as_view(), name="rule-preview"),
    path("escalation/rules/<int:pk>/edit/", views.RuleEditView.as_view(), name="rule-edit"),
    path("escalation/rules/<int:pk>/active/", views.RuleActiveView.as_view(), name="rule-active"),
    path("escalation/rules/<int:pk>/move/", views.RuleMoveView.as_view(), name="rule-move"),
    path("notifications/", views.NotificationList.as_view(), name="notifications"),
    path(
        "notifications/read-all/",
        views.NotificationReadAll.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/preferences/",
        views.NotificationPreferences.as_view(),
        name="notification-preferences",
    ),
    path(
        "notifications/<int:pk>/read/",
        views.NotificationRead.as_view(),
        name="notification-read",
    ),
]
