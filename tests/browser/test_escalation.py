"""Escalation in a real browser (issue 7): Marta (internal manager) writes a rule in the UI — a P1
networks ticket, when created, goes to the matrix's L2 team and the internal managers hear of
it — watching the live preview; Ana opens a matching incident through the form; the escalation
shows in the ticket's timeline; Pablo (Acme MSP) finds the new handoff in his portal; Marta's
bell counts the notification and she marks it read in place.

Assertions use data and ``data-testid``, not UI wording: the demo people read Spanish.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from escalation.models import EscalationEvent, EscalationRule
from tickets.services import ticket_create

pytestmark = pytest.mark.browser

RULE = "P1 networks: to the L2 team"
TITLE = "Madrid core router down"


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")


def go(page: Page, url: str) -> None:
    settle(page)
    page.goto(url)
    settle(page)


def sign_out(page: Page) -> None:
    settle(page)
    page.context.clear_cookies()


@pytest.fixture
def open_tickets(live_demo):
    """Open tickets before the rule exists: one its conditions match, one they do not."""
    ana = live_demo.users["ana"]
    matching = ticket_create(
        by=ana, type="incident", title="Branch VPN down", functional_area="networks",
        impact="high", urgency="high",
    )  # fmt: skip
    other = ticket_create(
        by=ana, type="incident", title="Slow Wi-Fi", functional_area="networks",
        impact="low", urgency="low",
    )  # fmt: skip
    return matching, other


def test_marta_writes_a_rule_an_incident_matches_it_and_pablo_gets_the_handoff(
    page, live_server, sign_in, problems, open_tickets
):
    base = live_server.url
    matching, other = open_tickets

    # --- Marta writes the rule, with the preview following her conditions ----------------------
    sign_in("marta")
    go(page, f"{base}/escalation/")
    expect(page.locator("[data-testid=escalation-matrix]")).to_contain_text("Acme Networks")
    page.click("[data-testid=rules-link]")
    expect(page).to_have_url(f"{base}/escalation/rules/")
    page.click("[data-testid=rule-new]")
    expect(page).to_have_url(f"{base}/escalation/rules/new/")
    preview = page.locator("[data-testid=rule-preview]")
    page.fill("#id_name", RULE)
    page.select_option("#id_trigger", "created")
    page.check("input[name=priorities][value='1']")
    page.check("input[name=functional_areas][value=networks]")
    expect(preview.locator("[data-testid=preview-summary]")).to_have_attribute("data-count", "1")
    expect(preview.locator(f"[data-ticket='{matching.number}']")).to_be_visible()
    expect(preview.locator(f"[data-ticket='{other.number}']")).to_have_count(0)
    page.select_option("#id_reassign_level", "L2")
    page.check("input[name=notify][value=internal_managers]")
    settle(page)
    with page.expect_navigation():
        page.click("[data-testid=rule-save]")
    expect(page).to_have_url(f"{base}/escalation/rules/")
    rule = EscalationRule.objects.get(name=RULE)
    assert (rule.trigger, rule.priorities, rule.functional_areas, rule.reassign_level) == (
        "created",
        [1],
        ["networks"],
        "L2",
    )
    expect(page.locator(f"[data-testid=rule-row][data-rule='{rule.pk}']")).to_contain_text(RULE)
    problems.assert_none()

    # --- Ana opens a P1 networks incident through the form ---------------------------------------
    sign_out(page)
    sign_in("ana")
    go(page, f"{base}/tickets/new/")
    page.select_option("#id_type", "incident")
    page.fill("#id_title", TITLE)
    page.select_option("#id_impact", "high")
    page.select_option("#id_urgency", "high")
    expect(page.locator("[data-priority-badge]")).to_have_text("P1")
    page.select_option("#id_functional_area", "networks")
    page.select_option("#id_support_level", "L1")
    settle(page)
    with page.expect_navigation():
        page.click("[data-testid=create-submit]")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/tickets/INC-\d{{6}}/$"))
    number = page.locator("[data-testid=ticket-number]").inner_text().strip()

    # --- the escalation is in the timeline: the rule fired and handed the ticket to Acme --------
    timeline = page.locator("#timeline")
    fired = timeline.locator("[data-testid=tl-event][data-action='escalation.fired']")
    expect(fired).to_have_count(1)
    expect(fired).to_contain_text(RULE)
    expect(timeline.locator("[data-testid=tl-handoff]")).to_contain_text("Acme Networks")
    expect(page.locator("[data-testid=ticket-team]")).to_contain_text("Acme Networks")
    [event] = EscalationEvent.objects.filter(rule=rule, ticket__number=number)
    assert [a["action"] for a in event.actions] == ["handoff", "notify"]
    problems.assert_none()

    # --- Pablo finds the new handoff in his portal ------------------------------------------------
    sign_out(page)
    sign_in("pablo")
    go(page, f"{base}/partner/handoffs/")
    card = page.locator(f"[data-testid=handoff-card][data-ticket='{number}']")
    expect(card).to_contain_text(TITLE)
    expect(card).to_contain_text(RULE)  # the generated summary names the rule
    go(page, f"{base}/partner/escalation/")
    expect(page.locator("[data-testid=escalation-rules]")).to_contain_text("P1")
    expect(page.locator("[data-testid=escalation-matrix]")).not_to_contain_text("Shadow")
    problems.assert_none()

    # --- Marta's bell counts the notification; she marks it read in place -------------------------
    sign_out(page)
    sign_in("marta")
    settle(page)
    count = page.locator("[data-testid=notification-count]")
    expect(count).to_have_attribute("data-count", "1")
    page.click("[data-testid=notification-bell]")
    expect(page).to_have_url(f"{base}/notifications/")
    row = page.locator("[data-testid=notification]").first
    expect(row).to_contain_text(number)
    expect(row).to_have_attribute("data-read", "false")
    page.evaluate("() => { window.__sameDocument = true; }")
    row.locator("[data-testid=notification-read]").click()
    expect(page.locator("[data-testid=notification]").first).to_have_attribute("data-read", "true")
    expect(count).to_have_attribute("data-count", "0")
    assert page.evaluate("() => window.__sameDocument === true")
    problems.assert_none()
