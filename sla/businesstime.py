"""Business-time arithmetic: when a calendar works, and how much working time lies between instants.

Pure functions of a ``WorkingTime`` (a frozen snapshot of a ``BusinessCalendar``); the only
database access is in ``WorkingTime.for_calendar`` and the per-process cache ``working_time()``.

The rules, which every clock due time depends on (SPEC 2.4):

* **Instants in, instants out.** Every datetime argument must be timezone-aware (a naive one
  raises ``ValueError``); every datetime returned is in UTC.
* **Intervals are wall-clock, durations are real.** A calendar interval (weekday, starts, ends)
  is read on the local clock of the calendar's timezone, but business time is counted in real
  elapsed time. On Europe/Madrid's spring-forward day (2027-03-28, 02:00 → 03:00) an interval
  00:00–06:00 lasts 5 hours; on its fall-back day (2027-10-31, 03:00 → 02:00) it lasts 7.
* **Turning wall-clock times into instants.** A time that does not exist (skipped by a
  spring-forward) moves forward to the transition instant (02:30 → 03:00). A time that occurs
  twice (repeated by a fall-back) is read as its first occurrence when it starts an interval and
  as its second when it ends one, so the interval covers the repeated hour.
* **Midnight.** An interval whose end is earlier than its start runs past midnight into the next
  day (22:00–06:00). It belongs to the day it starts on: if that day is a holiday, the whole
  interval is off; whether the next day is a holiday does not matter.
* **Holidays** are the calendar's explicit dates plus the public holidays of its country (and
  region) from the ``holidays`` package. A holiday removes every interval that starts on it.
* **Overlaps.** A day may have several intervals; overlapping or touching intervals (also across
  midnight, from one day into the next) are merged, never counted twice.
* **24x7** calendars work round the clock and ignore intervals and holidays:
  ``add(s, d) == s + d`` and ``between(s, e) == e - s``.
* **No working time.** ``add`` on a calendar that never works raises ``ValueError`` instead of
  searching forever; the search gives up after ``SEARCH_HORIZON_DAYS`` days in a row without
  working time (e.g. a calendar whose only weekday is covered by years of explicit holidays).
* **Half-open windows.** A working window is ``[start, end)``: ``is_working`` is false at the
  very instant it ends. ``add`` returns the *earliest* instant at which the duration has
  elapsed, so four hours from Friday 14:00 on 08:00–18:00 office hours is Friday 18:00, not
  Monday 08:00; ``between(s, add(s, d)) == d`` always holds.

Cost: the arithmetic walks day by day (a handful of conversions per working interval), never
minute by minute; a year of office hours takes a few milliseconds.
"""

from __future__ import annotations

import functools
import math
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import holidays

from cogest.models.calendars import BusinessCalendar, CalendarHoliday, CalendarInterval
from cogest.versioned import VersionedValue

__all__ = [
    "SEARCH_HORIZON_DAYS",
    "WorkingTime",
    "clear_working_time_cache",
    "connect_cache_invalidation",
    "working_time",
]

ONE_DAY = timedelta(days=1)
ZERO = timedelta(0)
UTC_ZONE = zoneinfo.ZoneInfo("UTC")

