"""The ``sla`` filter of the ticket list (API and page share its meaning): at risk, breached,
running, paused, due before an instant, and the ``sla_due`` ordering. Exact sets, only through
clocks the reader may see, a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cogest.models import UserProfile
from sla.models import Clock, SlaPolicy
from tickets.services import handoff_accept, ticket_handoff

NOW = timezone.now().replace(microsecond=0)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def policy(demo):
    return SlaPolicy.objects.create(name="Test SLA", calendar=demo.calendars["24x7"])


@pytest.fixture
def clock(policy, demo):
    """``clock(ticket, **fields)``: an end-to-end resolution clock (ORM row), running by
    default, started an hour ago and due in three."""

    def make(ticket, *, party="internal", kind="sla", target="resolution", **fields):
        values = {
            "state": "running",
            "started_at": NOW - HOUR,
            "running_since": NOW - HOUR,
            "due_at": NOW + 3 * HOUR,
            "target_minutes": 240,
        }
        values.update(fields)
        return Clock.objects.create(
            ticket=ticket,
            target=target,
            kind=kind,
            party=demo.organizations[party],
            policy=policy,
            calendar=demo.calendars["24x7"],
            **values,
        )

    return make


@pytest.fixture
def board(new_ticket, clock, users, demo):
    """Tickets in every SLA situation, by name."""
    t = {name: new_ticket(title=name) for name in (
        "risk", "breached", "breached_stopped", "paused", "fresh", "met", "none", "acme",
    )}  # fmt: skip
    clock(t["risk"], warned_at=NOW - 10 * dt.timedelta(minutes=1), due_at=NOW + HOUR / 4)
    clock(t["risk"], target="response", state="met", stopped_at=NOW - HOUR / 2)
    clock(
        t["breached"],
        state="breached",
        warned_at=NOW - 2 * HOUR,
        breached_at=NOW - HOUR,
        due_at=NOW - HOUR,
    )
    clock(
        t["breached_stopped"],
        state="breached",
        breached_at=NOW - 2 * HOUR,
        due_at=NOW - 2 * HOUR,
        stopped_at=NOW - HOUR,
        running_since=None,
    )
    clock(t["paused"], state="paused", paused_at=NOW - HOUR / 2, due_at=None, running_since=None)
    clock(t["fresh"], due_at=NOW + 5 * HOUR)
    clock(t["met"], state="met", stopped_at=NOW - HOUR / 2, running_since=None)
    # Held by Acme: its own UC is at risk; Shadow's UC (never Acme's to see) has broken.
    ticket_handoff(
        ticket=t["acme"], by=users["ana"], team=demo.teams["acme-networks"], summary="Yours"
    )
    handoff_accept(ticket=t["acme"], by=users["pablo"])
    clock(t["acme"], due_at=NOW + 6 * HOUR)
    clock(
        t["acme"],
        party="acme",
        kind="uc",
        target="party_resolution",
        warned_at=NOW - HOUR / 2,
        due_at=NOW + HOUR / 2,
    )
    clock(
        t["acme"],
        party="shadow",
        kind="uc",
        target="party_resolution",
        state="breached",
        breached_at=NOW - HOUR,
        due_at=NOW - 2 * HOUR,
    )
    return t


def names(board, ids) -> set[str]:
    by_pk = {ticket.pk: name for name, ticket in board.items()}
    return {by_pk[pk] for pk in ids if pk in by_pk}


def api_ids(api, user, query: str) -> list[int]:
    response = api(user).get(f"/api/v1/tickets/?{query}&page_size=200")
    assert response.status_code == 200, response.content[:500]
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sla=at_risk", {"risk", "acme"}),
        ("sla=breached", {"breached", "breached_stopped", "acme"}),
        ("sla=running", {"risk", "fresh", "acme"}),
        ("sla=paused", {"paused"}),
        ("sla=paused,at_risk", {"paused", "risk", "acme"}),
        ("sla=paused&sla=breached", {"paused", "breached", "breached_stopped", "acme"}),
    ],
)
def test_internal_staff_filter_by_sla_state(api, users, board, query, expected):
    assert names(board, api_ids(api, users["ana"], query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sla=at_risk", {"acme"}),  # through Acme's own UC clock
        ("sla=breached", set()),  # Shadow's breached UC is not Acme's to see
        ("sla=running", {"acme"}),
        ("sla=paused", set()),
    ],
)
def test_a_provider_filters_only_through_the_clocks_it_may_see(api, users, board, query, expected):
    ids = api_ids(api, users["pablo"], query)
    assert names(board, ids) == expected
    assert len(ids) == len(set(ids))


def test_sla_due_before_takes_open_clocks_due_by_then_overdue_ones_included(api, users, board):
    before = (NOW + 2 * HOUR).isoformat()
    query = f"sla_due_before={before.replace('+', '%2B')}"
    assert names(board, api_ids(api, users["ana"], query)) == {"risk", "breached", "acme"}
    # With a state, one clock must be both: the risk clock is due in 15 min, Acme's in 30 min.
    query += "&sla=at_risk"
    assert names(board, api_ids(api, users["pablo"], query)) == {"acme"}
    soon = (NOW + HOUR / 3).isoformat().replace("+", "%2B")
    assert names(board, api_ids(api, users["ana"], f"sla=at_risk&sla_due_before={soon}")) == {
        "risk"
    }


def test_sla_due_orders_by_the_next_due_clock_and_puts_tickets_without_one_last(api, users, board):
    ids = api_ids(api, users["ana"], "ordering=sla_due")
    ordered = [names(board, [pk]).pop() for pk in ids if names(board, [pk])]
    # Shadow's overdue clock (2 h ago) → breached (1 h ago) → risk (15 min) → fresh (5 h);
    # then the tickets without an open due clock, newest first.
    assert ordered[:4] == ["acme", "breached", "risk", "fresh"]
    assert set(ordered[4:]) == {"breached_stopped", "paused", "met", "none"}
    assert ordered[4:] == sorted(ordered[4:], key=lambda n: -board[n].pk)
    descending = [
        names(board, [pk]).pop() for pk in api_ids(api, users["ana"], "ordering=-sla_due")
    ]
    assert descending[:4] == ["fresh", "risk", "breached", "acme"]
    # As a second key (every ticket here is P2, so the same order).
    assert api_ids(api, users["ana"], "ordering=priority,sla_due") == ids
    # pablo does not see Shadow's clock: Acme's own is due in 30 min.
    assert names(board, api_ids(api, users["pablo"], "ordering=sla_due")) == {"acme"}


@pytest.mark.parametrize("query", ["sla=late", "sla=", "sla_due_before=yesterday", "ordering=sla"])
def test_a_bad_sla_filter_is_a_400(api, users, board, query):
    response = api(users["ana"]).get(f"/api/v1/tickets/?{query}")
    if query == "sla=":
        assert response.status_code == 200  # an empty value filters nothing
    else:
        assert response.status_code == 400
        assert response.json()


def test_the_schema_documents_the_sla_filter(api, db):
    schema = api().get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/tickets/"]["get"]["parameters"]}
    assert parameters["sla"]["schema"]["items"]["enum"] == [
        "at_risk",
        "breached",
        "running",
        "paused",
    ]
    assert "at_risk" in parameters["sla"]["description"]
    assert parameters["sla_due_before"]["schema"]["format"] == "date-time"
    assert "sla_due" in parameters["ordering"]["description"]


# --- The web list ----------------------------------------------------------------------------


def page_numbers(client, url: str) -> list[str]:
    import re

    response = client.get(url)
    assert response.status_code == 200
    return re.findall(r'class="ticket-number">([A-Z]{3}-\d+)<', response.content.decode())


def test_the_web_list_filters_and_sorts_by_sla(client, users, board):
    UserProfile.objects.update(language="en")
    client.force_login(users["ana"])
    numbers = {ticket.number: name for name, ticket in board.items()}
    found = page_numbers(client, "/tickets/?sla=breached")
    assert {numbers[n] for n in found} == {"breached", "breached_stopped", "acme"}
    # Acme's ticket comes first: Shadow's clock on it has been overdue for 2 hours.
    found = page_numbers(client, "/tickets/?sla=at_risk&ordering=sla_due")
    assert [numbers[n] for n in found] == ["acme", "risk"]
    client.force_login(users["pablo"])
    assert page_numbers(client, "/partner/tickets/?sla=breached") == []
    found = page_numbers(client, "/partner/tickets/?sla=at_risk&ordering=-sla_due")
    assert [numbers[n] for n in found] == ["acme"]


def test_the_web_list_offers_sla_presets(client, users, board):
    UserProfile.objects.update(language="en")
    client.force_login(users["ana"])
    html = client.get("/tickets/").content.decode()
    assert "sla=at_risk&amp;ordering=sla_due" in html
    assert "sla=breached&amp;ordering=sla_due" in html
    response = client.get("/tickets/?sla=soon")
    assert response.status_code == 400  # reported, not ignored


# --- Constant queries --------------------------------------------------------------------------


def count(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200, response.content[:300]
    return len(captured.captured_queries)


@pytest.mark.parametrize("who", ["ana", "pablo"])
def test_the_sla_filter_costs_the_same_queries_for_few_and_many_tickets(
    api, client, users, demo, board, new_ticket, clock, who
):
    token_client = api(users[who])
    client.force_login(users[who])
    base = "/partner/tickets/" if who == "pablo" else "/tickets/"
    urls = [
        "/api/v1/tickets/?sla=at_risk,breached&ordering=sla_due",
        f"/api/v1/tickets/?sla_due_before={(NOW + HOUR).isoformat().replace('+', '%2B')}",
    ]
    pages = [f"{base}?sla=at_risk&ordering=sla_due", f"{base}?sla=breached"]
    token_client.get(urls[0])
    client.get(pages[0])
    few = [count(token_client, u) for u in urls] + [count(client, p) for p in pages]
    for i in range(15):
        ticket = new_ticket(title=f"More {i}")
        ticket_handoff(
            ticket=ticket, by=users["ana"], team=demo.teams["acme-networks"], summary="Yours"
        )
        clock(ticket, party="acme", kind="uc", target="accept", warned_at=NOW)
        clock(ticket, state="breached", breached_at=NOW, due_at=NOW - HOUR)
    many = [count(token_client, u) for u in urls] + [count(client, p) for p in pages]
    assert few == many
