"""The page that explains a ticket's SLA clocks (SPEC 2.4, "explainable"): for every clock the
reader may see, its policy, calendar, each start, pause with its reason, resume, recomputation,
warning, breach and stop, the time counted against the target and, for an end-to-end clock, how
long each organization held the ticket. Internal staff read it under ``/tickets/``, a provider's
people under ``/partner/tickets/``; with ``HX-Request`` it answers the explanations only (the
ticket page loads one clock's into its SLA panel)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic.detail import SingleObjectMixin

from cogest.filters import MAX_ID
from cogest.querysets import viewer_for
from cogest.views import RestrictedViewMixin, is_htmx
from sla.selectors import clock_explanations_for_ticket
from tickets.models import Ticket


def _clock_id(request) -> int | None:
    """The ``clock`` parameter (one clock's explanation), or ``None`` for every clock. Anything
    but a database id is a 404: there is no such clock."""
    raw = request.GET.get("clock")
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_ID:
        raise Http404
    return int(raw)


class TicketClocksView(LoginRequiredMixin, RestrictedViewMixin, SingleObjectMixin, View):
    """Every clock of one ticket, explained. A ticket the reader may not see answers 404."""

    audience = "internal"
    queryset = Ticket.objects.all()
    slug_field = "number"
    slug_url_kwarg = "number"
    page_template = "sla/clock_explanations_page.html"
    partial_template = "sla/clock_explanations.html"

    def dispatch(self, request, *args, **kwargs):
        # Someone on the other side reads the same page in their own portal.
        if request.user.is_authenticated:
            provider = viewer_for(request.user).is_provider
            if provider != (self.audience == "partner"):
                url = self.url_for(kwargs["number"], partner=provider)
                query = request.GET.urlencode()
                return redirect(f"{url}?{query}" if query else url)
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def url_for(number: str, *, partner: bool) -> str:
        return reverse(
            "sla-clocks:partner-ticket" if partner else "sla-clocks:ticket", args=[number]
        )

    def get(self, request, number):
        ticket = self.get_object()
        clock_id = _clock_id(request)
        explanations = clock_explanations_for_ticket(
            ticket=ticket, user=request.user, now=timezone.now(), clock_id=clock_id
        )
        if clock_id is not None and not explanations:
            raise Http404
        partner = self.audience == "partner"
        context = {
            "ticket": ticket,
            "explanations": explanations,
            "ticket_url": reverse(
                "partner-tickets:detail" if partner else "tickets:detail", args=[ticket.number]
            ),
            "base_template": "partner/base.html" if partner else "cogest/base_internal.html",
            "is_partner_side": partner,
            "tz": timezone.get_current_timezone_name(),
        }
        if is_htmx(request):
            return render(request, self.partial_template, context)
        return render(request, self.page_template, context)


class PartnerTicketClocksView(TicketClocksView):
    audience = "partner"