# How many consecutive days without any working time ``add`` looks through before it concludes
# the calendar will never work again. Three years: longer than any real closure.
SEARCH_HORIZON_DAYS = 3 * 366

Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class WorkingTime:
    """When a business calendar works, and the arithmetic of business time on it.

    ``intervals`` are ``(weekday, starts, ends)`` on the local wall clock of ``tz``, weekday
    0 = Monday … 6 = Sunday (``cogest.choices.Weekday``); an ``ends`` earlier than ``starts``
    runs past midnight. They are kept sorted. See the module docstring for the rules.
    """

    tz: zoneinfo.ZoneInfo
    intervals: tuple[tuple[int, time, time], ...]
    extra_holidays: frozenset[date] = frozenset()
    holiday_country: str = ""
    holiday_region: str = ""
    is_24x7: bool = False
    # The working windows of recently used days; the object is cached per calendar and the SLA
    # sweep asks about the same few days over and over.
    _day_cache: dict[date, tuple[Window, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        for weekday, starts, ends in self.intervals:
            if not 0 <= weekday <= 6:
                raise ValueError(f"Weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}.")
            if starts == ends:
                raise ValueError(f"Empty working interval {starts:%H:%M}–{ends:%H:%M}.")
        object.__setattr__(self, "intervals", tuple(sorted(self.intervals)))
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))

    @classmethod
    def for_calendar(cls, calendar: BusinessCalendar | None) -> WorkingTime:
        """The working time of a calendar row; ``None`` (no calendar) means 24x7 in UTC.

        Reads ``calendar.intervals.all()`` and ``calendar.holidays.all()``, so a queryset with
        ``prefetch_related("intervals", "holidays")`` costs no further queries.
        """
        if calendar is None:
            return cls(tz=UTC_ZONE, intervals=(), is_24x7=True)
        try:
            tz = zoneinfo.ZoneInfo(calendar.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"Calendar {calendar.name!r} has an unknown timezone {calendar.timezone!r}."
            ) from None
        return cls(
            tz=tz,
            intervals=tuple((i.weekday, i.starts, i.ends) for i in calendar.intervals.all()),
            extra_holidays=frozenset(h.date for h in calendar.holidays.all()),
            holiday_country=calendar.holiday_country,
            holiday_region=calendar.holiday_region,
            is_24x7=calendar.is_24x7,
        )

    # -- questions about one day or instant -------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is an explicit holiday or a public one of the country/region."""
        if day in self.extra_holidays:
            return True
        if not self.holiday_country:
            return False
        return day in _public_holidays(self.holiday_country, self.holiday_region, day.year)

    def is_working(self, at: datetime) -> bool:
        """Whether the calendar works at instant ``at`` (windows are half-open)."""
        at = _as_utc(at, "at")
        if self.is_24x7:
            return True
        day = self._local_day(at)
        # A window belongs to the day it starts on and lasts at most about a day, so only the
        # two previous days can reach into ``at``'s day.
        return any(
            starts <= at < ends
            for starts, ends in self._raw_windows(day - 2 * ONE_DAY, last_day=day)
        )

    def next_change(self, at: datetime) -> datetime | None:
        """The next instant after ``at`` at which working flips to not working or back.

        ``None`` for a 24x7 calendar, and for one whose state never changes again within the
        search horizon (it never works, or its intervals cover every hour of the week).
        """
        at = _as_utc(at, "at")
        if self.is_24x7 or not self.intervals:
            return None
        horizon = at + SEARCH_HORIZON_DAYS * ONE_DAY
        for starts, ends in self.windows(at, horizon):
            if starts > at:
                return starts  # not working now: the next window opens
            return ends if ends < horizon else None  # working now: this window closes
        return None

    # -- arithmetic -----------------------------------------------------------------------------

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant at which ``duration`` of business time has elapsed from ``start``.

        A zero duration returns ``start`` itself (in UTC), even outside working time; any other
        duration ends inside or at the end of a working window. Raises ``ValueError`` for a
        negative duration and for a calendar that has no working time.
        """
        start = _as_utc(start, "start")
        if duration < ZERO:
            raise ValueError(f"Business time cannot be negative: {duration}.")
        if duration == ZERO or self.is_24x7:
            return start + duration
        if not self.intervals:
            raise ValueError(
                "This calendar has no working time (no intervals and not 24x7): "
                "no business time ever elapses on it."
            )
        remaining = duration
        counted_until = start  # windows may overlap: never count an instant twice
        for starts, ends in self._raw_windows(self._local_day(start) - ONE_DAY):
            starts = max(starts, counted_until)
            if ends <= starts:
                continue
            if remaining <= ends - starts:
                return starts + remaining
            remaining -= ends - starts
            counted_until = ends
        raise AssertionError("unreachable: _raw_windows is endless or raises")  # pragma: no cover

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``; zero if ``end`` is not after ``start``."""
        start, end = _as_utc(start, "start"), _as_utc(end, "end")
        if end <= start:
            return ZERO
        if self.is_24x7:
            return end - start
        total = ZERO
        for starts, ends in self.windows(start, end):
            total += ends - starts
        return total

    def windows(self, start: datetime, end: datetime) -> Iterator[Window]:
        """The working windows overlapping ``[start, end)``, merged, clipped to it, in UTC."""
        start, end = _as_utc(start, "start"), _as_utc(end, "end")
        if end <= start:
            return
        if self.is_24x7:
            yield start, end
            return
        current: Window | None = None
        raw = self._raw_windows(self._local_day(start) - ONE_DAY, last_day=self._local_day(end))
        for starts, ends in raw:
            if starts >= end:
                break
            starts, ends = max(starts, start), min(ends, end)
            if ends <= starts:
                continue
            if current is not None and starts <= current[1]:
                current = (current[0], max(current[1], ends))  # overlapping or touching: merge
                continue
            if current is not None:
                yield current
            current = (starts, ends)
        if current is not None:
            yield current

    # -- internals ------------------------------------------------------------------------------

    def _local_day(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def _raw_windows(self, first_day: date, last_day: date | None = None) -> Iterator[Window]:
        """Unmerged windows of the intervals starting on each day from ``first_day``, in order
        of their start; endless when ``last_day`` is None, but then it raises ``ValueError``
        after ``SEARCH_HORIZON_DAYS`` days in a row without working time."""
        day, idle_days = first_day, 0
        while last_day is None or day <= last_day:
            day_windows = self._day_windows(day)
            idle_days = 0 if day_windows else idle_days + 1
            if last_day is None and idle_days > SEARCH_HORIZON_DAYS:
                raise ValueError(
                    f"This calendar has no working time in the {SEARCH_HORIZON_DAYS} days up to "
                    f"{day:%Y-%m-%d}; business time cannot be added on it."
                )
            yield from day_windows
            day += ONE_DAY

    def _day_windows(self, day: date) -> tuple[Window, ...]:
        """The windows of the intervals that start on local day ``day``, sorted by start."""
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        result: list[Window] = []
        if not self.is_holiday(day):
            for weekday, starts, ends in self.intervals:
                if weekday != day.weekday():
                    continue
                end_day = day if ends > starts else day + ONE_DAY
                window = (self._instant(day, starts, fold=0), self._instant(end_day, ends, fold=1))
                if window[1] > window[0]:
                    result.append(window)
        result.sort()
        if len(self._day_cache) >= 4096:
            self._day_cache.clear()
        self._day_cache[day] = windows = tuple(result)
        return windows

    def _instant(self, day: date, wall: time, *, fold: int) -> datetime:
        """The UTC instant of a wall-clock time on a local day (see the module docstring)."""
        naive = datetime.combine(day, wall)
        instant = naive.replace(tzinfo=self.tz, fold=fold).astimezone(UTC)
        if instant.astimezone(self.tz).replace(tzinfo=None) == naive:
            return instant
        return self._gap_end(naive)

    def _gap_end(self, naive: datetime) -> datetime:
        """The transition instant at the end of the gap that swallowed wall time ``naive``.

        zoneinfo reads a skipped time with the offset before the gap (fold=0) or after it
        (fold=1); the transition lies between those two instants. Transitions fall on whole
        seconds, so a bisection over seconds finds it in a few steps.
        """
        one = naive.replace(tzinfo=self.tz, fold=0).astimezone(UTC)
        two = naive.replace(tzinfo=self.tz, fold=1).astimezone(UTC)
        low, high = math.floor(min(one, two).timestamp()), math.ceil(max(one, two).timestamp())
        offset_before = datetime.fromtimestamp(low, self.tz).utcoffset()
        while high - low > 1:
            middle = (low + high) // 2
            if datetime.fromtimestamp(middle, self.tz).utcoffset() == offset_before:
                low = middle
            else:
                high = middle
        return datetime.fromtimestamp(high, UTC)


def _as_utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}.")
    return value.astimezone(UTC)


