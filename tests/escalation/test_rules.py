"""Escalation rules (SPEC 2.5): every trigger and action, conditions that match and do not, rule
order, and one firing per occasion."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from cogest.models import AuditEvent, Engagement, Team
from escalation.models import EscalationEvent, EscalationRule, Notification
from escalation.services import fire, sweep
from escalation.tasks import notification_email_task
from sla.demo import seed_policies
from sla.services import sweep as sla_sweep
from tickets.models import Handoff
from tickets.services import ticket_assign, ticket_create, ticket_handoff, ticket_transition

MADRID = ZoneInfo("Europe/Madrid")


def madrid(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MADRID)


def rule(name="rule", **fields) -> EscalationRule:
    watchers = fields.pop("add_watchers", [])
    made = EscalationRule.objects.create(name=name, **fields)
    made.add_watchers.set(watchers)
    return made


def incident(users, *, impact="medium", urgency="medium", area="networks", **extra):
    return ticket_create(
        by=users["ana"],
        type="incident",
        title="Core switch down",
        functional_area=area,
        support_level="L1",
        impact=impact,
        urgency=urgency,
        **extra,
    )


def test_created_p1_notifies_the_internal_managers_once(demo, users):
    rule(trigger="created", priorities=[1], notify=["internal_managers"])
    ticket = incident(users, impact="high", urgency="high")
    [event] = EscalationEvent.objects.filter(ticket=ticket)
    assert event.trigger_key == "created"
    assert [a["action"] for a in event.actions] == ["notify"]
    notified = Notification.objects.filter(ticket=ticket)
    assert [n.recipient.username for n in notified] == ["marta"]
    assert notified[0].urgency == "urgent"
    # The same occasion again (a redelivered job): nothing new.
    assert fire("created", ticket_id=ticket.pk, key="created") == []
    assert EscalationEvent.objects.filter(ticket=ticket).count() == 1
    assert Notification.objects.filter(ticket=ticket).count() == 1
    assert AuditEvent.objects.filter(action="escalation.fired", object_id=str(ticket.pk)).exists()


def test_conditions_that_do_not_match_do_nothing(demo, users):
    rule(trigger="created", priorities=[1], notify=["internal_managers"])
    rule("systems only", trigger="created", functional_areas=["systems"], raise_priority=True)
    rule("acme only", trigger="created", notify=["team_lead"]).teams.set(
        [Team.objects.get(name="Acme Networks")]
    )
    ticket = incident(users)  # P3 networks at the Service Desk
    assert not EscalationEvent.objects.filter(ticket=ticket).exists()
    assert not Notification.objects.exists()


def test_rules_run_in_order_and_stop_processing_stops(demo, users):
    rule("second", trigger="created", position=20, raise_priority=True)
    rule("first", trigger="created", position=10, stop_processing=True, notify=["assignee"])
    ticket = incident(users, assignee=users["ana"], team=None)
    assert [e.rule.name for e in EscalationEvent.objects.filter(ticket=ticket)] == ["first"]
    ticket.refresh_from_db()
    assert ticket.priority == 3


def test_raise_priority_moves_one_step(demo, users):
    rule(trigger="created", raise_priority=True)
    ticket = incident(users)  # medium/medium = P3
    ticket.refresh_from_db()
    assert ticket.priority == 2 and ticket.urgency == "high"
    [event] = EscalationEvent.objects.filter(ticket=ticket)
    assert event.actions == [{"action": "raise_priority", "from": 3, "to": 2}]


def test_reassign_to_the_matrix_level_is_a_handoff_with_a_summary(demo, users):
    rule("to L2", trigger="created", functional_areas=["networks"], reassign_level="L2")
    ticket = incident(users)
    ticket.refresh_from_db()
    assert ticket.team.name == "Acme Networks" and ticket.support_level == "L2"
    handoff = Handoff.objects.get(ticket=ticket)
    assert handoff.status == "pending" and "to L2" in handoff.summary
    assert handoff.created_by.username == "cogest-escalation"


def test_reassign_within_the_organization_is_an_assignment(demo, users):
    rule(
        "to systems",
        trigger="created",
        functional_areas=["systems"],
        reassign_team=Team.objects.get(name="Internal Systems"),
    )
    ticket = incident(users, area="systems")
    ticket.refresh_from_db()
    assert ticket.team.name == "Internal Systems"
    assert not Handoff.objects.filter(ticket=ticket).exists()


def test_a_failing_action_never_fails_the_ticket(demo, users):
    rule("nowhere", trigger="created", functional_areas=["backups"], reassign_level="L3")
    ticket = incident(users, area="backups")
    assert ticket.pk
    [event] = EscalationEvent.objects.filter(ticket=ticket)
    assert event.actions[0]["action"] == "failed"
    assert AuditEvent.objects.filter(action="escalation.failed", object_id=str(ticket.pk)).exists()


def test_add_watchers_and_activate_shadow(demo, users):
    shadow = Engagement.objects.get(model="shadow")
    rule(
        trigger="created",
        priorities=[1],
        add_watchers=[users["marta"], users["ivan"]],
        activate_shadow=shadow,
        shadow_minutes=60,
    )
    ticket = incident(users, impact="high", urgency="high")
    assert set(ticket.watchers.values_list("username", flat=True)) >= {"marta", "ivan"}
    shadow.refresh_from_db()
    assert shadow.manual_activation_active()
    assert "Escalation rule" in shadow.shadow_manual_reason


def test_sla_warning_and_breach_fire_their_rules(demo, users):
    seed_policies(demo)
    rule("warn", trigger="sla_warning", notify=["team_lead"])
    rule("breach", trigger="sla_breached", notify=["internal_managers", "provider_managers"])
    with time_machine.travel(madrid(2026, 11, 30, 9, 0), tick=False):
        ticket = incident(users, impact="high", urgency="high")
    sla_sweep(now=madrid(2026, 11, 30, 9, 12))
    # The SLA sweep records and publishes; escalation reads the new notices in its own sweep.
    assert not EscalationEvent.objects.filter(ticket=ticket).exists()
    sweep(now=madrid(2026, 11, 30, 9, 12))
    keys = set(EscalationEvent.objects.filter(ticket=ticket).values_list("trigger", flat=True))
    assert keys == {"sla_warning"}
    sla_sweep(now=madrid(2026, 11, 30, 9, 16))
    sweep(now=madrid(2026, 11, 30, 9, 16))
    events = EscalationEvent.objects.filter(ticket=ticket, trigger="sla_breached")
    assert events.count() == 1  # the response clock only (the others are not due)
    sla_sweep(now=madrid(2026, 11, 30, 9, 16))
    sweep(now=madrid(2026, 11, 30, 9, 17))
    assert events.count() == 1


def test_a_new_sla_rule_ignores_past_breaches(demo, users):
    seed_policies(demo)
    with time_machine.travel(madrid(2026, 11, 30, 9, 0), tick=False):
        ticket = incident(users, impact="high", urgency="high")
    sla_sweep(now=madrid(2026, 11, 30, 9, 16))
    rule("breach", trigger="sla_breached", notify=["internal_managers"])
    sweep(now=madrid(2026, 11, 30, 9, 17))
    assert not EscalationEvent.objects.filter(ticket=ticket).exists()


def test_unassigned_for_fires_once_when_the_wait_runs_out(demo, users):
    rule("unassigned", trigger="unassigned_for", minutes=30, notify=["team_lead"])
    with time_machine.travel(madrid(2026, 11, 30, 9, 0), tick=False):
        ticket = incident(users)
    assert sweep(now=madrid(2026, 11, 30, 9, 20)) == []
    assert len(sweep(now=madrid(2026, 11, 30, 9, 31))) == 1
    assert sweep(now=madrid(2026, 11, 30, 9, 45)) == []
    [event] = EscalationEvent.objects.filter(ticket=ticket)
    assert event.trigger == "unassigned_for"


def test_an_assigned_ticket_is_not_unassigned(demo, users):
    rule("unassigned", trigger="unassigned_for", minutes=30, notify=["team_lead"])
    with time_machine.travel(madrid(2026, 11, 30, 9, 0), tick=False):
        ticket = incident(users)
        ticket_assign(ticket=ticket.pk, by=users["ana"], assignee=users["ana"])
    assert sweep(now=madrid(2026, 11, 30, 10, 0)) == []


def test_no_update_for_and_handoff_not_accepted(demo, users):
    rule("silent", trigger="no_update_for", minutes=60, notify=["assignee"])
    rule("not accepted", trigger="handoff_not_accepted", minutes=30, notify=["provider_managers"])
    with time_machine.travel(madrid(2026, 11, 30, 9, 0), tick=False):
        quiet = incident(users, assignee=users["ana"], team=None)
        handed = incident(users, impact="high")
        ticket_handoff(
            ticket=handed, by=users["ana"], team=Team.objects.get(name="Acme Networks"),
            summary="Core switch",
        )  # fmt: skip
    fired = sweep(now=madrid(2026, 11, 30, 10, 5))
    assert {(f.rule.name, f.ticket.pk) for f in fired} >= {
        ("silent", quiet.pk),
        ("not accepted", handed.pk),
    }
    told = Notification.objects.filter(ticket=handed).values_list("recipient__username", flat=True)
    assert set(told) == {"lucia"}


def test_reopened_fires(demo, users):
    rule("reopened", trigger="reopened", notify=["team_lead"])
    ticket = incident(users, assignee=users["ana"], team=None)
    ticket = ticket_transition(ticket=ticket, by=users["ana"], to="in_progress")
    ticket = ticket_transition(ticket=ticket, by=users["ana"], to="resolved", resolution="Ok")
    ticket_transition(ticket=ticket, by=users["ana"], to="in_progress")
    assert EscalationEvent.objects.filter(ticket=ticket, trigger="reopened").count() == 1


def test_notification_email_in_the_recipients_language_without_comments(demo, users, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    rule(trigger="created", priorities=[1], notify=["internal_managers"])
    from tickets.services import comment_add

    ticket = incident(users, impact="high", urgency="high")
    comment_add(ticket=ticket, by=users["ana"], body="SECRET-INTERNAL-NOTE", visibility="internal")
    notification = Notification.objects.get(ticket=ticket)
    notification_email_task.apply(args=[notification.pk])
    [email] = mail.outbox
    assert email.to == [users["marta"].email]
    assert "Abrir el ticket" in email.body  # marta reads Spanish
    assert "SECRET-INTERNAL-NOTE" not in email.body
    assert "SECRET-INTERNAL-NOTE" not in email.alternatives[0][0]
    assert f"/tickets/{ticket.number}/" in email.body


def test_a_normal_notification_waits_for_working_hours(demo, users, monkeypatch):
    rule(trigger="created", priorities=[3], notify=["team_lead"])
    retried = {}

    class Later(Exception):
        pass

    def retry(**kwargs):
        retried.update(kwargs)
        return Later()

    monkeypatch.setattr(notification_email_task, "retry", retry)
    with time_machine.travel(madrid(2026, 11, 28, 23, 0), tick=False):  # Saturday night
        ticket = incident(users)
        notification = Notification.objects.get(ticket=ticket)
        with pytest.raises(Later):
            notification_email_task.run(notification.pk)
    assert not mail.outbox
    # Monday 08:00 at the Madrid office, when the Service Desk lead is back.
    assert retried["eta"] == madrid(2026, 11, 30, 8, 0)


@pytest.mark.parametrize("trigger", ["unassigned_for", "no_update_for", "handoff_not_accepted"])
def test_timed_rules_need_minutes(demo, trigger):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        EscalationRule(name="x", trigger=trigger, notify=["assignee"]).full_clean()


def test_the_timeline_shows_escalations_and_breaches_to_whom_it_may(demo, users):
    from tickets.presentation import describe_timeline
    from tickets.selectors import ticket_timeline

    seed_policies(demo)
    rule("breach", trigger="sla_breached", notify=["internal_managers"])
    with time_machine.travel(madrid(2026, 11, 30, 9, 0), tick=False):
        ticket = incident(users, impact="high", urgency="high")
    with time_machine.travel(madrid(2026, 11, 30, 12, 30), tick=False):  # the OLA ran out at 12
        ticket_handoff(
            ticket=ticket, by=users["ana"], team=Team.objects.get(name="Acme Networks"),
            summary="Core switch",
        )  # fmt: skip
    sla_sweep(now=madrid(2026, 11, 30, 14, 0))
    sweep(now=madrid(2026, 11, 30, 14, 0))

    def texts(user):
        entries = describe_timeline(ticket_timeline(ticket=ticket, user=user), user=user)
        return [str(e.data.get("text", "")) for e in entries if e.kind == "event"]

    internal = texts(users["marta"])
    assert any("escalation “breach”" in t for t in internal)
    assert any("(OLA)" in t for t in internal)  # the Service Desk's own clock broke
    acme = texts(users["pablo"])
    assert any("(SLA)" in t for t in acme) and any("(UC)" in t for t in acme)
    assert not any("(OLA)" in t for t in acme)  # not another party's clock
    assert not any("escalation" in t for t in texts(users["rita"]))
