"""SLA clocks driven by the ticket's domain events (SPEC 2.4): which clocks a ticket gets, and
what each ticket event does to them. The arithmetic lives in ``sla.engine``; this module picks
the policies and targets, loads and saves clocks, and records warnings and breaches once.

Subscribers run inside the ticket service's transaction (``cogest.events.publish``): a clock
moves exactly when the ticket change commits, and never without it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from cogest.bulk import insert_many, update_many
from cogest.events import publish
from cogest.models import Engagement, Organization, Team
from cogest.services import audit_record_many
from cogest.versioned import VersionedValue
from sla import engine
from sla.businesstime import working_time
from sla.events import SlaBreached, SlaWarning
from sla.models import Clock, ClockEvent, SlaNotice, SlaPolicy, SlaTarget
from sla.models.clocks import Kind
from sla.models.policies import END_TO_END_METRICS, Metric, Scope

SWEEP_FIELDS = ["state", "warned_at", "breached_at", "next_event_at"]
CLOCK_FIELDS = [
    "state",
    "elapsed_seconds",
    "running_since",
    "paused_at",
    "pause_reason",
    "due_at",
    "warn_at",
    "warned_at",
    "breached_at",
    "stopped_at",
    "stop_reason",
    "next_event_at",
    "target_minutes",
    "policy",
    "calendar",
    "warning_percent",
]


# --- Policies: few rows, read on every ticket event, cached per process ---------------------


@dataclass(frozen=True)
class _Config:
    policies: tuple[SlaPolicy, ...]
    internal_organization_id: int | None
    team_organization: dict[int, int]
    provider_engagements: dict[int, tuple[int, ...]]  # provider id → active engagement ids


def _build() -> _Config:
    policies = tuple(
        SlaPolicy.objects.active()
        .select_related("engagement")
        .prefetch_related("targets")
        .order_by("precedence", "id")
    )
    internal = Organization.objects.filter(kind="internal").order_by("id").first()
    engagements: dict[int, list[int]] = {}
    for engagement in Engagement.objects.active().order_by("id"):
        engagements.setdefault(engagement.provider_id, []).append(engagement.pk)
    return _Config(
        policies=policies,
        internal_organization_id=internal.pk if internal else None,
        team_organization=dict(Team.objects.values_list("pk", "organization_id")),
        provider_engagements={k: tuple(v) for k, v in engagements.items()},
    )


# Rebuilt in every process as soon as any of these models changes (cogest.versioned).
_config = VersionedValue(
    "sla-policies", _build, (SlaPolicy, SlaTarget, Engagement, Team, Organization)
)


def _load() -> _Config:
    return _config.get()


def clear_policy_cache() -> None:
    _config.forget()


def connect_cache_invalidation() -> None:
    _config.connect()


def policy_for(
    scope: str, *, engagement_ids: Iterable[int | None], ticket_type: str, priority: int
) -> SlaPolicy | None:
    """The first active policy of ``scope`` for the type and priority: one of the engagements'
    (in the order given) or else the internal default (no engagement)."""
    candidates = [
        policy
        for policy in _load().policies
        if policy.scope == scope and policy.matches(ticket_type=ticket_type, priority=priority)
    ]
    for engagement_id in [*engagement_ids, None]:
        for policy in candidates:
            if policy.engagement_id == engagement_id:
                return policy
    return None


def target_of(policy: SlaPolicy, metric: str, priority: int) -> SlaTarget | None:
    """The policy's target for ``metric``: the one for this priority, else the one for any."""
    general = None
    for target in policy.targets.all():
        if target.metric != metric:
            continue
        if target.priority == priority:
            return target
        if target.priority is None:
            general = target
    return general


# --- What a ticket event does ----------------------------------------------------------------

# ``sla_replay`` plays the event log at the instants it records.
replay_instant: ContextVar[dt.datetime | None] = ContextVar("sla_replay_instant", default=None)


def _now() -> dt.datetime:
    return replay_instant.get() or timezone.now()


@dataclass
class TicketFacts:
    """What clocks need to know of a ticket."""

    pk: int
    type: str
    priority: int
    engagement_id: int | None
    team_id: int | None


