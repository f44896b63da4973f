"""Links between tickets, watchers, decision records and saved views."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cmdb.models import ConfigurationItem
from cogest.models import Engagement, Organization
from cogest.querysets import viewer_for
from cogest.services import audit_record
from tickets.choices import LinkKind
from tickets.models import DecisionRecord, SavedView, Ticket, TicketLink


def _visible(by, pk) -> Ticket:
    return Ticket.objects.restrict(by, "view").get(pk=pk.pk if isinstance(pk, Ticket) else pk)


@transaction.atomic
def ticket_link(*, source: Ticket | int, target: Ticket | int, kind: str, by) -> TicketLink:
    """Link two tickets the actor can see (the source must be one they may change)."""
    if kind not in LinkKind.values:
        raise ValidationError({"kind": [_("Unknown link type.")]})
    source = Ticket.objects.lock_for_change(by, source.pk if isinstance(source, Ticket) else source)
    target = _visible(by, target)
    if source.pk == target.pk:
        raise ValidationError({"target": [_("A ticket cannot link to itself.")]})
    try:
        with transaction.atomic():
            link = TicketLink.objects.create(source=source, target=target, kind=kind, created_by=by)
    except IntegrityError:
        raise ValidationError(
            {"target": [_("These tickets are already linked that way.")]}
        ) from None
    audit_record(
        actor=by,
        action="ticket.linked",
        obj=source,
        after={"kind": kind, "target": target.pk, "target_number": target.number},
    )
    return link


@transaction.atomic
def ticket_unlink(*, link: TicketLink, by) -> None:
    source = Ticket.objects.lock_for_change(by, link.source_id)
    audit_record(
        actor=by,
        action="ticket.unlinked",
        obj=source,
        before={"kind": link.kind, "target": link.target_id},
    )
    link.delete()


@transaction.atomic
def ticket_watch(*, ticket: Ticket | int, by, watching: bool = True) -> Ticket:
    """Follow (or stop following) a ticket one can see."""
    ticket = _visible(by, ticket)
    if viewer_for(by).is_requester and ticket.requester_id != by.pk:
        raise PermissionDenied(_("You may not watch this ticket."))
    if watching:
        ticket.watchers.add(by)
    else:
        ticket.watchers.remove(by)
    audit_record(actor=by, action="ticket.watched" if watching else "ticket.unwatched", obj=ticket)
    return ticket


@transaction.atomic
def decision_record_create(
    *,
    by,
    title: str,
    context: str,
    decision: str,
    options: str = "",
    party: Organization,
    tickets=(),
    cis=(),
    engagement: Engagement | None = None,
    decided_on=None,
) -> DecisionRecord:
    """Record a technical decision, linked to tickets and CIs the author can see."""
    viewer = viewer_for(by)
    if viewer.is_requester:
        raise PermissionDenied(_("Only technicians record decisions."))
    errors = {}
    for name, value in (("title", title), ("context", context), ("decision", decision)):
        if not (value or "").strip():
            errors[name] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    if not Organization.objects.restrict(by, "view").filter(pk=party.pk).exists():
        raise ValidationError({"party": [_("Unknown organization.")]})
    ticket_ids = [t.pk if isinstance(t, Ticket) else int(t) for t in tickets]
    visible_tickets = list(Ticket.objects.restrict(by, "view").filter(pk__in=ticket_ids))
    if len(visible_tickets) != len(set(ticket_ids)):
        raise ValidationError({"tickets": [_("Unknown tickets.")]})
    ci_ids = [c.pk if hasattr(c, "pk") else int(c) for c in cis]
    visible_cis = list(ConfigurationItem.objects.restrict(by, "view").filter(pk__in=ci_ids))
    if len(visible_cis) != len(set(ci_ids)):
        raise ValidationError({"cis": [_("Unknown configuration items.")]})
    record = DecisionRecord.objects.create(
        title=title.strip()[:200],
        context=context.strip(),
        options=(options or "").strip(),
        decision=decision.strip(),
        decided_by=by,
        party=party,
        engagement=engagement,
        created_by=by,
        **({"decided_on": decided_on} if decided_on else {}),
    )
    record.tickets.set(visible_tickets)
    record.cis.set(visible_cis)
    for ticket in visible_tickets:
        audit_record(
            actor=by,
            action="decision.recorded",
            obj=ticket,
            after={"decision": record.pk, "title": record.title},
        )
    return record


ALLOWED_VIEW_PARAMS = {
    "status",
    "type",
    "priority",
    "team",
    "assignee",
    "functional_area",
    "ci",
    "engagement",
    "q",
    "created_after",
    "created_before",
    "ordering",
    "support_level",
    "mine",
    "unassigned",
}


@transaction.atomic
def saved_view_save(*, by, name: str, query: str) -> SavedView:
    """Save (or overwrite) a named ticket-list filter for the actor."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Name the view.")]})
    pairs = [
        (k, v)
        for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=False)
        if k in ALLOWED_VIEW_PARAMS
    ]
    view, _created = SavedView.objects.update_or_create(
        user=by, name=name[:80], defaults={"query": urlencode(pairs)[:1000]}
    )
    return view


@transaction.atomic
def saved_view_delete(*, by, view: SavedView) -> None:
    if view.user_id != by.pk:
        raise PermissionDenied(_("This is someone else's view."))
    view.delete()
