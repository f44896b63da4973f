"""The ticket page: everything it shows, read restricted, in a fixed number of queries."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView
from django.views.generic.detail import SingleObjectMixin

from cmdb.models import ConfigurationItem
from cmdb.runbooks import runbooks_for_ticket
from cogest.models import Engagement, Organization, UserProfile
from cogest.querysets import viewer_for
from cogest.views import RestrictedViewMixin
from tickets import selectors
from tickets.choices import LinkKind, Status, Visibility
from tickets.cmdb_links import (
    TicketImpact,
    ci_picker,
    posted_ids,
    ticket_impact,
    with_critical_impact,
)
from tickets.forms import (
    AssignForm,
    CommentForm,
    DecisionForm,
    FieldsForm,
    HandoffForm,
    LinkForm,
    RejectForm,
    TicketCIsForm,
    TransitionForm,
    WorkLogForm,
)
from tickets.models import DecisionRecord, Ticket, TicketLink
from tickets.presentation import comment_audiences, describe_timeline, person_name

INVERSE_LINK_LABELS = {
    LinkKind.DUPLICATE_OF: gettext_lazy("Has duplicate"),
    LinkKind.CAUSED_BY: gettext_lazy("Causes"),
    LinkKind.PARENT_OF: gettext_lazy("Child of"),
    LinkKind.RELATES_TO: gettext_lazy("Relates to"),
}


class TicketObjectMixin(RestrictedViewMixin, SingleObjectMixin):
    # CIs and watchers are read restricted on the page, so not prefetched here; the critical
    # service flag is a column of the ticket's own row.
    queryset = with_critical_impact(selectors.TICKET_DETAIL_QUERYSET.prefetch_related(None))
    slug_field = "number"
    slug_url_kwarg = "number"
    context_object_name = "ticket"


# The move a technician most likely wants next: drawn as the primary button.
NEXT_STEP = {
    Status.NEW: Status.ASSIGNED,
    Status.ASSIGNED: Status.IN_PROGRESS,
    Status.IN_PROGRESS: Status.RESOLVED,
    Status.PENDING: Status.IN_PROGRESS,
    Status.RESOLVED: Status.CLOSED,
}


def _transition_forms(ticket, bound) -> list[dict]:
    rows = []
    for status in ticket.allowed_transitions:
        if bound is not None and bound.data.get("transition-to") == status:
            form = bound
        else:
            form = TransitionForm(
                prefix="transition", initial={"to": status, "version": ticket.version}
            )
        label = Status(status).label
        if ticket.status == Status.RESOLVED and status == Status.IN_PROGRESS:
            label = _("Reopen")
        rows.append(
            {
                "status": status,
                "label": label,
                "primary": NEXT_STEP.get(ticket.status) == status,
                "form": form,
                "needs_details": status in (Status.PENDING, Status.RESOLVED),
                "open": form is bound,
            }
        )
    return rows


def composer_context(ticket, viewer, organizations: dict, form=None) -> dict:
    """The composer and its audiences in words: who reads each visibility on this ticket."""
    composer = form or CommentForm(prefix="comment", requester=viewer.is_requester)
    audiences = comment_audiences(
        ticket=ticket,
        viewer=viewer,
        organizations=organizations,
        requester_name=person_name(ticket.requester) if ticket.requester else "",
    )
    selected = composer["visibility"].value() or Visibility.INTERNAL
    offered = dict(composer.fields["visibility"].choices)
    options = [
        {"value": v, "label": offered[v], "audience": audiences[v], "checked": v == selected}
        for v in (Visibility.INTERNAL, Visibility.SHARED, Visibility.PUBLIC)
        if v in offered
    ]
    return {"composer": composer, "visibility_options": options}


def ticket_page_context(view, ticket, forms=None) -> dict:
    """Everything the ticket page shows; a fixed number of queries whatever the ticket holds."""
    request = view.request
    user = request.user
    viewer = viewer_for(user)
    forms = forms or {}
    technician = not viewer.is_requester
    can_change = Ticket.objects.restrict(user, "change").filter(pk=ticket.pk).exists()
    entries = describe_timeline(selectors.ticket_timeline(ticket=ticket, user=user), user=user)
    organizations = {o.pk: o for o in Organization.objects.restrict(user, "view")}
    same_org, other_org = (
        selectors.teams_for_ticket(ticket=ticket, user=user) if technician else ([], [])
    )
    handoffs = [e.obj for e in entries if e.kind == "handoff"]
    pending = next((h for h in handoffs if h.status == "pending"), None)
    # The receiving side answers the handoff before it works the ticket.
    must_answer = bool(pending and pending.to_organization_id == viewer.organization_id)
    links = []
    for link in (
        TicketLink.objects.restrict(user, "view")
        .filter(Q(source=ticket) | Q(target=ticket))
        .select_related("source", "target")
    ):
        if link.source_id == ticket.pk:
            links.append({"label": LinkKind(link.kind).label, "ticket": link.target})
        else:
            links.append({"label": INVERSE_LINK_LABELS[link.kind], "ticket": link.source})
    # Watchers as far as the viewer may know people (another provider's stay unnamed).
    watchers = [
        profile.user
        for profile in UserProfile.objects.restrict(user, "view")
        .filter(user__watched_tickets=ticket)
        .select_related("user")
    ]
    version = {"version": ticket.version}
    cis = list(
        ConfigurationItem.objects.restrict(user, "view")
        .filter(tickets=ticket)
        .select_related("ci_class")
    )
    # One walk for all the CIs: the page costs the same for one CI or twenty.
    impact = ticket_impact(ticket=ticket, user=user, cis=cis) if technician else TicketImpact()
    can_edit = can_change and ticket.is_open
    my_team_member = any(
        m.pk == user.pk for t in same_org if t.pk == ticket.team_id for m in t.members.all()
    )
    return {
        **view.side_context(),
        "ticket": ticket,
        "entries": entries,
        "technician": technician,
        "can_change": can_change,
        "can_edit": can_edit,
        "can_comment": technician or ticket.requester_id == user.pk,
        **composer_context(ticket, viewer, organizations, forms.get("comment")),
        "transitions": _transition_forms(ticket, forms.get("transition"))
        if can_change and not must_answer
        else [],
        "assign_form": forms.get("assign")
        or AssignForm(
            prefix="assign",
            teams=same_org,
            initial={**version, "team": ticket.team_id, "assignee": ticket.assignee_id},
        ),
        "can_take": my_team_member and ticket.assignee_id != user.pk and not must_answer,
        "fields_form": forms.get("fields")
        or FieldsForm(
            prefix="fields",
            initial={**version, "impact": ticket.impact, "urgency": ticket.urgency},
        ),
        "handoff_form": forms.get("handoff")
        or HandoffForm(prefix="handoff", teams=other_org, initial=version),
        "handoff_open": "handoff" in forms,
        "pending_handoff": pending,
        "can_answer": must_answer,
        "reject_form": forms.get("reject") or RejectForm(prefix="reject"),
        "reject_open": "reject" in forms,
        "worklog_form": forms.get("worklog") or WorkLogForm(prefix="worklog"),
        "worklog_total": sum(e.obj.minutes for e in entries if e.kind == "worklog"),
        "link_form": forms.get("link") or LinkForm(prefix="link"),
        "decision_form": forms.get("decision")
        or DecisionForm(
            prefix="decision",
            organizations=organizations.values(),
            initial={"party": viewer.organization_id},
        ),
        "decision_open": "decision" in forms,
        "links": links,
        "decisions": list(
            DecisionRecord.objects.restrict(user, "view")
            .filter(tickets=ticket)
            .select_related("decided_by", "party")
        ),
        "cis": cis,
        "affected_services": impact.services,
        "critical_impact": impact.critical,
        "critical_services": impact.critical_services,
        **_ci_edit_context(ticket, user, cis, forms.get("cis"), enabled=can_edit and technician),
        # Runbooks of the CIs, their classes and the ticket's area: one query set, not per CI.
        "runbooks": list(
            runbooks_for_ticket(
                user=user, ci_ids=[ci.pk for ci in cis], area=ticket.functional_area
            )
        )
        if technician
        else [],
        "audience": view.audience,
        "watchers": watchers,
        "is_watching": any(w.pk == user.pk for w in watchers),
        "open_forms": set(forms),
        "ticket_url": view.url("detail", ticket.number),
        "show_engagement": bool(
            ticket.engagement_id
            and technician
            and Engagement.objects.restrict(user, "view").filter(pk=ticket.engagement_id).exists()
        ),
        "sla_panel_template": ["sla/ticket_clocks_panel.html", "tickets/_sla_panel.html"],
    }


def _ci_edit_context(ticket, user, cis, form, *, enabled: bool) -> dict:
    """The affected-CIs editor: the linked CIs checked (read already, no query), or what a
    search or a refused save brought back (``form``) with that search's results."""
    if not enabled:
        return {"ci_form": None, "ci_picker": None}
    if form is None:
        form = TicketCIsForm(initial={"version": ticket.version, "cis": [ci.pk for ci in cis]})
        return {"ci_form": form, "ci_picker": ci_picker(user=user, selected=cis)}
    picker = ci_picker(
        user=user,
        selected_ids=posted_ids(form["cis"].value() or []),
        query=form["ci_q"].value() or "",
    )
    return {"ci_form": form, "ci_picker": picker}


class TicketDetailView(TicketObjectMixin, DetailView):
    template_name = "tickets/detail.html"

    def get_context_data(self, **kwargs):
        return ticket_page_context(self, self.object, kwargs.get("forms"))
