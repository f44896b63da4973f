"""SLA figures (sla.metrics) on hand-built clocks, with exact expected numbers.

Tickets and clocks are written with the ORM, not through the services: the figures must follow
from the rows alone, whatever the engine would have done. ``SlaWorld`` builds them; the other
SLA test modules use it too.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest

from cogest.models import BusinessCalendar
from sla import metrics
from sla.models import Clock, SlaPolicy
from tickets.models import Ticket, TicketHolding

UTC = dt.UTC
NOW = dt.datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
OCTOBER = metrics.Period.from_dates(dt.date(2026, 10, 1), dt.date(2026, 10, 31), UTC)
_numbers = itertools.count(1)


def at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=UTC)


@dataclass
class SlaWorld:
    """Builds tickets and clocks on the demo world's teams and organizations."""

    demo: object
    policy: SlaPolicy | None = None
    tickets: list = field(default_factory=list)

    def __post_init__(self):
        calendar = BusinessCalendar.objects.get(name="24x7")
        self.policy, _ = SlaPolicy.objects.get_or_create(
            name="Metrics test policy", defaults={"calendar": calendar}
        )

    def org(self, slug: str):
        return self.demo.organizations[slug]

    def team(self, slug: str):
        return self.demo.teams[slug]

    def ticket(
        self,
        *,
        team: str = "service-desk",
        title: str = "",
        priority: int = 3,
        engagement: str | None = None,
        assignee=None,
        status: str = "resolved",
        created: dt.datetime | None = None,
        reopen_count: int = 0,
        held_by: tuple[str, ...] = (),
    ) -> Ticket:
        """A ticket held by ``team`` (and earlier by ``held_by`` teams, oldest first)."""
        number = next(_numbers)
        ticket = Ticket.objects.create(
            number=f"INC-9{number:05d}",
            type="incident",
            title=title or f"Metrics ticket {number}",
            functional_area="networks",
            priority=priority,
            team=self.team(team),
            engagement=self.demo.engagements[engagement] if engagement else None,
            assignee=assignee,
            status=status,
            pending_reason="requester" if status == "pending" else "",
            reopen_count=reopen_count,
        )
        created = created or at(9, 1)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
        moments = [*held_by, team]
        for index, slug in enumerate(moments):
            start = created + dt.timedelta(hours=index)
            end = None if index == len(moments) - 1 else start + dt.timedelta(hours=1)
            TicketHolding.objects.create(
                ticket=ticket,
                team=self.team(slug),
                organization=self.team(slug).organization,
                started_at=start,
                ended_at=end,
            )
        ticket.refresh_from_db()
        self.tickets.append(ticket)
        return ticket

    def clock(
        self,
        ticket: Ticket,
        *,
        target: str = "resolution",
        kind: str = "sla",
        party: str = "internal",
        team: str | None = None,
        started: dt.datetime | None = None,
        stopped: dt.datetime | None = None,
        reason: str = "",
        breached: dt.datetime | None = None,
        elapsed: int = 0,
        warn_at: dt.datetime | None = None,
        due_at: dt.datetime | None = None,
        paused: bool = False,
    ) -> Clock:
        started = started or ticket.created_at
        if stopped:
            state = "breached" if breached else "met"
        elif breached:
            state = "breached"
        else:
            state = "paused" if paused else "running"
        running = stopped is None and not paused
        return Clock.objects.create(
            ticket=ticket,
            target=target,
            kind=kind,
            party=self.org(party),
            team=self.team(team) if team else None,
            policy=self.policy,
            calendar_id=self.policy.calendar_id,
            target_minutes=60,
            state=state,
            started_at=started,
            elapsed_seconds=elapsed,
            running_since=started if running else None,
            paused_at=started if paused else None,
            due_at=due_at or breached,
            warn_at=warn_at,
            warned_at=breached,
            breached_at=breached,
            stopped_at=stopped,
            stop_reason=reason,
        )


@pytest.fixture
def sla_world(demo) -> SlaWorld:
    return SlaWorld(demo)


def everything(user) -> metrics.SlaScope:
    return metrics.sla_scope_for(user)