@functools.lru_cache(maxsize=256)
def _public_holidays(country: str, region: str, year: int) -> frozenset[date]:
    """The public holidays of a country (and region) in one year, from the ``holidays`` package."""
    try:
        found = holidays.country_holidays(country.upper(), subdiv=region or None, years=year)
    except (NotImplementedError, KeyError) as error:
        raise ValueError(
            f"The holidays package does not know country {country!r} region {region!r}."
        ) from error
    return frozenset(found)


# -- the per-process cache ----------------------------------------------------------------------

# Every process keeps the calendars it used; a save or delete of a calendar, interval or holiday
# anywhere makes every process rebuild them (a version in the shared cache: cogest.versioned).
_calendars: VersionedValue[dict[int | None, WorkingTime]] = VersionedValue(
    "calendars", dict, (BusinessCalendar, CalendarInterval, CalendarHoliday)
)


def working_time(calendar_id: int | None) -> WorkingTime:
    """The ``WorkingTime`` of a calendar by id (``None``: 24x7 UTC), cached in this process.

    Raises ``BusinessCalendar.DoesNotExist`` for an unknown id.
    """
    known = _calendars.get()
    found = known.get(calendar_id)
    if found is None:
        calendar = None
        if calendar_id is not None:
            calendar = BusinessCalendar.objects.prefetch_related("intervals", "holidays").get(
                pk=calendar_id
            )
        found = known[calendar_id] = WorkingTime.for_calendar(calendar)
    return found


def clear_working_time_cache() -> None:
    """Forget every cached ``WorkingTime`` in this process."""
    _calendars.forget()


def connect_cache_invalidation() -> None:
    """Rebuild the calendars whenever one, an interval or a holiday is saved or deleted.
    Called from ``SlaConfig.ready()``; connecting twice is harmless."""
    _calendars.connect()
