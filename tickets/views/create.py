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
from tickets.choices import PRIORITY_MATRIX, TicketType
from tickets.cmdb_links import ci_picker, posted_ids, visible_ci
from tickets.forms import TicketCreateForm
from tickets.services import ticket_create

from .common import InternalSide


class TicketCreateView(InternalSide, View):
    """Open a ticket. Without a team, the responsibility matrix routes it.

    ``?ci=<id>`` (the CI page's "New incident") pre-fills it from a CI the viewer may see: the CI
    chosen, its class's functional area, the incident type, and a title hint. The affected-CIs
    picker searches without JavaScript too: its "Search" button re-draws the form, keeping what
    was typed, and creates nothing.
    """

    template_name = "tickets/create.html"

    def form(self, data=None, initial=None) -> TicketCreateForm:
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
        return TicketCreateForm(
            data, initial=initial, teams=teams, requesters=requesters, technician=technician
        )

    def render_form(self, form, status=200, source_ci=None):
        matrix = {f"{i}:{u}": p for (i, u), p in PRIORITY_MATRIX.items()}
        preview = PRIORITY_MATRIX.get((form["impact"].value(), form["urgency"].value()))
        picker = None
        if "cis" in form.fields:
            picker = ci_picker(
                user=self.request.user,
                selected_ids=posted_ids(form["cis"].value() or []),
                query=form["ci_q"].value() or "",
            )
        context = {
            **self.side_context(),
            "form": form,
            "priority_matrix": matrix,
            "priority_preview": preview,
            "picker": picker,
            "source_ci": source_ci,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        raw = request.GET.get("ci")
        if raw is None:
            return self.render_form(self.form())
        ci = None
        if raw.isascii() and raw.isdigit() and len(raw) <= 18:
            ci = visible_ci(user=request.user, pk=int(raw))
        if ci is None or viewer_for(request.user).is_requester:
            # The same words for an unknown and an invisible CI: nothing is revealed.
            messages.warning(
                request, _("That configuration item is not available to you; nothing was filled.")
            )
            return self.render_form(self.form())
        initial = {"type": TicketType.INCIDENT, "cis": [ci.pk]}
        if ci.ci_class.functional_area:
            initial["functional_area"] = ci.ci_class.functional_area
        form = self.form(initial=initial)
        form.fields["title"].widget.attrs["placeholder"] = _(
            "What is wrong with %(ci)s? e.g. “%(ci)s does not respond”"
        ) % {"ci": ci.name}
        return self.render_form(form, source_ci=ci)

    def post(self, request):
        if request.POST.get("op") == "search":
            # Searching CIs is not submitting: the form comes back with what was typed, no errors.
            form = self.form(initial=_as_initial(request.POST))
            return self.render_form(form)
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


def _as_initial(data) -> dict:
    """Posted values as a form's initial values (lists for the affected CIs)."""
    initial = {key: data.get(key) for key in data if key not in ("csrfmiddlewaretoken", "op")}
    initial["cis"] = data.getlist("cis")
    return initial
