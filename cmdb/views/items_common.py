"""What every CI page shares: the two audiences (internal UI and partner portal), and the
CMDB being for technicians only."""

from __future__ import annotations

from django.http import Http404

from cogest.querysets import viewer_for
from cogest.views import OtherSideRedirectMixin, side_classes
from cogest.views import sided as cogest_sided

INTERNAL_NS, PARTNER_NS = "cmdb", "partner-cmdb"


class CISideMixin(OtherSideRedirectMixin):
    """Which audience a CI page serves. The CMDB is for technicians: a requester gets 404
    everywhere (``restrict`` gives them no CI). Someone on the other side opening a page is sent
    to the same page there (a provider opening ``/cmdb/cis/7/`` lands on
    ``/partner/cmdb/cis/7/``)."""

    namespaces = (INTERNAL_NS, PARTNER_NS)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            viewer = viewer_for(request.user)
            if not viewer.is_authenticated or viewer.is_requester:
                raise Http404
        return super().dispatch(request, *args, **kwargs)


InternalSide, PartnerSide = side_classes(CISideMixin)


def sided(view_class) -> tuple[type, type]:
    """The internal and partner versions of a CMDB page."""
    return cogest_sided(view_class, CISideMixin)
