"""The partner portal's own pages: my queue and the handoffs to accept."""

from __future__ import annotations

from django.views.generic import TemplateView

from tickets import selectors
from tickets.forms import RejectForm

from .common import PartnerSide


class PartnerQueueView(PartnerSide, TemplateView):
    """My open tickets and my teams' unassigned ones."""

    template_name = "tickets/partner_queue.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            **self.side_context(),
            "mine": list(selectors.ticket_queue_for_user(user=user).order_by("priority", "-id")),
            "unassigned": list(
                selectors.ticket_team_queue_for_user(user=user).order_by("priority", "-id")
            ),
        }


class PartnerHandoffsView(PartnerSide, TemplateView):
    """Handoffs waiting for my organization: the checklist, the summary, accept or reject."""

    template_name = "tickets/partner_handoffs.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            **self.side_context(),
            "handoffs": list(selectors.handoffs_waiting_for(user=self.request.user)),
            "reject_form": RejectForm(prefix="reject"),
        }
