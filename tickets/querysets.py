"""Who sees which ticket, comment, attachment, work log and handoff (SPEC 3), declared once."""

from __future__ import annotations

import contextlib

from django.apps import apps
from django.db.models import Q

from cogest.querysets import RestrictedQuerySet, Viewer, viewer_for


def _model(name: str):
    return apps.get_model("tickets", name)


class TicketQuerySet(RestrictedQuerySet):
    guardian_shares = True

    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Internal staff see and work every ticket. A requester sees the tickets she asked for.
        A provider sees what its teams hold now or held before, what was shared with it or
        granted to it (a ticket or a team's queue, while the grant is in force), and everything
        in the scope of its ``managed`` engagements; it changes what it holds now."""
        if viewer.is_requester:
            return Q(requester_id=viewer.user.pk) if action == "view" else None
        if viewer.is_internal:
            return Q()
        org = viewer.organization_id
        if action == "change":
            return Q(team__organization_id=org)
        from cogest.models import AccessGrant, Team

        held = _model("TicketHolding").objects.filter(organization_id=org).values("ticket_id")
        rule = (
            Q(pk__in=held)
            # Shares and approved requests in force: one ticket, or a team's whole queue.
            | Q(pk__in=AccessGrant.objects.for_viewer(viewer, self.model))
            | Q(team_id__in=AccessGrant.objects.for_viewer(viewer, Team))
        )
        for scope in _managed_scopes_for(viewer):
            rule |= scope
        return rule

    def open(self):
        from tickets.choices import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)

    def search(self, text: str):
        """Full-text search: PostgreSQL's index (number, title, description); a plain
        case-insensitive match elsewhere."""
        text = (text or "").strip()
        if not text:
            return self
        if self.db == "default" and _vendor() == "postgresql":
            return self.extra(
                where=["tickets_ticket.search_document @@ websearch_to_tsquery('simple', %s)"],
                params=[text],
            )
        return self.filter(
            Q(number__iexact=text) | Q(title__icontains=text) | Q(description__icontains=text)
        )


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


def _managed_scopes_for(viewer: Viewer) -> list[Q]:
    """``managed_scopes`` read once per request (the user object's life): the ticket rule is
    built again by every nested ``restrict`` (clocks, comments, attachments of visible
    tickets), and each would read the engagements again."""
    cached = getattr(viewer.user, "_cogest_managed_scopes", None)
    if cached is None or cached[0] != viewer.organization_id:
        cached = (viewer.organization_id, managed_scopes(viewer.organization_id))
        with contextlib.suppress(AttributeError):
            viewer.user._cogest_managed_scopes = cached
    return cached[1]


def managed_scopes(organization_id: int) -> list[Q]:
    """Tickets in the scope of the organization's active ``managed`` engagements."""
    from cogest.models import Engagement

    scopes = []
    engagements = Engagement.objects.active().filter(provider_id=organization_id, model="managed")
    for engagement in engagements.only("scope_areas", "scope_levels"):
        scope = Q()
        if engagement.scope_areas:
            scope &= Q(functional_area__in=engagement.scope_areas)
        if engagement.scope_levels:
            scope &= Q(support_level__in=engagement.scope_levels)
        scopes.append(scope if scope else Q(pk__isnull=False))
    return scopes


def visible_ticket_ids(user):
    return _model("Ticket").objects.restrict(user, "view").values("pk")


def readable_visibilities(viewer: Viewer) -> Q:
    """Comment/attachment rule by visibility: the requester reads ``public``; technicians read
    ``public`` and ``shared``, and ``internal`` only from their own organization."""
    if viewer.is_requester:
        return Q(visibility="public")
    return Q(visibility__in=["public", "shared"]) | Q(
        visibility="internal", author_organization_id=viewer.organization_id
    )


class CommentQuerySet(RestrictedQuerySet):
    append_only = True  # corrections are new comments, even for administrators

    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Comments of visible tickets, by visibility; nobody edits a comment."""
        if action == "change":
            return None
        return Q(ticket_id__in=visible_ticket_ids(viewer.user)) & readable_visibilities(viewer)


class AttachmentQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        if action == "change":
            return None
        rule = Q(visibility__in=["public", "shared"]) | Q(
            visibility="internal", uploader_organization_id=viewer.organization_id
        )
        if viewer.is_requester:
            rule = Q(visibility="public")
        return Q(ticket_id__in=visible_ticket_ids(viewer.user)) & rule


class WorkLogQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Internal staff read every work log of a ticket; a provider its own organization's."""
        if viewer.is_requester or action == "change":
            return None
        rule = Q(ticket_id__in=visible_ticket_ids(viewer.user))
        if not viewer.is_internal:
            rule &= Q(author_organization_id=viewer.organization_id)
        return rule


class HandoffQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Handoffs of visible tickets; a provider sees those to or from its organization. The
        receiving organization answers them (``change``)."""
        if viewer.is_requester:
            return None
        if action == "change":
            return Q(to_organization_id=viewer.organization_id, status="pending")
        rule = Q(ticket_id__in=visible_ticket_ids(viewer.user))
        if not viewer.is_internal:
            rule &= Q(from_organization_id=viewer.organization_id) | Q(
                to_organization_id=viewer.organization_id
            )
        return rule


class TicketLinkQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        visible = visible_ticket_ids(viewer.user)
        return Q(source_id__in=visible) & Q(target_id__in=visible)


class DecisionRecordQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Internal staff read every decision; a provider reads those taken for it or within
        its engagements. Decisions are records: nobody edits them."""
        if action == "change" or viewer.is_requester:
            return None
        if viewer.is_internal:
            return Q()
        return Q(party_id=viewer.organization_id) | Q(
            engagement__provider_id=viewer.organization_id
        )


class SavedViewQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        return Q(user_id=viewer.user.pk)

    def restrict(self, user, action: str = "view"):
        # Saved views are personal, administrators included.
        viewer = viewer_for(user)
        if not viewer.is_authenticated:
            return self.none()
        return self.filter(user_id=user.pk)
