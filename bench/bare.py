"""Bare Django views for ``bench/run.py``: the same rows as the ticket list (with their CI ids and
SLA clocks, as the API returns them), and a ticket insert,
each with ONE raw SQL query and no framework on top (no DRF, no serializer, no ``restrict()``,
no template engine, no routing, audit or events).

They are the yardstick of SPEC 8 ("median latency within 2x of a bare Django view returning the
same rows with one raw SQL query"), mounted by ``cogest/urls.py`` only when ``COGEST_BENCH=1``.
They check no permission: never enable them outside a benchmark.
"""

from __future__ import annotations

import json
from html import escape

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

MAX_PAGE = 200
COLUMNS = [
    "id", "number", "type", "title", "description", "status", "impact", "urgency", "priority",
    "functional_area", "support_level", "team", "assignee", "requester", "created_at",
    "updated_at", "resolved_at", "version", "cis", "sla",
]  # fmt: skip


def _list_sql() -> str:
    # The page the API and the UI show first: the newest tickets (``Ticket.Meta.ordering``),
    # with the ids of their CIs.
    cis = (
        "COALESCE((SELECT array_agg(c.configurationitem_id) FROM tickets_ticket_cis c "
        "WHERE c.ticket_id = t.id), '{}')"
        if connection.vendor == "postgresql"
        else "(SELECT group_concat(c.configurationitem_id) FROM tickets_ticket_cis c "
        "WHERE c.ticket_id = t.id)"
    )
    # The ticket's SLA clocks (SPEC 5 ``sla``), as the API gives them.
    sla = (
        "COALESCE((SELECT json_agg(json_build_object('target', k.target, 'kind', k.kind, "
        "'party', k.party_id, 'state', k.state, 'due_at', k.due_at) ORDER BY k.started_at, k.id) "
        "FROM sla_clock k WHERE k.ticket_id = t.id), '[]'::json)"
        if connection.vendor == "postgresql"
        else "(SELECT json_group_array(json_object('target', k.target, 'kind', k.kind, "
        "'party', k.party_id, 'state', k.state, 'due_at', k.due_at)) "
        "FROM sla_clock k WHERE k.ticket_id = t.id)"
    )
    return (
        "SELECT t.id, t.number, t.type, t.title, t.description, t.status, t.impact, t.urgency, "
        "t.priority, t.functional_area, t.support_level, t.team_id, t.assignee_id, "
        "t.requester_id, t.created_at, t.updated_at, t.resolved_at, t.version, "
        f"{cis}, {sla} FROM tickets_ticket t ORDER BY t.id DESC LIMIT %s"
    )


def _rows(request: HttpRequest) -> list[tuple]:
    try:
        size = max(1, min(MAX_PAGE, int(request.GET.get("page_size", 50))))
    except ValueError:
        size = 50
    with connection.cursor() as cursor:
        cursor.execute(_list_sql(), [size])
        return cursor.fetchall()


def bare_ticket_list(request: HttpRequest) -> HttpResponse:
    """``GET /bench/bare/tickets/?page_size=50``: the newest tickets as JSON."""
    results = [dict(zip(COLUMNS, row, strict=True)) for row in _rows(request)]
    return JsonResponse(
        {"results": results, "next": None, "previous": None}, encoder=DjangoJSONEncoder
    )


def bare_ticket_page(request: HttpRequest) -> HttpResponse:
    """``GET /bench/bare/tickets.html``: the same rows as an HTML table, built by hand."""
    cells = []
    for row in _rows(request):
        values = dict(zip(COLUMNS, row, strict=True))
        cells.append(
            "<tr>"
            + "".join(
                f"<td>{escape(str(values[name]))}</td>"
                for name in ("number", "title", "status", "priority", "team", "assignee")
            )
            + f"<td>{values['updated_at']:%Y-%m-%d %H:%M}</td></tr>"
        )
    body = (
        "<!doctype html><html><head><title>Tickets</title></head><body><table>"
        + "".join(cells)
        + "</table></body></html>"
    )
    return HttpResponse(body)


@csrf_exempt
def bare_ticket_create(request: HttpRequest) -> HttpResponse:
    """``POST /bench/bare/tickets/new/`` ``{"title", "description", "impact", "urgency", ...}``:
    one INSERT (the number comes from the same PostgreSQL sequence, in the same statement)."""
    if request.method != "POST":
        return HttpResponse(status=405)
    data = json.loads(request.body or b"{}")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticket (number, type, title, description, status, impact, "
            "urgency, priority, functional_area, support_level, source, pending_reason, "
            "resolution_code, resolution, reopen_count, created_at, updated_at, version) "
            "VALUES ('INC-' || lpad(nextval('tickets_number_inc')::text, 6, '0'), 'incident', "
            "%s, %s, 'new', %s, %s, %s, %s, %s, 'api', '', '', '', 0, now(), now(), 1) "
            "RETURNING id, number",
            [
                str(data.get("title", ""))[:200],
                str(data.get("description", "")),
                data.get("impact", "medium"),
                data.get("urgency", "medium"),
                int(data.get("priority", 3)),
                data.get("functional_area", "networks"),
                data.get("support_level", "L1"),
            ],
        )
        pk, number = cursor.fetchone()
    return JsonResponse({"id": pk, "number": number}, status=201)


urlpatterns = [
    path("bench/bare/tickets/", bare_ticket_list, name="bench-bare-tickets"),
    path("bench/bare/tickets.html", bare_ticket_page, name="bench-bare-page"),
    path("bench/bare/tickets/new/", bare_ticket_create, name="bench-bare-create"),
]