def _facts(ticket_id: int) -> TicketFacts:
    from tickets.models import Ticket

    row = Ticket.objects.filter(pk=ticket_id).values_list(
        "type", "priority", "engagement_id", "team_id"
    )[0]
    return TicketFacts(ticket_id, *row)


def _party_of_team(team_id: int) -> tuple[int, str]:
    config = _load()
    organization_id = config.team_organization.get(team_id)
    if organization_id is None:  # a team created since the cache was filled
        clear_policy_cache()
        organization_id = _load().team_organization[team_id]
    kind = Kind.OLA if organization_id == config.internal_organization_id else Kind.UC
    return organization_id, kind


def _new_clock(
    ticket: TicketFacts,
    *,
    policy: SlaPolicy,
    metric: str,
    kind: str,
    party_id: int,
    team_id: int | None,
    at: dt.datetime,
    reason: str,
) -> tuple[Clock | None, list[ClockEvent]]:
    target = target_of(policy, metric, ticket.priority)
    if target is None:
        return None, []
    calendar_id = target.calendar_id or policy.calendar_id
    clock = Clock(
        ticket_id=ticket.pk,
        target=metric,
        kind=kind,
        party_id=party_id,
        team_id=team_id,
        policy=policy,
        calendar_id=calendar_id,
        target_minutes=target.minutes,
        warning_percent=policy.warning_percent,
    )
    events = engine.start(clock, at=at, wt=working_time(calendar_id), reason=reason)
    return clock, events


def _end_to_end_clocks(ticket: TicketFacts, *, at: dt.datetime, reason: str):
    policy = policy_for(
        Scope.END_TO_END,
        engagement_ids=[ticket.engagement_id] if ticket.engagement_id else [],
        ticket_type=ticket.type,
        priority=ticket.priority,
    )
    if policy is None:
        return []
    # The end-to-end clock binds whoever owes the requester: the provider of a fully managed
    # engagement's policy, otherwise the internal organization.
    party = _load().internal_organization_id
    if policy.engagement_id and policy.engagement.model == "managed":
        party = policy.engagement.provider_id
    if party is None:
        return []
    return [
        _new_clock(
            ticket, policy=policy, metric=metric, kind=Kind.SLA, party_id=party,
            team_id=None, at=at, reason=reason,
        )
        for metric in END_TO_END_METRICS
    ]  # fmt: skip


def _party_clocks(
    ticket: TicketFacts, *, team_id: int, metrics: Iterable[str], at: dt.datetime, reason: str
):
    """The holding team's own clocks: an internal team's OLA (the default party policy), a
    provider's UC (its engagements' party policy; none without one)."""
    organization_id, kind = _party_of_team(team_id)
    if kind == Kind.OLA:
        engagement_ids: list[int] = []
    else:
        engagements = _load().provider_engagements.get(organization_id, ())
        engagement_ids = sorted(engagements, key=lambda pk: pk != ticket.engagement_id)
        if not engagement_ids:
            return []
    policy = policy_for(
        Scope.PARTY, engagement_ids=engagement_ids, ticket_type=ticket.type,
        priority=ticket.priority,
    )  # fmt: skip
    if policy is None or (kind == Kind.UC and policy.engagement_id is None):
        return []
    return [
        _new_clock(
            ticket, policy=policy, metric=metric, kind=kind, party_id=organization_id,
            team_id=team_id, at=at, reason=reason,
        )
        for metric in metrics
    ]  # fmt: skip


def _open_clocks(ticket_id: int) -> list[Clock]:
    """The ticket's open clocks, locked against a concurrent sweep."""
    return list(
        Clock.objects.select_for_update(of=("self",))
        .select_related("policy")
        .filter(ticket_id=ticket_id, stopped_at__isnull=True)
        .order_by("id")
    )


