"""The ticket side of the CMDB (SPEC 2.3): the business services a ticket's CIs affect, the
"critical service impacted" flag, the CI pickers of the ticket forms, and a CI's tickets.

Reads only, always restricted to the reader. The impact walk runs once for all of a ticket's
CIs (``cmdb.impact.cis_impact``: one recursive query over several starting CIs), so the ticket
page costs the same whether the ticket names one CI or twenty.

The critical flag is computed when read, not stored: it depends on the CMDB (relations,
criticality, which classes are services) as much as on the ticket, and the CMDB changes without
the ticket knowing (cmdb/ cannot call tickets/). Read from the graph it is never stale, and it
costs no query: it is one more column of the ticket's own row (``critical_impact_expression``),
on the ticket page and in the ticket list alike, evaluated for P1 incidents only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from cmdb.choices import CRITICALITY_CHOICES, IMPACT_TYPES, CIStatus
from cmdb.impact import DEFAULT_DEPTH, MAX_START, cis_impact, clamp_depth
from cmdb.models import CIClass, CIRelation, ConfigurationItem
from cogest.filters import MAX_ID
from tickets.choices import OPEN_STATUSES, TicketType
from tickets.models import Ticket

#: Criticality of the business services whose impact makes a P1 incident "critical".
CRITICAL = 1
#: How many CIs a picker search offers at once (refine the search for more).
PICKER_LIMIT = 20
#: How many open tickets the CI page lists (the rest are one link away, in the ticket list).
CI_OPEN_LIMIT = 50
#: How many finished tickets the CI page lists.
CI_RECENT_LIMIT = 10
#: The largest primary key a database holds: a larger id in a URL matches nothing.


# --- The critical flag ------------------------------------------------------------------------


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "relation": quote(CIRelation._meta.db_table),
        "item": quote(ConfigurationItem._meta.db_table),
        "klass": quote(CIClass._meta.db_table),
        "links": quote(Ticket.cis.through._meta.db_table),
        "ticket": quote(Ticket._meta.db_table),
    }


def critical_impact_expression(depth: int = DEFAULT_DEPTH) -> RawSQL:
    """A boolean column for a ticket queryset (``.annotate(critical_impact=...)``): the ticket
    is a P1 incident and the impact of its CIs (themselves included) reaches a criticality-1
    business service.

    One correlated subquery, evaluated for P1 incidents only: the ticket list shows the badge
    and the ticket page the alert from the same SQL, with no query of their own. The walk is
    the impact walk of ``cmdb.impact`` (``A depends_on B``: B's failure impacts A), through
    every relation whoever may see the CIs: the flag is a fact about the incident and names no
    service; the page names only the services its reader may see."""
    t = _tables()
    types = ", ".join(["%s"] * len(IMPACT_TYPES))
    # Table and column names are ours; every value is a parameter.
    sql = f"""
        CASE WHEN {t["ticket"]}.type = %s AND {t["ticket"]}.priority = 1 THEN EXISTS (
            WITH RECURSIVE walk(id, depth) AS (
                SELECT l.configurationitem_id, 0 FROM {t["links"]} l
                WHERE l.ticket_id = {t["ticket"]}.id
                UNION
                SELECT r.source_id, w.depth + 1
                FROM {t["relation"]} r JOIN walk w ON r.target_id = w.id
                WHERE w.depth < %s AND r.type IN ({types})
            )
            SELECT 1 FROM walk w
            JOIN {t["item"]} c ON c.id = w.id
            JOIN {t["klass"]} k ON k.id = c.ci_class_id
            WHERE k.is_service = %s AND c.criticality = %s
        ) ELSE %s END
    """  # noqa: S608
    params = [TicketType.INCIDENT, clamp_depth(depth), *IMPACT_TYPES, True, CRITICAL, False]
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611 - values are params


def with_critical_impact(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """``tickets`` with the ``critical_impact`` column."""
    return tickets.annotate(critical_impact=critical_impact_expression())


def ticket_is_critical(ticket: Ticket) -> bool:
    """The flag of one ticket: read from its row when the queryset annotated it, else asked."""
    if ticket.type != TicketType.INCIDENT or ticket.priority != 1:
        return False
    flag = getattr(ticket, "critical_impact", None)
    if flag is None:
        flag = with_critical_impact(Ticket.objects.filter(pk=ticket.pk)).values_list(
            "critical_impact", flat=True
        )[0]
    return bool(flag)


# --- Affected services -------------------------------------------------------------------------


@dataclass(frozen=True)
class AffectedService:
    """A business service a ticket's CIs carry, as the page lists it."""

    pk: int
    name: str
    criticality: int
    status: str
    site: str
    #: Hops from the nearest of the ticket's CIs (0: the ticket names the service itself).
    depth: int

    @property
    def criticality_label(self) -> str:
        return str(dict(CRITICALITY_CHOICES).get(self.criticality, self.criticality))

    @property
    def status_label(self) -> str:
        return str(dict(CIStatus.choices).get(self.status, self.status))


@dataclass
class TicketImpact:
    """What a ticket's CIs affect, as one reader may see it."""

    services: list[AffectedService] = field(default_factory=list)
    #: A P1 incident whose CIs' impact reaches a criticality-1 business service.
    critical: bool = False
    #: The critical services among ``services`` (the reader may see fewer than there are).
    critical_services: list[AffectedService] = field(default_factory=list)


def ticket_impact(
    *, ticket: Ticket, user, cis: list[ConfigurationItem], depth: int = DEFAULT_DEPTH
) -> TicketImpact:
    """The affected business services of ``ticket`` visible to ``user``: its CIs that are
    services, and every service their failure impacts (``cmdb.impact.cis_impact``, one walk
    from all of them at once), nearest first; and the critical flag.

    ``cis`` are the ticket's CIs as the page read them (visible, with their class). One query
    whatever their number; none for the flag when the ticket's row carries it."""
    services = {
        ci.pk: AffectedService(ci.pk, ci.name, ci.criticality, ci.status, ci.site, 0)
        for ci in cis
        if ci.ci_class.is_service
    }
    if cis:
        impact = cis_impact(cis=[ci.pk for ci in cis][:MAX_START], user=user, depth=depth)
        for row in impact["services"]:
            services.setdefault(
                row["id"],
                AffectedService(
                    row["id"],
                    row["name"],
                    row["criticality"],
                    row["status"],
                    row.get("site", ""),
                    row["depth"],
                ),
            )
    ordered = sorted(services.values(), key=lambda s: (s.depth, s.criticality, s.name, s.pk))
    critical = ticket_is_critical(ticket)
    return TicketImpact(
        services=ordered,
        critical=critical,
        critical_services=[s for s in ordered if s.criticality == CRITICAL] if critical else [],
    )


# --- Pickers ------------------------------------------------------------------------------------


def ci_search(*, user, query: str, exclude: Iterable[int] = (), limit: int = PICKER_LIMIT):
    """Visible CIs whose name, asset tag or serial contains ``query``: the pickers' search."""
    query = (query or "").strip()
    if not query:
        return []
    return list(
        ConfigurationItem.objects.restrict(user, "view")
        .search(query)
        .exclude(pk__in=list(exclude))
        .select_related("ci_class")
        .order_by("name", "id")[:limit]
    )


def cis_by_ids(*, user, ids: Iterable[int]) -> list[ConfigurationItem]:
    """The visible CIs among ``ids`` (an unknown or invisible id is simply absent)."""
    ids = {int(pk) for pk in ids}
    if not ids:
        return []
    return list(
        ConfigurationItem.objects.restrict(user, "view")
        .filter(pk__in=ids)
        .select_related("ci_class")
        .order_by("name", "id")
    )


@dataclass
class CIPicker:
    """What the picker partial draws: the chosen CIs (checked) and a search's results."""

    query: str = ""
    selected: list[ConfigurationItem] = field(default_factory=list)
    results: list[ConfigurationItem] = field(default_factory=list)
    searched: bool = False
    limit: int = PICKER_LIMIT


def ci_picker(
    *, user, selected_ids: Iterable[int] = (), query: str = "", selected=None
) -> CIPicker:
    """The picker for the chosen ``selected_ids`` (or the already read ``selected`` CIs) and a
    search for ``query``: the results leave out what is already chosen."""
    chosen = list(selected) if selected is not None else cis_by_ids(user=user, ids=selected_ids)
    query = (query or "").strip()[:100]
    results = ci_search(user=user, query=query, exclude=[ci.pk for ci in chosen])
    return CIPicker(query=query, selected=chosen, results=results, searched=bool(query))


def posted_ids(values: Iterable[str]) -> list[int]:
    """The ids of a picker's checked boxes; anything that is not an id is dropped."""
    ids = []
    for value in values:
        value = str(value).strip()
        if value.isascii() and value.isdigit() and 0 < len(value) <= 18 and value not in ids:
            ids.append(value)
    return [int(v) for v in ids]


# --- A CI's tickets (the CI page's panel) -------------------------------------------------------


@dataclass
class CITickets:
    open: list[Ticket]
    recent: list[Ticket]
    more_open: bool


def visible_ci(*, user, pk: int) -> ConfigurationItem | None:
    """The CI ``pk`` if ``user`` may see it (an id no database holds is simply none)."""
    if not 0 < int(pk) <= MAX_ID:
        return None
    return (
        ConfigurationItem.objects.restrict(user, "view")
        .select_related("ci_class")
        .filter(pk=pk)
        .first()
    )


def ci_tickets(*, user, ci: ConfigurationItem) -> CITickets:
    """The tickets ``user`` may see that affect ``ci``: the open ones (most urgent first) and the
    ten most recently finished."""
    tickets: QuerySet[Ticket] = (
        Ticket.objects.restrict(user, "view")
        .filter(cis=ci)
        .select_related("team__organization", "assignee")
    )
    opened = list(
        tickets.filter(status__in=OPEN_STATUSES).order_by("priority", "-id")[: CI_OPEN_LIMIT + 1]
    )
    recent = list(
        tickets.exclude(status__in=OPEN_STATUSES).order_by("-updated_at", "-id")[:CI_RECENT_LIMIT]
    )
    return CITickets(
        open=opened[:CI_OPEN_LIMIT], recent=recent, more_open=len(opened) > CI_OPEN_LIMIT
    )


__all__ = [
    "AffectedService",
    "CIPicker",
    "CITickets",
    "TicketImpact",
    "ci_picker",
    "ci_search",
    "ci_tickets",
    "cis_by_ids",
    "critical_impact_expression",
    "posted_ids",
    "ticket_impact",
    "ticket_is_critical",
    "visible_ci",
    "with_critical_impact",
]
