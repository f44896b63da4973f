"""Template helpers of SLA clocks: countdowns, states and durations in words, the ticket page
panel and the ticket list cell. Times are shown in the reader's timezone (the middleware
activates it), relative with the exact time on hover."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from sla import selectors
from sla.models import Clock

register = template.Library()

LOOK_LABELS = {
    selectors.RUNNING: gettext_lazy("Running"),
    selectors.WARNING: gettext_lazy("Warning"),
    selectors.BREACHED: gettext_lazy("Breached"),
    selectors.PAUSED: gettext_lazy("Paused"),
    selectors.MET: gettext_lazy("Met"),
}
# Bootstrap badges in the colours of the UI brief: running green, warning amber, breached red,
# paused grey; a met clock is done and drawn quietly.
LOOK_BADGES = {
    selectors.RUNNING: "text-bg-success",
    selectors.WARNING: "text-bg-warning",
    selectors.BREACHED: "text-bg-danger",
    selectors.PAUSED: "text-bg-secondary",
    selectors.MET: "text-bg-light border",
}
LOOK_ICONS = {
    selectors.RUNNING: "stopwatch",
    selectors.WARNING: "exclamation-triangle",
    selectors.BREACHED: "exclamation-octagon",
    selectors.PAUSED: "pause-circle",
    selectors.MET: "check-circle",
}


def _seconds(value) -> int:
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds())
    return int(value or 0)


def duration_text(value, *, words: bool = False) -> str:
    """A business duration: ``2 h 30 min`` (compact) or ``2 hours 30 minutes`` (words); the
    sign is dropped (the caller says "left" or "overdue")."""
    minutes = abs(_seconds(value)) // 60
    hours, minutes = divmod(minutes, 60)
    parts = []
    if words:
        if hours:
            parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
        if minutes or not hours:
            parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    else:
        # The same messages as the tickets' relative times ("in 3 h", "12 min ago").
        if hours:
            parts.append(ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours})
        if minutes or not hours:
            parts.append(ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes})
    return " ".join(parts)


@register.filter
def business_duration(value) -> str:
    """A timedelta or a number of seconds as ``2 h 30 min``."""
    return duration_text(value)


@register.filter
def target_words(minutes) -> str:
    """A target in business minutes, in words: ``4 hours``, ``1 hour 30 minutes``."""
    return duration_text(int(minutes or 0) * 60, words=True)


@register.filter
def sla_look(clock) -> str:
    """``running``, ``warning``, ``breached``, ``paused`` or ``met``."""
    return selectors.clock_look(clock)


@register.filter
def sla_look_label(look: str) -> str:
    return str(LOOK_LABELS.get(look, look))


@register.filter
def sla_badge_class(look: str) -> str:
    return LOOK_BADGES.get(look, "text-bg-light")


@register.filter
def sla_icon(look: str) -> str:
    return LOOK_ICONS.get(look, "stopwatch")


@register.filter
def remaining(clock) -> str:
    """Business time left before the target, or how far past it the clock is."""
    left = selectors.clock_remaining(clock, now=timezone.now())
    if left < dt.timedelta(0):
        return _("%(span)s overdue") % {"span": duration_text(left)}
    return _("%(span)s left") % {"span": duration_text(left)}


@register.filter
def elapsed(clock) -> str:
    """Business time the clock has counted so far."""
    return duration_text(selectors.clock_counted(clock, now=timezone.now()))


@register.filter
def paused_left(clock) -> str:
    """Business time a paused (or list-row) clock still had when it stopped counting."""
    left = (clock.target_minutes or 0) * 60 - (clock.elapsed_seconds or 0)
    if left < 0:
        return _("%(span)s overdue") % {"span": duration_text(left)}
    return _("%(span)s left") % {"span": duration_text(left)}


@register.inclusion_tag("sla/clock_countdown.html")
def sla_countdown(clock):
    """The countdown of one clock: "in 12 min", "3 h ago" once breached, "paused, 1 h left"."""
    return {"clock": clock, "look": selectors.clock_look(clock)}


@register.inclusion_tag("sla/clock_badge.html")
def sla_badge(clock):
    """The state of one clock as a coloured badge."""
    look = selectors.clock_look(clock)
    return {"look": look, "label": LOOK_LABELS[look], "badge": LOOK_BADGES[look]}


# --- The ticket list cell ------------------------------------------------------------------------


@register.filter
def urgent_clock(ticket):
    """The most urgent open clock of a list row, from the clocks the row was read with
    (``ticket.sla_clocks``); never a query."""
    return selectors.most_urgent(selectors.clock_summaries(getattr(ticket, "sla_clocks", None)))


@register.filter
def sla_outcome(ticket) -> str | None:
    """``met`` / ``breached`` for a row whose clocks have all stopped; ``None`` without clocks."""
    return selectors.clocks_outcome(selectors.clock_summaries(getattr(ticket, "sla_clocks", None)))


# --- The ticket page panel -----------------------------------------------------------------------


@dataclass
class ClockPanel:
    clocks: list[Clock]
    explain_url: str


def clocks_url(number: str, *, partner: bool) -> str:
    """The page that explains a ticket's clocks, on the reader's side."""
    name = "sla-clocks:partner-ticket" if partner else "sla-clocks:ticket"
    return reverse(name, args=[number])


@register.simple_tag(takes_context=True)
def ticket_clock_panel(context, ticket) -> ClockPanel:
    """The ticket's clocks the reader may see (restricted), and where they are explained."""
    user = context["request"].user
    return ClockPanel(
        clocks=selectors.clock_list_for_ticket(ticket=ticket, user=user),
        explain_url=clocks_url(ticket.number, partner=bool(context.get("is_partner_side"))),
    )