class _Batch:
    """Clock changes of one ticket event, saved together (a few queries whatever the count)."""

    def __init__(self):
        self.new: list[Clock] = []
        self.changed: dict[int, Clock] = {}
        self.events: list[ClockEvent] = []

    def add_new(self, made) -> None:
        for clock, events in made:
            if clock is not None:
                self.new.append(clock)
                self.events.extend(events)

    def change(self, clock: Clock, events: list[ClockEvent]) -> None:
        if events:
            self.changed[clock.pk] = clock
            self.events.extend(events)

    def save(self) -> None:
        if self.changed:
            update_many(list(self.changed.values()), CLOCK_FIELDS)
        if self.new:
            Clock.objects.bulk_create(self.new)
        insert_many(self.events)
        record_notices([e for e in self.events if e.kind in _NOTICE_KINDS], source="event")


def _wt(clock: Clock):
    return working_time(clock.calendar_id)


def on_ticket_created(event) -> None:
    at = event.created_at or _now()
    ticket = TicketFacts(
        event.ticket_id,
        event.ticket_type,
        event.priority,
        event.engagement_id,
        event.team_id,
    )
    if not ticket.type:  # an older publisher: read the ticket
        ticket = _facts(event.ticket_id)
    batch = _Batch()
    batch.add_new(_end_to_end_clocks(ticket, at=at, reason="ticket created"))
    if ticket.team_id:
        batch.add_new(
            _party_clocks(
                ticket,
                team_id=ticket.team_id,
                metrics=[Metric.PARTY_RESOLUTION],
                at=at,
                reason="ticket created",
            )
        )
    batch.save()


def on_status_changed(event) -> None:
    from tickets.models import Ticket

    now = _now()
    batch = _Batch()
    clocks = _open_clocks(event.ticket_id)
    after = event.after
    if after in ("closed", "cancelled"):
        for clock in clocks:
            batch.change(clock, engine.stop(clock, at=now, wt=_wt(clock), reason=after))
    elif after == "resolved":
        for clock in clocks:
            if clock.target in (Metric.RESPONSE, Metric.RESOLUTION, Metric.PARTY_RESOLUTION):
                reason = "responded" if clock.target == Metric.RESPONSE else "resolved"
                batch.change(clock, engine.stop(clock, at=now, wt=_wt(clock), reason=reason))
            elif clock.target == Metric.ACCEPT:
                batch.change(clock, engine.stop(clock, at=now, wt=_wt(clock), reason="resolved"))
    elif after == "pending":
        for clock in clocks:
            if event.pending_reason and event.pending_reason in clock.policy.pause_reasons:
                batch.change(
                    clock,
                    engine.pause(
                        clock, at=now, wt=_wt(clock), reason=f"pending: {event.pending_reason}"
                    ),
                )
    if event.before == "pending" and after != "pending":
        for clock in clocks:
            if clock.paused_at is not None:
                batch.change(clock, engine.resume(clock, at=now, wt=_wt(clock), reason=after))
    if after == "in_progress":
        for clock in clocks:
            if clock.target == Metric.RESPONSE:
                batch.change(clock, engine.stop(clock, at=now, wt=_wt(clock), reason="responded"))
    if event.reopened:
        # Back to work: the resolution clocks count on from where they stopped.
        team_id = Ticket.objects.filter(pk=event.ticket_id).values_list("team_id", flat=True)[0]
        party_id = _party_of_team(team_id)[0] if team_id else None
        for clock in _reopenable(event.ticket_id, party_id):
            batch.change(clock, engine.resume(clock, at=now, wt=_wt(clock), reason="reopened"))
    batch.save()


def _reopenable(ticket_id: int, party_id: int | None) -> list[Clock]:
    """The latest resolution clock and the holding party's, stopped by the resolution."""
    found = []
    for target, party in ((Metric.RESOLUTION, None), (Metric.PARTY_RESOLUTION, party_id)):
        if target == Metric.PARTY_RESOLUTION and party is None:
            continue
        clocks = Clock.objects.select_for_update().filter(
            ticket_id=ticket_id, target=target, stop_reason="resolved"
        )
        if party is not None:
            clocks = clocks.filter(party_id=party)
        latest = clocks.order_by("-stopped_at", "-id").select_related("policy").first()
        if (
            latest is not None
            and not Clock.objects.filter(
                ticket_id=ticket_id,
                target=target,
                party_id=latest.party_id,
                stopped_at__isnull=True,
            ).exists()
        ):
            found.append(latest)
    return found


