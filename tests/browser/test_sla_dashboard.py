"""The SLA dashboard in a real browser (issue 6): Marta sees the tiles with the seeded figures
and Chart.js charts drawn from local assets, with no console error (a CSP violation is one);
Lucía sees only Acme's figures in the portal. Assertions use data and ``data-testid``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.sla.test_metrics import SlaWorld

pytestmark = pytest.mark.browser

ACME_TITLE = "Firewall FW-MAD-01 drops VPN sessions"
SHADOW_TITLE = "Printer queue stuck on floor 3"


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")


@pytest.fixture
def figures(live_demo, live_server):
    """Two clocks met and two breached this month (50 % compliance), MTTR 3 h, two at risk."""
    world = SlaWorld(live_demo)
    now = timezone.now()
    recent = now - dt.timedelta(hours=2)
    for hours, breached in ((2, False), (4, False), (3, True), (2, True)):
        ticket = world.ticket(created=recent - dt.timedelta(hours=hours))
        world.clock(
            ticket,
            stopped=recent,
            reason="resolved",
            breached=recent - dt.timedelta(minutes=5) if breached else None,
            elapsed=hours * 3600,
        )
    for title, team, engagement in (
        (ACME_TITLE, "acme-networks", "acme"),
        (SHADOW_TITLE, "shadow-desk", "shadow"),
    ):
        ticket = world.ticket(
            title=title,
            team=team,
            engagement=engagement,
            held_by=("service-desk",),
            status="in_progress",
            created=now - dt.timedelta(hours=3),
        )
        world.clock(
            ticket,
            started=now - dt.timedelta(hours=3),
            warn_at=now - dt.timedelta(minutes=5),
            due_at=now + dt.timedelta(minutes=40),
        )
    return world


def test_marta_sees_tiles_and_charts_with_the_seeded_figures(
    page, live_server, sign_in, problems, figures
):
    sign_in("marta")
    settle(page)
    page.click("[data-testid=nav-sla]")
    settle(page)
    expect(page).to_have_url(f"{live_server.url}/sla/")
    expect(page.locator("[data-testid=tile-compliance]")).to_have_attribute("data-value", "50.0")
    expect(page.locator("[data-testid=tile-mttr]")).to_have_attribute("data-value", "2.75")
    expect(page.locator("[data-testid=tile-at-risk]")).to_have_attribute("data-value", "2")
    for key in ("trend", "backlog", "breaches"):
        canvas = page.locator(f"canvas[data-chart={key}]")
        expect(canvas).to_be_visible()
        drawn = page.evaluate(
            "(key) => !!Chart.getChart(document.querySelector(`canvas[data-chart=${key}]`))", key
        )
        assert drawn, f"the {key} chart was not drawn"
    # The table behind the chart is one click away.
    page.click("[data-testid=table-tab-trend]")
    expect(page.locator("[data-testid=trend-table]")).to_be_visible()
    expect(page.locator("[data-testid=at-risk-row]")).to_have_count(2)
    problems.assert_none()


def test_lucia_sees_only_acmes_figures_in_the_portal(
    page, live_server, sign_in, problems, figures, live_demo
):
    sign_in("lucia")
    settle(page)
    page.click("[data-testid=nav-kpis]")
    settle(page)
    expect(page).to_have_url(f"{live_server.url}/partner/kpis/")
    rows = page.locator("[data-testid=at-risk-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ACME_TITLE)
    assert SHADOW_TITLE not in page.content()
    scorecards = page.locator("[data-testid=engagement-scorecard]")
    expect(scorecards).to_have_count(1)
    expect(scorecards.first).to_have_attribute(
        "data-engagement", str(live_demo.engagements["acme"].pk)
    )
    problems.assert_none()
