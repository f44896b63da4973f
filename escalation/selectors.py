"""The read side of escalation: rules (and rules in words), the escalation matrix page, the rule
preview, and a person's notifications. Every read is restricted to the reader."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cogest import selectors as core_selectors
from cogest.choices import FunctionalArea, TicketType
from cogest.models import Engagement, Team, UserProfile
from cogest.querysets import viewer_for
from escalation.models import EscalationEvent, EscalationRule, Notification
from escalation.models.rules import NotifyRole, Trigger
from escalation.services import matches
from sla.models import SlaPolicy, SlaTarget
from sla.models.policies import Metric, Scope
from tickets.choices import OPEN_STATUSES
from tickets.models import Ticket

User = get_user_model()

RULE_QUERYSET = EscalationRule.objects.select_related(
    "reassign_team__organization", "activate_shadow__provider"
).prefetch_related("teams__organization", "engagements", "add_watchers")

EVENT_QUERYSET = EscalationEvent.objects.select_related("rule", "ticket")

PREVIEW_LIMIT = 50


# --- Rules -------------------------------------------------------------------------------------


def rule_list_for_user(*, user):
    """The rules the user may read (internal staff: all), in the order they run."""
    return RULE_QUERYSET.restrict(user, "view").order_by("position", "id")


def rule_form_choices(*, user) -> dict:
    """What a rule form offers, as far as the user may see it: teams, engagements (and the
    shadow ones), people to add as watchers."""
    engagements = Engagement.objects.restrict(user, "view").select_related("provider")
    people = User.objects.filter(
        is_active=True,
        profile__in=UserProfile.objects.restrict(user, "view").filter(is_service_account=False),
    ).order_by("first_name", "last_name", "username")
    return {
        "teams": Team.objects.restrict(user, "view")
        .filter(is_active=True)
        .select_related("organization"),
        "engagements": engagements.filter(is_active=True),
        "shadow_engagements": engagements.filter(is_active=True, model="shadow"),
        "people": people,
    }


def minutes_in_words(minutes: int | None) -> str:
    """``90`` → "1 h 30 min", ``1440`` → "1 day"."""
    if not minutes:
        return ""
    if minutes % 1440 == 0:
        days = minutes // 1440
        return ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)s h") % {"h": hours}
    return _("%(m)s min") % {"m": rest}


def _or(items) -> str:
    return str(get_text_list([str(i) for i in items], _("or")))


def _and(items) -> str:
    return str(get_text_list([str(i) for i in items], _("and")))


NOTIFY_WORDS = {
    NotifyRole.ASSIGNEE: lambda: _("the assignee"),
    NotifyRole.TEAM_LEAD: lambda: _("the team lead"),
    NotifyRole.INTERNAL_MANAGERS: lambda: _("the internal managers"),
    NotifyRole.PROVIDER_MANAGERS: lambda: _("the provider's managers"),
    NotifyRole.ENGAGEMENT_OWNERS: lambda: _("the engagement owners"),
}


@dataclass
class RuleWords:
    """A rule as people read it: "When a P1 incident is created → notify …"."""

    rule: EscalationRule
    when: str
    conditions: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)

    @property
    def sentence(self) -> str:
        when = self.when
        if self.conditions:
            when = f"{when}, {_and(self.conditions)}"
        return f"{when} → {_and(self.actions)}" if self.actions else when


def _subject(rule) -> str:
    """ "a P1 incident", "a P1 or P2 ticket", "an incident or change"."""
    types = dict(TicketType.choices)
    what = (
        _or(str(types.get(t, t)).lower() for t in rule.ticket_types)
        if rule.ticket_types
        else _("ticket")
    )
    if rule.priorities:
        what = f"{_or(f'P{p}' for p in rule.priorities)} {what}"
    article = _("an %(what)s") if what[:1].lower() in "aeio" else _("a %(what)s")
    return article % {"what": what}


def _when(rule) -> str:
    subject, minutes = _subject(rule), minutes_in_words(rule.minutes)
    phrases = {
        Trigger.CREATED: _("When %(subject)s is created"),
        Trigger.SLA_WARNING: _("When %(subject)s reaches the warning threshold of an SLA clock"),
        Trigger.SLA_BREACHED: _("When %(subject)s breaches an SLA clock"),
        Trigger.UNASSIGNED_FOR: _("When %(subject)s stays unassigned for %(minutes)s"),
        Trigger.NO_UPDATE_FOR: _("When %(subject)s has no update for %(minutes)s"),
        Trigger.REOPENED: _("When %(subject)s is reopened"),
        Trigger.HANDOFF_NOT_ACCEPTED: _(
            "When the handoff of %(subject)s is not accepted within %(minutes)s"
        ),
    }
    phrase = phrases.get(rule.trigger, _("When %(subject)s: %(minutes)s"))
    return phrase % {"subject": subject, "minutes": minutes}


def rule_in_words(
    rule: EscalationRule,
    *,
    team_ids: set[int] | None = None,
    engagement_ids: set[int] | None = None,
) -> RuleWords:
    """The rule in sentences. ``team_ids`` / ``engagement_ids``: what the reader may see
    (``None``: everything); others are named only as "another provider's team"."""

    def team_name(team) -> str:
        if team_ids is not None and team.pk not in team_ids:
            return _("another provider's team")
        return _("%(team)s (%(org)s)") % {"team": team.name, "org": team.organization.name}

    def engagement_name(engagement) -> str:
        if engagement_ids is not None and engagement.pk not in engagement_ids:
            return _("another provider's engagement")
        return engagement.name

    areas = dict(FunctionalArea.choices)
    conditions = []
    if rule.functional_areas:
        conditions.append(
            _("in %(areas)s") % {"areas": _or(areas[a] for a in rule.functional_areas)}
        )
    if rule.support_levels:
        conditions.append(_("at %(levels)s") % {"levels": _or(rule.support_levels)})
    teams = list(rule.teams.all())
    if teams:
        conditions.append(_("held by %(teams)s") % {"teams": _or(team_name(t) for t in teams)})
    engagements = list(rule.engagements.all())
    if engagements:
        names = _or(engagement_name(e) for e in engagements)
        conditions.append(_("under %(engagements)s") % {"engagements": names})
    if rule.ci_criticality_at_most:
        if rule.ci_criticality_at_most == 1:
            conditions.append(_("affecting a criticality-1 CI"))
        else:
            conditions.append(
                _("affecting a CI of criticality 1 to %(n)s") % {"n": rule.ci_criticality_at_most}
            )
    actions = []
    if rule.reassign_team_id:
        actions.append(_("reassign it to %(team)s") % {"team": team_name(rule.reassign_team)})
    if rule.reassign_level:
        actions.append(
            _("escalate it to the matrix's %(level)s team for its area")
            % {"level": rule.reassign_level}
        )
    if rule.raise_priority:
        actions.append(_("raise its priority by one"))
    if rule.notify:
        people = _and(NOTIFY_WORDS[role]() for role in rule.notify if role in NOTIFY_WORDS)
        actions.append(_("notify %(people)s") % {"people": people})
    if rule.post_to_channel:
        actions.append(_("post to the team's channel"))
    if rule.activate_shadow_id:
        actions.append(
            _("activate shadow support (%(engagement)s) for %(duration)s")
            % {
                "engagement": engagement_name(rule.activate_shadow),
                "duration": minutes_in_words(rule.shadow_minutes),
            }
        )
    watchers = list(rule.add_watchers.all())
    if watchers:
        if team_ids is None:
            names = _and(w.get_full_name() or w.get_username() for w in watchers)
            actions.append(_("add %(people)s as watchers") % {"people": names})
        else:
            actions.append(
                ngettext("add %(n)s watcher", "add %(n)s watchers", len(watchers))
                % {"n": len(watchers)}
            )
    if rule.stop_processing:
        actions.append(_("stop there (later rules for the same trigger do not apply)"))
    return RuleWords(rule=rule, when=_when(rule), conditions=conditions, actions=actions)


def rules_in_words_for_user(*, user) -> list[RuleWords]:
    """The active rules, in order, in words, for anyone who may read the escalation matrix.

    Internal staff read every rule. A provider reads them through the matrix page (not the
    rules' configuration): rules limited to teams or engagements it cannot see are left out,
    and other providers' teams and engagements are not named.
    """
    viewer = viewer_for(user)
    if not viewer.is_authenticated or viewer.is_requester:
        return []
    rules = RULE_QUERYSET.active().order_by("position", "id")
    if not viewer.is_provider:
        return [rule_in_words(rule) for rule in rules.restrict(user, "view")]
    team_ids = set(Team.objects.restrict(user, "view").values_list("pk", flat=True))
    engagement_ids = set(Engagement.objects.restrict(user, "view").values_list("pk", flat=True))
    words = []
    for rule in rules:
        teams = {t.pk for t in rule.teams.all()}
        engagements = {e.pk for e in rule.engagements.all()}
        if (teams and not teams & team_ids) or (engagements and not engagements & engagement_ids):
            continue  # never about this provider's work
        words.append(rule_in_words(rule, team_ids=team_ids, engagement_ids=engagement_ids))
    return words


# --- The preview: which open tickets a rule's conditions match now -----------------------------


@dataclass
class Preview:
    tickets: list[Ticket]
    capped: bool
    limit: int = PREVIEW_LIMIT


def ticket_list_matching(*, user, conditions: dict, limit: int = PREVIEW_LIMIT) -> Preview:
    """The open tickets (that ``user`` sees) a rule with these ``conditions`` would match now:
    at most ``limit``, most urgent first, ``capped`` when there are more. The conditions narrow
    the query in SQL, then ``escalation.services.matches`` — the rule engine itself — has the
    last word, so the preview cannot drift from what firing does. A fixed number of queries."""
    teams = list(conditions.get("teams") or [])
    engagements = list(conditions.get("engagements") or [])
    criticality = conditions.get("ci_criticality_at_most")
    qs = (
        Ticket.objects.restrict(user, "view")
        .filter(status__in=OPEN_STATUSES)
        .select_related("team__organization", "assignee")
    )
    lookups = {
        "type__in": conditions.get("ticket_types"),
        "priority__in": conditions.get("priorities"),
        "functional_area__in": conditions.get("functional_areas"),
        "support_level__in": conditions.get("support_levels"),
        "team__in": [t.pk for t in teams],
        "engagement__in": [e.pk for e in engagements],
    }
    qs = qs.filter(**{lookup: values for lookup, values in lookups.items() if values})
    if criticality:
        affected = Ticket.cis.through.objects.filter(
            ticket_id=OuterRef("pk"), configurationitem__criticality__lte=criticality
        )
        qs = qs.filter(Exists(affected))
    rows = list(qs.order_by("priority", "-created_at", "-pk")[: limit + 1])
    # The CI condition was applied in SQL above (one query, not one per ticket).
    rule = SimpleNamespace(
        ticket_types=conditions.get("ticket_types") or [],
        priorities=conditions.get("priorities") or [],
        functional_areas=conditions.get("functional_areas") or [],
        support_levels=conditions.get("support_levels") or [],
        teams=SimpleNamespace(all=lambda: teams),
        engagements=SimpleNamespace(all=lambda: engagements),
        ci_criticality_at_most=None,
    )
    found = [ticket for ticket in rows if matches(rule, ticket)]
    return Preview(tickets=found[:limit], capped=len(found) > limit, limit=limit)


# --- The escalation matrix page ----------------------------------------------------------------


@dataclass
class PolicyWords:
    policy: SlaPolicy
    kind: str  # SLA, OLA or UC
    applies_to: str
    scope: str
    calendar: str
    targets: list[str]


def _policy_in_words(policy: SlaPolicy) -> PolicyWords:
    if policy.scope == Scope.END_TO_END:
        kind = _("SLA")
    else:
        kind = _("UC") if policy.engagement_id else _("OLA")
    applies_to = policy.engagement.name if policy.engagement_id else _("Internal default")
    types = dict(TicketType.choices)
    what = _or(types.get(t, t) for t in policy.ticket_types) if policy.ticket_types else ""
    priorities = _or(f"P{p}" for p in policy.priorities) if policy.priorities else ""
    if what and priorities:
        scope = _("%(priorities)s %(types)s") % {"priorities": priorities, "types": what}
    else:
        scope = what or priorities or _("every ticket")
    calendar = policy.calendar.name
    targets = []
    metrics = dict(Metric.choices)
    order = list(Metric.values)
    ordered = sorted(
        policy.targets.all(),
        key=lambda t: (t.priority or 0, order.index(t.metric) if t.metric in order else 99),
    )
    for target in ordered:
        text = _("%(metric)s within %(duration)s") % {
            "metric": metrics.get(target.metric, target.metric),
            "duration": minutes_in_words(target.minutes),
        }
        if target.priority:
            text = f"P{target.priority}: {text}"
        if target.calendar_id and target.calendar_id != policy.calendar_id:
            text = _("%(target)s (%(calendar)s)") % {
                "target": text,
                "calendar": target.calendar.name,
            }
        targets.append(text)
    return PolicyWords(policy, str(kind), str(applies_to), str(scope), calendar, targets)


def policy_list_in_words_for_user(*, user) -> list[PolicyWords]:
    """The active SLA, OLA and UC policies the user may read (a provider: its engagements'),
    the internal default first, in words."""
    targets = SlaTarget.objects.select_related("calendar")
    policies = (
        SlaPolicy.objects.restrict(user, "view")
        .active()
        .select_related("calendar", "engagement")
        .prefetch_related(Prefetch("targets", queryset=targets))
        .order_by("engagement__name", "scope", "precedence", "name")
    )
    words = [_policy_in_words(policy) for policy in policies]
    return sorted(words, key=lambda w: (w.policy.engagement_id is not None, w.applies_to))


def escalation_matrix_for_user(*, user) -> dict:
    """Everything the escalation matrix page shows, restricted to the reader: who handles what
    at which level (and under which engagement), the rules in words, which SLA/OLA/UC applies,
    and the engagements with their owners."""
    levels, rows = core_selectors.responsibility_matrix_for_user(user=user)
    engagements = (
        core_selectors.engagement_list_for_user(user=user)
        .filter(is_active=True)
        .select_related("internal_owner", "provider_owner")
    )
    return {
        "matrix_levels": levels,
        "matrix_rows": rows,
        "rule_words": rules_in_words_for_user(user=user),
        "policies": policy_list_in_words_for_user(user=user),
        "engagements": engagements,
    }


# --- Notifications -----------------------------------------------------------------------------

# The bell's count is read on every page: kept in the shared cache (Redis in production) for a
# minute and forgotten whenever the person's notifications change (``notify_people``, marking
# read), so a page pays one query only when the count is not cached (SPEC 8: page ≤ 8).
UNREAD_TTL_SECONDS = 60


def _unread_key(user_id: int) -> str:
    return f"escalation:unread:{user_id}"


def notification_unread_count(*, user, fresh: bool = False) -> int:
    """How many of ``user``'s notifications are unread: one query when not cached (or
    ``fresh``), none otherwise. Without a cache (Redis down) it is always the query."""
    key = _unread_key(user.pk)
    if not fresh:
        try:
            cached = cache.get(key)
        except Exception:  # noqa: BLE001 - the cache is an optimization; the query still answers
            cached = None
        if cached is not None:
            return cached
    count = Notification.objects.restrict(user, "view").unread().count()
    with contextlib.suppress(Exception):
        cache.set(key, count, UNREAD_TTL_SECONDS)
    return count


def notification_unread_forget(*, user_ids) -> None:
    """Forget the cached counts of these people (their notifications changed): now, and again
    once the transaction commits (a page read in between must not keep the old count)."""
    keys = [_unread_key(pk) for pk in user_ids]
    if not keys:
        return

    def forget():
        with contextlib.suppress(Exception):
            cache.delete_many(keys)

    forget()
    transaction.on_commit(forget)


def notification_list_for_user(*, user):
    """The user's own notifications, newest first."""
    return (
        Notification.objects.restrict(user, "view")
        .select_related("ticket")
        .order_by("-created_at", "-id")
    )