def on_priority_changed(event) -> None:
    now = _now()
    ticket = _facts(event.ticket_id)
    batch = _Batch()
    for clock in _open_clocks(event.ticket_id):
        scope = Scope.END_TO_END if clock.kind == Kind.SLA else Scope.PARTY
        engagement_ids = [clock.policy.engagement_id] if clock.policy.engagement_id else []
        policy = (
            policy_for(
                scope, engagement_ids=engagement_ids, ticket_type=ticket.type, priority=event.after
            )
            or clock.policy
        )
        target = target_of(policy, clock.target, event.after)
        if target is None:
            continue
        calendar_id = target.calendar_id or policy.calendar_id
        batch.change(
            clock,
            engine.retarget(
                clock,
                at=now,
                wt=_wt(clock),
                minutes=target.minutes,
                reason=f"priority P{event.before} → P{event.after}",
                policy=policy,
                calendar_id=calendar_id,
                new_wt=working_time(calendar_id),
                warning_percent=policy.warning_percent,
            ),
        )
    batch.save()


def _stop_party(batch: _Batch, clocks, *, at, reason: str, keep_party: int | None = None):
    for clock in clocks:
        if clock.target == Metric.PARTY_RESOLUTION and clock.party_id != keep_party:
            batch.change(clock, engine.stop(clock, at=at, wt=_wt(clock), reason=reason))


def on_handed_off(event) -> None:
    now = _now()
    ticket = _facts(event.ticket_id)
    batch = _Batch()
    clocks = _open_clocks(event.ticket_id)
    _stop_party(batch, clocks, at=now, reason="handed off")
    for clock in clocks:
        if clock.target == Metric.ACCEPT:
            batch.change(clock, engine.stop(clock, at=now, wt=_wt(clock), reason="handed on"))
    batch.save()  # the stops first: the new party may be an earlier one (one open per party)
    batch = _Batch()
    batch.add_new(
        _party_clocks(
            ticket,
            team_id=event.to_team_id,
            metrics=[Metric.ACCEPT, Metric.PARTY_RESOLUTION],
            at=now,
            reason="handed off",
        )
    )
    batch.save()


def on_handoff_accepted(event) -> None:
    now = _now()
    batch = _Batch()
    for clock in _open_clocks(event.ticket_id):
        if clock.target == Metric.ACCEPT:
            batch.change(clock, engine.stop(clock, at=now, wt=_wt(clock), reason="accepted"))
    batch.save()


def on_handoff_rejected(event) -> None:
    now = _now()
    ticket = _facts(event.ticket_id)
    batch = _Batch()
    clocks = _open_clocks(event.ticket_id)
    for clock in clocks:
        if clock.target == Metric.ACCEPT:
            batch.change(clock, engine.stop(clock, at=now, wt=_wt(clock), reason="rejected"))
    _stop_party(batch, clocks, at=now, reason="rejected")
    batch.save()
    if event.back_to_team_id:
        _restart_party(ticket, team_id=event.back_to_team_id, at=now, reason="handoff rejected")


def on_assigned(event) -> None:
    """A move to another team of the same organization: the new team's own clock starts."""
    if event.team_after == event.team_before or event.team_after is None:
        return
    now = _now()
    ticket = _facts(event.ticket_id)
    batch = _Batch()
    _stop_party(batch, _open_clocks(event.ticket_id), at=now, reason="reassigned")
    batch.save()
    _restart_party(ticket, team_id=event.team_after, at=now, reason="assigned to the team")


def _restart_party(ticket: TicketFacts, *, team_id: int, at, reason: str) -> None:
    """The team's party clock: its earlier one counts on if it only stopped for a handoff
    (the ticket came back), otherwise a new one starts."""
    organization_id, _kind = _party_of_team(team_id)
    earlier = (
        Clock.objects.select_for_update()
        .filter(
            ticket_id=ticket.pk,
            target=Metric.PARTY_RESOLUTION,
            team_id=team_id,
            stop_reason="handed off",
        )
        .order_by("-stopped_at", "-id")
        .first()
    )
    batch = _Batch()
    if earlier is not None:
        batch.change(earlier, engine.resume(earlier, at=at, wt=_wt(earlier), reason=reason))
    else:
        batch.add_new(
            _party_clocks(
                ticket, team_id=team_id, metrics=[Metric.PARTY_RESOLUTION], at=at, reason=reason
            )
        )
    batch.save()


