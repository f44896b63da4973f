"""SLA figures, computed in the database (SPEC 2.4 metrics, SPEC 8 dashboard target).

Every figure is one conditional aggregation (``Count``/``Avg`` with ``filter=``) over querysets the
caller scoped: a constant number of queries whatever the number of tickets, on indexed columns
(``stopped_at``, ``breached_at``, ``state``/``due_at`` for clocks; ``created_at``, ``status`` for
tickets). Scoping happens once, in ``sla_scope_for`` (the selector every page, CSV and API call
uses): it starts from ``Clock.objects.restrict(user)`` and ``Ticket.objects.restrict(user)`` and
narrows them to what SPEC 3 lets each role see on a dashboard.

When a clock counts, and where:

* A clock **concludes** when its outcome is known: when it breached (``breached_at``), or when it
  stopped without breaching (``stopped_at``, then it is met). A period's compliance counts the
  clocks that concluded in it, each once. Clocks stopped by a cancellation have no outcome.
* **Compliance** = met / (met + breached), for the end-to-end resolution clocks (``sla``), the
  end-to-end first-response clocks, and the holding parties' own resolution clocks (OLA/UC).
* **MTTA** = mean business minutes of first-response clocks stopped by a response; **MTTR** =
  mean business hours of resolution clocks stopped by the resolution; **handoff acceptance** =
  mean business minutes of acceptance clocks stopped by an acceptance (all stopped in the period).
* **Reopen rate** = share of the tickets created in the period that were reopened at least once.
* **Backlog** = open tickets now, by age since creation (wall-clock time).
* Groupings: the team is the clock's team (a party's clock) or else the ticket's team; the
  organization is the clock's party (a ticket's holding organization for ticket figures); the
  engagement and the priority are the ticket's.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cogest.choices import KPI_HIGHER_IS_BETTER, KPI_SHORT_LABELS, KpiMetric
from cogest.models import Engagement, Organization, Team
from cogest.querysets import viewer_for
from sla.attribution import held_by_party, holder_at
from sla.models import Clock, ClockEvent
from sla.models.clocks import Kind, State
from sla.models.policies import Metric
from tickets.choices import OPEN_STATUSES
from tickets.models import Ticket, TicketHolding, WorkLog

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# A clock stopped this way ends without an outcome: neither met nor breached.
NO_OUTCOME_STOPS = ("cancelled",)
# The stop that measures each mean: a response, a resolution, an acceptance.
RESPONDED, RESOLVED, ACCEPTED = "responded", "resolved", "accepted"

AT_RISK_LIMIT = 50
BREACH_LIST_LIMIT = 500

# Open tickets by age since creation: (key, label, from days, to days or None).
BACKLOG_BUCKETS = [
    ("lt_1d", _("Under 1 day"), 0, 1),
    ("1_3d", _("1–3 days"), 1, 3),
    ("3_7d", _("3–7 days"), 3, 7),
    ("7_30d", _("7–30 days"), 7, 30),
    ("gt_30d", _("Over 30 days"), 30, None),
]


class Dimension:
    """What figures can be grouped by."""

    TEAM = "team"
    ORGANIZATION = "organization"
    ENGAGEMENT = "engagement"
    PRIORITY = "priority"
    NONE = "all"

    CHOICES = [
        (TEAM, _("Team")),
        (ORGANIZATION, _("Organization")),
        (ENGAGEMENT, _("Engagement")),
        (PRIORITY, _("Priority")),
    ]
    LABELS = dict(CHOICES) | {NONE: _("All")}


# --- Scope: who sees which figures (SPEC 3, "SLA dashboards") ---------------------------------


@dataclass
class SlaScope:
    """What one person's SLA figures are computed over, and the choices their filters offer.

    ``kind`` says which rule applied: ``all`` (internal managers, administrators), ``own_teams``
    (internal agents: their teams' tickets and clocks), ``own_work`` (provider technicians: the
    tickets assigned to them or held by their teams, and their teams' clocks), ``engagement``
    (provider managers: their organization's engagements).
    """

    kind: str
    audience: str
    clocks: QuerySet
    tickets: QuerySet
    worklogs: QuerySet
    teams: QuerySet
    organizations: QuerySet
    engagements: QuerySet
    viewer_organization_id: int | None = None
    is_provider: bool = False

    @property
    def label(self) -> str:
        return str(SCOPE_LABELS[self.kind])


SCOPE_LABELS = {
    "all": _("Every team and engagement"),
    "own_teams": _("Your teams' tickets and clocks"),
    "own_work": _("Your work: tickets assigned to you or held by your teams"),
    "engagement": _("Your organization's engagements"),
}


def sla_scope_for(user: AbstractBaseUser) -> SlaScope:
    """The one place that decides whose SLA figures a person sees; raises ``PermissionDenied``
    for requesters and anyone without an organization."""
    viewer = viewer_for(user)
    if not viewer.is_authenticated or viewer.is_requester:
        raise PermissionDenied(_("SLA figures are for support staff."))
    clocks = Clock.objects.restrict(user, "view")
    tickets = Ticket.objects.restrict(user, "view")
    worklogs = WorkLog.objects.restrict(user, "view")
    teams = Team.objects.restrict(user, "view").select_related("organization")
    organizations = Organization.objects.restrict(user, "view")
    engagements = Engagement.objects.restrict(user, "view").select_related("provider")
    org = viewer.organization_id
    if viewer.is_admin or (viewer.is_internal and viewer.is_manager):
        kind = "all"
    elif viewer.is_provider and viewer.is_manager:
        kind = "engagement"
        clocks = clocks.filter(Q(party_id=org) | Q(ticket__engagement__provider_id=org))
        tickets = tickets.filter(Q(engagement__provider_id=org) | Q(team__organization_id=org))
        worklogs = worklogs.filter(ticket_id__in=tickets.values("pk"))
        teams = teams.filter(organization_id=org)
        engagements = engagements.filter(provider_id=org)
    else:
        kind = "own_work" if viewer.is_provider else "own_teams"
        mine = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
        clocks = clocks.filter(
            Q(team_id__in=mine) | Q(ticket__team_id__in=mine) | Q(ticket__assignee_id=user.pk)
        )
        tickets = tickets.filter(Q(team_id__in=mine) | Q(assignee_id=user.pk))
        worklogs = worklogs.filter(ticket_id__in=tickets.values("pk"))
        teams = teams.filter(pk__in=mine)
    return SlaScope(
        kind=kind,
        audience="partner" if viewer.is_provider else "internal",
        clocks=clocks,
        tickets=tickets,
        worklogs=worklogs,
        teams=teams,
        organizations=organizations,
        engagements=engagements,
        viewer_organization_id=org,
        is_provider=viewer.is_provider,
    )


# --- Periods and filters ------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Instants ``[start, end)``, from whole local days ``first``–``last`` (both included)."""

    first: dt.date
    last: dt.date
    start: dt.datetime
    end: dt.datetime

    @classmethod
    def from_dates(cls, first: dt.date, last: dt.date, tz: dt.tzinfo | None = None) -> Period:
        tz = tz or timezone.get_current_timezone()
        start = timezone.make_aware(dt.datetime.combine(first, dt.time.min), tz)
        end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min), tz)
        return cls(first=first, last=last, start=start, end=end)

    def q(self, name: str) -> Q:
        return Q(**{f"{name}__gte": self.start, f"{name}__lt": self.end})

    @property
    def months(self) -> list[dt.date]:
        """First day of each calendar month the period touches."""
        months, day = [], self.first.replace(day=1)
        while day <= self.last:
            months.append(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return months


def default_period(today: dt.date | None = None) -> Period:
    """The current month and the five before it: enough for a trend, recent enough for tiles."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    for _month in range(5):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return Period.from_dates(first, today)


@dataclass(frozen=True)
class Filters:
    period: Period
    team_id: int | None = None
    organization_id: int | None = None
    engagement_id: int | None = None
    priority: int | None = None

    def clocks(self, qs: QuerySet) -> QuerySet:
        if self.team_id:
            qs = qs.filter(
                Q(team_id=self.team_id) | Q(team_id__isnull=True, ticket__team_id=self.team_id)
            )
        if self.organization_id:
            qs = qs.filter(party_id=self.organization_id)
        if self.engagement_id:
            qs = qs.filter(ticket__engagement_id=self.engagement_id)
        if self.priority:
            qs = qs.filter(ticket__priority=self.priority)
        return qs

    def tickets(self, qs: QuerySet) -> QuerySet:
        if self.team_id:
            qs = qs.filter(team_id=self.team_id)
        if self.organization_id:
            qs = qs.filter(team__organization_id=self.organization_id)
        if self.engagement_id:
            qs = qs.filter(engagement_id=self.engagement_id)
        if self.priority:
            qs = qs.filter(priority=self.priority)
        return qs


# --- The aggregates ---------------------------------------------------------------------------

E2E_RESOLUTION = Q(kind=Kind.SLA, target=Metric.RESOLUTION)
E2E_RESPONSE = Q(kind=Kind.SLA, target=Metric.RESPONSE)
PARTY_RESOLUTION = Q(target=Metric.PARTY_RESOLUTION)
ACCEPT = Q(target=Metric.ACCEPT)


def _concluded(period: Period) -> Q:
    """Clocks whose outcome became known in the period (the base filter, two indexed ranges)."""
    return period.q("stopped_at") | period.q("breached_at")


def _clock_aggregates(period: Period) -> dict:
    stopped = period.q("stopped_at")
    breached = period.q("breached_at")
    met = stopped & Q(breached_at__isnull=True) & ~Q(stop_reason__in=NO_OUTCOME_STOPS)
    return {
        "resolution_met": Count("pk", filter=E2E_RESOLUTION & met),
        "resolution_breached": Count("pk", filter=E2E_RESOLUTION & breached),
        "response_met": Count("pk", filter=E2E_RESPONSE & met),
        "response_breached": Count("pk", filter=E2E_RESPONSE & breached),
        "party_met": Count("pk", filter=PARTY_RESOLUTION & met),
        "party_breached": Count("pk", filter=PARTY_RESOLUTION & breached),
        "accept_met": Count("pk", filter=ACCEPT & met),
        "accept_breached": Count("pk", filter=ACCEPT & breached),
        "breaches": Count("pk", filter=breached),
        "mtta_seconds": Avg(
            "elapsed_seconds", filter=E2E_RESPONSE & stopped & Q(stop_reason=RESPONDED)
        ),
        "mttr_seconds": Avg(
            "elapsed_seconds", filter=E2E_RESOLUTION & stopped & Q(stop_reason=RESOLVED)
        ),
        "accept_seconds": Avg("elapsed_seconds", filter=ACCEPT & stopped & Q(stop_reason=ACCEPTED)),
        "resolved_count": Count("pk", filter=E2E_RESOLUTION & stopped & Q(stop_reason=RESOLVED)),
    }


def _ticket_aggregates(period: Period) -> dict:
    created = period.q("created_at")
    return {
        "tickets_created": Count("pk", filter=created),
        "tickets_reopened": Count("pk", filter=created & Q(reopen_count__gt=0)),
        "open_tickets": Count("pk", filter=Q(status__in=OPEN_STATUSES)),
    }


def _backlog_aggregates(now: dt.datetime) -> dict:
    open_ = Q(status__in=OPEN_STATUSES)
    result = {}
    for key, _label, low, high in BACKLOG_BUCKETS:
        rule = open_ & Q(created_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            rule &= Q(created_at__gt=now - dt.timedelta(days=high))
        result[f"backlog_{key}"] = Count("pk", filter=rule)
    return result


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _derive(row: dict) -> dict:
    """Percentages and means in the units people read, from the raw counts of one row."""
    get = row.get
    out = dict(row)
    out["sla_compliance_pct"] = _pct(
        get("resolution_met", 0), get("resolution_met", 0) + get("resolution_breached", 0)
    )
    out["response_compliance_pct"] = _pct(
        get("response_met", 0), get("response_met", 0) + get("response_breached", 0)
    )
    out["party_compliance_pct"] = _pct(
        get("party_met", 0), get("party_met", 0) + get("party_breached", 0)
    )
    out["accept_compliance_pct"] = _pct(
        get("accept_met", 0), get("accept_met", 0) + get("accept_breached", 0)
    )
    out["mtta_minutes"] = _minutes(get("mtta_seconds"))
    out["mttr_hours"] = _hours(get("mttr_seconds"))
    out["handoff_accept_minutes"] = _minutes(get("accept_seconds"))
    if "tickets_created" in row:
        out["reopen_rate_pct"] = _pct(get("tickets_reopened", 0), get("tickets_created", 0))
    if "open_tickets" in row:
        out["backlog_max"] = get("open_tickets", 0)
    for name in ("mtta_seconds", "mttr_seconds", "accept_seconds"):
        out.pop(name, None)
    return out


# --- Dashboard figures --------------------------------------------------------------------------


@dataclass
class Summary:
    figures: dict
    backlog: list[dict] = field(default_factory=list)


def summary(scope: SlaScope, filters: Filters, *, now: dt.datetime | None = None) -> Summary:
    """The tiles and the backlog: three queries (clocks concluded in the period, clocks open
    now, tickets created in the period or open now)."""
    now = now or timezone.now()
    period = filters.period
    clocks = filters.clocks(scope.clocks)
    tickets = filters.tickets(scope.tickets)
    figures = clocks.filter(_concluded(period)).aggregate(**_clock_aggregates(period))
    figures |= clocks.filter(stopped_at__isnull=True).aggregate(
        open_breaches=Count("pk", filter=Q(breached_at__isnull=False)),
        at_risk=Count("pk", filter=_at_risk_q(now)),
    )
    ticket_figures = tickets.filter(period.q("created_at") | Q(status__in=OPEN_STATUSES)).aggregate(
        **_ticket_aggregates(period), **_backlog_aggregates(now)
    )
    figures |= ticket_figures
    backlog = [
        {"key": key, "label": str(label), "count": ticket_figures[f"backlog_{key}"] or 0}
        for key, label, _low, _high in BACKLOG_BUCKETS
    ]
    return Summary(figures=_derive(figures), backlog=backlog)


def _at_risk_q(now: dt.datetime) -> Q:
    return Q(
        state=State.RUNNING, stopped_at__isnull=True, breached_at__isnull=True, warn_at__lte=now
    )


def at_risk(
    scope: SlaScope, filters: Filters, *, now: dt.datetime | None = None, limit: int = AT_RISK_LIMIT
) -> list[Clock]:
    """Running clocks past their warning and not yet breached, the nearest due first (one
    query, on the ``state, due_at`` index)."""
    now = now or timezone.now()
    return list(
        filters.clocks(scope.clocks)
        .filter(_at_risk_q(now))
        .select_related("ticket", "ticket__team__organization", "ticket__assignee", "party", "team")
        .order_by("due_at", "pk")[:limit]
    )


def _clock_key(dimension: str):
    return {
        Dimension.TEAM: Coalesce("team_id", "ticket__team_id"),
        Dimension.ORGANIZATION: F("party_id"),
        Dimension.ENGAGEMENT: F("ticket__engagement_id"),
        Dimension.PRIORITY: F("ticket__priority"),
    }[dimension]


def _ticket_key(dimension: str):
    return {
        Dimension.TEAM: F("team_id"),
        Dimension.ORGANIZATION: F("team__organization_id"),
        Dimension.ENGAGEMENT: F("engagement_id"),
        Dimension.PRIORITY: F("priority"),
    }[dimension]


@dataclass
class Labeller:
    """Names for group keys, from what the viewer may see: a provider never reads the name of
    another provider's team or organization (it shows as "Another provider")."""

    teams: dict[int, str]
    organizations: dict[int, str]
    engagements: dict[int, str]

    @classmethod
    def for_scope(cls, scope: SlaScope) -> Labeller:
        return cls(
            teams={t.pk: t.name for t in scope.teams},
            organizations={o.pk: o.name for o in scope.organizations},
            engagements={e.pk: e.name for e in scope.engagements},
        )

    def label(self, dimension: str, key) -> str:
        if dimension == Dimension.NONE:
            return str(_("All"))
        if key is None:
            return str(
                {
                    Dimension.TEAM: _("No team"),
                    Dimension.ENGAGEMENT: _("No engagement (internal)"),
                    Dimension.ORGANIZATION: _("No organization"),
                    Dimension.PRIORITY: _("No priority"),
                }[dimension]
            )
        if dimension == Dimension.PRIORITY:
            return f"P{key}"
        names = {
            Dimension.TEAM: self.teams,
            Dimension.ORGANIZATION: self.organizations,
            Dimension.ENGAGEMENT: self.engagements,
        }[dimension]
        return names.get(key) or str(_("Another provider"))


def breakdown(scope: SlaScope, filters: Filters, dimension: str, labeller: Labeller) -> list[dict]:
    """The figures per team, organization, engagement or priority: two grouped queries."""
    period = filters.period
    clock_rows = (
        filters.clocks(scope.clocks)
        .filter(_concluded(period))
        .annotate(key=_clock_key(dimension))
        .values("key")
        .annotate(**_clock_aggregates(period))
        .order_by()
    )
    ticket_rows = (
        filters.tickets(scope.tickets)
        .filter(period.q("created_at") | Q(status__in=OPEN_STATUSES))
        .annotate(key=_ticket_key(dimension))
        .values("key")
        .annotate(**_ticket_aggregates(period))
        .order_by()
    )
    merged: dict = defaultdict(dict)
    for row in clock_rows:
        merged[row.pop("key")].update(row)
    for row in ticket_rows:
        merged[row.pop("key")].update(row)
    rows = []
    for key, row in merged.items():
        row = _derive({**_ZERO_ROW, **row})
        row.update(key=key, label=labeller.label(dimension, key))
        rows.append(row)
    rows.sort(key=lambda r: (r["key"] is None, r["label"] if dimension != "priority" else r["key"]))
    return rows


_ZERO_ROW = {
    name: 0
    for name in (
        "resolution_met",
        "resolution_breached",
        "response_met",
        "response_breached",
        "party_met",
        "party_breached",
        "accept_met",
        "accept_breached",
        "breaches",
        "resolved_count",
        "tickets_created",
        "tickets_reopened",
        "open_tickets",
    )
}


def trend(scope: SlaScope, filters: Filters, dimension: str, labeller: Labeller) -> list[dict]:
    """Month by month (in the viewer's timezone) and group by group: met, breached and
    compliance of the end-to-end clocks, and every breach. One grouped query."""
    period = filters.period
    tz = period.start.tzinfo
    breached = period.q("breached_at")
    met = (
        period.q("stopped_at") & Q(breached_at__isnull=True) & ~Q(stop_reason__in=NO_OUTCOME_STOPS)
    )
    qs = filters.clocks(scope.clocks).filter(_concluded(period))
    qs = qs.annotate(month=TruncMonth(Coalesce("breached_at", "stopped_at"), tzinfo=tz))
    group_fields = ["month"]
    if dimension != Dimension.NONE:
        qs = qs.annotate(key=_clock_key(dimension))
        group_fields.append("key")
    rows = (
        qs.values(*group_fields)
        .annotate(
            resolution_met=Count("pk", filter=E2E_RESOLUTION & met),
            resolution_breached=Count("pk", filter=E2E_RESOLUTION & breached),
            response_met=Count("pk", filter=E2E_RESPONSE & met),
            response_breached=Count("pk", filter=E2E_RESPONSE & breached),
            breaches=Count("pk", filter=breached),
        )
        .order_by()
    )
    months = set(period.months)
    result = []
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        if month not in months:  # concluded before the period (breached then, stopped now)
            continue
        key = row.get("key")
        result.append(
            {
                "month": month,
                "key": key,
                "label": labeller.label(dimension, key),
                "resolution_met": row["resolution_met"],
                "resolution_breached": row["resolution_breached"],
                "sla_compliance_pct": _pct(
                    row["resolution_met"], row["resolution_met"] + row["resolution_breached"]
                ),
                "response_compliance_pct": _pct(
                    row["response_met"], row["response_met"] + row["response_breached"]
                ),
                "breaches": row["breaches"],
            }
        )
    result.sort(key=lambda r: (r["month"], r["label"]))
    return result


def breaches_by_priority(scope: SlaScope, filters: Filters) -> list[dict]:
    """Breaches in the period per priority and clock kind (one grouped query), P1 to P4."""
    rows = (
        filters.clocks(scope.clocks)
        .filter(filters.period.q("breached_at"))
        .values("kind", priority=F("ticket__priority"))
        .annotate(count=Count("pk"))
        .order_by()
    )
    table = {p: {"priority": p, "sla": 0, "ola": 0, "uc": 0, "total": 0} for p in (1, 2, 3, 4)}
    for row in rows:
        entry = table.setdefault(
            row["priority"], {"priority": row["priority"], "sla": 0, "ola": 0, "uc": 0, "total": 0}
        )
        entry[row["kind"]] = row["count"]
        entry["total"] += row["count"]
    return [table[p] for p in sorted(table)]


# --- Engagement figures: KPI reviews and the report API -----------------------------------------


def engagement_clocks(clocks: QuerySet, engagement: Engagement) -> QuerySet:
    """The clocks an engagement answers for: the end-to-end clocks of its tickets and its
    provider's own (UC) clocks on them — not the internal teams' OLAs."""
    return clocks.filter(ticket__engagement_id=engagement.pk).filter(
        Q(kind=Kind.SLA) | Q(party_id=engagement.provider_id)
    )


def engagement_figures(
    *, clocks: QuerySet, tickets: QuerySet, engagement: Engagement, period: Period
) -> dict:
    """The KPI figures of one engagement over a period (three queries). The backlog is the
    engagement's open tickets at the end of the period (or now, if it has not ended)."""
    clocks = engagement_clocks(clocks, engagement)
    tickets = tickets.filter(engagement_id=engagement.pk)
    figures = clocks.filter(_concluded(period)).aggregate(**_clock_aggregates(period))
    figures |= tickets.filter(period.q("created_at")).aggregate(
        tickets_created=Count("pk"),
        tickets_reopened=Count("pk", filter=Q(reopen_count__gt=0)),
    )
    figures["open_tickets"] = backlog_at(tickets, min(period.end, timezone.now()))
    return _derive(figures)


def backlog_at(tickets: QuerySet, at: dt.datetime) -> int:
    """Tickets open at an instant: created before it and not resolved by then (still open, or
    resolved or closed after it). Cancelled tickets keep no time of cancellation: left out."""
    return (
        tickets.filter(created_at__lt=at)
        .filter(
            Q(status__in=OPEN_STATUSES)
            | Q(resolved_at__gte=at)
            | Q(resolved_at__isnull=True, closed_at__gte=at)
        )
        .count()
    )


def kpi_scorecard(targets: dict, figures: dict) -> list[dict]:
    """Each KPI the engagement is held to: target, actual figure and whether it passed (``None``
    when there is nothing to measure), in the order of ``KpiMetric``."""
    rows = []
    for metric, label in KpiMetric.choices:
        if metric not in (targets or {}):
            continue
        target, value = targets[metric], figures.get(metric)
        higher = KPI_HIGHER_IS_BETTER[metric]
        passed = None
        if value is not None:
            passed = value >= target if higher else value <= target
        rows.append(
            {
                "metric": metric,
                "label": str(label),
                "short": str(KPI_SHORT_LABELS[metric]),
                "target": target,
                "value": value,
                "higher_is_better": higher,
                "passed": passed,
            }
        )
    return rows


def worklog_totals(*, worklogs: QuerySet, engagement: Engagement, period: Period) -> list[dict]:
    """Minutes logged on the engagement's tickets in the period, per organization: total,
    billable, entries (one grouped query; names from a second, small one)."""
    rows = list(
        worklogs.filter(ticket__engagement_id=engagement.pk)
        .filter(period.q("performed_at"))
        .values("author_organization_id")
        .annotate(
            total=Sum("minutes"),
            billable_total=Coalesce(Sum("minutes", filter=Q(billable=True)), 0),
            entries=Count("pk"),
        )
        .order_by("author_organization_id")
    )
    names = dict(
        Organization.objects.filter(pk__in=[r["author_organization_id"] for r in rows]).values_list(
            "pk", "name"
        )
    )
    return [
        {
            "organization": row["author_organization_id"],
            "organization_name": names.get(row["author_organization_id"], ""),
            "minutes": row["total"] or 0,
            "billable_minutes": row["billable_total"] or 0,
            "entries": row["entries"],
        }
        for row in rows
    ]


@dataclass
class Breach:
    """A breached clock with what explains it (SPEC 2.4 attribution): whose clock broke, who
    held the ticket when it broke, and how much of the business time the clock counted each
    organization held the ticket."""

    clock: Clock
    held: list[dict]
    holder_at_breach: dict | None

    @property
    def ticket(self) -> Ticket:
        return self.clock.ticket

    @property
    def overdue_seconds(self) -> int | None:
        end = self.clock.stopped_at or timezone.now()
        due = self.clock.due_at or self.clock.breached_at
        return None if due is None else max(0, int((end - due).total_seconds()))


def breach_list(
    *,
    clocks: QuerySet,
    period: Period,
    visible_organizations: dict[int, str],
    limit: int = BREACH_LIST_LIMIT,
    now: dt.datetime | None = None,
) -> list[Breach]:
    """Clocks breached in the period, oldest first, with their attribution (three queries,
    plus one per business calendar not yet cached). Organizations the viewer may not see are
    named "Another provider"."""
    now = now or timezone.now()
    found = list(
        clocks.filter(period.q("breached_at"))
        .select_related("ticket", "party", "team")
        .order_by("breached_at", "pk")[:limit]
    )
    holdings = defaultdict(list)
    for holding in TicketHolding.objects.filter(
        ticket_id__in={c.ticket_id for c in found}
    ).order_by("started_at", "pk"):
        holdings[holding.ticket_id].append(holding)
    events = defaultdict(list)
    for event in ClockEvent.objects.filter(clock_id__in=[c.pk for c in found]).order_by("at", "pk"):
        events[event.clock_id].append(event)

    def name(org_id: int | None) -> str:
        if org_id is None:
            return str(_("No team yet"))
        return visible_organizations.get(org_id) or str(_("Another provider"))

    result = []
    for clock in found:
        shares = held_by_party(clock, holdings[clock.ticket_id], events[clock.pk], now=now)
        total = sum(int(d.total_seconds()) for _org, d in shares)
        holder = holder_at(holdings[clock.ticket_id], clock.breached_at)
        result.append(
            Breach(
                clock=clock,
                held=[
                    {
                        "organization": org_id,
                        "name": name(org_id),
                        "seconds": int(duration.total_seconds()),
                        "pct": _pct(int(duration.total_seconds()), total),
                    }
                    for org_id, duration in shares
                ],
                holder_at_breach=None
                if holder is None
                else {"organization": holder, "name": name(holder)},
            )
        )
    return result
