"""Business-time arithmetic (sla.businesstime): exact due times across weekends, holidays and DST.

Expected instants are written in UTC so that every assertion also pins the UTC offset: Madrid is
UTC+1 in winter (CET) and UTC+2 in summer (CEST); in 2027 it springs forward on Sunday 28 March
(02:00 → 03:00) and falls back on Sunday 31 October (03:00 → 02:00).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from cogest.models import BusinessCalendar, CalendarHoliday, CalendarInterval
from sla import businesstime
from sla.businesstime import WorkingTime, clear_working_time_cache, working_time

MADRID = ZoneInfo("Europe/Madrid")
MONDAY_TO_FRIDAY = range(5)
EVERY_DAY = range(7)


def madrid(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MADRID)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def weekly(
    days: range | tuple[int, ...], *spans: tuple[time, time], tz: ZoneInfo = MADRID, **kwargs
) -> WorkingTime:
    """A calendar with the same spans on each of ``days``."""
    intervals = tuple((day, starts, ends) for day in days for starts, ends in spans)
    return WorkingTime(tz=tz, intervals=intervals, **kwargs)


def office(**kwargs) -> WorkingTime:
    """Madrid office hours, Monday to Friday 08:00–18:00, Spanish national holidays."""
    kwargs.setdefault("holiday_country", "ES")
    return weekly(MONDAY_TO_FRIDAY, (time(8), time(18)), **kwargs)


@pytest.fixture(autouse=True)
def _fresh_working_time_cache():
    """Database rows are rolled back without signals; never let a cached calendar leak."""
    clear_working_time_cache()
    yield
    clear_working_time_cache()


# -- office hours -------------------------------------------------------------------------------


def test_four_hours_from_friday_afternoon_end_on_monday_morning():
    due = office().add(madrid(2026, 11, 27, 16), hours(4))

    assert due == utc(2026, 11, 30, 9)  # Monday 10:00 CET
    assert due.tzinfo is UTC


def test_work_that_fills_the_rest_of_the_day_ends_at_closing_time():
    assert office().add(madrid(2026, 11, 27, 14), hours(4)) == utc(2026, 11, 27, 17)


def test_starting_before_opening_counts_from_opening():
    assert office().add(madrid(2026, 11, 24, 6, 30), hours(1)) == utc(2026, 11, 24, 8)


def test_starting_after_closing_counts_from_next_morning():
    assert office().add(madrid(2026, 11, 24, 19), hours(1)) == utc(2026, 11, 25, 8)


def test_starting_on_a_weekend_counts_from_monday():
    assert office().add(madrid(2026, 11, 28, 11), hours(3)) == utc(2026, 11, 30, 10)


def test_a_national_holiday_is_skipped():
    # Tuesday 8 December 2026 (Immaculate Conception): Monday 2 h, Wednesday 2 h.
    assert office().add(madrid(2026, 12, 7, 16), hours(4)) == utc(2026, 12, 9, 9)


def test_christmas_new_year_and_epiphany_are_skipped():
    calendar = office()

    assert calendar.add(madrid(2026, 12, 24, 17), hours(2)) == utc(2026, 12, 28, 8)
    # Thursday 31 Dec 10 h, Friday 1 Jan off, Monday 4 Jan 10 h, Tuesday 5 Jan 10 h.
    assert calendar.add(madrid(2026, 12, 31, 8), hours(30)) == utc(2027, 1, 5, 17)
    # Wednesday 6 Jan off.
    assert calendar.add(madrid(2027, 1, 5, 17), hours(2)) == utc(2027, 1, 7, 8)


def test_between_skips_the_weekend_and_a_holiday():
    # Friday 12:00–18:00, Monday 10 h, Tuesday 8 Dec off, Wednesday 08:00–12:00.
    assert office().between(madrid(2026, 12, 4, 12), madrid(2026, 12, 9, 12)) == hours(20)


def test_between_the_holidays_of_christmas_and_epiphany():
    # 24, 28, 29, 30, 31 December and 4, 5 January: seven days of ten hours.
    assert office().between(madrid(2026, 12, 24, 8), madrid(2027, 1, 7, 8)) == hours(70)


def test_between_is_zero_when_the_end_is_not_after_the_start():
    calendar = office()
    monday = madrid(2026, 11, 30, 10)

    assert calendar.between(monday, monday) == timedelta(0)
    assert calendar.between(monday, monday - hours(1)) == timedelta(0)
    assert list(calendar.windows(monday, monday - hours(1))) == []


def test_a_year_of_office_hours():
    # 2027: 261 weekdays, of which 7 are national holidays (1 and 6 Jan, 26 Mar, 12 Oct,
    # 1 Nov, 6 and 8 Dec); 1 May and 25 Dec fall on a Saturday.
    assert office().between(madrid(2027, 1, 1), madrid(2028, 1, 1)) == hours(2540)


def test_adding_zero_returns_the_start_even_outside_working_time():
    saturday = madrid(2026, 11, 28, 11)

    due = office().add(saturday, timedelta(0))

    assert due == saturday
    assert due.tzinfo is UTC


def test_negative_business_time_is_refused():
    with pytest.raises(ValueError, match="negative"):
        office().add(madrid(2026, 11, 30, 10), hours(-1))


def test_ten_business_days_and_a_year_of_office_hours():
    due = office().add(madrid(2026, 11, 2, 8), hours(100))
    assert due == utc(2026, 11, 13, 17)  # ten working days, Friday 18:00 CET
    year = office().between(madrid(2027, 1, 1), madrid(2028, 1, 1))
    # 2027 has 261 weekdays; 7 of Spain's 9 national holidays fall on one (1 May and
    # Christmas are Saturdays).
    assert year == hours(10 * (261 - 7))


# -- explicit and regional holidays --------------------------------------------------------------


def test_region_adds_its_own_public_holidays():
    # What the holidays package says: Madrid moves 2 May 2027 (a Sunday) to Monday 3 May, and
    # 2026 has "Monday following Constitution Day" on 7 December. Neither is national.
    national, madrid_region = office(), office(holiday_region="MD")

    assert national.is_holiday(date(2026, 12, 8))
    assert not national.is_holiday(date(2026, 12, 7))
    assert madrid_region.is_holiday(date(2026, 12, 7))
    assert not national.is_holiday(date(2027, 5, 3))
    assert madrid_region.is_holiday(date(2027, 5, 3))
    assert not madrid_region.is_holiday(date(2027, 5, 2))


def test_a_regional_holiday_is_skipped_only_in_that_region():
    friday = madrid(2026, 12, 4, 16)

    assert office().add(friday, hours(4)) == utc(2026, 12, 7, 9)
    assert office(holiday_region="MD").add(friday, hours(4)) == utc(2026, 12, 9, 9)


def test_an_explicit_holiday_is_skipped():
    calendar = office(extra_holidays=frozenset({date(2026, 11, 30)}))

    assert calendar.is_holiday(date(2026, 11, 30))
    assert calendar.add(madrid(2026, 11, 27, 16), hours(4)) == utc(2026, 12, 1, 9)


def test_a_country_unknown_to_the_holidays_package_is_reported():
    with pytest.raises(ValueError, match="does not know country 'XX'"):
        office(holiday_country="XX").is_holiday(date(2027, 1, 1))


def test_without_a_country_only_explicit_holidays_count():
    calendar = office(holiday_country="")

    assert not calendar.is_holiday(date(2026, 12, 25))
    assert calendar.add(madrid(2026, 12, 24, 17), hours(2)) == utc(2026, 12, 25, 8)


# -- daylight saving time ----------------------------------------------------------------------


def test_an_office_day_lasts_ten_hours_on_both_dst_sundays():
    calendar = weekly(EVERY_DAY, (time(8), time(18)))

    assert calendar.between(madrid(2027, 3, 28), madrid(2027, 3, 29)) == hours(10)
    assert list(calendar.windows(madrid(2027, 3, 28), madrid(2027, 3, 29))) == [
        (utc(2027, 3, 28, 6), utc(2027, 3, 28, 16))
    ]
    assert calendar.between(madrid(2027, 10, 31), madrid(2027, 11, 1)) == hours(10)
    assert list(calendar.windows(madrid(2027, 10, 31), madrid(2027, 11, 1))) == [
        (utc(2027, 10, 31, 7), utc(2027, 10, 31, 17))
    ]


def test_office_hours_across_the_dst_changes_keep_the_local_opening_time():
    calendar = weekly(EVERY_DAY, (time(8), time(18)))

    # Saturday 17:00 CET, one hour left; Sunday opens at 08:00 CEST = 06:00 UTC.
    assert calendar.add(madrid(2027, 3, 27, 17), hours(2)) == utc(2027, 3, 28, 7)
    # Saturday 17:00 CEST, one hour left; Sunday opens at 08:00 CET = 07:00 UTC.
    assert calendar.add(madrid(2027, 10, 30, 17), hours(2)) == utc(2027, 10, 31, 8)


def test_monday_to_friday_office_across_easter_and_all_saints():
    calendar = office()

    # Thursday 25 March 2 h (CET), Good Friday off, Monday 29 March 10:00 CEST.
    assert calendar.add(madrid(2027, 3, 25, 16), hours(4)) == utc(2027, 3, 29, 8)
    # Friday 29 October 2 h (CEST), Monday 1 November off, Tuesday 2 November 10:00 CET.
    assert calendar.add(madrid(2027, 10, 29, 16), hours(4)) == utc(2027, 11, 2, 9)
    # Two weeks around the spring change: nine working days, Good Friday off.
    assert calendar.between(madrid(2027, 3, 22), madrid(2027, 4, 5)) == hours(90)


def test_a_night_interval_loses_an_hour_in_spring_and_gains_one_in_autumn():
    calendar = weekly(EVERY_DAY, (time(0), time(6)))

    assert list(calendar.windows(madrid(2027, 3, 28), madrid(2027, 3, 29))) == [
        (utc(2027, 3, 27, 23), utc(2027, 3, 28, 4))
    ]
    assert calendar.between(madrid(2027, 3, 28), madrid(2027, 3, 29)) == hours(5)
    assert list(calendar.windows(madrid(2027, 10, 31), madrid(2027, 11, 1))) == [
        (utc(2027, 10, 30, 22), utc(2027, 10, 31, 5))
    ]
    assert calendar.between(madrid(2027, 10, 31), madrid(2027, 11, 1)) == hours(7)
    assert calendar.add(madrid(2027, 10, 31), hours(6)) == utc(2027, 10, 31, 4)  # 05:00 CET


def test_a_night_interval_spanning_midnight_and_the_dst_change():
    calendar = weekly(EVERY_DAY, (time(22), time(6)))

    # Saturday 22:00 CET to Sunday 06:00 CEST: 7 real hours.
    assert list(calendar.windows(madrid(2027, 3, 27, 12), madrid(2027, 3, 28, 12))) == [
        (utc(2027, 3, 27, 21), utc(2027, 3, 28, 4))
    ]
    assert calendar.add(madrid(2027, 3, 27, 22), hours(6)) == utc(2027, 3, 28, 3)
    assert calendar.add(madrid(2027, 3, 27, 22), hours(7)) == utc(2027, 3, 28, 4)
    assert calendar.add(madrid(2027, 3, 27, 22), hours(8)) == utc(2027, 3, 28, 21)
    # Saturday 22:00 CEST to Sunday 06:00 CET: 9 real hours.
    assert list(calendar.windows(madrid(2027, 10, 30, 12), madrid(2027, 10, 31, 12))) == [
        (utc(2027, 10, 30, 20), utc(2027, 10, 31, 5))
    ]
    assert calendar.add(madrid(2027, 10, 30, 22), hours(8)) == utc(2027, 10, 31, 4)
    assert calendar.between(madrid(2027, 10, 30, 12), madrid(2027, 10, 31, 12)) == hours(9)


def test_a_skipped_wall_time_moves_forward_to_the_transition():
    starts_in_gap = weekly((6,), (time(2, 30), time(5)))
    ends_in_gap = weekly((6,), (time(0), time(2, 30)))

    # 02:30 does not exist on 28 March 2027: the interval opens at 03:00 CEST.
    assert list(starts_in_gap.windows(madrid(2027, 3, 28), madrid(2027, 3, 29))) == [
        (utc(2027, 3, 28, 1), utc(2027, 3, 28, 3))
    ]
    assert starts_in_gap.between(madrid(2027, 4, 4), madrid(2027, 4, 5)) == hours(2.5)
    # ...and an interval ending at 02:30 closes at 03:00 CEST: 00:00 CET to then is 2 hours.
    assert list(ends_in_gap.windows(madrid(2027, 3, 28), madrid(2027, 3, 29))) == [
        (utc(2027, 3, 27, 23), utc(2027, 3, 28, 1))
    ]


def test_a_repeated_wall_time_starts_at_its_first_and_ends_at_its_second_occurrence():
    starts_in_repeat = weekly((6,), (time(2, 30), time(4)))
    ends_in_repeat = weekly((6,), (time(0), time(2, 30)))

    # 02:30 CEST (00:30 UTC) to 04:00 CET (03:00 UTC): 2.5 hours instead of 1.5.
    assert list(starts_in_repeat.windows(madrid(2027, 10, 31), madrid(2027, 11, 1))) == [
        (utc(2027, 10, 31, 0, 30), utc(2027, 10, 31, 3))
    ]
    # 00:00 CEST (22:00 UTC) to the second 02:30, CET (01:30 UTC): 3.5 hours instead of 2.5.
    assert list(ends_in_repeat.windows(madrid(2027, 10, 31), madrid(2027, 11, 1))) == [
        (utc(2027, 10, 30, 22), utc(2027, 10, 31, 1, 30))
    ]


def test_a_day_skipped_by_the_timezone_has_no_working_time():
    # Samoa jumped from 29 to 31 December 2011 (UTC-10 to UTC+14).
    apia = ZoneInfo("Pacific/Apia")
    calendar = weekly(EVERY_DAY, (time(8), time(18)), tz=apia)

    start, end = datetime(2011, 12, 29, tzinfo=apia), datetime(2012, 1, 1, tzinfo=apia)
    assert calendar.between(start, end) == hours(20)
    assert calendar.add(datetime(2011, 12, 29, 17, tzinfo=apia), hours(2)) == datetime(
        2011, 12, 31, 9, tzinfo=apia
    )


# -- intervals that span midnight, several intervals, overlaps -----------------------------------


def test_a_night_interval_belongs_to_the_day_it_starts_on():
    christmas_eve_off = weekly(
        EVERY_DAY, (time(22), time(6)), extra_holidays=frozenset({date(2026, 12, 24)})
    )
    christmas_off = weekly(
        EVERY_DAY, (time(22), time(6)), extra_holidays=frozenset({date(2026, 12, 25)})
    )

    # The night of the 23rd counts (into the holiday), the night of the 24th does not.
    assert christmas_eve_off.is_working(madrid(2026, 12, 24, 3))
    assert not christmas_eve_off.is_working(madrid(2026, 12, 24, 23))
    assert not christmas_eve_off.is_working(madrid(2026, 12, 25, 3))
    assert christmas_eve_off.is_working(madrid(2026, 12, 25, 23))
    assert christmas_eve_off.between(madrid(2026, 12, 23, 12), madrid(2026, 12, 26, 12)) == hours(
        16
    )
    # The night of the 24th counts even though it ends on a holiday.
    assert christmas_off.is_working(madrid(2026, 12, 25, 3))
    assert not christmas_off.is_working(madrid(2026, 12, 25, 23))
    assert christmas_off.between(madrid(2026, 12, 23, 12), madrid(2026, 12, 26, 12)) == hours(16)


def test_a_split_day_with_a_lunch_break():
    calendar = weekly(MONDAY_TO_FRIDAY, (time(8), time(14)), (time(15), time(18)))
    monday = (madrid(2026, 11, 23), madrid(2026, 11, 24))

    assert calendar.add(madrid(2026, 11, 23, 13), hours(2)) == utc(2026, 11, 23, 15)
    assert calendar.between(*monday) == hours(9)
    assert list(calendar.windows(*monday)) == [
        (utc(2026, 11, 23, 7), utc(2026, 11, 23, 13)),
        (utc(2026, 11, 23, 14), utc(2026, 11, 23, 17)),
    ]
    assert not calendar.is_working(madrid(2026, 11, 23, 14, 30))
    assert calendar.is_working(madrid(2026, 11, 23, 15))
    assert not calendar.is_working(madrid(2026, 11, 23, 18))  # windows are half-open
    assert calendar.next_change(madrid(2026, 11, 23, 10)) == utc(2026, 11, 23, 13)
    assert calendar.next_change(madrid(2026, 11, 23, 14, 30)) == utc(2026, 11, 23, 14)
    assert calendar.next_change(madrid(2026, 11, 27, 18)) == utc(2026, 11, 30, 7)


def test_overlapping_intervals_are_merged_not_counted_twice():
    calendar = weekly(
        (0,), (time(8), time(14)), (time(12), time(18)), (time(17), time(19)), (time(9), time(10))
    )
    monday = (madrid(2026, 11, 23), madrid(2026, 11, 24))

    assert calendar.between(*monday) == hours(11)
    assert list(calendar.windows(*monday)) == [(utc(2026, 11, 23, 7), utc(2026, 11, 23, 18))]
    assert calendar.add(madrid(2026, 11, 23, 8), hours(11)) == utc(2026, 11, 23, 18)
    assert calendar.add(madrid(2026, 11, 23, 8), hours(12)) == utc(2026, 11, 30, 8)
    assert calendar.next_change(madrid(2026, 11, 23, 13)) == utc(2026, 11, 23, 18)


def test_intervals_meeting_at_midnight_make_one_window():
    calendar = WorkingTime(tz=MADRID, intervals=((6, time(22), time(2)), (0, time(0), time(8))))
    night = (madrid(2026, 11, 29, 12), madrid(2026, 11, 30, 12))

    assert list(calendar.windows(*night)) == [(utc(2026, 11, 29, 21), utc(2026, 11, 30, 7))]
    assert calendar.between(*night) == hours(10)
    assert calendar.next_change(madrid(2026, 11, 29, 23)) == utc(2026, 11, 30, 7)


def test_touching_intervals_do_not_flip():
    calendar = weekly((0,), (time(8), time(12)), (time(12), time(18)))

    assert calendar.next_change(madrid(2026, 11, 23, 10)) == utc(2026, 11, 23, 17)


# -- 24x7, no working time, bad input --------------------------------------------------------------


def test_round_the_clock_counts_real_time_and_ignores_intervals_and_holidays():
    calendar = WorkingTime(
        tz=MADRID, intervals=((0, time(8), time(18)),), holiday_country="ES", is_24x7=True
    )
    christmas = madrid(2026, 12, 25, 3)

    assert calendar.is_working(christmas)
    assert calendar.add(madrid(2027, 3, 27, 22), hours(10)) == utc(2027, 3, 28, 7)
    assert calendar.between(madrid(2027, 3, 28), madrid(2027, 3, 29)) == hours(23)
    assert list(calendar.windows(christmas, christmas + hours(2))) == [
        (utc(2026, 12, 25, 2), utc(2026, 12, 25, 4))
    ]
    assert calendar.next_change(christmas) is None


def test_no_calendar_means_round_the_clock_in_utc():
    calendar = WorkingTime.for_calendar(None)

    assert calendar.is_24x7
    assert calendar.tz == ZoneInfo("UTC")
    assert calendar.add(utc(2026, 12, 25, 23), hours(2)) == utc(2026, 12, 26, 1)


def test_a_calendar_without_working_time_refuses_to_add():
    calendar = WorkingTime(tz=MADRID, intervals=())
    start = madrid(2026, 11, 23, 10)

    with pytest.raises(ValueError, match="no working time"):
        calendar.add(start, hours(1))
    assert calendar.add(start, timedelta(0)) == start
    assert calendar.between(start, start + hours(100)) == timedelta(0)
    assert list(calendar.windows(start, start + hours(100))) == []
    assert not calendar.is_working(start)
    assert calendar.next_change(start) is None


def test_the_search_for_working_time_gives_up_after_the_horizon():
    first_monday = date(2026, 1, 5)
    two_years = frozenset(first_monday + timedelta(weeks=n) for n in range(104))
    four_years = frozenset(first_monday + timedelta(weeks=n) for n in range(210))

    reopens = weekly((0,), (time(8), time(18)), extra_holidays=two_years)
    never = weekly((0,), (time(8), time(18)), extra_holidays=four_years)

    assert reopens.add(madrid(2026, 1, 1), hours(1)) == utc(2028, 1, 3, 8)  # 104 Mondays later
    with pytest.raises(ValueError, match="no working time in the 1098 days"):
        never.add(madrid(2026, 1, 1), hours(1))
    assert never.next_change(madrid(2026, 1, 1)) is None


def test_intervals_covering_the_whole_week_never_change():
    calendar = weekly(EVERY_DAY, (time(0), time(12)), (time(12), time(0)))

    assert calendar.is_working(madrid(2026, 11, 23, 10))
    assert calendar.next_change(madrid(2026, 11, 23, 10)) is None


NAIVE = datetime(2026, 11, 23, 10)
AWARE = madrid(2026, 11, 23, 10)


@pytest.mark.parametrize(
    "calendar", [office(), WorkingTime.for_calendar(None)], ids=["office", "24x7"]
)
@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.add(NAIVE, hours(1)),
        lambda c: c.add(NAIVE, timedelta(0)),
        lambda c: c.between(NAIVE, AWARE),
        lambda c: c.between(AWARE, NAIVE),
        lambda c: list(c.windows(NAIVE, AWARE)),
        lambda c: c.is_working(NAIVE),
        lambda c: c.next_change(NAIVE),
    ],
    ids=["add", "add-zero", "between-start", "between-end", "windows", "is_working", "next_change"],
)
def test_naive_datetimes_are_refused(calendar, call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(calendar)


def test_impossible_intervals_are_refused():
    with pytest.raises(ValueError, match="Weekday"):
        WorkingTime(tz=MADRID, intervals=((7, time(8), time(18)),))
    with pytest.raises(ValueError, match="Empty"):
        WorkingTime(tz=MADRID, intervals=((0, time(8), time(8)),))


# -- add and between agree -------------------------------------------------------------------------

RANDOM_CALENDARS = {
    "office-madrid": office(holiday_region="MD"),
    "split-day": weekly(MONDAY_TO_FRIDAY, (time(8), time(14)), (time(15), time(18))),
    "nights-with-holidays": weekly(
        EVERY_DAY,
        (time(22), time(6)),
        extra_holidays=frozenset({date(2027, 3, 27), date(2027, 10, 31), date(2026, 12, 25)}),
    ),
    "dst-edges": WorkingTime(
        tz=MADRID,
        intervals=(
            (5, time(23), time(2, 30)),
            (6, time(0), time(2, 30)),
            (6, time(2, 30), time(4)),
            (6, time(1), time(3)),
            (2, time(12), time(12, 0, 1)),
        ),
    ),
    "overlapping": weekly((0, 3), (time(8), time(14)), (time(12), time(18)), (time(17), time(2))),
    "new-york": weekly(
        MONDAY_TO_FRIDAY,
        (time(9), time(17)),
        tz=ZoneInfo("America/New_York"),
        holiday_country="US",
    ),
}
DST_AND_HOLIDAYS = [
    madrid(2027, 3, 28),
    madrid(2027, 10, 31),
    datetime(2027, 3, 14, tzinfo=ZoneInfo("America/New_York")),
    datetime(2027, 11, 7, tzinfo=ZoneInfo("America/New_York")),
    madrid(2026, 12, 25),
    madrid(2027, 1, 1),
]


@pytest.mark.parametrize("name", sorted(RANDOM_CALENDARS))
def test_add_and_between_agree_on_random_starts_and_durations(name):
    calendar = RANDOM_CALENDARS[name]
    rng = random.Random(f"businesstime-{name}")
    first, last = utc(2026, 1, 1), utc(2028, 12, 31)
    for _ in range(300):
        if rng.random() < 0.5:
            around = rng.choice(DST_AND_HOLIDAYS)
            start = around + timedelta(seconds=rng.randint(-4 * 86400, 2 * 86400))
        else:
            start = first + timedelta(seconds=rng.randint(0, int((last - first).total_seconds())))
        duration = timedelta(seconds=rng.choice([0, 1, 3600, rng.randint(1, 200 * 3600)]))

        due = calendar.add(start, duration)

        assert due >= start
        assert calendar.between(start, due) == duration, (start, duration, due)
        if duration:
            assert calendar.is_working(due - timedelta(microseconds=1))
        later = start + timedelta(seconds=rng.randint(0, 30 * 86400))
        elapsed = calendar.between(start, later)
        assert elapsed == sum(
            (end - begin for begin, end in calendar.windows(start, later)), timedelta(0)
        )
        assert calendar.add(start, elapsed) <= later


# -- from database rows, and the per-process cache -----------------------------------------------


@pytest.fixture
def madrid_office():
    calendar = BusinessCalendar.objects.create(
        name="Madrid office", timezone="Europe/Madrid", holiday_country="ES", holiday_region="MD"
    )
    for weekday in MONDAY_TO_FRIDAY:
        CalendarInterval.objects.create(
            calendar=calendar, weekday=weekday, starts=time(15), ends=time(18)
        )
        CalendarInterval.objects.create(
            calendar=calendar, weekday=weekday, starts=time(8), ends=time(14)
        )
    CalendarHoliday.objects.create(calendar=calendar, date=date(2026, 12, 24), name="Christmas Eve")
    return calendar


@pytest.mark.django_db
def test_working_time_is_read_from_the_calendar_rows(madrid_office, django_assert_num_queries):
    row = BusinessCalendar.objects.prefetch_related("intervals", "holidays").get(
        pk=madrid_office.pk
    )

    with django_assert_num_queries(0):
        calendar = WorkingTime.for_calendar(row)

    assert calendar == WorkingTime(
        tz=MADRID,
        intervals=tuple(
            (day, starts, ends)
            for day in MONDAY_TO_FRIDAY
            for starts, ends in ((time(8), time(14)), (time(15), time(18)))
        ),
        extra_holidays=frozenset({date(2026, 12, 24)}),
        holiday_country="ES",
        holiday_region="MD",
    )
    # Friday 2 h; Monday 7 Dec (Madrid) and Tuesday 8 Dec (national) off; Wednesday 10:00 CET.
    assert calendar.add(madrid(2026, 12, 4, 16), hours(4)) == utc(2026, 12, 9, 9)
    # Wednesday 23 Dec 1 h; 24 Dec (explicit) and 25 Dec off; Monday 28 Dec 09:00 CET.
    assert calendar.add(madrid(2026, 12, 23, 17), hours(2)) == utc(2026, 12, 28, 8)


@pytest.mark.django_db
def test_working_time_is_cached_per_calendar(madrid_office, django_assert_num_queries):
    with django_assert_num_queries(3):  # the calendar, its intervals, its holidays
        first = working_time(madrid_office.pk)
    with django_assert_num_queries(0):
        assert working_time(madrid_office.pk) is first
        assert working_time(None).is_24x7


@pytest.mark.django_db
def test_saving_an_interval_refreshes_the_cached_working_time(madrid_office):
    saturday_morning = madrid(2026, 11, 28, 11)
    assert not working_time(madrid_office.pk).is_working(saturday_morning)

    CalendarInterval.objects.create(
        calendar=madrid_office, weekday=5, starts=time(10), ends=time(14)
    )

    assert working_time(madrid_office.pk).is_working(saturday_morning)


@pytest.mark.django_db
def test_editing_or_deleting_rows_refreshes_the_cached_working_time(madrid_office):
    assert working_time(madrid_office.pk).is_holiday(date(2026, 12, 24))

    CalendarHoliday.objects.get(calendar=madrid_office).delete()
    assert not working_time(madrid_office.pk).is_holiday(date(2026, 12, 24))

    interval = madrid_office.intervals.get(weekday=0, starts=time(8))
    interval.starts = time(9)
    interval.save()
    assert not working_time(madrid_office.pk).is_working(madrid(2026, 11, 23, 8, 30))

    madrid_office.timezone = "Atlantic/Canary"
    madrid_office.save()
    assert working_time(madrid_office.pk).tz == ZoneInfo("Atlantic/Canary")


@pytest.mark.django_db
def test_a_change_made_by_another_process_is_picked_up(madrid_office, monkeypatch):
    from django.core.cache import cache

    from cogest import versioned

    monkeypatch.setattr(versioned, "CHECK_SECONDS", 0)
    working_time(madrid_office.pk)
    BusinessCalendar.objects.filter(pk=madrid_office.pk).update(is_24x7=True)  # no signal here
    assert not working_time(madrid_office.pk).is_24x7
    cache.set(businesstime._calendars.key, "bumped by another process")
    assert working_time(madrid_office.pk).is_24x7
