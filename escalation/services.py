"""Escalation (SPEC 2.5): rules fire on ticket and SLA events or when time passes, once per
occasion, and act — reassign (a handoff to another organization), raise the priority, notify,
post to the team's channel, activate a shadow engagement, add watchers.

Event triggers run inside the transaction of the change that caused them, each rule in a
savepoint: a rule whose action fails is logged and audited, and the ticket change still commits.
What leaves the process (email, chat posts) goes through the outbox, after commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cogest import outbox
from cogest.models import Engagement, Organization, Team, UserProfile
from cogest.services import audit_record, engagement_activate_shadow
from cogest.versioned import VersionedValue
from escalation.models import EscalationEvent, EscalationRule
from escalation.models.rules import SLA_TRIGGERS, NotifyRole, Trigger
from escalation.notify import notify_people
from tickets.choices import OPEN_STATUSES
from tickets.models import Handoff, Ticket, TicketHolding
from tickets.routing import matrix_rule
from tickets.services import ticket_assign, ticket_handoff, ticket_update

log = logging.getLogger(__name__)
User = get_user_model()

SYSTEM_USERNAME = "cogest-escalation"
LEVEL_UP = {"low": "medium", "medium": "high", "high": "high"}


def system_user():
    """The account escalation acts as (an internal administrator service account, no password):
    the services check its rights like anyone's and the audit trail names it."""
    user = User.objects.filter(username=SYSTEM_USERNAME).select_related("profile").first()
    if user is not None:
        return user
    internal = Organization.objects.filter(kind="internal").order_by("id").first()
    user = User.objects.create(username=SYSTEM_USERNAME, first_name="Escalation", is_active=True)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    UserProfile.objects.create(
        user=user, organization=internal, role="admin", is_service_account=True
    )
    return User.objects.select_related("profile__organization").get(pk=user.pk)


# --- Conditions --------------------------------------------------------------------------------


def matches(rule: EscalationRule, ticket: Ticket) -> bool:
    """Whether the rule's conditions (all of them; empty ones match anything) hold."""
    if rule.ticket_types and ticket.type not in rule.ticket_types:
        return False
    if rule.priorities and ticket.priority not in rule.priorities:
        return False
    if rule.functional_areas and ticket.functional_area not in rule.functional_areas:
        return False
    if rule.support_levels and ticket.support_level not in rule.support_levels:
        return False
    teams = [team.pk for team in rule.teams.all()]
    if teams and ticket.team_id not in teams:
        return False
    engagements = [engagement.pk for engagement in rule.engagements.all()]
    if engagements and ticket.engagement_id not in engagements:
        return False
    if rule.ci_criticality_at_most is None:
        return True
    return ticket.cis.filter(criticality__lte=rule.ci_criticality_at_most).exists()


def _load_rules() -> dict[str, list[EscalationRule]]:
    rules: dict[str, list[EscalationRule]] = {}
    active = (
        EscalationRule.objects.active()
        .prefetch_related("teams", "engagements", "add_watchers")
        .select_related("reassign_team__organization", "activate_shadow")
        .order_by("position", "id")
    )
    for rule in active:
        rules.setdefault(rule.trigger, []).append(rule)
    return rules


# Read on every ticket created or reopened and every SLA notice: kept per process, rebuilt when
# any process changes a rule, its teams or engagements (cogest.versioned).
_rules = VersionedValue("escalation-rules", _load_rules, (EscalationRule, Team, Engagement))


def connect_cache_invalidation() -> None:
    _rules.connect()


def rules_for(trigger: str) -> list[EscalationRule]:
    return _rules.get().get(trigger, [])


# --- Firing ------------------------------------------------------------------------------------


@dataclass
class Firing:
    """What one rule did to one ticket."""

    rule: EscalationRule
    ticket: Ticket
    key: str
    done: list[dict] = field(default_factory=list)


def fire(trigger: str, *, ticket_id: int, key: str, at: dt.datetime | None = None) -> list[Firing]:
    """Apply the active rules of ``trigger`` whose conditions match, in order, each once for
    this occasion (``key``). Returns the firings that happened now."""
    at = at or timezone.now()
    fired = []
    rules = rules_for(trigger)
    if not rules:
        return fired
    ticket = _ticket(ticket_id)
    if ticket is None:
        return fired
    for rule in rules:
        if ticket.status not in OPEN_STATUSES or not matches(rule, ticket):
            continue
        firing = _fire_one(rule, ticket, trigger=trigger, key=key, at=at)
        if firing is not None:
            fired.append(firing)
            if rule.stop_processing:
                break
            ticket = _ticket(ticket_id)  # the actions may have changed it
    return fired


