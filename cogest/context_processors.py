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
            ("partner:matrix", _("Escalation matrix")),
        ]
    else:
        nav = [
            ("home", _("Home")),
            ("teams", _("Teams")),
            ("engagements", _("Engagements")),
            ("matrix", _("Responsibility matrix")),
        ]
        if not viewer.is_requester:
            nav.append(("audit", _("Audit trail")))
    current = getattr(getattr(request, "resolver_match", None), "view_name", "")
    return {
        "instance_name": settings.COGEST_INSTANCE_NAME,
        "viewer": viewer,
        "viewer_organization": profile.organization if profile else None,
        "audience": "partner" if viewer.is_provider else "internal",
        "nav_items": [
            {"url": reverse(name), "label": label, "active": current == name} for name, label in nav
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
