"""Tickets and CIs on the pages: the ticket page's affected-CIs editor, the pickers' search
results, and the tickets panel the CI page loads (``tickets:ci-tickets``)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from tickets.cmdb_links import ci_picker, ci_tickets, posted_ids, visible_ci
from tickets.forms import TicketCIsForm
from tickets.services import ticket_update

from .actions import TicketActionView
from .common import sided
from .ticket_page import ticket_page_context


class TicketCIsView(TicketActionView):
    """Save the ticket's affected CIs (the whole set) through ``ticket_update``.

    ``op=search`` only searches: the page comes back with the picker open, the checked CIs kept
    and the results of the search, nothing saved (how the picker works without JavaScript)."""

    prefix = "cis"

    def get_form(self, ticket):
        return TicketCIsForm(self.request.POST)

    def post(self, request, number):
        if request.POST.get("op") != "search":
            return super().post(request, number)
        self.object = ticket = self.get_object()
        form = TicketCIsForm(
            initial={
                "version": request.POST.get("version") or ticket.version,
                "cis": request.POST.getlist("cis"),
                "ci_q": request.POST.get("ci_q", ""),
            }
        )
        context = ticket_page_context(self, ticket, {self.prefix: form})
        return render(request, "tickets/detail.html", context)

    def perform(self, ticket, form) -> str:
        ids = form.cleaned_data["cis"]
        ticket_update(
            ticket=ticket,
            by=self.request.user,
            expected_version=form.cleaned_data.get("version"),
            cis=ids,
        )
        if not ids:
            return _("No affected CIs any more.")
        return ngettext("%(n)d affected CI saved.", "%(n)d affected CIs saved.", len(ids)) % {
            "n": len(ids)
        }


class CIOptionsView(View):
    """The pickers' search results as they type (htmx): the checked CIs stay checked, the
    visible CIs matching ``ci_q`` follow. The same partial the forms draw without JavaScript."""

    def get(self, request):
        picker = ci_picker(
            user=request.user,
            selected_ids=posted_ids(request.GET.getlist("cis")[:100]),
            query=request.GET.get("ci_q", ""),
        )
        return render(request, "tickets/_ci_options.html", {"picker": picker})


class CITicketsView(View):
    """The CI page's tickets panel (an htmx partial): the open tickets affecting the CI and the
    ten most recently finished, only those the reader may see; 404 for an invisible CI."""

    def get(self, request, ci_pk: int):
        ci = visible_ci(user=request.user, pk=ci_pk)
        if ci is None:
            raise Http404(_("No such configuration item."))
        context = {
            **self.side_context(),
            "ci": ci,
            "ci_tickets": ci_tickets(user=request.user, ci=ci),
        }
        return render(request, "tickets/_ci_tickets.html", context)


SIDED_VIEWS = {"cis": TicketCIsView, "ci-options": CIOptionsView, "ci-tickets": CITicketsView}
INTERNAL_VIEWS = {name: sided(cls)[0] for name, cls in SIDED_VIEWS.items()}
PARTNER_VIEWS = {name: sided(cls)[1] for name, cls in SIDED_VIEWS.items()}
