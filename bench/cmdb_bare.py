"""Bare Django views for ``bench/cmdb.py``: the CI list and a CI's impact as the API returns them,
each with ONE raw SQL query and nothing on top (no DRF, no serializer, no filter set, no
``restrict()``, no pagination object).

They are the yardstick of the CMDB numbers (issue #5: "CI list API at 100k CIs beside the bare
raw-SQL view"), mounted only by ``bench/cmdb_urls.py`` (settings ``bench.cmdb_settings``), which
only the benchmark uses. They check no permission: never serve them outside a benchmark.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

MAX_PAGE = 200
COLUMNS = [
    "id", "name", "ci_class", "status", "environment", "site", "criticality", "owner_team",
    "managed_by", "attributes", "version", "is_service", "asset_tag", "serial", "description",
    "internal_owner", "provider_owner", "created_at", "updated_at",
]  # fmt: skip
LIST_SQL = (
    "SELECT c.id, c.name, k.slug, c.status, c.environment, c.site, c.criticality, "
    "c.owner_team_id, c.managed_by_id, c.attributes, c.version, k.is_service, c.asset_tag, "
    "c.serial, c.description, c.internal_owner_id, c.provider_owner_id, c.created_at, "
    "c.updated_at FROM cmdb_configurationitem c JOIN cmdb_ciclass k ON k.id = c.ci_class_id "
    "{where} ORDER BY c.name, c.id LIMIT %s"
)
IMPACT_SQL = """
    WITH RECURSIVE walk(id, depth) AS (
        SELECT CAST(%s AS BIGINT), 0
        UNION
        SELECT r.source_id, w.depth + 1 FROM cmdb_cirelation r JOIN walk w ON r.target_id = w.id
        WHERE w.depth < %s AND r.type IN ('depends_on', 'runs_on', 'hosted_on')
    ), reach AS (SELECT id, MIN(depth) AS depth FROM walk WHERE id <> %s GROUP BY id)
    SELECT c.id, c.name, k.slug, k.is_service, c.criticality, c.status, c.site, reach.depth
    FROM reach JOIN cmdb_configurationitem c ON c.id = reach.id
    JOIN cmdb_ciclass k ON k.id = c.ci_class_id
    ORDER BY reach.depth, c.name, c.id
"""


def bare_ci_list(request: HttpRequest) -> HttpResponse:
    """``GET /bench/bare/cis/?page_size=50[&ci_class=slug][&site=name]``: the first CIs by
    name, as JSON."""
    try:
        size = max(1, min(MAX_PAGE, int(request.GET.get("page_size", 50))))
    except ValueError:
        size = 50
    conditions, params = [], []
    if request.GET.get("ci_class"):
        conditions.append("k.slug = %s")
        params.append(request.GET["ci_class"])
    if request.GET.get("site"):
        conditions.append("c.site = %s")
        params.append(request.GET["site"])
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    with connection.cursor() as cursor:
        cursor.execute(LIST_SQL.format(where=where), [*params, size])
        rows = cursor.fetchall()
    results = []
    for row in rows:
        item = dict(zip(COLUMNS, row, strict=True))
        if isinstance(item["attributes"], str):  # SQLite returns the JSON text
            item["attributes"] = json.loads(item["attributes"])
        results.append(item)
    return JsonResponse(
        {"results": results, "next": None, "previous": None}, encoder=DjangoJSONEncoder
    )


def bare_ci_impact(request: HttpRequest, pk: int) -> HttpResponse:
    """``GET /bench/bare/cis/<pk>/impact/``: what depends on the CI within 10 relations."""
    with connection.cursor() as cursor:
        cursor.execute(IMPACT_SQL, [pk, 10, pk])
        rows = cursor.fetchall()
    body: dict = {"ci": {"id": pk}, "depth": 10, "cis": [], "services": []}
    for pk_, name, slug, is_service, criticality, status, site, depth in rows:
        body["services" if is_service else "cis"].append(
            {"id": pk_, "name": name, "ci_class": slug, "criticality": criticality,
             "status": status, "site": site, "depth": depth}
        )  # fmt: skip
    return JsonResponse(body)


urlpatterns = [
    path("bench/bare/cis/", bare_ci_list, name="bench-bare-cis"),
    path("bench/bare/cis/<int:pk>/impact/", bare_ci_impact, name="bench-bare-ci-impact"),
]