def _ticket(ticket_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_related("team__organization", "team__lead", "engagement")
        .filter(pk=ticket_id)
        .first()
    )


def _fire_one(rule, ticket, *, trigger: str, key: str, at) -> Firing | None:
    try:
        with transaction.atomic():
            event = EscalationEvent.objects.create(
                rule=rule, ticket=ticket, trigger=trigger, trigger_key=key[:120], fired_at=at
            )
    except IntegrityError:
        return None  # this occasion already fired (a redelivered job, a concurrent sweep)
    firing = Firing(rule, ticket, key)
    try:
        with transaction.atomic():
            _act(firing, event)
            EscalationEvent.objects.filter(pk=event.pk).update(actions=firing.done)
            audit_record(
                actor=system_user(),
                action="escalation.fired",
                obj=ticket,
                after={"rule": rule.pk, "trigger": trigger, "key": key, "actions": firing.done},
                note=rule.name,
            )
    except (ValidationError, PermissionDenied, Ticket.DoesNotExist) as error:
        # The occasion is spent (the event stays), the ticket change goes on; the trail says why.
        log.warning("escalation rule %s on ticket %s failed: %s", rule.pk, ticket.pk, error)
        message = "; ".join(getattr(error, "messages", [str(error)]))
        EscalationEvent.objects.filter(pk=event.pk).update(
            actions=[{"action": "failed", "error": message[:500]}]
        )
        audit_record(
            actor=system_user(),
            action="escalation.failed",
            obj=ticket,
            after={"rule": rule.pk, "rule_name": rule.name, "trigger": trigger, "key": key},
            note=message[:500],
        )
        firing.done = [{"action": "failed", "error": message[:500]}]
    return firing


# --- Actions -----------------------------------------------------------------------------------


def _act(firing: Firing, event: EscalationEvent) -> None:
    rule, bot = firing.rule, system_user()
    ticket = firing.ticket
    if rule.raise_priority and ticket.priority > 1:
        _raise_priority(firing, bot)
    target = rule.reassign_team
    if target is None and rule.reassign_level:
        matrix = matrix_rule(
            area=ticket.functional_area, level=rule.reassign_level, ticket_type=ticket.type
        )
        target = matrix.team if matrix else None
        if target is None:
            raise ValidationError(
                _("No matrix rule for %(area)s at %(level)s.")
                % {"area": ticket.functional_area, "level": rule.reassign_level}
            )
    if target is not None and target.pk != ticket.team_id:
        _reassign(firing, bot, target)
    watchers = list(rule.add_watchers.all())
    if watchers:
        Ticket.objects.get(pk=ticket.pk).watchers.add(*watchers)
        firing.done.append({"action": "add_watchers", "users": [u.pk for u in watchers]})
    if rule.activate_shadow_id:
        engagement = rule.activate_shadow
        until = timezone.now() + dt.timedelta(minutes=rule.shadow_minutes)
        if not engagement.manual_activation_active() or engagement.shadow_manual_until < until:
            engagement_activate_shadow(
                engagement=engagement,
                until=until,
                reason=_("Escalation rule “%(rule)s” on %(number)s")
                % {"rule": rule.name, "number": ticket.number},
                by=bot,
            )
            firing.done.append({"action": "activate_shadow", "engagement": engagement.pk})
    if rule.notify:
        _notify(firing, event)
    if rule.post_to_channel:
        _post(firing, event)


def _raise_priority(firing: Firing, bot) -> None:
    ticket = firing.ticket
    before = ticket.priority
    changes = {"urgency": LEVEL_UP[ticket.urgency]}
    from tickets.choices import priority_for

    if priority_for(ticket.impact, changes["urgency"]) >= before:
        changes = {"impact": LEVEL_UP[ticket.impact]}
        if priority_for(changes["impact"], ticket.urgency) >= before:
            changes = {"impact": LEVEL_UP[ticket.impact], "urgency": LEVEL_UP[ticket.urgency]}
    updated = ticket_update(ticket=ticket.pk, by=bot, **changes)
    firing.ticket = updated
    firing.done.append({"action": "raise_priority", "from": before, "to": updated.priority})


