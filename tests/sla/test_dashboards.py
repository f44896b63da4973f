"""The SLA dashboard pages (internal ``/sla/``, portal ``/partner/kpis/``): who sees which figures
(SPEC 3), bad filters, CSV exports safe from formula injection, the live at-risk table, and a
query count that does not grow with the data."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sla.exports import DASHBOARD_TABLES, safe_cell

from .test_metrics import SlaWorld

MARKERS = {
    "sd": "SDMARK-service-desk",
    "is": "ISMARK-internal-systems",
    "acme_net": "ACMENETMARK-acme-networks",
    "acme_sec": "ACMESECMARK-acme-security",
    "shadow": "SHADOWMARK-shadow-desk",
}


@pytest.fixture
def sla_world(demo) -> SlaWorld:
    return SlaWorld(demo)


def at_risk_clock(world: SlaWorld, ticket, **kwargs):
    now = timezone.now()
    return world.clock(
        ticket,
        started=now - dt.timedelta(hours=2),
        warn_at=now - dt.timedelta(minutes=10),
        due_at=now + dt.timedelta(hours=1),
        **kwargs,
    )


@pytest.fixture
def scoped(sla_world, users):
    """One ticket at risk per team: the Service Desk's, Internal Systems', two of Acme's (one
    assigned to Pablo in his team, one in Acme Security) and Shadow's."""
    w = sla_world
    created = timezone.now() - dt.timedelta(hours=3)
    common = {"status": "in_progress", "created": created}
    tickets = {
        "sd": w.ticket(title=MARKERS["sd"], **common),
        "is": w.ticket(team="internal-systems", title=MARKERS["is"], **common),
        "acme_net": w.ticket(
            team="acme-networks",
            engagement="acme",
            assignee=users["pablo"],
            held_by=("service-desk",),
            title=MARKERS["acme_net"],
            **common,
        ),
        "acme_sec": w.ticket(
            team="acme-security",
            engagement="acme",
            held_by=("service-desk",),
            title=MARKERS["acme_sec"],
            **common,
        ),
        "shadow": w.ticket(
            team="shadow-desk",
            engagement="shadow",
            held_by=("service-desk",),
            title=MARKERS["shadow"],
            **common,
        ),
    }
    for ticket in tickets.values():
        at_risk_clock(w, ticket)
    at_risk_clock(
        w,
        tickets["acme_net"],
        kind="uc",
        party="acme",
        team="acme-networks",
        target="party_resolution",
    )
    return tickets


def page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


ALL = {"sd", "is", "acme_net", "acme_sec", "shadow"}


@pytest.mark.parametrize(
    ("username", "url", "visible", "at_risk"),
    [
        # Internal managers and administrators: everything (six clocks at risk).
        ("marta", "/sla/", ALL, 6),
        ("admin", "/sla/", ALL, 6),
        # Internal agents: their own teams.
        ("ana", "/sla/", {"sd"}, 1),
        ("ivan", "/sla/", {"is"}, 1),
        # Provider technician: his own work (his ticket's SLA clock and Acme's UC on it).
        ("pablo", "/partner/kpis/", {"acme_net"}, 2),
        # Provider manager: the engagement's tickets, never another provider's or internal ones.
        ("lucia", "/partner/kpis/", {"acme_net", "acme_sec"}, 3),
        ("sam", "/partner/kpis/", {"shadow"}, 1),
    ],
)
def test_each_role_sees_the_figures_of_its_scope_only(
    client, users, scoped, username, url, visible, at_risk
):
    response = page(client, users[username], url)
    assert response.status_code == 200
    body = response.content.decode()
    for key, marker in MARKERS.items():
        assert (marker in body) == (key in visible), f"{username}: {key}"
    assert f'data-testid="tile-at-risk" data-value="{at_risk}"' in body


def test_scope_label_says_whose_figures_these_are(client, users, scoped):
    kinds = {"marta": "all", "ana": "own_teams", "pablo": "own_work", "lucia": "engagement"}
    for username, kind in kinds.items():
        url = "/partner/kpis/" if username in ("pablo", "lucia") else "/sla/"
        body = page(client, users[username], url).content.decode()
        assert f'data-scope="{kind}"' in body


def test_a_requester_gets_no_dashboard(client, users, scoped):
    response = page(client, users["rita"], "/sla/")
    assert response.status_code == 403
    assert not any(marker in response.content.decode() for marker in MARKERS.values())
    for url in ("/sla/at-risk/", "/sla/export/?table=at_risk"):
        assert page(client, users["rita"], url).status_code == 403


