"""Workload of an organization's teams for its managers: open tickets per team, per priority
and per person, in one grouped query over the restricted tickets."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Min

from cogest.models import Team
from cogest.querysets import viewer_for
from tickets.models import Ticket

User = get_user_model()


@dataclass
class TeamLoad:
    team: Team
    open: int = 0
    unassigned: int = 0
    by_priority: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0, 4: 0})
    by_person: list[tuple[object, int]] = field(default_factory=list)
    oldest: object = None


def workload_for_manager(*, user) -> list[TeamLoad]:
    """Open work of the manager's own organization's teams (empty for non-managers)."""
    viewer = viewer_for(user)
    if not viewer.is_manager:
        return []
    teams = list(
        Team.objects.restrict(user, "view")
        .filter(organization_id=viewer.organization_id, is_active=True)
        .order_by("name")
    )
    loads = {team.pk: TeamLoad(team=team) for team in teams}
    rows = (
        Ticket.objects.restrict(user, "view")
        .open()
        .filter(team_id__in=loads.keys())
        .values("team_id", "assignee_id", "priority")
        .annotate(n=Count("id"), oldest=Min("created_at"))
        .order_by()
    )
    people: dict[int, dict[int, int]] = {}
    for row in rows:
        load = loads[row["team_id"]]
        load.open += row["n"]
        load.by_priority[row["priority"]] += row["n"]
        if row["assignee_id"] is None:
            load.unassigned += row["n"]
        else:
            per_team = people.setdefault(row["team_id"], {})
            per_team[row["assignee_id"]] = per_team.get(row["assignee_id"], 0) + row["n"]
        if load.oldest is None or row["oldest"] < load.oldest:
            load.oldest = row["oldest"]
    names = User.objects.in_bulk({pk for per in people.values() for pk in per})
    for team_id, per in people.items():
        loads[team_id].by_person = sorted(
            ((names[pk], n) for pk, n in per.items() if pk in names), key=lambda item: -item[1]
        )
    return list(loads.values())
