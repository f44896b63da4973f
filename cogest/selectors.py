"""Read side of the core: what a page or the API shows, already restricted and prefetched."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cogest.choices import FunctionalArea, SupportLevel
from cogest.models import (
    Absence,
    BusinessCalendar,
    Engagement,
    Organization,
    ResponsibilityRule,
    Team,
)

# Unrestricted bases with their joins chosen; every use goes through ``restrict``.
TEAM_QUERYSET = Team.objects.select_related("organization", "lead", "calendar").prefetch_related(
    "members"
)
ENGAGEMENT_QUERYSET = Engagement.objects.select_related(
    "provider", "internal_owner", "provider_owner", "shadow_for_team"
).prefetch_related(Prefetch("teams", queryset=Team.objects.select_related("organization")))


def team_list_for_user(*, user):
    """Teams the user can see, with organization, lead and members loaded."""
    return TEAM_QUERYSET.restrict(user, "view")


def my_teams(*, user):
    return team_list_for_user(user=user).filter(members=user)


def help_desk_teams(*, user):
    """The internal teams that take first-level work: where a requester turns for help."""
    return (
        Team.objects.restrict(user, "view")
        .filter(organization__kind="internal", responsibilities__support_level="L1", is_active=True)
        .distinct()
    )


def engagement_list_for_user(*, user):
    return ENGAGEMENT_QUERYSET.restrict(user, "view")


def organization_list_for_user(*, user):
    return Organization.objects.restrict(user, "view")


def absence_list_current(*, user, now: dt.datetime | None = None):
    return (
        Absence.objects.restrict(user, "view")
        .current(now)
        .select_related("team", "user")
        .order_by("ends_at")
    )


@dataclass
class MatrixCell:
    """One cell of the responsibility matrix: the rules for an area at a level."""

    rules: list = field(default_factory=list)


@dataclass
class MatrixRow:
    area: str
    label: str
    cells: list[MatrixCell]


def responsibility_matrix_for_user(*, user) -> tuple[list[str], list[MatrixRow]]:
    """The matrix as a grid (areas × levels), each cell listing its rules, for people to read."""
    rules = (
        ResponsibilityRule.objects.restrict(user, "view")
        .filter(is_active=True)
        .select_related("team__organization", "engagement")
    )
    levels = list(SupportLevel.values)
    grid: dict[tuple[str, str], MatrixCell] = {}
    for rule in rules:
        grid.setdefault((rule.functional_area, rule.support_level), MatrixCell()).rules.append(rule)
    rows = [
        MatrixRow(
            area=area,
            label=str(label),
            cells=[grid.get((area, level), MatrixCell()) for level in levels],
        )
        for area, label in FunctionalArea.choices
    ]
    return levels, rows


# --- Calendars and shadow status ------------------------------------------------------------


def calendar_is_working_time(calendar: BusinessCalendar, at: dt.datetime) -> bool:
    """Whether ``at`` falls inside one of the calendar's working intervals (holidays excluded).

    A tiny predicate for "is the internal team on duty now"; business-time arithmetic for SLA
    clocks lives in ``sla/``.
    """
    if calendar.is_24x7:
        return True
    tz = zoneinfo.ZoneInfo(calendar.timezone)
    local = at.astimezone(tz)
    intervals = list(calendar.intervals.all())
    for day_offset in (0, -1):  # today's intervals, and yesterday's that run past midnight
        day = local.date() + dt.timedelta(days=day_offset)
        if _is_holiday(calendar, day):
            continue
        for interval in intervals:
            if interval.weekday != day.weekday():
                continue
            start = dt.datetime.combine(day, interval.starts, tzinfo=tz)
            end_day = day if interval.ends > interval.starts else day + dt.timedelta(days=1)
            end = dt.datetime.combine(end_day, interval.ends, tzinfo=tz)
            if start <= local < end:
                return True
    return False


def _is_holiday(calendar: BusinessCalendar, day: dt.date) -> bool:
    if any(h.date == day for h in calendar.holidays.all()):
        return True
    if calendar.holiday_country:
        import holidays

        country = holidays.country_holidays(
            calendar.holiday_country.upper(),
            subdiv=calendar.holiday_region or None,
            years=day.year,
        )
        return day in country
    return False


@dataclass
class ShadowStatus:
    """Whether a shadow engagement is active now, and why."""

    engagement: Engagement
    reasons: list[str]

    @property
    def active(self) -> bool:
        return bool(self.reasons)


def shadow_status(*, engagement: Engagement, now: dt.datetime | None = None) -> ShadowStatus:
    """The activation causes that hold now: manual, absence of the covered team, out of hours,
    and the backlog as the escalation sweep last counted it (it owns the count).
    """
    now = now or timezone.now()
    reasons: list[str] = []
    if engagement.manual_activation_active(now):
        reasons.append(str(_("manual: %(reason)s") % {"reason": engagement.shadow_manual_reason}))
    team = engagement.shadow_for_team
    if team is not None:
        if engagement.shadow_on_absence and Absence.objects.filter(team=team).current(now).exists():
            reasons.append(str(_("%(team)s is absent") % {"team": team}))
        if (
            engagement.shadow_out_of_hours
            and team.calendar_id
            and not calendar_is_working_time(team.calendar, now)
        ):
            reasons.append(str(_("outside %(team)s's working hours") % {"team": team}))
        if (
            not reasons
            and engagement.shadow_backlog_threshold is not None
            and engagement.shadow_active
        ):
            # The backlog is counted by the escalation sweep, which keeps ``shadow_active``.
            reasons.append(
                str(
                    _("backlog of %(team)s over %(n)s tickets")
                    % {"team": team, "n": engagement.shadow_backlog_threshold}
                )
            )
    return ShadowStatus(engagement=engagement, reasons=reasons)


def shadow_engagements_active(*, user, now: dt.datetime | None = None) -> list[ShadowStatus]:
    engagements = engagement_list_for_user(user=user).filter(model="shadow", is_active=True)
    engagements = engagements.prefetch_related(
        "shadow_for_team__calendar__intervals", "shadow_for_team__calendar__holidays"
    )
    statuses = [shadow_status(engagement=e, now=now) for e in engagements]
    return [s for s in statuses if s.active]
