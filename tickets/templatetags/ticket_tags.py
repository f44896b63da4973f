"""Template helpers of the ticket pages: relative times, badges, sort links, home panels."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cogest.querysets import viewer_for
from tickets import selectors
from tickets.choices import OPEN_STATUSES, Status
from tickets.forms import preset_query

register = template.Library()

HOME_PANEL_ROWS = 8


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


@register.filter
def reltime(value):
    """``<time>`` saying "3 h ago" / "in 12 min", with the exact local time on hover."""
    if not value:
        return "—"
    seconds = (value - timezone.now()).total_seconds()
    local = timezone.localtime(value)
    exact = date_format(local, "DATETIME_FORMAT")
    if abs(seconds) < 60:
        text = _("just now") if seconds <= 0 else _("in a moment")
    elif abs(seconds) > 60 * 60 * 24 * 30:
        text = date_format(local, "SHORT_DATE_FORMAT")
    elif seconds < 0:
        text = _("%(span)s ago") % {"span": _span(-seconds)}
    else:
        text = _("in %(span)s") % {"span": _span(seconds)}
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), exact, text)


@register.inclusion_tag("tickets/_priority.html")
def priority_badge(priority):
    return {"priority": priority}


@register.inclusion_tag("tickets/_status.html")
def status_badge(ticket):
    return {"ticket": ticket, "is_open": ticket.status in OPEN_STATUSES}


@register.inclusion_tag("tickets/_visibility.html")
def visibility_badge(visibility):
    from tickets.choices import Visibility

    return {"visibility": visibility, "label": Visibility(visibility).label}


@register.simple_tag(takes_context=True)
def sort_query(context, key: str) -> str:
    """The list's query string with ``ordering`` set to ``key`` (toggled when already on it)."""
    request = context["request"]
    query = request.GET.copy()
    current = query.get("ordering", "-number")
    query["ordering"] = f"-{key}" if current == key else key
    query.pop("page", None)
    return query.urlencode()


@register.simple_tag(takes_context=True)
def sort_state(context, key: str) -> str:
    """``ascending`` / ``descending`` / ``none``: for ``aria-sort`` and the arrow icon."""
    current = context["request"].GET.get("ordering", "-number") or "-number"
    if current == key:
        return "ascending"
    if current == f"-{key}":
        return "descending"
    return "none"


@register.filter
def status_label(value) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value


@register.filter
def checklist_rows(checklist) -> list[tuple[str, object]]:
    """The handoff checklist as (label, value) rows, in the order people read it."""
    labels = {
        "steps_tried": _("Steps tried"),
        "evidence": _("Evidence"),
        "affected_cis": _("Affected CIs"),
        "impact": _("Impact"),
    }
    checklist = checklist if isinstance(checklist, dict) else {}
    rows = []
    for key, label in labels.items():
        value = checklist.get(key)
        if value not in (None, "", []):
            rows.append((label, ", ".join(map(str, value)) if isinstance(value, list) else value))
    return rows


@register.inclusion_tag("tickets/_home_panels.html", takes_context=True)
def ticket_home_panels(context):
    """The internal home's first row: my queue, my teams' unassigned, handoffs out."""
    user = context["request"].user
    return {
        "request": context["request"],
        "mine": list(
            selectors.ticket_queue_for_user(user=user).order_by("priority", "-id")[:HOME_PANEL_ROWS]
        ),
        "unassigned": list(
            selectors.ticket_team_queue_for_user(user=user).order_by("priority", "-id")[
                :HOME_PANEL_ROWS
            ]
        ),
        "waiting": list(selectors.handoffs_waiting_on_others(user=user)[:HOME_PANEL_ROWS]),
        "mine_query": preset_query(assignee="me"),
        "unassigned_query": preset_query(team="mine", assignee="unassigned"),
    }


@register.inclusion_tag("tickets/_partner_home_panels.html", takes_context=True)
def partner_home_panels(context):
    """The partner home's first row: handoffs to accept, my queue."""
    user = context["request"].user
    return {
        "request": context["request"],
        "handoffs": list(selectors.handoffs_waiting_for(user=user)[:HOME_PANEL_ROWS]),
        "mine": list(
            selectors.ticket_queue_for_user(user=user).order_by("priority", "-id")[:HOME_PANEL_ROWS]
        ),
        "unassigned": list(
            selectors.ticket_team_queue_for_user(user=user).order_by("priority", "-id")[
                :HOME_PANEL_ROWS
            ]
        ),
        "viewer": viewer_for(user),
    }


@register.inclusion_tag("tickets/_workload.html", takes_context=True)
def team_workload(context):
    """Managers of either side: open work per team, priority and person."""
    from tickets.workload import workload_for_manager

    return {"workload": workload_for_manager(user=context["request"].user)}
