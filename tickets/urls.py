"""Ticket pages of the internal UI, mounted at ``/tickets/`` (namespace ``tickets``).

The partner portal mounts the same pages (``tickets/partner_urls.py``, namespace
``partner-tickets``); templates write ``{% url 'tickets:detail' n %}`` and Django resolves it
in the namespace of the page being rendered.
"""

from django.urls import path, register_converter

from tickets import views
from tickets.views import ci_tickets


class TicketNumberConverter:
    regex = r"[A-Za-z]{3}-[0-9]{1,12}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(TicketNumberConverter, "number")


def ticket_patterns(views_by_name: dict) -> list:
    """The pages both audiences share, from the side's own view classes."""
    v = {name: cls.as_view() for name, cls in views_by_name.items()}
    actions = [
        "comment",
        "transition",
        "assign",
        "fields",
        "handoff",
        "accept",
        "reject",
        "worklog",
        "watch",
        "link",
        "decision",
        "cis",
    ]
    return [
        path("", v["list"], name="list"),
        path("bulk/", v["bulk"], name="bulk"),
        path("views/", v["saved-view-save"], name="saved-view-save"),
        path("views/<int:pk>/delete/", v["saved-view-delete"], name="saved-view-delete"),
        # The CI page's tickets panel, and the affected-CIs pickers' search results.
        path("for-ci/<int:ci_pk>/", v["ci-tickets"], name="ci-tickets"),
        path("ci-options/", v["ci-options"], name="ci-options"),
        path("<number:number>/", v["detail"], name="detail"),
        *[path(f"<number:number>/{a}/", v[a], name=a) for a in actions],
        path(
            "<number:number>/attachments/<int:attachment_id>/",
            v["attachment"],
            name="attachment",
        ),
    ]


INTERNAL_VIEWS = {**views.INTERNAL_VIEWS, **ci_tickets.INTERNAL_VIEWS}
PARTNER_VIEWS = {**views.PARTNER_VIEWS, **ci_tickets.PARTNER_VIEWS}

app_name = "tickets"
urlpatterns = [
    path("new/", views.TicketCreateView.as_view(), name="create"),
    *ticket_patterns(INTERNAL_VIEWS),
]
