"""Business-time arithmetic (sla.businesstime), property-based: for any aware start in 2026–2028
(many of them near the DST switches and on the edges of working windows) and any duration up to 30
business days, ``add`` and ``between`` agree on every calendar shape the product supports.

Hypothesis runs derandomized (the same examples on every run and in CI) and keeps no example
database; the calendars are built in memory, no database row is read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla.businesstime import WorkingTime

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
ZERO = timedelta(0)
MICROSECOND = timedelta(microseconds=1)
FIRST_DAY, LAST_DAY = date(2026, 1, 1), date(2028, 12, 31)

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    # The project's autouse fixtures (database, caches) run once per test, not per example;
    # these properties touch neither.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def weekly(days, *spans: tuple[time, time], tz: ZoneInfo = MADRID, **kwargs) -> WorkingTime:
    return WorkingTime(
        tz=tz,
        intervals=tuple((day, starts, ends) for day in days for starts, ends in spans),
        **kwargs,
    )


MONDAY_TO_FRIDAY = range(5)
EVERY_DAY = range(7)

# name: (calendar, the working time of one ordinary business day, local wall times worth starting
# at: the edges of its windows)
CALENDARS: dict[str, tuple[WorkingTime, timedelta, tuple[time, ...]]] = {
    "madrid-office": (
        weekly(MONDAY_TO_FRIDAY, (time(8), time(18)), holiday_country="ES"),
        timedelta(hours=10),
        (time(8), time(18)),
    ),
    "madrid-split-day": (
        weekly(MONDAY_TO_FRIDAY, (time(8), time(14)), (time(15), time(18)), holiday_country="ES"),
        timedelta(hours=9),
        (time(8), time(14), time(15), time(18)),
    ),
    "madrid-night-shift": (
        weekly(EVERY_DAY, (time(22), time(6)), holiday_country="ES"),
        timedelta(hours=8),
        (time(22), time(0), time(2), time(3), time(6)),
    ),
    "24x7": (
        WorkingTime(tz=MADRID, intervals=(), is_24x7=True),
        timedelta(hours=24),
        (time(0), time(2), time(3)),
    ),
    # Not one of a customer's, but the hardest case for the merging of windows: intervals that
    # overlap, touch, span midnight and start or end in the hour a DST switch skips or repeats.
    "madrid-dst-edges": (
        WorkingTime(
            tz=MADRID,
            intervals=(
                (5, time(23), time(2, 30)),
                (6, time(1), time(2, 30)),
                (6, time(2, 30), time(4)),
                (6, time(2), time(3)),
                (6, time(3, 30), time(1)),
            ),
        ),
        timedelta(hours=4),
        (time(1), time(2), time(2, 30), time(3), time(3, 30)),
    ),
    "new-york-office": (
        weekly(MONDAY_TO_FRIDAY, (time(9), time(17)), tz=NEW_YORK, holiday_country="US"),
        timedelta(hours=8),
        (time(9), time(17)),
    ),
}
NAMES = sorted(CALENDARS)


def dst_switches(tz: ZoneInfo) -> list[datetime]:
    """The instants (UTC, to the hour) at which ``tz`` changes its offset in 2026–2028."""
    found, day = [], FIRST_DAY
    while day <= LAST_DAY:
        today = datetime.combine(day, time(0), tzinfo=tz).utcoffset()
        tomorrow = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).utcoffset()
        if today != tomorrow:
            at = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
            while (at + timedelta(hours=1)).astimezone(tz).utcoffset() == today:
                at += timedelta(hours=1)
            found.append(at + timedelta(hours=1))
        day += timedelta(days=1)
    return found


SWITCHES = dst_switches(MADRID) + dst_switches(NEW_YORK)


def starts(name: str) -> st.SearchStrategy[datetime]:
    """Aware instants in 2026–2028: anywhere, within three days of a DST switch, or on (or a
    microsecond or a second off) a window edge of the calendar — read on its local wall clock, in
    both folds, so skipped and repeated wall times are included."""
    calendar, _day, edges = CALENDARS[name]
    anywhere = st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2028, 12, 31, 23, 59, 59, 999999),
        timezones=st.sampled_from([calendar.tz, UTC, MADRID, NEW_YORK]),
    )
    near_switch = st.builds(
        lambda switch, offset: switch + offset,
        st.sampled_from(SWITCHES),
        st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3)),
    )
    on_edge = st.builds(
        lambda day, wall, fold, offset: (
            datetime.combine(day, wall, tzinfo=calendar.tz).replace(fold=fold) + offset
        ),
        st.one_of(
            st.dates(min_value=FIRST_DAY, max_value=LAST_DAY),
            st.sampled_from([s.astimezone(calendar.tz).date() for s in SWITCHES]),
        ),
        st.sampled_from(edges),
        st.integers(0, 1),
        st.sampled_from([ZERO, MICROSECOND, -MICROSECOND, timedelta(seconds=1)]),
    )
    return st.one_of(anywhere, near_switch, on_edge)


def durations(name: str) -> st.SearchStrategy[timedelta]:
    """Business durations from zero to 30 business days: whole minutes (as targets are), any
    microsecond count, or a round number of business days."""
    day = CALENDARS[name][1]
    return st.one_of(
        st.just(ZERO),
        st.integers(0, 30 * int(day.total_seconds()) // 60).map(lambda m: timedelta(minutes=m)),
        st.timedeltas(min_value=ZERO, max_value=30 * day),
        st.integers(1, 30).map(lambda n: n * day),
    )


def gaps() -> st.SearchStrategy[timedelta]:
    """Real (not business) time between two instants: none, a little, or up to 45 days."""
    return st.one_of(
        st.just(ZERO),
        st.timedeltas(min_value=ZERO, max_value=timedelta(hours=2)),
        st.timedeltas(min_value=ZERO, max_value=timedelta(days=45)),
    )


# Built once: each property draws from its calendar's own strategies (``st.data()``), so every
# calendar gets the full example budget and a failure names its calendar.
STARTS = {name: starts(name) for name in NAMES}
DURATIONS = {name: durations(name) for name in NAMES}
GAPS = gaps()


# -- the example, exactly ---------------------------------------------------------------


def test_friday_1750_plus_30_business_minutes_is_monday_0820():
    calendar = CALENDARS["madrid-office"][0]
    friday = datetime(2026, 11, 27, 17, 50, tzinfo=MADRID)

    due = calendar.add(friday, timedelta(minutes=30))

    assert due == datetime(2026, 11, 30, 8, 20, tzinfo=MADRID)
    assert due == datetime(2026, 11, 30, 7, 20, tzinfo=UTC)
    assert calendar.between(friday, due) == timedelta(minutes=30)


def test_the_switch_dates_are_the_known_ones():
    """The generator's DST instants: Madrid and New York, twice a year each, 2026–2028."""
    as_local = [s.astimezone(MADRID).strftime("%Y-%m-%d %H:%M") for s in dst_switches(MADRID)]
    assert as_local == [
        "2026-03-29 03:00", "2026-10-25 02:00",
        "2027-03-28 03:00", "2027-10-31 02:00",
        "2028-03-26 03:00", "2028-10-29 02:00",
    ]  # fmt: skip
    assert [s.astimezone(NEW_YORK).date() for s in dst_switches(NEW_YORK)] == [
        date(2026, 3, 8), date(2026, 11, 1),
        date(2027, 3, 14), date(2027, 11, 7),
        date(2028, 3, 12), date(2028, 11, 5),
    ]  # fmt: skip