def test_each_side_is_sent_to_its_own_dashboard(client, users):
    response = page(client, users["lucia"], "/sla/")
    assert response.status_code == 302 and response["Location"].startswith("/partner/")
    response = page(client, users["marta"], "/partner/kpis/")
    assert response.status_code == 302 and not response["Location"].startswith("/partner/")
    anonymous = client.__class__().get("/sla/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_navigation_shows_sla_to_staff_and_kpis_to_providers(client, users):
    assert 'data-testid="nav-sla"' in page(client, users["ana"], "/").content.decode()
    assert 'data-testid="nav-sla"' not in page(client, users["rita"], "/").content.decode()
    lucia = page(client, users["lucia"], "/partner/").content.decode()
    assert 'data-testid="nav-kpis"' in lucia and ">KPI" in lucia  # lucia reads Spanish: KPI


def test_a_provider_manager_sees_the_engagement_scorecard(client, users, scoped, demo):
    body = page(client, users["lucia"], "/partner/kpis/").content.decode()
    assert f'data-engagement="{demo.engagements["acme"].pk}"' in body
    assert f'data-engagement="{demo.engagements["shadow"].pk}"' not in body


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_from": "2026-10-10", "date_to": "2026-10-01"}, "date_to"),
        ({"date_from": "2020-01-01", "date_to": "2026-01-01"}, "date_to"),
        ({"priority": "9"}, "priority"),
        ({"group": "colour"}, "group"),
    ],
)
def test_bad_filters_are_form_errors_not_figures(client, users, scoped, params, field):
    response = page(client, users["marta"], "/sla/", **params)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    body = response.content.decode()
    assert 'data-testid="filter-errors"' in body
    assert 'data-testid="sla-tiles"' not in body


def test_an_agent_cannot_filter_on_a_team_outside_their_scope(client, users, scoped, demo):
    other = demo.teams["acme-networks"].pk
    response = page(client, users["ana"], "/sla/", team=str(other))
    assert response.status_code == 400
    assert "team" in response.context["form"].errors
    assert MARKERS["acme_net"] not in response.content.decode()


def test_filters_apply_to_the_page(client, users, scoped, demo):
    team = demo.teams["internal-systems"].pk
    body = page(client, users["marta"], "/sla/", team=str(team)).content.decode()
    assert MARKERS["is"] in body and MARKERS["sd"] not in body


def test_the_at_risk_table_refreshes_itself_as_a_partial(client, users, scoped):
    body = page(client, users["marta"], "/sla/").content.decode()
    assert 'hx-trigger="every 30s"' in body and 'aria-live="polite"' in body
    client.force_login(users["ana"])
    partial = client.get("/sla/at-risk/", HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in text
    assert MARKERS["sd"] in text and MARKERS["is"] not in text
    assert page(client, users["lucia"], "/partner/kpis/at-risk/").status_code == 200


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("table", DASHBOARD_TABLES)
def test_every_table_exports_as_csv(client, users, scoped, sla_world, demo, table):
    done = timezone.now() - dt.timedelta(hours=1)
    sla_world.clock(scoped["sd"], target="response", stopped=done, reason="responded", elapsed=60)
    # The KPI scorecard is there when the dashboard looks at one engagement.
    params = {"engagement": str(demo.engagements["acme"].pk)} if table == "kpis" else {}
    rows = _csv(page(client, users["marta"], "/sla/export/", table=table, **params))
    assert len(rows) >= 2 and all(rows[0])


def test_an_unknown_table_is_not_found(client, users):
    assert page(client, users["marta"], "/sla/export/", table="secrets").status_code == 404


def test_csv_exports_are_safe_from_formula_injection(client, users, sla_world):
    hostile = '=HYPERLINK("http://evil.example","click")'
    ticket = sla_world.ticket(
        title=hostile, status="in_progress", created=timezone.now() - dt.timedelta(hours=1)
    )
    at_risk_clock(sla_world, ticket)
    rows = _csv(page(client, users["marta"], "/sla/export/", table="at_risk"))
    titles = [row[1] for row in rows[1:]]
    assert "'" + hostile in titles
    assert hostile not in titles


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+33 600", "'+33 600"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Plain text", "Plain text"),
        (-5, -5),
        (12.5, 12.5),
        (None, ""),
    ],
)
def test_safe_cell_quotes_what_a_spreadsheet_would_run(value, cell):
    assert safe_cell(value) == cell


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def _more_tickets(world: SlaWorld, users, n: int) -> None:
    now = timezone.now()
    for i in range(n):
        acme = i % 2 == 0
        ticket = world.ticket(
            team="acme-networks" if acme else "service-desk",
            engagement="acme" if acme else None,
            held_by=("service-desk",) if acme else (),
            priority=1 + i % 4,
            status="resolved" if i % 3 else "in_progress",
            created=now - dt.timedelta(days=i % 40, hours=1),
            assignee=users["pablo"] if acme else None,
        )
        if i % 3:
            world.clock(
                ticket,
                stopped=now - dt.timedelta(days=i % 30),
                reason="resolved",
                breached=now - dt.timedelta(days=i % 30, hours=1) if i % 5 == 0 else None,
                elapsed=3600 * (1 + i % 7),
            )
        else:
            at_risk_clock(world, ticket)
        if acme:
            world.clock(
                ticket,
                kind="uc",
                party="acme",
                team="acme-networks",
                target="accept",
                stopped=now - dt.timedelta(days=i % 20),
                reason="accepted",
                elapsed=600 * (1 + i % 5),
            )


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("marta", "/sla/"),
        ("ana", "/sla/?group=priority&trend_by=team"),
        ("lucia", "/partner/kpis/"),
        ("pablo", "/partner/kpis/?group=organization"),
    ],
)
def test_the_dashboard_costs_the_same_for_5_and_50_tickets(client, users, sla_world, username, url):
    client.force_login(users[username])
    _more_tickets(sla_world, users, 5)
    client.get(url)  # warm the process-wide caches
    small = _count(client, url)
    _more_tickets(sla_world, users, 45)
    large = _count(client, url)
    print(f"{username} dashboard queries: {large}")
    assert small == large, f"{username}: {small} queries for 5 tickets, {large} for 50"
    assert large <= 25
