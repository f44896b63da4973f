"""Words for people: the timeline's events as sentences, and who will read a comment.

Pure presentation over already restricted data: names come from restricted querysets, so a
person or team the reader may not see is described by its kind, never by its name.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cogest.choices import FunctionalArea, SupportLevel
from cogest.models import Team, UserProfile
from tickets.choices import Level as LevelChoices
from tickets.choices import LinkKind, PendingReason, ResolutionCode, Status, Visibility
from tickets.models import TicketHolding

FIELD_LABELS = {
    "title": lambda: _("title"),
    "description": lambda: _("description"),
    "impact": lambda: _("impact"),
    "urgency": lambda: _("urgency"),
    "functional_area": lambda: _("functional area"),
    "support_level": lambda: _("support level"),
    "priority": lambda: _("priority"),
    "cis": lambda: _("affected CIs"),
}
CHOICE_LABELS = {
    "impact": LevelChoices,
    "urgency": LevelChoices,
    "functional_area": FunctionalArea,
    "support_level": SupportLevel,
}
EVENT_ICONS = {
    "ticket.created": "plus-circle",
    "ticket.updated": "pencil",
    "ticket.assigned": "person",
    "ticket.status_changed": "arrow-right-circle",
    "ticket.linked": "link-45deg",
    "ticket.unlinked": "link-45deg",
    "decision.recorded": "journal-check",
    "sla.warning": "hourglass-split",
    "sla.breached": "alarm",
    "escalation.fired": "arrow-up-right-circle",
    "escalation.failed": "exclamation-triangle",
}
# What the SLA app's clocks are called in sentences (tickets/ does not import sla/).
CLOCK_TARGETS = {
    "response": gettext_lazy("first response"),
    "resolution": gettext_lazy("resolution"),
    "accept": gettext_lazy("handoff acceptance"),
    "party_resolution": gettext_lazy("the holding team's resolution"),
}
ESCALATION_ACTIONS = {
    "raise_priority": gettext_lazy("priority raised"),
    "handoff": gettext_lazy("handed off"),
    "reassign": gettext_lazy("reassigned"),
    "notify": gettext_lazy("people notified"),
    "post_to_channel": gettext_lazy("posted to the team's channel"),
    "activate_shadow": gettext_lazy("shadow support activated"),
    "add_watchers": gettext_lazy("watchers added"),
}
HIDDEN_ACTIONS = frozenset({"ticket.watched", "ticket.unwatched"})


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


@dataclass
class Names:
    """Display names of the people and teams a timeline mentions, as far as the reader may know."""

    people: dict[int, str]
    teams: dict[int, str]

    def person(self, pk) -> str:
        if pk is None:
            return _("nobody")
        return self.people.get(pk, _("someone from another organization"))

    def team(self, pk) -> str:
        if pk is None:
            return _("no team")
        return self.teams.get(pk, _("another organization's team"))


def _ids(events, key: str) -> set[int]:
    found = set()
    for event in events:
        for side in (event.before, event.after):
            if isinstance(side, dict) and isinstance(side.get(key), int):
                found.add(side[key])
    return found


def names_for(events, *, user) -> Names:
    """Two queries whatever the number of events."""
    people_ids = _ids(events, "assignee") | {e.actor_id for e in events if e.actor_id}
    team_ids = _ids(events, "team")
    people = {}
    if people_ids:
        profiles = (
            UserProfile.objects.restrict(user, "view")
            .filter(user_id__in=people_ids)
            .select_related("user")
        )
        people = {p.user_id: person_name(p.user) for p in profiles}
    teams = {}
    if team_ids:
        teams = dict(
            Team.objects.restrict(user, "view").filter(pk__in=team_ids).values_list("pk", "name")
        )
    return Names(people=people, teams=teams)


def describe_event(event, names: Names) -> dict:
    """``{"icon", "actor", "text", "note"}`` for one audit event of a ticket."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    actor = names.people.get(event.actor_id) if event.actor_id else None
    if actor is None:
        actor = event.actor_label if event.actor_id is None else names.person(event.actor_id)
    text, note = "", ""
    action = event.action
    if action == "ticket.created":
        if after.get("team"):
            text = _("opened the ticket and it was routed to %(team)s") % {
                "team": names.team(after["team"])
            }
        else:
            text = _("opened the ticket; no team matched it")
    elif action == "ticket.updated":
        parts = []
        for key in after:
            if key == "priority":
                parts.append(
                    _("priority P%(before)s → P%(after)s")
                    % {"before": before.get(key, "?"), "after": after[key]}
                )
            elif key in CHOICE_LABELS:
                parts.append(
                    _("%(field)s %(before)s → %(after)s")
                    % {
                        "field": FIELD_LABELS[key](),
                        "before": _label(CHOICE_LABELS[key], before.get(key)),
                        "after": _label(CHOICE_LABELS[key], after[key]),
                    }
                )
            elif key in FIELD_LABELS:
                parts.append(_("the %(field)s") % {"field": FIELD_LABELS[key]()})
        text = _("changed %(changes)s") % {"changes": "; ".join(parts)} if parts else ""
    elif action == "ticket.assigned":
        team_changed = before.get("team") != after.get("team")
        assignee = after.get("assignee")
        if assignee and assignee == event.actor_id and not team_changed:
            text = _("took the ticket")
        elif assignee:
            text = _("assigned the ticket to %(person)s (%(team)s)") % {
                "person": names.person(assignee),
                "team": names.team(after.get("team")),
            }
        elif team_changed:
            text = _("moved the ticket to %(team)s") % {"team": names.team(after.get("team"))}
        else:
            text = _("unassigned the ticket")
    elif action == "ticket.status_changed":
        to = after.get("status")
        text = _("changed the status from %(before)s to %(after)s") % {
            "before": _label(Status, before.get("status")),
            "after": _label(Status, to),
        }
        if to == Status.PENDING and after.get("pending_reason"):
            text += " — " + _label(PendingReason, after["pending_reason"]).lower()
        if to == Status.RESOLVED:
            text = _("resolved the ticket (%(code)s)") % {
                "code": _label(ResolutionCode, after.get("resolution_code", "fixed"))
            }
            note = event.note
        if before.get("status") == Status.RESOLVED and to == Status.IN_PROGRESS:
            text = _("reopened the ticket")
    elif action == "ticket.linked":
        text = _("linked this ticket: %(kind)s %(number)s") % {
            "kind": _label(LinkKind, after.get("kind")).lower(),
            "number": after.get("target_number", ""),
        }
    elif action == "ticket.unlinked":
        text = _("removed a link to another ticket")
    elif action == "decision.recorded":
        text = _("recorded a decision: %(title)s") % {"title": after.get("title", "")}
    elif action in ("sla.warning", "sla.breached"):
        clock = {"target": CLOCK_TARGETS.get(after.get("target"), after.get("target", "")),
                 "kind": str(after.get("kind", "")).upper()}  # fmt: skip
        if action == "sla.warning":
            text = _("SLA warning: the %(target)s clock (%(kind)s) passed its threshold") % clock
        else:
            text = _("SLA breached: the %(target)s clock (%(kind)s) ran out") % clock
        actor = _("SLA")
    elif action == "escalation.fired":
        done = [ESCALATION_ACTIONS.get(a.get("action"), "") for a in after.get("actions", [])]
        text = _("escalation “%(rule)s”: %(done)s") % {
            "rule": event.note,
            "done": ", ".join(str(d) for d in done if d) or _("nothing to do"),
        }
        actor = _("Escalation")
    elif action == "escalation.failed":
        text = _("escalation “%(rule)s” could not act") % {"rule": after.get("rule_name", "")}
        note = event.note
        actor = _("Escalation")
    else:
        text = action
    return {"icon": EVENT_ICONS.get(action, "dot"), "actor": actor, "text": text, "note": note}


