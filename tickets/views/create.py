"""Opening a ticket through the form."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from cogest import selectors as core_selectors
from cogest.form_errors import add_service_errors
from cogest.models import UserProfile
from cogest.querysets import viewer_for
from tickets.choices import PRIORITY_MATRIX
from tickets.forms import TicketCreateForm
from tickets.services import ticket_create

from .common import InternalSide


class TicketCreateView(InternalSide, View):
    """Open a ticket. Without a team, the responsibility matrix routes it."""

    template_name = "tickets/create.html"

    def form(self, data=None) -> TicketCreateForm:
        user = self.request.user
        viewer = viewer_for(user)
        technician = not viewer.is_requester
        teams, requesters = [], []
        if technician:
            teams = [
                t
                for t in core_selectors.team_list_for_user(user=user).filter(is_active=True)
                if t.organization_id == viewer.organization_id
            ]
            requesters = (
                UserProfile.objects.restrict(user, "view")
                .filter(organization__kind="internal", user__is_active=True)
                .exclude(user_id=user.pk)
                .select_related("user")
                .order_by("user__first_name", "user__username")
            )
        return TicketCreateForm(data, teams=teams, requesters=requesters, technician=technician)

    def render_form(self, form, status=200):
        matrix = {f"{i}:{u}": p for (i, u), p in PRIORITY_MATRIX.items()}
        preview = PRIORITY_MATRIX.get((form["impact"].value(), form["urgency"].value()))
        context = {
            **self.side_context(),
            "form": form,
            "priority_matrix": matrix,
            "priority_preview": preview,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_form(self.form())

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                ticket = ticket_create(by=request.user, **form.service_kwargs())
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, PermissionDenied):
                    form.add_error(None, str(exc))
                else:
                    add_service_errors(form, exc)
            else:
                if ticket.team:
                    text = _("%(number)s created and routed to %(team)s (%(org)s).") % {
                        "number": ticket.number,
                        "team": ticket.team.name,
                        "org": ticket.team.organization.name,
                    }
                else:
                    text = _("%(number)s created; no team matched it yet.") % {
                        "number": ticket.number
                    }
                messages.success(request, text)
                return redirect("tickets:detail", ticket.number)
        return self.render_form(form, status=400)