def on_comment_added(event) -> None:
    if not event.first_response:
        return
    now = _now()
    batch = _Batch()
    for clock in _open_clocks(event.ticket_id):
        if clock.target == Metric.RESPONSE:
            batch.change(clock, engine.stop(clock, at=now, wt=_wt(clock), reason="responded"))
    batch.save()


# --- Warnings and breaches, exactly once ------------------------------------------------------

_NOTICE_KINDS = {ClockEvent.Kind.WARNED: "warning", ClockEvent.Kind.BREACHED: "breached"}


def record_notices(events: list[ClockEvent], *, source: str) -> int:
    """Insert the warning/breach notices of ``events``; the unique (clock, kind) constraint
    drops any already recorded (a redelivered job, a concurrent sweep). Only the notices this
    call inserted are audited and published for escalation. Returns how many."""
    if not events:
        return 0
    rows = [
        (event.clock.pk, event.clock.ticket_id, _NOTICE_KINDS[event.kind], event.at)
        for event in events
    ]
    inserted = _insert_new_notices(rows)
    if not inserted:
        return 0
    by_key = {(e.clock.pk, _NOTICE_KINDS[e.kind]): e for e in events}
    entries = []
    for clock_id, kind in inserted:
        event = by_key[(clock_id, kind)]
        clock = event.clock
        payload = {
            "clock": clock.pk,
            "target": clock.target,
            "kind": clock.kind,
            "party": clock.party_id,
            "due_at": clock.due_at,
            "at": event.at,
        }
        entries.append(
            {
                "action": f"sla.{kind}",
                "object_type": "tickets.ticket",
                "object_id": str(clock.ticket_id),
                "after": payload,
                "note": source,
            }
        )
        notice = SlaWarning if kind == "warning" else SlaBreached
        publish(
            notice(
                clock_id=clock.pk,
                ticket_id=clock.ticket_id,
                target=clock.target,
                kind=clock.kind,
                party_id=clock.party_id,
                at=event.at,
            )
        )
    audit_record_many(actor=None, actor_label=f"system:sla:{source}", entries=entries)
    return len(inserted)


def _insert_new_notices(rows: list[tuple[int, int, str, dt.datetime]]) -> list[tuple[int, str]]:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING``: one statement, and it says which rows
    were new (PostgreSQL, and SQLite ≥ 3.35)."""
    table = connection.ops.quote_name(SlaNotice._meta.db_table)
    placeholders = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    adapt = connection.ops.adapt_datetimefield_value
    now = adapt(timezone.now())  # when it was recorded, even in a replay
    params: list = []
    for clock_id, ticket_id, kind, at in rows:
        params.extend([clock_id, ticket_id, kind, adapt(at), now])
    sql = (
        f"INSERT INTO {table} (clock_id, ticket_id, kind, at, recorded_at) "  # noqa: S608
        f"VALUES {placeholders} ON CONFLICT (clock_id, kind) DO NOTHING "
        "RETURNING clock_id, kind"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(clock_id, kind) for clock_id, kind in cursor.fetchall()]


def sweep(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Fire the warnings and breaches that are due (SPEC 2.4 timers). Reads only clocks whose
    ``next_event_at`` has come (a partial index), locks them with ``SKIP LOCKED`` so concurrent
    sweeps share the work, and records each notice once. Returns the notices recorded."""
    now = now or _now()
    recorded = 0
    while True:
        with transaction.atomic():
            clocks = list(
                Clock.objects.select_for_update(skip_locked=True)
                .filter(next_event_at__lte=now)
                .order_by("next_event_at")[:batch_size]
            )
            if not clocks:
                return recorded
            events: list[ClockEvent] = []
            for clock in clocks:
                events.extend(engine.fire_due(clock, now=now, wt=_wt(clock)))
            update_many(clocks, SWEEP_FIELDS)
            insert_many(events)
            recorded += record_notices(
                [e for e in events if e.kind in _NOTICE_KINDS], source="sweep"
            )
        if len(clocks) < batch_size:
            return recorded