def describe_timeline(entries, *, user) -> list:
    """Fill ``entry.data`` of the workflow events with sentences; drop the ones nobody reads
    (watching). Two queries, whatever the number of entries."""
    events = [entry.obj for entry in entries if entry.kind == "event"]
    names = names_for(events, user=user)
    shown = []
    for entry in entries:
        if entry.kind == "event":
            if entry.obj.action in HIDDEN_ACTIONS:
                continue
            entry.data = describe_event(entry.obj, names)
            if not entry.data["text"]:
                continue
        shown.append(entry)
    return shown


def comment_audiences(*, ticket, viewer, organizations, requester_name: str = "") -> dict:
    """What each visibility means on this ticket, in words, for the composer.

    ``organizations``: the organizations the viewer may see (by id). The shared audience is
    every organization that can see the ticket: the internal one, and each provider whose teams
    hold or held it; a provider the viewer may not see is counted, not named.
    """
    internal_ids = [pk for pk, org in organizations.items() if org.is_internal]
    holder_ids = set(
        TicketHolding.objects.filter(ticket=ticket).values_list("organization_id", flat=True)
    )
    if ticket.engagement_id and ticket.engagement:
        holder_ids.add(ticket.engagement.provider_id)
    audience = [*internal_ids, *sorted(holder_ids - set(internal_ids))]
    named = [organizations[pk].name for pk in audience if pk in organizations]
    hidden = len([pk for pk in audience if pk not in organizations])
    if hidden:
        named.append(_("another provider") if hidden == 1 else _("other providers"))
    own = organizations.get(viewer.organization_id)
    own_name = own.name if own else _("your organization")
    if len(named) <= 1:
        shared = _("Visible to: %(orgs)s, and to any provider it is handed off to") % {
            "orgs": named[0] if named else own_name
        }
    else:
        shared = _("Visible to: %(orgs)s") % {"orgs": get_text_list(named, _("and"))}
    if requester_name:
        public = _("Visible to the requester (%(name)s) and every technician") % {
            "name": requester_name
        }
    else:
        public = _("Visible to the requester and every technician")
    return {
        Visibility.INTERNAL: _("Visible to: %(org)s only") % {"org": own_name},
        Visibility.SHARED: shared,
        Visibility.PUBLIC: public,
    }
