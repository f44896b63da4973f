"""What every page's shell needs: the viewer's organization, audience and navigation."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cogest.querysets import viewer_for


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"instance_name": settings.COGEST_INSTANCE_NAME}
    viewer = viewer_for(user)
    profile = getattr(user, "profile", None)
    if viewer.is_provider:
        nav = [
            ("partner:home", _("Home")),
            ("partner-tickets:queue", _("My queue")),
            ("partner-tickets:handoffs", _("Handoffs to accept")),
            ("partner-tickets:list", _("Tickets")),
            ("partner:matrix", _("Escalation matrix")),
            ("partner:access", _("Access requests")),
        ]
    else:
        nav = [
            ("home", _("Home")),
            ("tickets:list", _("Tickets")),
            ("teams", _("Teams")),
            ("engagements", _("Engagements")),
            ("matrix", _("Responsibility matrix")),
        ]
        if not viewer.is_requester:
            nav.append(("access", _("Shares and access")))
            nav.append(("audit", _("Audit trail")))
    match = getattr(request, "resolver_match", None)
    current = getattr(match, "view_name", "")
    # A ticket's own pages (``tickets:detail``...) keep "Tickets" highlighted.
    in_tickets = match is not None and match.namespace.endswith("tickets")
    section = f"{match.namespace}:list" if in_tickets and current not in dict(nav) else ""
    return {
        "instance_name": settings.COGEST_INSTANCE_NAME,
        "viewer": viewer,
        "viewer_organization": profile.organization if profile else None,
        "audience": "partner" if viewer.is_provider else "internal",
        "nav_items": [
            {"url": reverse(name), "label": label, "active": name in (current, section)}
            for name, label in nav
        ],
        "show_admin": user.is_staff,
        "common_timezones": [
            "Europe/Madrid",
            "Europe/Lisbon",
            "Europe/London",
            "Atlantic/Canary",
            "America/New_York",
            "America/Mexico_City",
            "UTC",
        ],
    }
