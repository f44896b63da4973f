"""The clock arithmetic: what starting, pausing, resuming, retargeting, stopping and the passing
of time do to one clock. Pure: it changes a ``Clock`` instance in memory and returns the
``ClockEvent`` rows (unsaved) that explain the change; ``sla.services`` loads and saves, and
``manage.py sla_replay`` runs the same functions over the event log without saving anything.

A clock counts business seconds on its calendar. ``elapsed_seconds`` holds what was counted up to
``running_since`` (the start or the last resume); while running, the count grows with the business
time since then. From the count and the target follow the due instant and the warning instant
(``warning_percent`` of the target), both in business time and so correct across nights,
weekends, holidays and DST changes; ``next_event_at`` is the earlier of those still to come, which
is all the sweep reads.
"""

from __future__ import annotations

import datetime as dt
import math

from sla.businesstime import WorkingTime
from sla.models import Clock, ClockEvent
from sla.models.clocks import State

Event = ClockEvent.Kind


def counted_seconds(clock: Clock, at: dt.datetime, wt: WorkingTime) -> int:
    """Business seconds the clock has counted by ``at``."""
    seconds = clock.elapsed_seconds
    if clock.running_since is not None and at > clock.running_since:
        seconds += _seconds(wt.between(clock.running_since, at))
    return seconds


def remaining_seconds(clock: Clock, at: dt.datetime, wt: WorkingTime) -> int:
    """Business seconds left before the target (negative once overdue)."""
    return clock.target_minutes * 60 - counted_seconds(clock, at, wt)


def start(clock: Clock, *, at: dt.datetime, wt: WorkingTime, reason: str) -> list[ClockEvent]:
    clock.started_at = at
    clock.elapsed_seconds = 0
    clock.running_since = at
    clock.paused_at = None
    clock.state = State.RUNNING
    _schedule(clock, at, wt)
    return [_event(clock, Event.STARTED, at, reason)]


def pause(clock: Clock, *, at: dt.datetime, wt: WorkingTime, reason: str) -> list[ClockEvent]:
    """Stop counting (a ticket pending for a reason the policy pauses on)."""
    if not clock.is_running:
        return []
    events = _catch_up(clock, at, wt)
    _bank(clock, at, wt)
    clock.paused_at = at
    clock.pause_reason = reason[:20]
    if clock.breached_at is None:
        clock.state = State.PAUSED
    clock.due_at = clock.warn_at = clock.next_event_at = None
    return [*events, _event(clock, Event.PAUSED, at, reason)]


def resume(clock: Clock, *, at: dt.datetime, wt: WorkingTime, reason: str) -> list[ClockEvent]:
    """Count again, from ``at``, with what was counted before the pause (or the stop, when a
    resolved ticket is reopened)."""
    if clock.is_running:
        return []
    clock.paused_at = None
    clock.pause_reason = ""
    clock.stopped_at = None
    clock.stop_reason = ""
    clock.running_since = at
    clock.state = State.BREACHED if clock.breached_at else State.RUNNING
    _schedule(clock, at, wt)
    return [_event(clock, Event.RESUMED, at, reason)]


def retarget(
    clock: Clock,
    *,
    at: dt.datetime,
    wt: WorkingTime,
    minutes: int,
    reason: str,
    policy=None,
    calendar_id: int | None = None,
    new_wt: WorkingTime | None = None,
    warning_percent: int | None = None,
) -> list[ClockEvent]:
    """A new target (priority or policy change): what was counted stays, the due instant moves.

    With a new policy the calendar may change too: the time so far is counted on the old
    calendar, the rest on the new one."""
    if clock.stopped_at is not None:
        return []
    events = _catch_up(clock, at, wt) if clock.is_running else []
    if clock.is_running:
        _bank(clock, at, wt)
        clock.running_since = at
    before = clock.due_at
    clock.target_minutes = minutes
    if policy is not None:
        clock.policy = policy
    if calendar_id is not None:
        clock.calendar_id = calendar_id
    if warning_percent is not None:
        clock.warning_percent = warning_percent
    if clock.is_running:
        _schedule(clock, at, new_wt or wt)
    detail = f"{reason} (target {minutes} min"
    if before and clock.due_at and before != clock.due_at:
        detail += f"; due {before:%Y-%m-%d %H:%M} UTC → {clock.due_at:%Y-%m-%d %H:%M} UTC"
    return [*events, _event(clock, Event.RECOMPUTED, at, detail + ")")]


