"""Where a new ticket goes: routers registered by later apps (shadow support) first, then the
responsibility matrix (area × level × type)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cogest.models import Engagement, Organization, ResponsibilityRule, Team
from cogest.versioned import VersionedValue


@dataclass(frozen=True)
class Route:
    """The team a ticket goes to, the engagement it falls under, and why."""

    team: Team | None
    engagement: Engagement | None
    reason: str
    rule_id: int | None = None


Router = Callable[..., "Route | None"]
_routers: list[Router] = []


def register_router(router: Router) -> None:
    """Add a router consulted before the matrix (e.g. shadow support while it is active)."""
    if router not in _routers:
        _routers.append(router)


def unregister_router(router: Router) -> None:
    if router in _routers:
        _routers.remove(router)


def route(*, functional_area: str, support_level: str, ticket_type: str) -> Route:
    """Pick the team for a new ticket that has none."""
    matrix_route = route_by_matrix(
        functional_area=functional_area, support_level=support_level, ticket_type=ticket_type
    )
    for router in _routers:
        decided = router(
            functional_area=functional_area,
            support_level=support_level,
            ticket_type=ticket_type,
            default=matrix_route,
        )
        if decided is not None:
            return decided
    return matrix_route


def _active_rules() -> dict[tuple[str, str, str], ResponsibilityRule]:
    rules = ResponsibilityRule.objects.filter(is_active=True).select_related(
        "team__organization", "engagement"
    )
    return {(rule.functional_area, rule.support_level, rule.ticket_type): rule for rule in rules}


# The matrix is read on every new ticket and changes rarely: each process keeps it and rebuilds
# it as soon as any process changes a rule, a team or an engagement (cogest.versioned).
_matrix = VersionedValue(
    "responsibility-matrix", _active_rules, (ResponsibilityRule, Team, Engagement, Organization)
)


def connect_cache_invalidation() -> None:
    _matrix.connect()


def matrix_rule(*, area: str, level: str, ticket_type: str) -> ResponsibilityRule | None:
    """The active rule for (area, level, type): the type-specific one, else the one for any
    type."""
    rules = _matrix.get()
    return rules.get((area, level, ticket_type)) or rules.get((area, level, ""))


def route_by_matrix(*, functional_area: str, support_level: str, ticket_type: str) -> Route:
    rule = matrix_rule(area=functional_area, level=support_level, ticket_type=ticket_type)
    if rule is None and support_level != "L1":
        # Nobody at this level for the area: first level takes it and escalates.
        rule = matrix_rule(area=functional_area, level="L1", ticket_type=ticket_type)
    if rule is None:
        return Route(team=None, engagement=None, reason="no matrix rule matches")
    return Route(
        team=rule.team,
        engagement=rule.engagement,
        rule_id=rule.pk,
        reason=f"matrix rule {rule.pk}: {rule.functional_area}/{rule.support_level}/"
        f"{rule.ticket_type or 'any'}",
    )
