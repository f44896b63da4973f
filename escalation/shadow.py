"""Shadow support (SPEC 1, 2.1, 2.5): a shadow engagement switches on by itself when the internal
team it covers is absent, outside its calendar's hours, or has more open tickets in scope than
the threshold — or by hand — and while it is on, new tickets in its scope go to the provider.

``route_to_shadow`` is the router ``tickets.routing`` consults before the matrix; it reads the
shadow engagements from a per-process copy (``cogest.versioned``), so a ticket routed to a team no
shadow engagement covers costs no query. ``record_transitions`` (the escalation sweep, every
minute) logs each switch on and off in the audit trail and tells both owners.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cogest.models import Absence, BusinessCalendar, Engagement, Team
from cogest.services import audit_record
from cogest.versioned import VersionedValue
from tickets.choices import OPEN_STATUSES
from tickets.routing import Route


@dataclass(frozen=True)
class Shadow:
    engagement: Engagement
    covered_team_id: int
    teams: tuple[Team, ...]  # the provider's teams under the engagement
    absences: tuple[tuple[dt.datetime, dt.datetime], ...]


def _load() -> dict[int, list[Shadow]]:
    """Active shadow engagements by the internal team they cover."""
    found: dict[int, list[Shadow]] = {}
    engagements = (
        Engagement.objects.active()
        .filter(model="shadow", shadow_for_team__isnull=False)
        .select_related("provider", "shadow_for_team", "internal_owner", "provider_owner")
        .prefetch_related("teams__organization")
        .order_by("id")
    )
    for engagement in engagements:
        absences = tuple(
            Absence.objects.filter(team_id=engagement.shadow_for_team_id).values_list(
                "starts_at", "ends_at"
            )
        )
        teams = tuple(team for team in engagement.teams.all() if team.is_active)
        found.setdefault(engagement.shadow_for_team_id, []).append(
            Shadow(engagement, engagement.shadow_for_team_id, teams, absences)
        )
    return found


_shadows = VersionedValue(
    "shadow-engagements", _load, (Engagement, Absence, Team, BusinessCalendar)
)


def connect_cache_invalidation() -> None:
    _shadows.connect()


def reasons_now(shadow: Shadow, now: dt.datetime) -> list[str]:
    """Why the engagement is on now (empty: it is off). The backlog is counted last, and only
    up to its threshold."""
    from sla.businesstime import working_time

    engagement = shadow.engagement
    team = engagement.shadow_for_team
    reasons = []
    if engagement.manual_activation_active(now):
        reasons.append(_("manual: %(reason)s") % {"reason": engagement.shadow_manual_reason})
    if engagement.shadow_on_absence and any(a <= now < b for a, b in shadow.absences):
        reasons.append(_("%(team)s is absent") % {"team": team.name})
    if (
        engagement.shadow_out_of_hours
        and team.calendar_id
        and not working_time(team.calendar_id).is_working(now)
    ):
        reasons.append(_("outside %(team)s's working hours") % {"team": team.name})
    threshold = engagement.shadow_backlog_threshold
    if threshold is not None and not reasons:
        from tickets.models import Ticket

        backlog = (
            Ticket.objects.filter(team_id=team.pk, status__in=OPEN_STATUSES)
            .order_by()
            .values("pk")[: threshold + 1]
            .count()
        )
        if backlog > threshold:
            reasons.append(
                _("backlog of %(team)s over %(n)s tickets") % {"team": team.name, "n": threshold}
            )
    return reasons


def route_to_shadow(*, functional_area, support_level, ticket_type, default: Route):
    """The shadow provider's team for a new ticket the matrix sends to a covered team, while
    the engagement is on; ``None`` otherwise (the matrix's route stands)."""
    if default.team is None:
        return None
    shadows = _shadows.get().get(default.team.pk)
    if not shadows:
        return None
    now = timezone.now()
    for shadow in shadows:
        engagement = shadow.engagement
        if not engagement.covers(area=functional_area, level=support_level):
            continue
        teams = [
            team
            for team in shadow.teams
            if (not team.functional_areas or functional_area in team.functional_areas)
            and (not team.support_levels or support_level in team.support_levels)
        ] or list(shadow.teams)
        if not teams:
            continue
        reasons = reasons_now(shadow, now)
        if reasons:
            return Route(
                team=teams[0],
                engagement=engagement,
                reason=f"shadow support ({engagement.name}): {'; '.join(reasons)}",
            )
    return None


def record_transitions(now: dt.datetime | None = None) -> list[tuple[Engagement, bool, list]]:
    """Log every shadow engagement that switched on or off since the last look (its state is
    kept on the engagement), audited and told to both owners. Returns the switches."""
    from escalation.notify import notify_people

    now = now or timezone.now()
    switched = []
    for shadows in _shadows.get().values():
        for shadow in shadows:
            reasons = reasons_now(shadow, now)
            active = bool(reasons)
            with transaction.atomic():
                engagement = (
                    Engagement.objects.select_for_update().filter(pk=shadow.engagement.pk).first()
                )
                if engagement is None or engagement.shadow_active == active:
                    continue
                Engagement.objects.filter(pk=engagement.pk).update(shadow_active=active)
                action = "engagement.shadow_on" if active else "engagement.shadow_off"
                audit_record(
                    actor=None,
                    actor_label="system:shadow",
                    action=action,
                    obj=engagement,
                    after={"active": active, "reasons": [str(r) for r in reasons]},
                )
                owners = [u for u in (engagement.internal_owner, engagement.provider_owner) if u]
                title = (
                    _("Shadow support on: %(name)s")
                    if active
                    else _("Shadow support off: %(name)s")
                ) % {"name": engagement.name}
                notify_people(
                    owners,
                    kind=action,
                    title=title,
                    body="; ".join(str(r) for r in reasons),
                    url=reverse("engagement", kwargs={"pk": engagement.pk}),
                    occasion=f"{action}:{engagement.pk}:{now.isoformat()}",
                    urgent=False,
                )
                switched.append((engagement, active, reasons))
    return switched