def _reassign(firing: Firing, bot, team) -> None:
    ticket = firing.ticket
    from_team = ticket.team
    if from_team is not None and team.organization_id == from_team.organization_id:
        firing.ticket = ticket_assign(ticket=ticket.pk, by=bot, team=team, assignee=None)
        firing.done.append({"action": "reassign", "team": team.pk})
        return
    summary = _(
        "Escalated by the rule “%(rule)s” (%(trigger)s): %(number)s %(title)s, priority P%(p)s, "
        "%(area)s at %(level)s, held by %(team)s."
    ) % {
        "rule": firing.rule.name,
        "trigger": firing.rule.get_trigger_display(),
        "number": ticket.number,
        "title": ticket.title,
        "p": ticket.priority,
        "area": ticket.get_functional_area_display(),
        "level": ticket.support_level,
        "team": from_team.name if from_team else "—",
    }
    handoff = ticket_handoff(
        ticket=ticket.pk,
        by=bot,
        team=team,
        summary=summary,
        checklist={"impact": f"P{ticket.priority}"},
    )
    firing.ticket = Ticket.objects.select_related("team__organization", "engagement").get(
        pk=ticket.pk
    )
    firing.done.append({"action": "handoff", "team": team.pk, "handoff": handoff.pk})


def recipients(rule: EscalationRule, ticket: Ticket) -> list:
    """The people the rule's ``notify`` roles name for this ticket, each once."""
    people: dict[int, object] = {}
    roles = set(rule.notify)
    if NotifyRole.ASSIGNEE in roles and ticket.assignee_id:
        people[ticket.assignee_id] = ticket.assignee
    if NotifyRole.TEAM_LEAD in roles and ticket.team and ticket.team.lead_id:
        people[ticket.team.lead_id] = ticket.team.lead
    managers = Q()
    if NotifyRole.INTERNAL_MANAGERS in roles:
        managers |= Q(profile__organization__kind="internal", profile__role="manager")
    if NotifyRole.PROVIDER_MANAGERS in roles:
        providers = set()
        if ticket.team and ticket.team.organization.kind == "provider":
            providers.add(ticket.team.organization_id)
        if ticket.engagement_id:
            providers.add(ticket.engagement.provider_id)
        if providers:
            managers |= Q(profile__organization_id__in=providers, profile__role="manager")
    if managers:
        for user in User.objects.filter(managers, is_active=True).distinct():
            people[user.pk] = user
    if NotifyRole.ENGAGEMENT_OWNERS in roles and ticket.engagement_id:
        for owner in (ticket.engagement.internal_owner, ticket.engagement.provider_owner):
            if owner is not None:
                people[owner.pk] = owner
    # Only people who can see the ticket hear about it.
    return [
        user
        for user in people.values()
        if user.is_active and Ticket.objects.restrict(user, "view").filter(pk=ticket.pk).exists()
    ]


def _urgent(firing: Firing) -> bool:
    return firing.ticket.priority == 1 or firing.rule.trigger == Trigger.SLA_BREACHED


def _notify(firing: Firing, event: EscalationEvent) -> None:
    ticket = firing.ticket
    people = recipients(firing.rule, ticket)
    notify_people(
        people,
        kind=f"escalation.{firing.rule.trigger}",
        title=f"{ticket.number} {ticket.title}",
        body=firing.rule.name,
        url=None,
        occasion=f"escalation:{event.pk}",
        urgent=_urgent(firing),
        ticket=ticket,
    )
    firing.done.append({"action": "notify", "users": [u.pk for u in people]})


def _post(firing: Firing, event: EscalationEvent) -> None:
    team = firing.ticket.team
    if team is None or not team.chat_webhook_url:
        firing.done.append({"action": "post_to_channel", "skipped": "no channel"})
        return
    outbox.enqueue("escalation.tasks.chat_post_task", event.pk)
    firing.done.append({"action": "post_to_channel", "team": team.pk})


# --- Event triggers ----------------------------------------------------------------------------


def on_ticket_created(event) -> None:
    _safely(Trigger.CREATED, event.ticket_id, "created")


def on_status_changed(event) -> None:
    if event.reopened:
        count = Ticket.objects.filter(pk=event.ticket_id).values_list("reopen_count", flat=True)
        _safely(Trigger.REOPENED, event.ticket_id, f"reopened:{count.first() or 0}")


def _safely(trigger: str, ticket_id: int, key: str) -> None:
    """Event triggers never fail the change that caused them."""
    try:
        with transaction.atomic():
            fire(trigger, ticket_id=ticket_id, key=key)
    except Exception:  # noqa: BLE001 - logged; the ticket change must commit
        log.exception("escalation on %s for ticket %s failed", trigger, ticket_id)


