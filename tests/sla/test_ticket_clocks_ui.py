"""SLA clocks on the ticket pages (SPEC 2.4, UI brief): the list's countdown cell, the ticket
page's clocks panel and the page that explains every clock, per role and always restricted."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cogest.models import UserProfile
from sla.demo import seed_policies
from sla.models import Clock, ClockEvent
from sla.services import sweep
from tickets.models import TicketHolding
from tickets.services import handoff_accept, ticket_create, ticket_handoff

MADRID = ZoneInfo("Europe/Madrid")


def madrid(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MADRID)


def travel(when):
    return time_machine.travel(when, tick=False)


@pytest.fixture
def story(demo, users):
    """A P2 network incident opened by ana on Monday 23 Nov 2026 09:00, handed to Acme Networks
    at 09:10 and accepted by pablo at 09:20; a (made-up) Shadow Partners UC clock on it that
    pablo must never see; and rita's own request. Everybody reads English here."""
    UserProfile.objects.update(language="en", timezone="Europe/Madrid")
    seed_policies(demo)
    with travel(madrid(2026, 11, 23, 9, 0)):
        ticket = ticket_create(
            by=users["ana"],
            type="incident",
            title="Branch VPN down",
            functional_area="networks",
            urgency="high",
        )
        rita = ticket_create(
            by=users["rita"], type="service_request", title="New laptop", functional_area="devices"
        )
    with travel(madrid(2026, 11, 23, 9, 10)):
        ticket_handoff(
            ticket=ticket, by=users["ana"], team=demo.teams["acme-networks"], summary="Yours"
        )
    with travel(madrid(2026, 11, 23, 9, 20)):
        handoff_accept(ticket=ticket, by=users["pablo"])
    shadow_policy = seed_policies(demo)["Shadow Partners underpinning contract"]
    shadow = Clock.objects.create(
        ticket=ticket,
        target="party_resolution",
        kind="uc",
        party=demo.organizations["shadow"],
        team=demo.teams["shadow-desk"],
        policy=shadow_policy,
        calendar=demo.calendars["24x7"],
        target_minutes=60,
        state="breached",
        started_at=madrid(2026, 11, 23, 8, 0),
        running_since=madrid(2026, 11, 23, 8, 0),
        due_at=madrid(2026, 11, 23, 9, 0),
        warned_at=madrid(2026, 11, 23, 8, 45),
        breached_at=madrid(2026, 11, 23, 9, 0),
    )
    ClockEvent.objects.create(clock=shadow, kind="started", at=shadow.started_at, reason="SHADOWUC")
    return {"ticket": ticket, "rita": rita, "shadow_clock": shadow}


CLOCK_ITEM = re.compile(
    r'data-testid="sla-clock" data-clock="(\d+)" data-kind="(\w+)" data-target="(\w+)" '
    r'data-party="(\d+)"'
)


def panel_clocks(html: str) -> set[tuple[str, str, int]]:
    """(kind, target, party) of each clock in the ticket page's SLA panel."""
    return {(kind, target, int(party)) for _pk, kind, target, party in CLOCK_ITEM.findall(html)}


def page(client, user, url):
    client.force_login(user)
    with travel(madrid(2026, 11, 23, 9, 25)):
        return client.get(url)


# --- The ticket page's panel ---------------------------------------------------------------------


def test_internal_staff_see_every_clock_of_the_ticket(client, users, demo, story):
    ticket = story["ticket"]
    html = page(client, users["ana"], f"/tickets/{ticket.number}/").content.decode()
    northwind, acme, shadow = (demo.organizations[k].pk for k in ("internal", "acme", "shadow"))
    assert panel_clocks(html) == {
        ("sla", "response", northwind),
        ("sla", "resolution", northwind),
        ("ola", "party_resolution", northwind),
        ("uc", "accept", acme),
        ("uc", "party_resolution", acme),
        ("uc", "party_resolution", shadow),
    }


def test_a_provider_sees_the_end_to_end_clocks_and_its_own_never_another_partys(
    client, users, demo, story
):
    ticket = story["ticket"]
    response = page(client, users["pablo"], f"/partner/tickets/{ticket.number}/")
    html = response.content.decode()
    northwind, acme = demo.organizations["internal"].pk, demo.organizations["acme"].pk
    assert panel_clocks(html) == {
        ("sla", "response", northwind),
        ("sla", "resolution", northwind),
        ("uc", "accept", acme),
        ("uc", "party_resolution", acme),
    }
    assert "Shadow Desk" not in html
    assert f"clock={story['shadow_clock'].pk}" not in html


def test_the_requester_sees_only_the_end_to_end_clocks(client, users, demo, story):
    rita = story["rita"]
    html = page(client, users["rita"], f"/tickets/{rita.number}/").content.decode()
    northwind = demo.organizations["internal"].pk
    assert panel_clocks(html) == {("sla", "response", northwind), ("sla", "resolution", northwind)}