@pytest.fixture
def october(sla_world):
    """The month the figures below are computed over, with clocks inside and outside it."""
    w = sla_world
    t = w.ticket
    # End-to-end resolution clocks.
    w.clock(t(priority=1), stopped=at(10, 5), reason="resolved", elapsed=2 * 3600)  # met
    w.clock(t(priority=2), stopped=at(10, 10), reason="resolved", elapsed=4 * 3600)  # met
    w.clock(
        t(priority=1), breached=at(10, 12), stopped=at(10, 13), reason="resolved", elapsed=36000
    )  # breached in October, resolved late
    w.clock(
        t(priority=3), breached=at(9, 28), stopped=at(10, 2), reason="resolved", elapsed=28800
    )  # breached in September: October's MTTR only
    w.clock(t(), stopped=at(10, 15), reason="cancelled", elapsed=3600)  # no outcome
    w.clock(t(priority=2, status="in_progress"), breached=at(10, 18))  # still open, breached
    w.clock(t(), stopped=at(11, 2), reason="resolved", elapsed=60)  # November
    # First-response clocks.
    w.clock(t(), target="response", stopped=at(10, 3), reason="responded", elapsed=600)
    w.clock(t(), target="response", stopped=at(10, 4), reason="responded", elapsed=1800)
    w.clock(
        t(priority=4),
        target="response",
        breached=at(10, 6, 9),
        stopped=at(10, 6),
        reason="responded",
        elapsed=3600,
    )
    # Acme's own clocks (UC) on a ticket it holds.
    acme = dict(kind="uc", party="acme", team="acme-networks")
    held = dict(team="acme-networks", engagement="acme", held_by=("service-desk",))
    w.clock(t(**held), target="accept", stopped=at(10, 7), reason="accepted", elapsed=900, **acme)
    w.clock(t(**held), target="accept", stopped=at(10, 8), reason="accepted", elapsed=2700, **acme)
    w.clock(t(**held), target="party_resolution", stopped=at(10, 9), reason="resolved", **acme)
    w.clock(t(status="in_progress", **held), target="party_resolution", breached=at(10, 11), **acme)
    # Running clocks: one past its warning (at risk), one not yet, one paused.
    w.clock(
        t(status="in_progress"),
        warn_at=NOW - dt.timedelta(hours=1),
        due_at=NOW + dt.timedelta(hours=1),
    )
    w.clock(t(status="in_progress"), warn_at=NOW + dt.timedelta(days=1))
    w.clock(t(status="pending"), warn_at=NOW - dt.timedelta(hours=1), paused=True)
    # Tickets: four created in October (one reopened) and five open ones of every age.
    for day in (2, 3, 4):
        t(created=at(10, day))
    t(created=at(10, 5), reopen_count=2)
    for created in (NOW - dt.timedelta(hours=6), at(10, 18), at(10, 15), at(10, 1), at(8, 1)):
        t(status="new", created=created)
    return w


def test_compliance_counts_each_clock_once_when_its_outcome_is_known(users, october):
    figures = metrics.summary(everything(users["marta"]), metrics.Filters(OCTOBER), now=NOW).figures
    # met: the two resolved in time; breached: the two that broke in October (one still open).
    # Breached in September or cancelled: not October's outcome.
    assert (figures["resolution_met"], figures["resolution_breached"]) == (2, 2)
    assert figures["sla_compliance_pct"] == 50.0
    assert (figures["response_met"], figures["response_breached"]) == (2, 1)
    assert figures["response_compliance_pct"] == 66.7
    assert (figures["party_met"], figures["party_breached"]) == (1, 1)
    assert figures["party_compliance_pct"] == 50.0


def test_means_are_in_business_units_over_the_clocks_stopped_in_the_period(users, october):
    figures = metrics.summary(everything(users["marta"]), metrics.Filters(OCTOBER), now=NOW).figures
    # MTTA (600 + 1800 + 3600) / 3 s = 33.3 min; MTTR (2 + 4 + 10 + 8 h) / 4 = 6 h, including
    # the clock breached in September and resolved in October, not the cancelled one.
    assert figures["mtta_minutes"] == 33.3
    assert figures["mttr_hours"] == 6.0
    assert figures["resolved_count"] == 4
    assert figures["handoff_accept_minutes"] == 30.0


