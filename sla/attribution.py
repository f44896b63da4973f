"""Attribution (SPEC 2.4): how much of a clock's business time each organization held the ticket.

A clock counts during its *running stretches*: from a ``started`` or ``resumed`` event to the
next ``paused`` or ``stopped`` one (or to ``now`` while it still runs). A ticket is held by one
organization at a time (its ``TicketHolding`` rows: organization, from, to). The time each
organization held the ticket on the clock is the intersection of the two, measured in business
time on the clock's calendar, so the shares add up to the business time the clock counted.

Time the clock counted while no team held the ticket (before routing, say) is attributed to
``None``. Pure functions of the rows they are given; the only database access is reading the
calendar through ``working_time`` when no ``calendar`` is passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sla.businesstime import WorkingTime, working_time

__all__ = ["held_by_party", "holder_at", "running_stretches"]

OPENS = frozenset({"started", "resumed"})
CLOSES = frozenset({"paused", "stopped"})

Stretch = tuple[datetime, datetime]


class _Clock(Protocol):
    calendar_id: int | None
    started_at: datetime
    paused_at: datetime | None
    stopped_at: datetime | None


class _Event(Protocol):
    kind: str
    at: datetime


class _Holding(Protocol):
    organization_id: int
    started_at: datetime
    ended_at: datetime | None


def running_stretches(clock: _Clock, events: Iterable[_Event], *, now: datetime) -> list[Stretch]:
    """The wall-clock stretches during which ``clock`` counted, oldest first.

    Read from its events in order (``at``, then id). A stretch still open at the end closes when
    the clock stopped or paused (if that was not recorded as an event) or else at ``now``. A
    clock without any event counted from ``started_at`` to the same end.
    """
    ordered = sorted(events, key=lambda e: (e.at, getattr(e, "pk", None) or 0))
    end_of_open = clock.stopped_at or clock.paused_at or now
    if not ordered:
        return [(clock.started_at, end_of_open)] if end_of_open > clock.started_at else []
    stretches: list[Stretch] = []
    opened: datetime | None = None
    for event in ordered:
        if event.kind in OPENS and opened is None:
            opened = event.at
        elif event.kind in CLOSES and opened is not None:
            if event.at > opened:
                stretches.append((opened, event.at))
            opened = None
    if opened is not None and end_of_open > opened:
        stretches.append((opened, end_of_open))
    return stretches


def held_by_party(
    clock: _Clock,
    holdings: Iterable[_Holding],
    events: Iterable[_Event],
    *,
    now: datetime,
    calendar: WorkingTime | None = None,
) -> list[tuple[int | None, timedelta]]:
    """``[(organization_id, business time)]``: how long each organization held the ticket while
    ``clock`` counted, in the order each first held it; ``None`` for time nobody held it.

    ``holdings`` are the ticket's ``TicketHolding`` rows (an open one lasts until ``now``),
    ``events`` the clock's ``ClockEvent`` rows; ``calendar`` defaults to the clock's. An
    organization appears if it held the ticket during a running stretch, even when that time
    falls outside working hours (then with a zero duration).
    """
    calendar = calendar if calendar is not None else working_time(clock.calendar_id)
    stretches = running_stretches(clock, events, now=now)
    periods = sorted(
        ((h.started_at, h.ended_at or now, h.organization_id) for h in holdings),
        key=lambda period: period[0],
    )
    pieces: list[tuple[datetime, datetime, int | None]] = []
    for start, end in stretches:
        for held_from, held_to, organization_id in periods:
            low, high = max(start, held_from), min(end, held_to)
            if high > low:
                pieces.append((low, high, organization_id))
        pieces += [(low, high, None) for low, high in _uncovered((start, end), periods)]
    pieces.sort(key=lambda piece: piece[0])
    totals: dict[int | None, timedelta] = {}
    for low, high, organization_id in pieces:
        totals[organization_id] = totals.get(organization_id, timedelta(0)) + calendar.between(
            low, high
        )
    return list(totals.items())


def holder_at(holdings: Iterable[_Holding], at: datetime) -> int | None:
    """The organization holding the ticket at instant ``at`` (``None`` when nobody did): the
    party in whose hands a clock broke, for ``at`` its ``breached_at``."""
    for holding in holdings:
        if holding.started_at <= at and (holding.ended_at is None or at < holding.ended_at):
            return holding.organization_id
    return None


def _uncovered(
    stretch: Stretch, periods: Sequence[tuple[datetime, datetime, int | None]]
) -> list[Stretch]:
    """The parts of ``stretch`` that no holding period covers (``periods`` sorted by start)."""
    start, end = stretch
    gaps: list[Stretch] = []
    cursor = start
    for held_from, held_to, _organization in periods:
        if held_to <= cursor:
            continue
        if held_from >= end:
            break
        if held_from > cursor:
            gaps.append((cursor, held_from))
        cursor = max(cursor, held_to)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return gaps
