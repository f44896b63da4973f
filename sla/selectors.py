"""Read side of SLA clocks on tickets: the list cell, the ticket page panel and the page that
explains every clock (policy, calendar, events, elapsed time, attribution). Every read goes
through ``restrict``; a provider never sees another party's OLA or UC clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cogest.choices import Weekday
from cogest.expressions import json_instant
from cogest.models import BusinessCalendar, Organization
from sla.attribution import held_by_party, holder_at, running_stretches
from sla.businesstime import WorkingTime, working_time
from sla.models import Clock, ClockEvent, SlaPolicy
from sla.models.clocks import Kind, State
from sla.models.policies import PENDING_REASON_CHOICES, Metric
from tickets.models import Ticket, TicketHolding

ZERO = dt.timedelta(0)
KIND_ORDER = {Kind.SLA: 0, Kind.OLA: 1, Kind.UC: 2}
TARGET_ORDER = {metric: i for i, metric in enumerate(Metric.values)}

# What a clock looks like, beyond its stored state: a running clock past its warning is
# "warning", any clock that broke its target is "breached" (the colours of the UI brief).
RUNNING, WARNING, BREACHED, PAUSED, MET = "running", "warning", "breached", "paused", "met"


# --- One clock ----------------------------------------------------------------------------------


@dataclass
class ClockSummary:
    """A clock as a ticket-list row carries it (a JSON object read with the ticket, see
    ``tickets/views/lists.py``): the attributes of ``Clock`` the list cell reads."""

    id: int
    target: str
    kind: str
    state: str
    due_at: dt.datetime | None = None
    warn_at: dt.datetime | None = None
    warned_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    paused_at: dt.datetime | None = None
    stopped_at: dt.datetime | None = None
    elapsed_seconds: int = 0
    target_minutes: int = 0

    DATETIMES = ("due_at", "warn_at", "warned_at", "breached_at", "paused_at", "stopped_at")

    @classmethod
    def from_row(cls, row: dict) -> ClockSummary:
        values = {name: row.get(name) for name in cls.__dataclass_fields__}
        for name in cls.DATETIMES:
            values[name] = json_instant(values[name])
        values["elapsed_seconds"] = int(values["elapsed_seconds"] or 0)
        values["target_minutes"] = int(values["target_minutes"] or 0)
        return cls(**values)

    @property
    def pk(self) -> int:
        return self.id

    def get_target_display(self) -> str:
        return _label(Metric, self.target)

    def get_kind_display(self) -> str:
        return _label(Kind, self.kind)


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def clock_look(clock, *, now: dt.datetime | None = None) -> str:
    """``running``, ``warning``, ``breached``, ``paused`` or ``met``: the state as people read
    it (and the colour it is drawn in). A counting clock whose warning or due instant has come
    looks so at once, before the sweep (every minute) records it."""
    now = now or timezone.now()
    counting = clock.stopped_at is None and clock.paused_at is None
    if clock.breached_at is not None or clock.state == State.BREACHED:
        return BREACHED
    if counting and clock.due_at is not None and clock.due_at <= now:
        return BREACHED
    if clock.stopped_at is not None or clock.state == State.MET:
        return MET
    if clock.paused_at is not None or clock.state == State.PAUSED:
        return PAUSED
    if clock.warned_at is not None:
        return WARNING
    warn_at = getattr(clock, "warn_at", None)
    if counting and warn_at is not None and warn_at <= now:
        return WARNING
    return RUNNING


def clock_counts_now(clock) -> bool:
    """Whether the clock is counting at this moment (open, not paused, with a running stretch)."""
    return (
        clock.stopped_at is None
        and clock.paused_at is None
        and getattr(clock, "running_since", None) is not None
    )


def clock_counted(clock, *, now: dt.datetime, calendar: WorkingTime | None = None) -> dt.timedelta:
    """Business time the clock has counted: earlier stretches plus, while it runs, the working
    time since ``running_since`` on its calendar."""
    counted = dt.timedelta(seconds=clock.elapsed_seconds or 0)
    if clock_counts_now(clock):
        calendar = calendar if calendar is not None else working_time(clock.calendar_id)
        counted += calendar.between(clock.running_since, now)
    return counted


def clock_remaining(
    clock, *, now: dt.datetime, calendar: WorkingTime | None = None
) -> dt.timedelta:
    """Business time left before the target (negative once past it)."""
    target = dt.timedelta(minutes=clock.target_minutes or 0)
    return target - clock_counted(clock, now=now, calendar=calendar)


def most_urgent(clocks: Iterable) -> object | None:
    """The open clock that needs attention first: breached ones (longest overdue first), then
    running ones by due time, then paused ones by business time left; ``None`` if none is open."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    now = timezone.now()

    def urgency(clock):
        look = clock_look(clock, now=now)
        if look == BREACHED:
            return (0, clock.due_at or clock.breached_at or far, 0)
        if look == PAUSED:
            return (2, far, clock.target_minutes * 60 - (clock.elapsed_seconds or 0))
        return (1, clock.due_at or far, 0)

    open_clocks = [c for c in clocks if c.stopped_at is None]
    return min(open_clocks, key=urgency) if open_clocks else None


