"""The tickets API costs a fixed number of queries, whatever the page holds (SPEC 8: the ticket
list at most 5, at 100k tickets as at 5)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb.models import CIClass, ConfigurationItem
from tickets.services import comment_add, ticket_create, ticket_watch

LIST_BUDGET = 5


@pytest.fixture
def make_tickets(demo, users):
    """``make_tickets(n, by)``: n networks L2 tickets (held by Acme Networks, so every viewer
    below sees them), each with two affected CIs; rita is their requester."""
    ci_class = CIClass.objects.create(name="Switch", slug="switch")
    cis = [
        ConfigurationItem.objects.create(
            name=f"SW-{i}", ci_class=ci_class, managed_by=demo.organizations["internal"]
        )
        for i in range(4)
    ]

    def make(n: int):
        return [
            ticket_create(
                by=users["ana"],
                type="incident",
                title=f"Port flapping {i}",
                functional_area="networks",
                support_level="L2",
                requester=users["rita"],
                cis=cis[i % 3 : i % 3 + 2],
            )
            for i in range(n)
        ]

    return make


def queries(client, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(captured.captured_queries), response.json()


@pytest.mark.parametrize("who", ["ana", "pablo", "rita", "admin"])
def test_the_ticket_list_costs_the_same_queries_for_5_and_50_tickets(
    api, users, make_tickets, who, django_assert_max_num_queries
):
    # given 5 tickets
    client = api(users[who])
    make_tickets(5)
    # when the list is read (once before: content types are cached for the process's life)
    client.get("/api/v1/tickets/")
    small, body = queries(client, "/api/v1/tickets/")
    assert len(body["results"]) == 5 and all(len(row["cis"]) == 2 for row in body["results"])
    # then again with 50 tickets on the page
    make_tickets(45)
    with django_assert_max_num_queries(LIST_BUDGET):
        large, body = queries(client, "/api/v1/tickets/?page_size=50")
    assert len(body["results"]) == 50
    assert small == large <= LIST_BUDGET, (who, small, large)


def test_filters_and_ordering_add_no_query(api, users, make_tickets):
    client = api(users["pablo"])
    make_tickets(10)
    ci_ids = ",".join(str(pk) for pk in ConfigurationItem.objects.values_list("pk", flat=True))
    client.get("/api/v1/tickets/")
    plain, _ = queries(client, "/api/v1/tickets/")
    filtered, body = queries(
        client,
        "/api/v1/tickets/?status=new,assigned&priority=3&functional_area=networks"
        f"&ci={ci_ids}&q=flapping&created_after=2020-01-01&ordering=-priority,number",
    )
    assert body["count"] > 0 and filtered == plain


@pytest.mark.parametrize("who", ["ana", "pablo"])
def test_one_ticket_costs_the_same_queries_whatever_it_holds(api, users, make_tickets, who):
    bare, busy = make_tickets(2)
    for user in ("ana", "ivan", "marta"):
        ticket_watch(ticket=busy, by=users[user])
    client = api(users[who])
    client.get(f"/api/v1/tickets/{bare.pk}/")
    first, _ = queries(client, f"/api/v1/tickets/{bare.pk}/")
    second, body = queries(client, f"/api/v1/tickets/{busy.pk}/")
    assert len(body["watchers"]) == 3
    assert first == second, (first, second)


def test_comments_and_history_cost_the_same_queries_for_2_and_20_entries(api, users, make_tickets):
    few, many = make_tickets(2)
    for ticket, n in ((few, 2), (many, 20)):
        for i in range(n):
            comment_add(ticket=ticket, by=users["ana"], body=f"note {i}", visibility="shared")
    client = api(users["pablo"])
    client.get(f"/api/v1/tickets/{few.pk}/")
    for suffix in ("comments/", "history/"):
        small, _ = queries(client, f"/api/v1/tickets/{few.pk}/{suffix}")
        large, body = queries(client, f"/api/v1/tickets/{many.pk}/{suffix}")
        assert len(body["results"]) >= 20 and small == large, (suffix, small, large)


def test_report_query_counts(api, users, make_tickets, capsys):
    """Not an assertion beyond the others: prints the counts (pytest -s) for the record."""
    make_tickets(50)
    rows = []
    for who in ("ana", "pablo", "rita", "admin"):
        client = api(users[who])
        client.get("/api/v1/tickets/")
        n, _ = queries(client, "/api/v1/tickets/?page_size=50")
        first = client.get("/api/v1/tickets/?page_size=1").json()["results"][0]["id"]
        d, _ = queries(client, f"/api/v1/tickets/{first}/")
        rows.append(f"{who}: list={n} detail={d}")
    with capsys.disabled():
        print("\nticket API queries (50 per page): " + "; ".join(rows))