def test_the_panel_shows_state_countdown_due_time_and_a_link_that_explains_it(client, users, story):
    ticket = story["ticket"]
    html = page(client, users["pablo"], f"/partner/tickets/{ticket.number}/").content.decode()
    # The response clock (30 business minutes from 09:00) is due at 09:30: "in 5 min", running
    # past its warning (75 %: 09:22:30), amber; the exact time on hover.
    response = next(pk for pk, kind, target, _p in CLOCK_ITEM.findall(html) if target == "response")
    item = html.split(f'data-clock="{response}"')[1].split("</li>")[0]
    assert 'data-sla-look="warning"' in item
    assert "text-bg-warning" in item
    assert "in 5 min" in item
    assert 'datetime="2026-11-23T08:30:00+00:00"' in item
    assert f'href="/partner/tickets/{ticket.number}/sla/#clock-{response}"' in item
    assert f'hx-get="/partner/tickets/{ticket.number}/sla/?clock={response}"' in item


# --- The explanation page ------------------------------------------------------------------------


def explained(html: str) -> set[tuple[str, str]]:
    found = re.findall(
        r'data-testid="clock-explanation" data-clock="\d+" data-kind="(\w+)" data-target="(\w+)"',
        html,
    )
    return set(found)


def test_the_explanation_lists_policy_calendar_events_and_attribution(client, users, story):
    ticket = story["ticket"]
    with travel(madrid(2026, 11, 23, 10, 0)):
        sweep()  # the response clock broke at 09:30, in Acme's hands
    client.force_login(users["marta"])
    with travel(madrid(2026, 11, 23, 10, 0)):
        response = client.get(f"/tickets/{ticket.number}/sla/")
    assert response.status_code == 200
    html = response.content.decode()
    assert explained(html) == {
        ("sla", "response"),
        ("sla", "resolution"),
        ("ola", "party_resolution"),
        ("uc", "accept"),
        ("uc", "party_resolution"),
    }
    clock = Clock.objects.get(ticket=ticket, kind="sla", target="response")
    article = html.split(f'id="clock-{clock.pk}"')[1].split("</article>")[0]
    assert "Northwind SLA P2–P4 (office hours)" in article
    assert "Madrid office hours" in article and "Europe/Madrid" in article
    assert "Monday–Friday 08:00–18:00" in article
    assert "30 minutes of business time" in article
    events = re.findall(
        r'data-testid="clock-event" data-event="(\w+)">.*?· ([\w ]+) counted', article, re.S
    )
    assert events == [("started", "0 min"), ("warned", "22 min"), ("breached", "30 min")]
    assert "1 h of 30 min (200%)" in article
    # Northwind held it 09:00–09:10, Acme since: 10 and 50 business minutes.
    rows = re.findall(
        r'data-testid="attribution-row" data-organization="(\d*)"><td>([^<]+).*?'
        r'<td class="text-end">([^<]+)</td><td class="text-end">(\d+)%',
        article,
        re.S,
    )
    assert [(name.strip(), duration, int(share)) for _o, name, duration, share in rows] == [
        ("Northwind IT", "10 min", 17),
        ("Acme MSP", "50 min", 83),
    ]
    assert "The clock broke while Acme MSP held the ticket." in article
    # The UC acceptance clock: met at 09:20, from Acme's own contract.
    accept = Clock.objects.get(ticket=ticket, kind="uc", target="accept")
    article = html.split(f'id="clock-{accept.pk}"')[1].split("</article>")[0]
    assert "Acme MSP underpinning contract" in article
    assert 'data-sla-look="met"' in article
    assert re.findall(r'data-event="(\w+)"', article) == ["started", "stopped"]


def test_a_provider_reads_only_its_clocks_explained_and_not_foreign_policies(client, users, story):
    ticket = story["ticket"]
    response = page(client, users["pablo"], f"/partner/tickets/{ticket.number}/sla/")
    assert response.status_code == 200
    html = response.content.decode()
    assert explained(html) == {
        ("sla", "response"),
        ("sla", "resolution"),
        ("uc", "accept"),
        ("uc", "party_resolution"),
    }
    assert "SHADOWUC" not in html and "Shadow" not in html
    # The end-to-end policy is Northwind's internal default: not one of Acme's to read.
    assert "Northwind SLA P2–P4" not in html
    assert "Acme MSP underpinning contract" in html


def test_the_explanation_is_a_404_for_a_ticket_out_of_scope(client, users, story):
    ticket, rita = story["ticket"], story["rita"]
    assert page(client, users["sam"], f"/partner/tickets/{ticket.number}/sla/").status_code == 404
    assert page(client, users["pablo"], f"/partner/tickets/{rita.number}/sla/").status_code == 404
    assert page(client, users["rita"], f"/tickets/{ticket.number}/sla/").status_code == 404