def stop(clock: Clock, *, at: dt.datetime, wt: WorkingTime, reason: str) -> list[ClockEvent]:
    """The clock ends (responded, resolved, accepted, handed off, closed…): met, or breached if
    its count went past the target — even when the sweep had not yet noticed."""
    if clock.stopped_at is not None:
        return []
    events = _catch_up(clock, at, wt) if clock.is_running else []
    if clock.is_running:
        _bank(clock, at, wt)
    clock.running_since = None
    clock.paused_at = None
    clock.stopped_at = at
    clock.stop_reason = reason[:40]
    clock.warn_at = clock.next_event_at = None
    clock.state = State.BREACHED if clock.breached_at else State.MET
    return [*events, _event(clock, Event.STOPPED, at, reason)]


def fire_due(clock: Clock, *, now: dt.datetime, wt: WorkingTime) -> list[ClockEvent]:
    """The warning and the breach whose instant has come (the sweep)."""
    if not clock.is_running:
        clock.next_event_at = None
        return []
    return _catch_up(clock, now, wt)


def _catch_up(clock: Clock, at: dt.datetime, wt: WorkingTime) -> list[ClockEvent]:
    """Record the warning and breach instants that lie before ``at`` (each once)."""
    events = []
    if clock.warned_at is None and clock.warn_at is not None and clock.warn_at <= at:
        clock.warned_at = clock.warn_at
        events.append(_event(clock, Event.WARNED, clock.warn_at, f"{clock.warning_percent} %"))
    if clock.breached_at is None and clock.due_at is not None and clock.due_at <= at:
        if clock.warned_at is None:
            clock.warned_at = clock.due_at
        clock.breached_at = clock.due_at
        clock.state = State.BREACHED
        events.append(_event(clock, Event.BREACHED, clock.due_at, ""))
    _next(clock)
    return events


def _bank(clock: Clock, at: dt.datetime, wt: WorkingTime) -> None:
    clock.elapsed_seconds = counted_seconds(clock, at, wt)
    clock.running_since = None


def _schedule(clock: Clock, at: dt.datetime, wt: WorkingTime) -> None:
    """Due and warning instants from ``running_since`` and what is counted so far."""
    base = clock.running_since or at
    target = clock.target_minutes * 60
    left = target - clock.elapsed_seconds
    clock.due_at = wt.add(base, dt.timedelta(seconds=left)) if left > 0 else base
    threshold = math.ceil(target * clock.warning_percent / 100)
    to_warning = threshold - clock.elapsed_seconds
    clock.warn_at = wt.add(base, dt.timedelta(seconds=to_warning)) if to_warning > 0 else base
    _next(clock)


def _next(clock: Clock) -> None:
    pending = []
    if clock.is_running:
        if clock.warned_at is None and clock.warn_at is not None:
            pending.append(clock.warn_at)
        if clock.breached_at is None and clock.due_at is not None:
            pending.append(clock.due_at)
    clock.next_event_at = min(pending) if pending else None


def _event(clock: Clock, kind: str, at: dt.datetime, reason: str) -> ClockEvent:
    return ClockEvent(
        clock=clock,
        kind=kind,
        at=at,
        reason=reason[:200],
        due_at=clock.due_at,
        elapsed_seconds=clock.elapsed_seconds,
    )


def _seconds(delta: dt.timedelta) -> int:
    return round(delta.total_seconds())