def test_breaches_open_breaches_and_at_risk_now(users, october):
    figures = metrics.summary(everything(users["marta"]), metrics.Filters(OCTOBER), now=NOW).figures
    assert figures["breaches"] == 4  # two resolution, one response, one of Acme's UC
    assert figures["open_breaches"] == 2
    assert figures["at_risk"] == 1  # not the paused one, not the one before its warning


def test_reopen_rate_and_backlog_by_age(users, october):
    summary = metrics.summary(everything(users["marta"]), metrics.Filters(OCTOBER), now=NOW)
    # Created in October: four closed ones (one reopened) and four of the open ones.
    assert summary.figures["tickets_created"] == 8
    assert summary.figures["reopen_rate_pct"] == 12.5
    open_now = sum(1 for t in october.tickets if t.status in ("new", "in_progress", "pending"))
    assert summary.figures["backlog_max"] == open_now
    by_age = {row["key"]: row["count"] for row in summary.backlog}
    # The five "new" tickets, one per bucket, plus the in-progress and pending ones of the
    # clocks above (created 1 September: over 30 days old).
    assert by_age == {"lt_1d": 1, "1_3d": 1, "3_7d": 1, "7_30d": 1, "gt_30d": open_now - 4}


def test_filters_narrow_every_figure(users, october):
    scope = everything(users["marta"])
    p1 = metrics.summary(scope, metrics.Filters(OCTOBER, priority=1), now=NOW).figures
    assert (p1["resolution_met"], p1["resolution_breached"], p1["mttr_hours"]) == (1, 1, 6.0)
    acme = october.org("acme").pk
    by_party = metrics.summary(scope, metrics.Filters(OCTOBER, organization_id=acme), now=NOW)
    assert by_party.figures["party_compliance_pct"] == 50.0
    assert by_party.figures["resolution_met"] == 0
    engagement = october.demo.engagements["acme"].pk
    acme_tickets = metrics.summary(
        scope, metrics.Filters(OCTOBER, engagement_id=engagement), now=NOW
    )
    assert acme_tickets.figures["breaches"] == 1
    team = october.team("acme-networks").pk
    by_team = metrics.summary(scope, metrics.Filters(OCTOBER, team_id=team), now=NOW)
    assert by_team.figures["handoff_accept_minutes"] == 30.0
    assert by_team.figures["sla_compliance_pct"] is None  # nothing to measure: no figure


def test_breakdown_by_organization_and_priority(users, october):
    scope = everything(users["marta"])
    labeller = metrics.Labeller.for_scope(scope)
    rows = {
        r["label"]: r
        for r in metrics.breakdown(scope, metrics.Filters(OCTOBER), "organization", labeller)
    }
    assert rows["Acme MSP"]["party_compliance_pct"] == 50.0
    assert rows["Acme MSP"]["handoff_accept_minutes"] == 30.0
    assert rows["Acme MSP"]["breaches"] == 1
    assert rows["Northwind IT"]["sla_compliance_pct"] == 50.0
    assert rows["Northwind IT"]["breaches"] == 3
    by_priority = {
        r["key"]: r
        for r in metrics.breakdown(scope, metrics.Filters(OCTOBER), "priority", labeller)
    }
    assert by_priority[1]["sla_compliance_pct"] == 50.0
    assert by_priority[2]["resolution_met"] == 1 and by_priority[2]["resolution_breached"] == 1


def test_monthly_trend_puts_each_outcome_in_its_month(users, october):
    scope = everything(users["marta"])
    labeller = metrics.Labeller.for_scope(scope)
    autumn = metrics.Period.from_dates(dt.date(2026, 9, 1), dt.date(2026, 10, 31), UTC)
    rows = metrics.trend(scope, metrics.Filters(autumn), metrics.Dimension.NONE, labeller)
    by_month = {r["month"]: r for r in rows}
    assert set(by_month) == {dt.date(2026, 9, 1), dt.date(2026, 10, 1)}
    assert by_month[dt.date(2026, 9, 1)]["resolution_breached"] == 1
    october_row = by_month[dt.date(2026, 10, 1)]
    assert (october_row["resolution_met"], october_row["resolution_breached"]) == (2, 2)
    assert october_row["sla_compliance_pct"] == 50.0
    # October alone: the September breach (resolved in October) is not October's.
    only = metrics.trend(scope, metrics.Filters(OCTOBER), metrics.Dimension.NONE, labeller)
    assert [r["month"] for r in only] == [dt.date(2026, 10, 1)]


