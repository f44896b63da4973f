"""The CMDB as both sides use it (issue: shared CMDB): Iván opens the core switch, sees the
business services its failure impacts and creates an incident from it; Pablo (Acme) reads the
CI pages in Acme's scope, edits a switch Acme manages, may only propose a change to one the
internal team manages, and gets a 404 for the ERP database. Assertions use data and
``data-testid``, not UI wording."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cmdb import demo as cmdb_demo
from cmdb.models import ConfigurationItem
from tickets.models import Ticket

pytestmark = pytest.mark.browser


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")


@pytest.fixture
def cmdb(live_demo):
    cmdb_demo.seed(live_demo)
    return {ci.asset_tag: ci for ci in ConfigurationItem.objects.all()}


def test_ivan_sees_what_the_core_switch_impacts_and_opens_an_incident_from_it(
    page, live_server, sign_in, problems, cmdb
):
    core = cmdb["NW-MAD-CORE-01"]
    sign_in("ivan")
    settle(page)
    # He finds the core switch in the CMDB list.
    page.goto(f"{live_server.url}/cmdb/cis/?q=MAD-CORE-01")
    row = page.locator("[data-testid=ci-row]", has_text="MAD-CORE-01").first
    row.locator("a").first.click()
    settle(page)
    expect(page.locator("[data-testid=ci-name]")).to_contain_text("MAD-CORE-01")
    impact = page.locator("[data-testid=ci-impact]")
    for service in ("VPN service", "ERP service", "Identity and sign-in"):
        expect(impact).to_contain_text(service)
    expect(impact).to_contain_text("FW-MAD-01")
    expect(page.locator("[data-testid=ci-graph]")).to_be_visible()
    # He creates an incident from the CI page: the CI and the area are filled in.
    page.click("[data-testid=ci-create-incident]")
    settle(page)
    expect(page.locator("[data-testid=source-ci]")).to_contain_text("MAD-CORE-01")
    expect(page.locator("#id_functional_area")).to_have_value("networks")
    expect(page.locator(f"input[name=cis][value='{core.pk}']")).to_be_checked()
    page.fill("#id_title", "Core switch down: whole Madrid HQ offline")
    page.select_option("#id_impact", "high")
    page.select_option("#id_urgency", "high")
    with page.expect_navigation():
        page.click("[data-testid=create-submit]")
    settle(page)
    ticket = Ticket.objects.get(title="Core switch down: whole Madrid HQ offline")
    assert list(ticket.cis.values_list("asset_tag", flat=True)) == ["NW-MAD-CORE-01"]
    assert ticket.priority == 1
    # The ticket page names the affected business services and flags the critical impact.
    expect(page.locator("[data-testid=affected-services]")).to_contain_text("VPN service")
    expect(page.locator("[data-testid=critical-impact]")).to_be_visible()
    # And the CI page lists the new incident.
    page.goto(f"{live_server.url}/cmdb/cis/{core.pk}/")
    settle(page)
    expect(page.locator("[data-testid=ci-tickets]")).to_contain_text(ticket.number)
    problems.assert_none()


def test_pablo_edits_acme_cis_proposes_on_internal_ones_and_cannot_see_the_erp_database(
    page, live_server, sign_in, problems, cmdb
):
    base = live_server.url
    internal_switch, acme_switch = cmdb["NW-BCN-P1-01"], cmdb["NW-MAD-P3-01"]
    sign_in("pablo")
    settle(page)
    # The internally managed access switch is in Acme's scope: he reads it, cannot edit it.
    page.goto(f"{base}/partner/cmdb/cis/{internal_switch.pk}/")
    settle(page)  # the lazy sections (runbooks, tickets) load before we move on
    expect(page.locator("[data-testid=ci-name]")).to_contain_text(internal_switch.name)
    expect(page.locator("[data-testid=ci-edit]")).to_have_count(0)
    expect(page.locator("[data-testid=ci-propose]")).to_be_visible()
    # A switch Acme manages he edits directly.
    page.goto(f"{base}/partner/cmdb/cis/{acme_switch.pk}/")
    settle(page)
    expect(page.locator("[data-testid=ci-edit]")).to_be_visible()
    expect(page.locator("[data-testid=ci-propose]")).to_have_count(0)
    # The ERP database is outside Acme's scope: 404, its name nowhere.
    database = cmdb["DB-ERP-01"]
    response = page.goto(f"{base}/partner/cmdb/cis/{database.pk}/")
    assert response.status == 404
    assert database.name not in page.content()
    # The list shows Acme's scope only.
    page.goto(f"{base}/partner/cmdb/cis/")
    results = page.locator("[data-testid=ci-results]")
    expect(results).to_contain_text("MAD-CORE-01")
    expect(results).not_to_contain_text(database.name)
    problems.bad_responses = [r for r in problems.bad_responses if "/cmdb/cis/" not in r]
    problems.console_errors = [e for e in problems.console_errors if "404" not in e]
    problems.assert_none()