# -- properties -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_calendar_is_exercised(name):
    """Sanity: each calendar works some time in the range and adds a business day."""
    calendar, day, _edges = CALENDARS[name]
    start = datetime(2027, 6, 7, tzinfo=UTC)  # a Monday with no holiday
    assert calendar.between(start, calendar.add(start, day)) == day


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.data())
def test_measuring_what_was_added_gives_it_back(name, data):
    calendar = CALENDARS[name][0]
    start = data.draw(STARTS[name], label="start")
    duration = data.draw(DURATIONS[name], label="duration")

    due = calendar.add(start, duration)

    assert calendar.between(start, due) == duration


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.data())
def test_add_never_goes_back_in_time(name, data):
    calendar = CALENDARS[name][0]
    start = data.draw(STARTS[name], label="start")
    duration = data.draw(DURATIONS[name], label="duration")

    due = calendar.add(start, duration)

    # Compared as UTC instants: an aware local time in a DST fold never compares equal to
    # another zone's (PEP 495).
    instant = start.astimezone(UTC)
    assert due >= instant
    assert due.tzinfo is UTC
    if duration == ZERO:
        assert due == instant
    if calendar.is_24x7:
        assert due == instant + duration


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.data())
def test_add_is_monotonic_in_the_duration(name, data):
    calendar = CALENDARS[name][0]
    start = data.draw(STARTS[name], label="start")
    shorter, longer = sorted(
        (data.draw(DURATIONS[name], label="one"), data.draw(DURATIONS[name], label="other"))
    )

    early, late = calendar.add(start, shorter), calendar.add(start, longer)

    assert early <= late
    if shorter < longer:
        assert early < late


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.data())
def test_a_positive_duration_ends_in_working_time_or_at_a_window_end(name, data):
    calendar = CALENDARS[name][0]
    start = data.draw(STARTS[name], label="start")
    duration = data.draw(DURATIONS[name].filter(bool), label="duration")

    due = calendar.add(start, duration)

    # Windows are half-open [start, end): the instant just before the due time is worked, so
    # the due time is inside a window or exactly where one ends.
    assert calendar.is_working(due - MICROSECOND)


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.data())
def test_adding_in_two_steps_is_adding_the_sum(name, data):
    calendar = CALENDARS[name][0]
    start = data.draw(STARTS[name], label="start")
    first = data.draw(DURATIONS[name], label="first")
    second = data.draw(DURATIONS[name], label="second")

    assert calendar.add(calendar.add(start, first), second) == calendar.add(start, first + second)


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.data())
def test_between_is_additive(name, data):
    calendar = CALENDARS[name][0]
    # Aware arithmetic is wall-clock arithmetic in the operand's zone: step in UTC.
    a = data.draw(STARTS[name], label="a").astimezone(UTC)
    b = a + data.draw(GAPS, label="a to b")
    c = b + data.draw(GAPS, label="b to c")

    assert calendar.between(a, c) == calendar.between(a, b) + calendar.between(b, c)
    assert calendar.between(a, b) <= b - a


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.data())
def test_between_is_additive_across_a_due_time(name, data):
    """The middle instant on a window edge (a due time), where off-by-one errors live."""
    calendar = CALENDARS[name][0]
    a = data.draw(STARTS[name], label="a")
    duration = data.draw(DURATIONS[name], label="duration")
    b = calendar.add(a, duration)
    c = b + data.draw(GAPS, label="b to c")  # b is in UTC: real elapsed time

    assert calendar.between(a, c) == duration + calendar.between(b, c)