def clocks_outcome(clocks: Iterable) -> str | None:
    """For a ticket whose clocks all stopped: ``breached`` if any broke, ``met`` otherwise;
    ``None`` when it has no clock."""
    now = timezone.now()
    looks = {clock_look(c, now=now) for c in clocks}
    if not looks:
        return None
    return BREACHED if BREACHED in looks else MET


def clock_summaries(rows) -> list[ClockSummary]:
    """The clocks of a ticket-list row (``ticket.sla_clocks``: JSON objects)."""
    return [ClockSummary.from_row(row) for row in rows or []]


# --- The ticket page panel ------------------------------------------------------------------------


def _panel_order(clock) -> tuple:
    return (
        clock.stopped_at is not None,
        KIND_ORDER.get(clock.kind, 9),
        TARGET_ORDER.get(clock.target, 9),
        clock.started_at,
        clock.pk,
    )


def clock_list_for_ticket(*, ticket: Ticket, user) -> list[Clock]:
    """The ticket's clocks ``user`` may see: open ones first, end to end before a party's own."""
    clocks = (
        Clock.objects.restrict(user, "view")
        .filter(ticket_id=ticket.pk)
        .select_related("party", "team")
    )
    return sorted(clocks, key=_panel_order)


# --- Explanation ----------------------------------------------------------------------------------


@dataclass
class EventLine:
    """One event of a clock, with the due time before it (a recomputation moves it)."""

    event: ClockEvent
    due_before: dt.datetime | None
    reason: str
    counted: dt.timedelta = ZERO  # business time the clock had counted at that moment

    @property
    def due_moved(self) -> bool:
        return self.due_before != self.event.due_at


@dataclass
class AttributionLine:
    """The business time one organization held the ticket while the clock counted."""

    organization_id: int | None
    name: str
    duration: dt.timedelta
    percent: int
    held_at_breach: bool = False


@dataclass
class ClockExplanation:
    """Everything the page says about one clock."""

    clock: Clock
    policy: SlaPolicy | None
    calendar: BusinessCalendar | None
    hours: list[str]
    holidays: str
    counted: dt.timedelta
    remaining: dt.timedelta
    target: dt.timedelta
    percent_used: int
    events: list[EventLine] = field(default_factory=list)
    attribution: list[AttributionLine] = field(default_factory=list)
    breached_holder: str | None = None

    @property
    def look(self) -> str:
        return clock_look(self.clock)

    @property
    def progress(self) -> int:
        """The share of the target used, capped at 100 (a progress bar)."""
        return min(self.percent_used, 100)

    @property
    def overdue(self) -> dt.timedelta:
        return -self.remaining if self.remaining < ZERO else ZERO

    @property
    def pause_reason(self) -> str:
        return reason_text(self.clock.pause_reason)

    @property
    def stop_reason(self) -> str:
        return reason_text(self.clock.stop_reason)

    @property
    def is_end_to_end(self) -> bool:
        return self.clock.kind == Kind.SLA


def calendar_hours(calendar: BusinessCalendar | None) -> list[str]:
    """The calendar's working hours in words: "Monday–Friday 08:00–18:00", one line per group
    of consecutive weekdays with the same intervals; "24x7" for a round-the-clock calendar."""
    if calendar is None or calendar.is_24x7:
        return [_("24x7 (round the clock)")]
    by_day: dict[int, list[str]] = {}
    for interval in calendar.intervals.all():
        span = f"{interval.starts:%H:%M}–{interval.ends:%H:%M}"
        by_day.setdefault(interval.weekday, []).append(span)
    if not by_day:
        return [_("No working hours")]
    lines = []
    days = [(day, ", ".join(sorted(by_day[day]))) for day in sorted(by_day)]
    runs: list[list[tuple[int, str]]] = []
    for day, spans in days:
        if runs and runs[-1][-1][1] == spans and runs[-1][-1][0] == day - 1:
            runs[-1].append((day, spans))
        else:
            runs.append([(day, spans)])
    for run in runs:
        first, last = Weekday(run[0][0]).label, Weekday(run[-1][0]).label
        label = str(first) if len(run) == 1 else f"{first}–{last}"
        lines.append(f"{label} {run[0][1]}")
    return lines


def reason_text(reason: str) -> str:
    """A reason in words: a pending reason by its label, a code (``handoff_accepted``) with
    spaces, free text as written."""
    labels = dict(PENDING_REASON_CHOICES)
    if reason in labels:
        return str(labels[reason])
    if " " not in reason:
        return reason.replace("_", " ")
    return reason


def _event_lines(
    clock: Clock, events: Sequence[ClockEvent], *, now: dt.datetime, calendar: WorkingTime
) -> list[EventLine]:
    """The events in order, each with the due time before it and the business time counted at
    its instant (measured over the running stretches, so a warning or a breach recorded by the
    sweep says how much had elapsed when it happened)."""
    stretches = running_stretches(clock, events, now=now)
    lines, due = [], None
    for event in events:
        counted = sum(
            (calendar.between(start, min(end, event.at)) for start, end in stretches),
            ZERO,
        )
        lines.append(
            EventLine(
                event=event,
                due_before=due,
                reason="" if event.kind == ClockEvent.Kind.WARNED else reason_text(event.reason),
                counted=counted,
            )
        )
        due = event.due_at
    return lines


