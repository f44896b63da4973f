"""What ``bench/run.py`` measures: each cogest endpoint beside its bare counterpart."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    auth: str  # "token" (ana's API token), "session" (ana signed in), "none"
    body: str = ""


NEW_TICKET = json.dumps(
    {
        "type": "incident",
        "title": "La VPN se corta cada pocos minutos desde casa",
        "description": "Desde ayer la VPN se desconecta cada 5–10 minutos cuando teletrabajo.",
        "functional_area": "networks",
        "support_level": "L1",
        "impact": "medium",
        "urgency": "high",
    }
)

ENDPOINTS = {
    "list_api": Endpoint("GET", "/api/v1/tickets/?page_size=50", "token"),
    "list_page": Endpoint("GET", "/tickets/", "session"),
    "create_api": Endpoint("POST", "/api/v1/tickets/", "token", NEW_TICKET),
    "bare_list": Endpoint("GET", "/bench/bare/tickets/?page_size=50", "none"),
    "bare_page": Endpoint("GET", "/bench/bare/tickets.html?page_size=50", "none"),
    "bare_create": Endpoint("POST", "/bench/bare/tickets/new/", "none", NEW_TICKET),
}

# (label, cogest endpoint, bare endpoint, SPEC 8 query budget)
PAIRS = [
    ("Ticket list API `GET /api/v1/tickets/?page_size=50`", "list_api", "bare_list", 5),
    ("Ticket list page `GET /tickets/`", "list_page", "bare_page", 8),
    ("Ticket creation `POST /api/v1/tickets/`", "create_api", "bare_create", None),
]
