"""The demo world of SPEC 6, SLA part: the policies of SPEC 6 on the demo calendars.

Seeded before the demo tickets are played (``seed_demo`` runs ``sla`` before ``tickets``), so the
tickets' clocks start, pause, breach and stop along their stories; ``finish`` runs the sweep once
the stories are played, which records the warnings and breaches that are due by now, and
prepares the engagements' KPI reviews of their last finished period.
"""

from __future__ import annotations

from cogest.demo import DemoWorld
from cogest.demo import seed as seed_core
from sla.models import SlaPolicy, SlaTarget
from sla.models.policies import Metric, Scope

HOUR = 60
DAY = 10 * HOUR  # a business day of the Madrid office calendar (08:00–18:00)

# name: (scope, engagement key, priorities, calendar key, pause reasons,
#        [(metric, priority, minutes, calendar key or None)])
POLICIES = {
    "Northwind SLA P1 (24x7)": (
        Scope.END_TO_END, None, [1], "24x7", ["requester", "change"],
        [(Metric.RESPONSE, None, 15, None), (Metric.RESOLUTION, None, 4 * HOUR, None)],
    ),
    "Northwind SLA P2–P4 (office hours)": (
        Scope.END_TO_END, None, [2, 3, 4], "madrid", ["requester", "change"],
        [
            (Metric.RESPONSE, 2, 30, None), (Metric.RESOLUTION, 2, 8 * HOUR, None),
            (Metric.RESPONSE, 3, 4 * HOUR, None), (Metric.RESOLUTION, 3, 3 * DAY, None),
            (Metric.RESPONSE, 4, DAY, None), (Metric.RESOLUTION, 4, 10 * DAY, None),
        ],
    ),
    "Northwind OLA (internal teams)": (
        Scope.PARTY, None, [], "madrid", ["requester", "provider", "change"],
        [
            (Metric.ACCEPT, None, 30, None),
            (Metric.PARTY_RESOLUTION, 1, 3 * HOUR, "24x7"),
            (Metric.PARTY_RESOLUTION, 2, 6 * HOUR, None),
            (Metric.PARTY_RESOLUTION, 3, 2 * DAY, None),
            (Metric.PARTY_RESOLUTION, 4, 8 * DAY, None),
        ],
    ),
    "Acme MSP underpinning contract": (
        Scope.PARTY, "acme", [1, 2], "24x7", ["requester", "change"],
        [
            (Metric.ACCEPT, None, 30, None),
            (Metric.PARTY_RESOLUTION, 1, 2 * HOUR, None),
            (Metric.PARTY_RESOLUTION, 2, 6 * HOUR, "madrid"),
        ],
    ),
    "Shadow Partners underpinning contract": (
        Scope.PARTY, "shadow", [], "24x7", ["requester", "change"],
        [
            (Metric.ACCEPT, None, 30, None),
            (Metric.PARTY_RESOLUTION, 1, 4 * HOUR, None),
            (Metric.PARTY_RESOLUTION, 2, 8 * HOUR, None),
        ],
    ),
}  # fmt: skip


def seed_policies(world: DemoWorld) -> dict[str, SlaPolicy]:
    """The policies of SPEC 6 (idempotent: found by name, targets replaced)."""
    policies = {}
    for precedence, (name, spec) in enumerate(POLICIES.items(), start=1):
        scope, engagement, priorities, calendar, pauses, targets = spec
        policy, _ = SlaPolicy.objects.update_or_create(
            name=name,
            defaults={
                "scope": scope,
                "engagement": world.engagements[engagement] if engagement else None,
                "priorities": priorities,
                "ticket_types": [],
                "calendar": world.calendars[calendar],
                "warning_percent": 75,
                "pause_reasons": pauses,
                "precedence": precedence * 10,
                "is_active": True,
            },
        )
        wanted = {
            (metric, priority): (minutes, world.calendars[cal] if cal else None)
            for metric, priority, minutes, cal in targets
        }
        policy.targets.exclude(
            pk__in=[t.pk for t in policy.targets.all() if (t.metric, t.priority) in wanted]
        ).delete()
        for (metric, priority), (minutes, cal) in wanted.items():
            SlaTarget.objects.update_or_create(
                policy=policy,
                metric=metric,
                priority=priority,
                defaults={"minutes": minutes, "calendar": cal},
            )
        policies[name] = policy
    from sla.services import clear_policy_cache

    clear_policy_cache()
    return policies


def seed(world: DemoWorld | None = None) -> DemoWorld:
    if world is None or not world.users:
        world = seed_core(world)
    seed_policies(world)
    return world


def finish(world: DemoWorld) -> None:
    """After the tickets: record the warnings and breaches due by now, and prepare each
    engagement's KPI review of its last finished period (what the monthly job does)."""
    from sla.reviews import kpi_reviews_prepare_due
    from sla.services import sweep

    sweep()
    kpi_reviews_prepare_due()