# --- Timed triggers: the sweep -----------------------------------------------------------------


def timed_candidates(rule: EscalationRule, *, since: dt.datetime, until: dt.datetime):
    """(ticket id, occasion key) whose waiting time of ``rule.minutes`` ran out in
    ``(since, until]``: an indexed range, so a sweep costs what is due, not what is open."""
    wait = dt.timedelta(minutes=rule.minutes or 0)
    start, end = since - wait, until - wait
    if rule.trigger == Trigger.UNASSIGNED_FOR:
        holdings = TicketHolding.objects.filter(
            ended_at__isnull=True,
            started_at__gt=start,
            started_at__lte=end,
            ticket__assignee__isnull=True,
            ticket__status__in=OPEN_STATUSES,
        ).values_list("ticket_id", "pk")
        return [(ticket, f"unassigned_for:{holding}") for ticket, holding in holdings]
    if rule.trigger == Trigger.NO_UPDATE_FOR:
        tickets = Ticket.objects.filter(
            updated_at__gt=start, updated_at__lte=end, status__in=OPEN_STATUSES
        ).values_list("pk", "version")
        return [(pk, f"no_update_for:v{version}") for pk, version in tickets]
    if rule.trigger == Trigger.HANDOFF_NOT_ACCEPTED:
        handoffs = Handoff.objects.filter(
            status="pending", created_at__gt=start, created_at__lte=end
        ).values_list("ticket_id", "pk")
        return [(ticket, f"handoff_not_accepted:{handoff}") for ticket, handoff in handoffs]
    return []


def sweep(*, now: dt.datetime | None = None, first_look: dt.timedelta = dt.timedelta(days=1)):
    """Fire the timed rules whose waiting time ran out since the last sweep (each rule keeps the
    instant it has looked up to; a new rule looks back ``first_look``), and the SLA rules on the
    warnings and breaches recorded since their last look. Returns the firings."""
    now = now or timezone.now()
    fired = []
    for rule in EscalationRule.objects.active().filter(trigger__in=[t.value for t in _TIMED]):
        with transaction.atomic():
            locked = (
                EscalationRule.objects.select_for_update(skip_locked=True)
                .filter(pk=rule.pk)
                .first()
            )
            if locked is None:
                continue  # another sweep has this rule now
            since = locked.swept_until or (now - first_look)
            if since >= now:
                continue
            for ticket_id, key in timed_candidates(locked, since=since, until=now):
                fired.extend(_fire_timed(locked, ticket_id, key, now))
            EscalationRule.objects.filter(pk=locked.pk).update(swept_until=now)
    for rule in EscalationRule.objects.active().filter(trigger__in=[t.value for t in SLA_TRIGGERS]):
        fired.extend(_sla_notices(rule, now))
    return fired


def _sla_notices(rule: EscalationRule, now, batch: int = 1000) -> list[Firing]:
    """The SLA warnings or breaches recorded since the rule last looked, in batches: the SLA
    sweep only records and publishes them, so it stays fast however many are due at once."""
    from sla.models import SlaNotice

    kind = "warning" if rule.trigger == Trigger.SLA_WARNING else "breached"
    fired = []
    while True:
        with transaction.atomic():
            locked = (
                EscalationRule.objects.select_for_update(skip_locked=True)
                .filter(pk=rule.pk)
                .first()
            )
            if locked is None:
                return fired
            notices = list(
                SlaNotice.objects.filter(pk__gt=locked.notices_after, kind=kind)
                .order_by("pk")
                .values_list("pk", "ticket_id", "clock_id")[:batch]
            )
            for _pk, ticket_id, clock_id in notices:
                fired.extend(_fire_timed(locked, ticket_id, f"{rule.trigger}:{clock_id}", now))
            if notices:
                EscalationRule.objects.filter(pk=locked.pk).update(notices_after=notices[-1][0])
        if len(notices) < batch:
            return fired


_TIMED = (Trigger.UNASSIGNED_FOR, Trigger.NO_UPDATE_FOR, Trigger.HANDOFF_NOT_ACCEPTED)


def _fire_timed(rule, ticket_id: int, key: str, now) -> list[Firing]:
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.status not in OPEN_STATUSES or not matches(rule, ticket):
        return []
    firing = _fire_one(rule, ticket, trigger=rule.trigger, key=key, at=now)
    return [firing] if firing else []