def _attribution(
    clock: Clock,
    holdings: Sequence[TicketHolding],
    events: Sequence[ClockEvent],
    *,
    now: dt.datetime,
    calendar: WorkingTime,
    names: dict[int, str],
) -> tuple[list[AttributionLine], str | None]:
    shares = held_by_party(clock, holdings, events, now=now, calendar=calendar)
    total = sum((duration for _org, duration in shares), ZERO)
    breached_by = holder_at(holdings, clock.breached_at) if clock.breached_at else None
    lines = []
    for organization_id, duration in shares:
        if organization_id is None:
            name = _("Nobody (not assigned to a team)")
        else:
            name = names.get(organization_id) or _("Another organization")
        percent = round(100 * duration / total) if total else 0
        lines.append(
            AttributionLine(
                organization_id=organization_id,
                name=name,
                duration=duration,
                percent=percent,
                held_at_breach=clock.breached_at is not None and organization_id == breached_by,
            )
        )
    holder = None
    if clock.breached_at is not None:
        holder = (
            names.get(breached_by) or _("Another organization")
            if breached_by is not None
            else _("Nobody (not assigned to a team)")
        )
    return lines, holder


def clock_explanations_for_ticket(
    *, ticket: Ticket, user, now: dt.datetime, clock_id: int | None = None
) -> list[ClockExplanation]:
    """Each clock of the ticket ``user`` may see (or only ``clock_id``), explained: its policy
    (when the user may read it), calendar, every event, the time counted against the target
    and, for an end-to-end clock, the time each organization held the ticket. A fixed number of
    queries whatever the ticket holds."""
    clocks = (
        Clock.objects.restrict(user, "view")
        .filter(ticket_id=ticket.pk)
        .select_related("party", "team")
        .prefetch_related(
            Prefetch("events", queryset=ClockEvent.objects.order_by("at", "id"), to_attr="log")
        )
    )
    if clock_id is not None:
        clocks = clocks.filter(pk=clock_id)
    clocks = sorted(clocks, key=_panel_order)
    if not clocks:
        return []
    policies = (
        SlaPolicy.objects.restrict(user, "view")
        .select_related("engagement")
        .in_bulk({c.policy_id for c in clocks})
    )
    calendars = (
        BusinessCalendar.objects.restrict(user, "view")
        .prefetch_related("intervals", "holidays")
        .in_bulk({c.calendar_id for c in clocks})
    )
    working = {pk: WorkingTime.for_calendar(calendar) for pk, calendar in calendars.items()}
    end_to_end = any(c.kind == Kind.SLA for c in clocks)
    holdings = list(TicketHolding.objects.filter(ticket_id=ticket.pk)) if end_to_end else []
    names = (
        {
            org.pk: org.name
            for org in Organization.objects.restrict(user, "view").filter(
                pk__in={h.organization_id for h in holdings}
            )
        }
        if holdings
        else {}
    )
    explanations = []
    for clock in clocks:
        calendar = calendars.get(clock.calendar_id)
        wt = working.get(clock.calendar_id) or working_time(clock.calendar_id)
        counted = clock_counted(clock, now=now, calendar=wt)
        target = dt.timedelta(minutes=clock.target_minutes)
        explanation = ClockExplanation(
            clock=clock,
            policy=policies.get(clock.policy_id),
            calendar=calendar,
            hours=calendar_hours(calendar),
            holidays=holidays_text(calendar),
            counted=counted,
            remaining=target - counted,
            target=target,
            percent_used=round(100 * counted / target) if target else 0,
            events=_event_lines(clock, clock.log, now=now, calendar=wt),
        )
        if clock.kind == Kind.SLA:
            explanation.attribution, explanation.breached_holder = _attribution(
                clock, holdings, clock.log, now=now, calendar=wt, names=names
            )
        explanations.append(explanation)
    return explanations


def holidays_text(calendar: BusinessCalendar | None) -> str:
    """Which holidays the calendar observes, in words."""
    if calendar is None or calendar.is_24x7:
        return ""
    parts = []
    if calendar.holiday_country:
        region = f"-{calendar.holiday_region}" if calendar.holiday_region else ""
        parts.append(
            _("public holidays of %(country)s") % {"country": f"{calendar.holiday_country}{region}"}
        )
    explicit = len(calendar.holidays.all())
    if explicit:
        parts.append(
            ngettext("%(n)s more day off", "%(n)s more days off", explicit) % {"n": explicit}
        )
    return "; ".join(parts)


__all__ = [
    "AttributionLine",
    "ClockExplanation",
    "ClockSummary",
    "EventLine",
    "calendar_hours",
    "clock_counted",
    "clock_explanations_for_ticket",
    "clock_list_for_ticket",
    "clock_look",
    "clock_remaining",
    "clock_summaries",
    "clocks_outcome",
    "holidays_text",
    "reason_text",
    "most_urgent",
]
