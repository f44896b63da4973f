"""The demo world of SPEC 6, escalation part: the escalation rules of SPEC 6 (before the demo
tickets, so their stories fire them), then — once everything is seeded — the shadow engagement's
automatic causes (absence, out of hours, backlog over 20) with an absence of the Service Desk,
and the sweeps, so the demo tickets' timelines show escalations."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cogest.demo import DemoWorld
from cogest.demo import seed as seed_core
from cogest.models import Absence
from escalation.models import EscalationRule
from escalation.models.rules import NotifyRole, Trigger

RULES = [
    {
        "name": "P1 created: tell the managers and the team's channel",
        "trigger": Trigger.CREATED,
        "priorities": [1],
        "notify": [NotifyRole.INTERNAL_MANAGERS],
        "post_to_channel": True,
    },
    {
        "name": "SLA warning (75 %): tell the team lead",
        "trigger": Trigger.SLA_WARNING,
        "notify": [NotifyRole.TEAM_LEAD],
    },
    {
        "name": "SLA breached: tell the managers of both sides",
        "trigger": Trigger.SLA_BREACHED,
        "notify": [NotifyRole.INTERNAL_MANAGERS, NotifyRole.PROVIDER_MANAGERS],
    },
    {
        "name": "Unassigned for 30 min at L1: to the area's L2 team",
        "trigger": Trigger.UNASSIGNED_FOR,
        "minutes": 30,
        "support_levels": ["L1"],
        "functional_areas": ["networks", "cybersecurity", "systems", "devices"],
        "reassign_level": "L2",
    },
    {
        "name": "Reopened: tell the team lead and the assignee",
        "trigger": Trigger.REOPENED,
        "notify": [NotifyRole.TEAM_LEAD, NotifyRole.ASSIGNEE],
    },
    {
        "name": "Handoff not accepted within 30 min: tell the provider manager",
        "trigger": Trigger.HANDOFF_NOT_ACCEPTED,
        "minutes": 30,
        "notify": [NotifyRole.PROVIDER_MANAGERS],
    },
]


def seed_rules() -> list[EscalationRule]:
    rules = []
    for position, spec in enumerate(RULES, start=1):
        defaults = {
            "position": position * 10,
            "is_active": True,
            "minutes": None,
            "ticket_types": [],
            "priorities": [],
            "functional_areas": [],
            "support_levels": [],
            "notify": [],
            "post_to_channel": False,
            "reassign_level": "",
            **{k: v for k, v in spec.items() if k != "name"},
        }
        rule, _ = EscalationRule.objects.update_or_create(name=spec["name"], defaults=defaults)
        rules.append(rule)
    return rules


def seed(world: DemoWorld | None = None) -> DemoWorld:
    """The rules, before the demo tickets are played (``seed_demo`` runs ``escalation`` before
    ``tickets``): a P1 story fires the "created" rule as it happens."""
    if world is None or not world.users:
        world = seed_core(world)
    seed_rules()
    return world


def _shadow_causes(world: DemoWorld) -> None:
    """After the stories (they route as told): the shadow engagement's automatic causes."""
    shadow = world.engagements["shadow"]
    shadow.shadow_on_absence = True
    shadow.shadow_out_of_hours = True
    shadow.shadow_backlog_threshold = 20
    shadow.save(
        update_fields=["shadow_on_absence", "shadow_out_of_hours", "shadow_backlog_threshold"]
    )
    # The Service Desk's training next Friday afternoon: the shadow desk takes over.
    today = timezone.localdate()
    friday = today + dt.timedelta(days=(4 - today.weekday()) % 7 or 7)
    starts = timezone.make_aware(dt.datetime.combine(friday, dt.time(14)))
    Absence.objects.get_or_create(
        team=world.teams["service-desk"],
        reason="training",
        note="Service Desk training (demo)",
        defaults={
            "starts_at": starts,
            "ends_at": starts + dt.timedelta(hours=4),
            "created_by": world.users["marta"],
        },
    )


def finish(world: DemoWorld) -> None:
    """The shadow causes, then the sweeps: the timed triggers and the SLA breaches of the demo
    tickets escalate, and the shadow engagement's state is recorded."""
    from escalation.services import sweep
    from escalation.shadow import record_transitions

    _shadow_causes(world)
    record_transitions()
    sweep()
