"""The escalation part of the demo world (SPEC 6): the rules, the shadow engagement's automatic
causes with an absence, and escalations in the demo tickets' timelines (one seeding: it plays
~200 tickets)."""

from io import StringIO

from django.core.management import call_command

from cogest.models import Absence, Engagement
from escalation.models import EscalationEvent, EscalationRule, Notification


def test_the_escalation_demo_world(db):
    call_command("seed_demo", stdout=StringIO())
    rules = {rule.trigger: rule for rule in EscalationRule.objects.all()}
    assert rules["created"].priorities == [1]
    assert rules["created"].notify == ["internal_managers"] and rules["created"].post_to_channel
    assert rules["sla_warning"].notify == ["team_lead"]
    assert set(rules["sla_breached"].notify) == {"internal_managers", "provider_managers"}
    assert rules["unassigned_for"].minutes == 30 and rules["unassigned_for"].reassign_level == "L2"
    assert rules["handoff_not_accepted"].notify == ["provider_managers"]
    assert set(rules["reopened"].notify) == {"team_lead", "assignee"}
    # The demo stories fired rules as they happened (a P1 created) and the sweeps after them.
    fired = set(EscalationEvent.objects.values_list("trigger", flat=True))
    assert {"created", "sla_warning", "sla_breached"} <= fired
    for rule in rules.values():
        rule.full_clean()
    shadow = Engagement.objects.get(model="shadow")
    assert shadow.shadow_on_absence and shadow.shadow_out_of_hours
    assert shadow.shadow_backlog_threshold == 20
    assert Absence.objects.filter(team=shadow.shadow_for_team).exists()
    # The demo tickets' breaches escalated, and the managers were told.
    assert EscalationEvent.objects.filter(trigger="sla_breached").exists()
    assert Notification.objects.filter(recipient__username="marta").exists()
    fired = EscalationEvent.objects.count()
    call_command("seed_demo", stdout=StringIO())  # idempotent: nothing fires twice
    assert EscalationRule.objects.count() == 6
    assert EscalationEvent.objects.count() == fired
