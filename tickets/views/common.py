"""What every ticket page shares: the two audiences (sides) and htmx detection."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy

from cogest.querysets import viewer_for
from cogest.views import InternalPageMixin, PartnerPageMixin

STALE_MESSAGE = gettext_lazy(
    "This ticket was changed by someone else in the meantime; reload the page and try again."
)


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


# --- Audiences --------------------------------------------------------------------------------


class SideMixin:
    """Which side a view serves. Someone on the other side is sent to the same page there (a
    provider opening ``/tickets/INC-000001/`` lands on ``/partner/tickets/INC-000001/``)."""

    audience = "internal"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.method == "GET":
            provider = viewer_for(request.user).is_provider
            if provider != (self.audience == "partner"):
                namespace = "partner-tickets" if provider else "tickets"
                match = request.resolver_match
                try:
                    url = reverse(f"{namespace}:{match.url_name}", kwargs=kwargs)
                except NoReverseMatch:
                    url = None
                if url:
                    query = request.GET.urlencode()
                    return redirect(f"{url}?{query}" if query else url)
        return super().dispatch(request, *args, **kwargs)

    @property
    def namespace(self) -> str:
        return self.request.resolver_match.namespace or "tickets"

    def url(self, name: str, *args) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)

    def side_context(self) -> dict:
        partner = self.audience == "partner"
        return {
            "base_template": "partner/base.html" if partner else "cogest/base_internal.html",
            "is_partner_side": partner,
        }


class InternalSide(SideMixin, InternalPageMixin):
    audience = "internal"


class PartnerSide(SideMixin, PartnerPageMixin):
    audience = "partner"


def sided(view_class):
    """The internal and partner versions of a view."""
    internal = type(f"Internal{view_class.__name__}", (InternalSide, view_class), {})
    partner = type(f"Partner{view_class.__name__}", (PartnerSide, view_class), {})
    return internal, partner
