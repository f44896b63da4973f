"""What every CI page shares: the two audiences (internal UI and partner portal), htmx
detection and pagination without a count."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

from cogest.querysets import viewer_for
from cogest.views import SideMixin, side_classes
from cogest.views import sided as cogest_sided

INTERNAL_NS, PARTNER_NS = "cmdb", "partner-cmdb"


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


class CISideMixin(SideMixin):
    """Which audience a CI page serves. The CMDB is for technicians: a requester gets 404
    everywhere (``restrict`` gives them no CI). Someone on the other side opening a page is sent
    to the same page there (a provider opening ``/cmdb/cis/7/`` lands on
    ``/partner/cmdb/cis/7/``)."""

    namespaces = (INTERNAL_NS, PARTNER_NS)

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated:
            viewer = viewer_for(user)
            if not viewer.is_authenticated or viewer.is_requester:
                raise Http404
            if request.method == "GET" and viewer.is_provider != (self.audience == "partner"):
                namespace = PARTNER_NS if viewer.is_provider else INTERNAL_NS
                try:
                    url = reverse(f"{namespace}:{request.resolver_match.url_name}", kwargs=kwargs)
                except NoReverseMatch:
                    url = None
                if url:
                    query = request.GET.urlencode()
                    return redirect(f"{url}?{query}" if query else url)
        return super().dispatch(request, *args, **kwargs)

    def url(self, name: str, *args) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)


InternalSide, PartnerSide = side_classes(CISideMixin)


def sided(view_class) -> tuple[type, type]:
    """The internal and partner versions of a CMDB page."""
    return cogest_sided(view_class, CISideMixin)


class NoCountPage(Page):
    """A page that knows whether a next one exists without counting every row."""

    def __init__(self, object_list, number, paginator, has_next: bool):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self) -> bool:
        return self._has_next

    def start_index(self) -> int:
        if not self.object_list:
            return 0
        return (self.number - 1) * self.paginator.per_page + 1

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class NoCountPaginator(Paginator):
    """One ``LIMIT per_page + 1`` query per page, no ``COUNT(*)``: the CI list stays fast at
    100,000 CIs behind a provider's visibility rule."""

    def validate_number(self, number) -> int:
        try:
            number = int(number)
        except (TypeError, ValueError):
            return 1
        return min(max(number, 1), 100_000)

    def page(self, number) -> NoCountPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        return NoCountPage(rows[: self.per_page], number, self, len(rows) > self.per_page)