def test_breaches_by_priority_split_by_clock_kind(users, october):
    rows = metrics.breaches_by_priority(everything(users["marta"]), metrics.Filters(OCTOBER))
    assert [(r["priority"], r["sla"], r["uc"], r["total"]) for r in rows] == [
        (1, 1, 0, 1),
        (2, 1, 0, 1),
        (3, 0, 1, 1),
        (4, 1, 0, 1),
    ]


def test_at_risk_lists_running_clocks_past_their_warning(users, october):
    clocks = metrics.at_risk(everything(users["marta"]), metrics.Filters(OCTOBER), now=NOW)
    assert len(clocks) == 1
    assert clocks[0].warn_at < NOW < clocks[0].due_at


def test_engagement_figures_and_scorecard_against_targets(users, october):
    engagement = october.demo.engagements["acme"]
    figures = metrics.engagement_figures(
        clocks=Clock.objects.all(),
        tickets=Ticket.objects.all(),
        engagement=engagement,
        period=OCTOBER,
    )
    assert figures["handoff_accept_minutes"] == 30.0
    assert figures["party_compliance_pct"] == 50.0
    assert figures["sla_compliance_pct"] is None
    rows = {r["metric"]: r for r in metrics.kpi_scorecard(engagement.kpi_targets, figures)}
    # Acme's targets: accept within 30 min (met exactly: lower is better, so it passes)...
    assert rows["handoff_accept_minutes"]["passed"] is True
    # ...and 95 % SLA compliance, with nothing to measure: no verdict.
    assert rows["sla_compliance_pct"]["passed"] is None
    assert list(rows) == [
        "sla_compliance_pct",
        "mtta_minutes",
        "mttr_hours",
        "handoff_accept_minutes",
        "reopen_rate_pct",
    ]


def test_scorecard_direction_follows_kpi_higher_is_better():
    targets = {"sla_compliance_pct": 95, "mttr_hours": 6, "backlog_max": 10}
    figures = {"sla_compliance_pct": 94.9, "mttr_hours": 5.5, "backlog_max": 11}
    verdicts = {r["metric"]: r["passed"] for r in metrics.kpi_scorecard(targets, figures)}
    assert verdicts == {"sla_compliance_pct": False, "mttr_hours": True, "backlog_max": False}


def test_the_breach_list_says_who_held_the_ticket_and_for_how_long(users, october):
    internal, acme = october.org("internal"), october.org("acme")
    breaches = metrics.breach_list(
        clocks=Clock.objects.filter(kind="uc"),
        period=OCTOBER,
        visible_organizations={internal.pk: internal.name, acme.pk: acme.name},
        now=NOW,
    )
    assert len(breaches) == 1
    breach = breaches[0]
    assert breach.holder_at_breach == {"organization": acme.pk, "name": "Acme MSP"}
    # On a 24x7 calendar: one hour at the Service Desk, then Acme until now (49 days in all).
    held = {share["name"]: share["seconds"] for share in breach.held}
    assert held == {"Northwind IT": 3600, "Acme MSP": 49 * 24 * 3600 - 3600}


def test_the_breach_list_never_names_an_organization_the_reader_may_not_see(users, october):
    acme = october.org("acme")
    breaches = metrics.breach_list(
        clocks=Clock.objects.filter(kind="uc"),
        period=OCTOBER,
        visible_organizations={acme.pk: acme.name},
        now=NOW,
    )
    assert [share["name"] for share in breaches[0].held] == ["Another provider", "Acme MSP"]


def test_a_requester_has_no_sla_figures(users):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        metrics.sla_scope_for(users["rita"])