def test_each_side_is_sent_to_its_own_page_and_strangers_to_the_login(client, users, story):
    number = story["ticket"].number
    response = page(client, users["pablo"], f"/tickets/{number}/sla/?clock=1")
    assert response.status_code == 302
    assert response["Location"] == f"/partner/tickets/{number}/sla/?clock=1"
    response = page(client, users["ana"], f"/partner/tickets/{number}/sla/")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{number}/sla/"
    client.logout()
    response = client.get(f"/tickets/{number}/sla/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_htmx_loads_one_clocks_explanation_and_never_an_invisible_one(client, users, story):
    ticket, shadow = story["ticket"], story["shadow_clock"]
    acme_accept = Clock.objects.get(ticket=ticket, kind="uc", target="accept")
    url = f"/partner/tickets/{ticket.number}/sla/"
    client.force_login(users["pablo"])
    with travel(madrid(2026, 11, 23, 9, 25)):
        one = client.get(f"{url}?clock={acme_accept.pk}", HTTP_HX_REQUEST="true")
        hidden = client.get(f"{url}?clock={shadow.pk}", HTTP_HX_REQUEST="true")
        junk = client.get(f"{url}?clock=abc", HTTP_HX_REQUEST="true")
    assert one.status_code == 200
    html = one.content.decode()
    assert "<html" not in html
    assert explained(html) == {("uc", "accept")}
    assert hidden.status_code == 404 and "SHADOWUC" not in hidden.content.decode()
    assert junk.status_code == 404


def test_the_explanation_page_costs_the_same_for_few_and_many_events(client, users, story):
    ticket = story["ticket"]
    client.force_login(users["ana"])
    url = f"/tickets/{ticket.number}/sla/"
    with travel(madrid(2026, 11, 23, 9, 25)):
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
    clock = Clock.objects.get(ticket=ticket, kind="sla", target="resolution")
    ClockEvent.objects.bulk_create(
        ClockEvent(clock=clock, kind="recomputed", at=madrid(2026, 11, 23, 9, 21), reason="x")
        for _ in range(20)
    )
    with travel(madrid(2026, 11, 23, 9, 25)), CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)


# --- The ticket list's SLA cell ------------------------------------------------------------------


def cell_of(html: str, number: str) -> str:
    row = html.split(f'class="ticket-number">{number}<')[1].split("</tr>")[0]
    return row.split('class="col-sla"')[1]


def test_the_list_cell_shows_the_most_urgent_clock_the_reader_may_see(client, users, story):
    ticket = story["ticket"]
    # ana sees Shadow's breached UC clock (due 09:00, so "25 min ago"), red.
    ana = cell_of(page(client, users["ana"], "/tickets/").content.decode(), ticket.number)
    assert 'data-sla-look="breached"' in ana
    assert "25 min ago" in ana
    # pablo never sees it: his most urgent clock is the response, due 09:30, amber.
    pablo = cell_of(
        page(client, users["pablo"], "/partner/tickets/").content.decode(), ticket.number
    )
    assert 'data-sla-look="warning"' in pablo
    assert 'data-clock-target="response"' in pablo
    assert "in 5 min" in pablo
    # rita's request: its response clock (P3: 4 business hours from 09:00), green.
    rita = cell_of(page(client, users["rita"], "/tickets/").content.decode(), story["rita"].number)
    assert 'data-sla-look="running"' in rita
    assert "in 3 h" in rita


def test_a_ticket_whose_clocks_all_stopped_shows_their_outcome(client, users, story):
    ticket = story["ticket"]
    Clock.objects.filter(ticket=ticket).update(
        stopped_at=madrid(2026, 11, 23, 9, 24), breached_at=None, state="met"
    )
    cell = cell_of(page(client, users["ana"], "/tickets/").content.decode(), ticket.number)
    assert 'data-sla-look="met"' in cell
    Clock.objects.filter(ticket=ticket, target="response").update(state="breached")
    cell = cell_of(page(client, users["ana"], "/tickets/").content.decode(), ticket.number)
    assert 'data-sla-look="breached"' in cell


def test_holdings_are_what_the_attribution_reads(story, demo):
    # The story's holdings, as the explanation test's expected shares assume them.
    rows = list(
        TicketHolding.objects.filter(ticket=story["ticket"])
        .order_by("started_at")
        .values_list("organization_id", "started_at", "ended_at")
    )
    assert rows == [
        (
            demo.organizations["internal"].pk,
            madrid(2026, 11, 23, 9, 0),
            madrid(2026, 11, 23, 9, 10),
        ),
        (demo.organizations["acme"].pk, madrid(2026, 11, 23, 9, 10), None),
    ]
