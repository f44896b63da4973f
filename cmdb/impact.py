"""Impact analysis (SPEC 2.3): what depends on a CI, transitively, computed in the database.

``A depends_on B`` (or ``runs_on``, ``hosted_on``): A needs B, so B's failure impacts A. The walk
is one recursive CTE, the same SQL on PostgreSQL and SQLite: breadth first from the starting CIs,
one step per relation of those types, at most ``depth`` steps. ``UNION`` (not ``UNION ALL``)
keeps each (CI, distance) pair once, so a cycle is walked round at most ``depth`` times and a
diamond does not multiply rows; each CI is reported once, at its shortest distance. The starting
CIs are never part of their own impact, even when a cycle leads back to them.

The walk crosses every relation, whoever may see the CIs on the way (a failure does not care);
what is *reported* is only what the reader may see (``restrict(user, "view")``), joined in the
same query, so a large impact never becomes a long list of ids sent back to the database.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import F

from cmdb.choices import IMPACT_TYPES
from cmdb.models import CIRelation, ConfigurationItem

DEFAULT_DEPTH = 10
MAX_DEPTH = 20
#: Starting CIs of one walk (a ticket's CIs, a selection): more is a caller's mistake.
MAX_START = 200

UP, DOWN = "up", "down"


def _walk_sql(direction: str, starts: int) -> str:
    """The recursive CTE ``walk(id, depth)`` from ``starts`` CIs (parameters: the start ids,
    the depth limit, the relation types)."""
    table = CIRelation._meta.db_table
    # Up (impact): from a target to the sources that need it. Down (dependencies): the reverse.
    start, step = ("target_id", "source_id") if direction == UP else ("source_id", "target_id")
    types = ", ".join(["%s"] * len(IMPACT_TYPES))
    # Typed start values: PostgreSQL would otherwise type a small id parameter ``smallint`` and
    # refuse the union with the ``bigint`` of the recursive term.
    seeds = " UNION ALL ".join(["SELECT CAST(%s AS BIGINT), 0"] * starts)
    # Table and column names are ours; every value is a parameter.
    return f"""
        walk(id, depth) AS (
            {seeds}
            UNION
            SELECT r.{step}, w.depth + 1
            FROM {table} r JOIN walk w ON r.{start} = w.id
            WHERE w.depth < CAST(%s AS INTEGER) AND r.type IN ({types})
        )
    """  # noqa: S608


def _ids(cis: Iterable[ConfigurationItem | int]) -> list[int]:
    ids = sorted({int(ci.pk if isinstance(ci, ConfigurationItem) else ci) for ci in cis})
    if len(ids) > MAX_START:
        raise ValueError(f"At most {MAX_START} starting CIs, not {len(ids)}.")
    return ids


def clamp_depth(depth: int) -> int:
    """``depth`` within 1..``MAX_DEPTH``."""
    return max(1, min(int(depth), MAX_DEPTH))


def reach(cis: Iterable[ConfigurationItem | int], *, depth: int, direction: str) -> dict[int, int]:
    """CI id → shortest distance from any of ``cis`` (not included), walking ``direction``
    (``UP``: what depends on them; ``DOWN``: what they depend on), every CI whoever sees it."""
    ids = _ids(cis)
    if not ids:
        return {}
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"WITH RECURSIVE {_walk_sql(direction, len(ids))} "  # noqa: S608 - values are parameters
        f"SELECT id, MIN(depth) FROM walk WHERE id NOT IN ({placeholders}) GROUP BY id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, clamp_depth(depth), *IMPACT_TYPES, *ids])
        return dict(cursor.fetchall())


def impacted_ids(ci_id: int, *, depth: int = DEFAULT_DEPTH) -> dict[int, int]:
    """CI id → distance, for every CI that depends on ``ci_id`` within ``depth`` hops."""
    return reach([ci_id], depth=depth, direction=UP)


def dependency_ids(ci_id: int, *, depth: int = DEFAULT_DEPTH) -> dict[int, int]:
    """CI id → distance, for every CI ``ci_id`` depends on (what a service needs)."""
    return reach([ci_id], depth=depth, direction=DOWN)


_COLUMNS = {
    "v_id": "pk",
    "v_name": "name",
    "v_class": "ci_class__slug",
    "v_service": "ci_class__is_service",
    "v_criticality": "criticality",
    "v_status": "status",
    "v_site": "site",
}


def _rows(user, ids: list[int], depth: int, direction: str) -> list[tuple]:
    """``(id, name, class slug, is service, criticality, status, site, distance)`` of every CI
    of the walk ``user`` may see, nearest first: the walk, the CIs and the visibility rule in
    one query.

    The restricted queryset is joined as a derived table, so the database checks the rule on
    the CIs the walk reached (by primary key) rather than listing every visible CI first."""
    visible = ConfigurationItem.objects.restrict(user, "view")
    if visible.query.is_empty():
        return []
    if visible.query.where and not reach(ids, depth=depth, direction=direction):
        # A reader with a visibility rule: planning that rule costs more than a walk, and most
        # CIs (workstations, leaves) have nothing depending on them; walk first.
        return []
    columns = visible.order_by().values(**{alias: F(path) for alias, path in _COLUMNS.items()})
    inner, inner_params = columns.query.sql_with_params()
    placeholders = ", ".join(["%s"] * len(ids))
    sql = f"""
        WITH RECURSIVE {_walk_sql(direction, len(ids))},
        reach(id, depth) AS (
            SELECT id, MIN(depth) FROM walk WHERE id NOT IN ({placeholders}) GROUP BY id
        )
        SELECT {", ".join(f"v.{alias}" for alias in _COLUMNS)}, reach.depth
        FROM reach JOIN ({inner}) v ON v.v_id = reach.id
        ORDER BY reach.depth, v.v_name, v.v_id
    """  # noqa: S608
    params = [*ids, clamp_depth(depth), *IMPACT_TYPES, *ids, *inner_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _walk_for(user, cis, depth: int, direction: str) -> dict[str, list[dict]]:
    ids = _ids(cis)
    result: dict[str, list[dict]] = {"cis": [], "services": []}
    if not ids:
        return result
    for pk, name, slug, is_service, criticality, status, site, distance in _rows(
        user, ids, depth, direction
    ):
        result["services" if is_service else "cis"].append(
            {
                "id": pk,
                "name": name,
                "ci_class": slug,
                "criticality": criticality,
                "status": status,
                "site": site,
                "depth": distance,
            }
        )
    return result


def ci_impact(*, ci: ConfigurationItem, user, depth: int = DEFAULT_DEPTH) -> dict[str, list]:
    """What ``ci``'s failure impacts, as ``user`` may see it: ``{"cis": [...], "services":
    [...]}``, each ``{"id", "name", "ci_class", "criticality", "status", "site", "depth"}``,
    nearest first (then by name)."""
    return _walk_for(user, [ci], depth, UP)


def ci_dependencies(*, ci: ConfigurationItem, user, depth: int = DEFAULT_DEPTH) -> dict[str, list]:
    """What ``ci`` needs, transitively (the reverse walk), as ``user`` may see it."""
    return _walk_for(user, [ci], depth, DOWN)


def cis_impact(
    *, cis: Iterable[ConfigurationItem | int], user, depth: int = DEFAULT_DEPTH
) -> dict[str, list]:
    """What the failure of any of ``cis`` impacts (a ticket's CIs), as ``user`` may see it:
    the shape of ``ci_impact``, each CI once at its distance from the nearest of ``cis``; the
    starting CIs themselves are left out (a caller that shows "affected services" adds those
    of ``cis`` that are services)."""
    return _walk_for(user, cis, depth, UP)
