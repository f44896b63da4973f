"""Who sees and changes which CI, relation, runbook, proposal and import (SPEC 3), declared once.

Internal staff read and write the whole CMDB. A provider reads the CIs in its engagements' scope,
the ones its organization manages, the ones linked to tickets it sees and the ones granted to it;
it changes only what its organization manages (other changes become proposals).
"""

from __future__ import annotations

import contextlib

from django.db.models import Q

from cogest.querysets import RestrictedQuerySet, Viewer, viewer_for


def _active_engagements(viewer: Viewer) -> list:
    """The viewer's organization's active engagements (their CI scope and areas), read once per
    request: every CMDB rule of a provider (CIs, runbooks, nested restricts) starts from them."""
    cached = getattr(viewer.user, "_cogest_cmdb_engagements", None)
    if cached is not None and cached[0] == viewer.organization_id:
        return cached[1]
    from cogest.models import Engagement

    engagements = list(
        Engagement.objects.active()
        .filter(provider_id=viewer.organization_id)
        .only("scope_areas", "scope_ci_filter", "model")
    )
    with contextlib.suppress(AttributeError):
        viewer.user._cogest_cmdb_engagements = (viewer.organization_id, engagements)
    return engagements


def _engagement_scopes(viewer: Viewer) -> list[Q]:
    """One ``Q`` per active engagement of the viewer's organization.

    An engagement's ``scope_ci_filter`` (``site``, ``environment``, ``ci_class``, ``status``,
    ``criticality``: a value or a list) decides its CIs; without one, the CIs whose class belongs
    to one of the engagement's functional areas are in scope."""
    scopes = []
    for engagement in _active_engagements(viewer):
        scope = scope_from_filter(engagement.scope_ci_filter or {})
        if scope is None:
            areas = list(engagement.scope_areas or [])
            if engagement.model == "managed" and not areas:
                scope = Q(pk__isnull=False)
            elif areas:
                scope = Q(ci_class__functional_area__in=areas)
        if scope is not None:
            scopes.append(scope)
    return scopes


FILTER_KEYS = {
    "site": "site__in",
    "environment": "environment__in",
    "status": "status__in",
    "criticality": "criticality__in",
    "ci_class": "ci_class__slug__in",
}


def scope_from_filter(ci_filter: dict) -> Q | None:
    """The ``Q`` of an engagement's CI filter, or ``None`` when it names nothing we know."""
    scope, used = Q(), False
    for key, lookup in FILTER_KEYS.items():
        if key not in ci_filter:
            continue
        value = ci_filter[key]
        values = value if isinstance(value, list) else [value]
        scope &= Q(**{lookup: values})
        used = True
    return scope if used else None


class ConfigurationItemQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        if viewer.is_requester:
            return None
        if viewer.is_internal:
            return Q()
        org = viewer.organization_id
        if action == "change":
            return Q(managed_by_id=org)
        from cogest.models import AccessGrant

        # Tickets are to the right of the CMDB (STYLE.md): reach them through the relation.
        ticket_model = self.model.tickets.rel.related_model
        links = ticket_model.cis.through.objects.filter(
            ticket_id__in=ticket_model.objects.restrict(viewer.user, "view").values("pk")
        )
        rule = (
            Q(managed_by_id=org)
            | Q(pk__in=links.values("configurationitem_id"))
            | Q(pk__in=AccessGrant.objects.for_viewer(viewer, self.model))
        )
        for scope in _engagement_scopes(viewer):
            rule |= scope
        return rule

    def search(self, text: str):
        """Name, asset tag or serial number containing ``text`` (case-insensitive)."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            Q(name__icontains=text) | Q(asset_tag__icontains=text) | Q(serial__icontains=text)
        )


def visible_ci_ids(user):
    from cmdb.models import ConfigurationItem

    return ConfigurationItem.objects.restrict(user, "view").values("pk")


class CIRelationQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """A relation is seen by whoever sees both its ends, and changed by whoever may change
        its source CI (the relation describes the source)."""
        if viewer.is_requester:
            return None
        if viewer.is_internal:
            return Q()
        if action == "change":
            return Q(source__managed_by_id=viewer.organization_id)
        visible = visible_ci_ids(viewer.user)
        return Q(source_id__in=visible) & Q(target_id__in=visible)


class CIClassQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Every technician reads the classes; internal managers change them (admin too)."""
        if viewer.is_requester:
            return None
        if action == "change":
            return Q() if viewer.is_internal and viewer.is_manager else None
        return Q()


def _provider_scope_areas(viewer: Viewer) -> list[str]:
    areas: set[str] = set()
    for engagement in _active_engagements(viewer):
        areas.update(engagement.scope_areas or [])
    return sorted(areas)


class RunbookQuerySet(RestrictedQuerySet):
    filter_joins = True

    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Readable by both sides (SPEC 2.6): a provider reads the runbooks it co-owns, those of
        the CIs it sees and those of its engagements' areas; it edits the ones it co-owns."""
        if viewer.is_requester:
            return None
        if viewer.is_internal:
            return Q()
        own = Q(provider_organization_id=viewer.organization_id)
        if action == "change":
            return own
        rule = own | Q(cis__in=visible_ci_ids(viewer.user))
        for area in _provider_scope_areas(viewer):
            rule |= Q(areas__icontains=f'"{area}"')
        return rule


class RunbookPartQuerySet(RestrictedQuerySet):
    """Versions, acknowledgements and review tasks follow their runbook."""

    runbook_path = "runbook"

    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        from cmdb.models import Runbook

        if viewer.is_requester:
            return None
        if viewer.is_internal:
            return Q()
        visible = Runbook.objects.restrict(viewer.user, action).values("pk")
        return Q(**{f"{self.runbook_path}__in": visible})


class ProposalQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Internal staff see every proposal and decide them; a provider sees its own
        organization's proposals (and may withdraw them)."""
        if viewer.is_requester:
            return None
        if viewer.is_internal:
            return Q()
        return Q(organization_id=viewer.organization_id)


class ImportJobQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Imports are an internal tool (bulk writes across organizations' CIs)."""
        if viewer.is_internal and not viewer.is_requester:
            return Q()
        return None


__all__ = [
    "CIClassQuerySet",
    "CIRelationQuerySet",
    "ConfigurationItemQuerySet",
    "ImportJobQuerySet",
    "ProposalQuerySet",
    "RunbookPartQuerySet",
    "RunbookQuerySet",
    "scope_from_filter",
    "viewer_for",
    "visible_ci_ids",
]
