"""The ticket pages cost a fixed number of queries, whatever the number of rows they show
(SPEC 8: the ticket list page at most 8 at any size)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.services import comment_add, handoff_accept, ticket_handoff, worklog_add

LIST_PAGE_MAX_QUERIES = 8


def count_queries(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.fixture
def tickets_by(new_ticket, users, demo):
    """``tickets_by(n)``: n more tickets on both sides, some assigned, some handed to Acme."""

    def make(n: int):
        for i in range(n):
            ticket = new_ticket(
                title=f"Ticket {i}",
                assignee=users["ana"] if i % 3 == 0 else None,
                impact=["high", "medium", "low"][i % 3],
            )
            if i % 4 == 0:
                ticket_handoff(
                    ticket=ticket,
                    by=users["ana"],
                    team=demo.teams["acme-networks"],
                    summary="Yours",
                )
                handoff_accept(ticket=ticket, by=users["pablo"])

    return make


@pytest.mark.parametrize(
    ("username", "base"),
    [("ana", "/tickets/"), ("pablo", "/partner/tickets/")],
)
def test_the_ticket_list_costs_the_same_for_5_and_50_tickets(
    client, users, tickets_by, username, base
):
    client.force_login(users[username])
    tickets_by(5)
    client.get(base)  # warm the process-wide caches (content types)
    small = count_queries(client, base)
    filtered_small = count_queries(client, f"{base}?status=new&status=assigned&q=Ticket")
    tickets_by(45)
    large = count_queries(client, base)
    filtered_large = count_queries(client, f"{base}?status=new&status=assigned&q=Ticket")
    htmx = count_queries(client, f"{base}?q=Ticket", HTTP_HX_REQUEST="true")
    print(f"{username} list queries: page {large}, filtered {filtered_large}, htmx {htmx}")
    assert small == large <= LIST_PAGE_MAX_QUERIES
    assert filtered_small == filtered_large <= LIST_PAGE_MAX_QUERIES
    assert htmx <= large


def _busy(ticket, users, n: int) -> None:
    for i in range(n):
        comment_add(
            ticket=ticket,
            by=users["ana"],
            body=f"Comment {i} with an [link](https://example.com)",
            visibility=["internal", "shared", "public"][i % 3],
        )
        if i % 5 == 0:
            worklog_add(ticket=ticket, by=users["ana"], minutes=10, description="Checked")


def test_the_ticket_page_does_not_grow_with_its_comments(client, users, new_ticket):
    quiet, busy = new_ticket(title="Quiet"), new_ticket(title="Busy")
    _busy(quiet, users, 2)
    _busy(busy, users, 20)
    client.force_login(users["ana"])
    client.get(f"/tickets/{quiet.number}/")  # warm the process-wide caches
    small = count_queries(client, f"/tickets/{quiet.number}/")
    large = count_queries(client, f"/tickets/{busy.number}/")
    print(f"ticket page queries: {small} (2 comments), {large} (20 comments)")
    assert small == large


def test_the_partner_ticket_page_does_not_grow_with_its_comments(client, users, new_ticket, demo):
    quiet, busy = new_ticket(title="Quiet"), new_ticket(title="Busy")
    for ticket, n in ((quiet, 2), (busy, 20)):
        _busy(ticket, users, n)
        ticket_handoff(
            ticket=ticket, by=users["ana"], team=demo.teams["acme-networks"], summary="x"
        )
    client.force_login(users["pablo"])
    client.get(f"/partner/tickets/{quiet.number}/")  # warm the process-wide caches
    small = count_queries(client, f"/partner/tickets/{quiet.number}/")
    large = count_queries(client, f"/partner/tickets/{busy.number}/")
    assert small == large
