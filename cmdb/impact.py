"""Impact analysis (SPEC 2.3): what depends on a CI, transitively, computed in the database.

``A depends_on B`` (or ``runs_on``, ``hosted_on``): A needs B, so B's failure impacts A. The walk
is one recursive CTE (PostgreSQL and SQLite alike), cycle-safe and depth-limited.
"""

from __future__ import annotations

from django.db import connection

from cmdb.choices import IMPACT_TYPES
from cmdb.models import CIRelation, ConfigurationItem

DEFAULT_DEPTH = 10
MAX_DEPTH = 20


def _walk_sql(direction: str) -> str:
    table = CIRelation._meta.db_table
    start, step = ("target_id", "source_id") if direction == "up" else ("source_id", "target_id")
    types = ", ".join(["%s"] * len(IMPACT_TYPES))
    # Table and column names are ours; every value is a parameter.
    return f"""
        WITH RECURSIVE walk(id, depth) AS (
            SELECT %s, 0
            UNION
            SELECT r.{step}, w.depth + 1
            FROM {table} r JOIN walk w ON r.{start} = w.id
            WHERE w.depth < %s AND r.type IN ({types})
        )
        SELECT id, MIN(depth) FROM walk WHERE id <> %s GROUP BY id
    """  # noqa: S608


def _reach(ci_id: int, depth: int, direction: str) -> dict[int, int]:
    depth = max(1, min(int(depth), MAX_DEPTH))
    with connection.cursor() as cursor:
        cursor.execute(_walk_sql(direction), [ci_id, depth, *IMPACT_TYPES, ci_id])
        return dict(cursor.fetchall())


def impacted_ids(ci_id: int, *, depth: int = DEFAULT_DEPTH) -> dict[int, int]:
    """CI id → distance, for every CI that depends on ``ci_id`` within ``depth`` hops."""
    return _reach(ci_id, depth, "up")


def dependency_ids(ci_id: int, *, depth: int = DEFAULT_DEPTH) -> dict[int, int]:
    """CI id → distance, for every CI ``ci_id`` depends on (what a service needs)."""
    return _reach(ci_id, depth, "down")


def _split(user, reach: dict[int, int]) -> dict[str, list[dict]]:
    items = (
        ConfigurationItem.objects.restrict(user, "view")
        .filter(pk__in=list(reach))
        .values("pk", "name", "ci_class__slug", "ci_class__is_service", "criticality", "status")
    )
    result: dict[str, list[dict]] = {"cis": [], "services": []}
    for row in items:
        entry = {
            "id": row["pk"],
            "name": row["name"],
            "ci_class": row["ci_class__slug"],
            "criticality": row["criticality"],
            "status": row["status"],
            "depth": reach[row["pk"]],
        }
        result["services" if row["ci_class__is_service"] else "cis"].append(entry)
    for key in result:
        result[key].sort(key=lambda e: (e["depth"], e["name"], e["id"]))
    return result


def ci_impact(*, ci: ConfigurationItem, user, depth: int = DEFAULT_DEPTH) -> dict[str, list]:
    """What ``ci``'s failure impacts, as ``user`` may see it: ``{"cis": [...], "services":
    [...]}``, each ``{"id", "name", "ci_class", "criticality", "status", "depth"}``."""
    return _split(user, impacted_ids(ci.pk, depth=depth))


def ci_dependencies(*, ci: ConfigurationItem, user, depth: int = DEFAULT_DEPTH) -> dict[str, list]:
    """What ``ci`` needs, transitively (the reverse walk), as ``user`` may see it."""
    return _split(user, dependency_ids(ci.pk, depth=depth))
