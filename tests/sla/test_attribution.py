"""Attribution (SPEC 2.4): the business time each organization held a ticket while its
end-to-end clock counted, with exact expected durations."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from cogest.models import BusinessCalendar, CalendarInterval
from sla.attribution import held_by_party, holder_at, running_stretches
from sla.businesstime import WorkingTime

UTC = dt.UTC
MADRID = ZoneInfo("Europe/Madrid")
ALWAYS = WorkingTime.for_calendar(None)  # 24x7
NORTHWIND, ACME, SHADOW = 1, 2, 3


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def madrid(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MADRID)


def clock(started_at, *, paused_at=None, stopped_at=None, calendar_id=None):
    return SimpleNamespace(
        calendar_id=calendar_id, started_at=started_at, paused_at=paused_at, stopped_at=stopped_at
    )


def event(kind, at, pk=0):
    return SimpleNamespace(kind=kind, at=at, pk=pk)


def held(organization_id, started_at, ended_at=None):
    return SimpleNamespace(
        organization_id=organization_id, started_at=started_at, ended_at=ended_at
    )


def hours(h, minutes=0):
    return dt.timedelta(hours=h, minutes=minutes)


def test_a_handoff_in_the_middle_splits_the_time_between_the_two_organizations():
    # given a 24x7 clock started at 10:00, handed from Northwind to Acme at 12:00
    c = clock(utc(2026, 3, 2, 10))
    events = [event("started", utc(2026, 3, 2, 10))]
    holdings = [
        held(NORTHWIND, utc(2026, 3, 2, 10), utc(2026, 3, 2, 12)),
        held(ACME, utc(2026, 3, 2, 12)),
    ]
    # when measured at 14:30
    shares = held_by_party(c, holdings, events, now=utc(2026, 3, 2, 14, 30), calendar=ALWAYS)
    # then
    assert shares == [(NORTHWIND, hours(2)), (ACME, hours(2, 30))]


def test_a_pause_in_the_middle_counts_for_nobody():
    # given a clock paused 11:00–13:00 (waiting for the requester); Acme took it at 12:30
    c = clock(utc(2026, 3, 2, 10))
    events = [
        event("started", utc(2026, 3, 2, 10), 1),
        event("paused", utc(2026, 3, 2, 11), 2),
        event("resumed", utc(2026, 3, 2, 13), 3),
    ]
    holdings = [
        held(NORTHWIND, utc(2026, 3, 2, 10), utc(2026, 3, 2, 12, 30)),
        held(ACME, utc(2026, 3, 2, 12, 30)),
    ]
    # when
    shares = held_by_party(c, holdings, events, now=utc(2026, 3, 2, 15), calendar=ALWAYS)
    # then Northwind held it 10–11 (its 11–12:30 was paused), Acme 13–15
    assert shares == [(NORTHWIND, hours(1)), (ACME, hours(2))]
    assert running_stretches(c, events, now=utc(2026, 3, 2, 15)) == [
        (utc(2026, 3, 2, 10), utc(2026, 3, 2, 11)),
        (utc(2026, 3, 2, 13), utc(2026, 3, 2, 15)),
    ]


@pytest.mark.django_db
def test_office_hours_over_a_weekend_count_only_working_time():
    # given Madrid office hours (Mon–Fri 08:00–18:00) and a clock started Friday 16:00,
    # handed from Northwind to Acme at 17:30
    office = BusinessCalendar.objects.create(
        name="Office", timezone="Europe/Madrid", holiday_country="ES"
    )
    CalendarInterval.objects.bulk_create(
        CalendarInterval(calendar=office, weekday=day, starts=dt.time(8), ends=dt.time(18))
        for day in range(5)
    )
    c = clock(madrid(2026, 3, 6, 16), calendar_id=office.pk)  # Friday 6 March 2026
    events = [event("started", madrid(2026, 3, 6, 16))]
    holdings = [
        held(NORTHWIND, madrid(2026, 3, 6, 16), madrid(2026, 3, 6, 17, 30)),
        held(ACME, madrid(2026, 3, 6, 17, 30)),
    ]
    # when measured on Monday 09:00 (the calendar read from the database)
    shares = held_by_party(c, holdings, events, now=madrid(2026, 3, 9, 9))
    # then Northwind 16:00–17:30; Acme Friday 17:30–18:00 plus Monday 08:00–09:00
    assert shares == [(NORTHWIND, hours(1, 30)), (ACME, hours(1, 30))]


@pytest.mark.django_db
def test_a_weekend_holding_is_listed_with_no_business_time():
    office = BusinessCalendar.objects.create(name="Office", timezone="Europe/Madrid")
    CalendarInterval.objects.bulk_create(
        CalendarInterval(calendar=office, weekday=day, starts=dt.time(8), ends=dt.time(18))
        for day in range(5)
    )
    c = clock(madrid(2026, 3, 6, 17), calendar_id=office.pk)
    events = [event("started", madrid(2026, 3, 6, 17))]
    holdings = [
        held(NORTHWIND, madrid(2026, 3, 6, 17), madrid(2026, 3, 7, 10)),  # into Saturday
        held(SHADOW, madrid(2026, 3, 7, 10), madrid(2026, 3, 8, 20)),  # the weekend only
        held(NORTHWIND, madrid(2026, 3, 8, 20)),
    ]
    shares = held_by_party(c, holdings, events, now=madrid(2026, 3, 9, 8, 45))
    assert shares == [(NORTHWIND, hours(1, 45)), (SHADOW, dt.timedelta(0))]


def test_time_nobody_held_is_attributed_to_none_and_the_shares_add_up():
    # given a clock that ran 09:00–12:00 and stopped, and a ticket routed to a team at 10:00
    c = clock(utc(2026, 3, 2, 9), stopped_at=utc(2026, 3, 2, 12))
    events = [event("started", utc(2026, 3, 2, 9), 1), event("stopped", utc(2026, 3, 2, 12), 2)]
    holdings = [
        held(NORTHWIND, utc(2026, 3, 2, 10), utc(2026, 3, 2, 11)),
        held(ACME, utc(2026, 3, 2, 11)),
    ]
    # when measured long after the stop
    shares = held_by_party(c, holdings, events, now=utc(2026, 3, 5), calendar=ALWAYS)
    # then
    assert shares == [(None, hours(1)), (NORTHWIND, hours(1)), (ACME, hours(1))]
    assert sum((d for _o, d in shares), dt.timedelta(0)) == hours(3)


def test_a_breach_names_the_party_that_held_the_ticket_and_each_share():
    # given a 2-hour clock started at 08:00 that broke at 10:00, with Acme holding it since 09:15
    c = clock(utc(2026, 3, 2, 8))
    events = [
        event("started", utc(2026, 3, 2, 8), 1),
        event("warned", utc(2026, 3, 2, 9, 30), 2),
        event("breached", utc(2026, 3, 2, 10), 3),
    ]
    holdings = [
        held(NORTHWIND, utc(2026, 3, 2, 8), utc(2026, 3, 2, 9, 15)),
        held(ACME, utc(2026, 3, 2, 9, 15)),
    ]
    # then the breach happened in Acme's hands, and at 10:30 the shares are 1:15 and 1:15
    assert holder_at(holdings, utc(2026, 3, 2, 10)) == ACME
    assert holder_at(holdings, utc(2026, 3, 2, 9, 14)) == NORTHWIND
    assert holder_at(holdings, utc(2026, 3, 2, 7)) is None
    shares = held_by_party(c, holdings, events, now=utc(2026, 3, 2, 10, 30), calendar=ALWAYS)
    assert shares == [(NORTHWIND, hours(1, 15)), (ACME, hours(1, 15))]


def test_a_paused_clock_without_a_recorded_pause_ends_its_stretch_at_paused_at():
    c = clock(utc(2026, 3, 2, 8), paused_at=utc(2026, 3, 2, 9))
    events = [event("started", utc(2026, 3, 2, 8))]
    assert running_stretches(c, events, now=utc(2026, 3, 2, 12)) == [
        (utc(2026, 3, 2, 8), utc(2026, 3, 2, 9))
    ]
    # without any event the clock counted from its start
    assert running_stretches(clock(utc(2026, 3, 2, 8)), [], now=utc(2026, 3, 2, 8, 30)) == [
        (utc(2026, 3, 2, 8), utc(2026, 3, 2, 8, 30))
    ]


def test_a_resolved_then_reopened_ticket_counts_both_stretches():
    c = clock(utc(2026, 3, 2, 8))
    events = [
        event("started", utc(2026, 3, 2, 8), 1),
        event("stopped", utc(2026, 3, 2, 9), 2),
        event("resumed", utc(2026, 3, 3, 8), 3),
    ]
    holdings = [held(NORTHWIND, utc(2026, 3, 2, 8))]
    shares = held_by_party(c, holdings, events, now=utc(2026, 3, 3, 8, 20), calendar=ALWAYS)
    assert shares == [(NORTHWIND, hours(1, 20))]
