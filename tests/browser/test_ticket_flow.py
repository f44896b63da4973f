"""A ticket's life across the two organizations, in a real browser against a live server.

Ana (Northwind IT, Service Desk) opens an incident through the form, writes an internal note and
a public answer (the timeline grows without a page load), and hands the ticket to Acme Networks
with a checklist. Pablo (Acme MSP) accepts it from his handoff inbox and resolves it; he never
sees Ana's internal note. Ana comes back and reads the whole story.

Assertions use data (titles, numbers, comment text), ``data-testid`` attributes and URLs, never
UI wording: the demo people read Spanish.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

TITLE = "Core switch port flapping in Madrid"
INTERNAL_NOTE = "Internal: the switch admin password is in the vault"
PUBLIC_ANSWER = "We are looking into it; expect an update within the hour."
SUMMARY = "Port Gi1/0/24 flaps every few minutes; needs Acme's network team."
RESOLUTION = "Replaced the SFP module on Gi1/0/24."


def settle(page: Page) -> None:
    """Let the page finish its requests (the favicon too) before leaving it, so leaving does not
    abort one (the ``problems`` watchdog counts aborted requests)."""
    page.wait_for_load_state("networkidle")


def go(page: Page, url: str) -> None:
    settle(page)
    page.goto(url)
    settle(page)


def sign_out(page: Page) -> None:
    settle(page)
    page.context.clear_cookies()


def post_without_reload(page: Page, action) -> None:
    """Run ``action`` and check the document was not reloaded (an htmx swap, not a navigation)."""
    page.evaluate("() => { window.__sameDocument = true; }")
    action()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => window.__sameDocument === true")


def test_ticket_is_opened_commented_handed_off_accepted_and_resolved(
    page, live_server, sign_in, problems
):
    base = live_server.url

    # --- Ana opens an incident at L1: routed to the Service Desk ---------------------------------
    sign_in("ana")
    go(page, f"{base}/tickets/")
    page.keyboard.press("c")  # the create shortcut
    expect(page).to_have_url(f"{base}/tickets/new/")
    page.select_option("#id_type", "incident")
    page.fill("#id_title", TITLE)
    page.fill("#id_description", "Users on floor 2 lose the network **every few minutes**.")
    page.select_option("#id_impact", "high")
    page.select_option("#id_urgency", "medium")
    expect(page.locator("[data-priority-badge]")).to_have_text("P2")
    page.select_option("#id_functional_area", "networks")
    page.select_option("#id_support_level", "L1")
    settle(page)
    with page.expect_navigation():
        page.click("[data-testid=create-submit]")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/tickets/INC-\d{{6}}/$"))
    number = page.locator("[data-testid=ticket-number]").inner_text().strip()
    expect(page.locator("[data-testid=ticket-team]")).to_contain_text("Service Desk")
    expect(page.locator(".ticket-description strong")).to_have_text("every few minutes")
    timeline = page.locator("#timeline")

    # --- an internal note, then a public answer: the timeline grows in place --------------------
    expect(page.locator("[data-testid=vis-internal]")).to_be_checked()
    expect(page.locator("[data-testid=audience-internal]")).to_contain_text("Northwind IT")

    def comment(visibility: str, text: str) -> None:
        page.check(f"[data-testid=vis-{visibility}]")
        page.fill("#id_comment-body", text)
        page.click("[data-testid=comment-submit]")
        expect(
            timeline.locator("[data-testid=tl-comment]").filter(has_text=text)
        ).to_have_attribute("data-visibility", visibility)

    post_without_reload(page, lambda: comment("internal", INTERNAL_NOTE))
    expect(page.locator("#id_comment-body")).to_have_value("")
    expect(page.locator("[data-testid=vis-internal]")).to_be_checked()  # back to the default
    post_without_reload(page, lambda: comment("public", PUBLIC_ANSWER))

    # --- hand off to Acme Networks with the checklist -----------------------------------------
    page.click("[data-testid=handoff-toggle]")
    form = page.locator("[data-testid=handoff-form]")
    expect(form).to_be_visible()
    form.locator("#id_handoff-team").select_option(label="Acme Networks · Acme MSP")
    form.locator("#id_handoff-summary").fill(SUMMARY)
    form.locator("#id_handoff-steps_tried").fill("Cable and patch panel checked")
    form.locator("#id_handoff-evidence").fill("Interface error counters")
    form.locator("#id_handoff-affected_cis").fill("SW-MAD-CORE-01")
    form.locator("#id_handoff-impact").fill("Floor 2, about 40 people")
    post_without_reload(page, lambda: form.locator("button[type=submit]").click())
    expect(page.locator("[data-testid=handoff-pending]")).to_contain_text("Acme Networks")
    expect(page.locator("[data-testid=tl-handoff]")).to_contain_text(SUMMARY)
    expect(page.locator("[data-testid=ticket-team]")).to_contain_text("Acme Networks")
    problems.assert_none()

    # --- Pablo accepts it from his handoff inbox ---------------------------------------------
    sign_out(page)
    sign_in("pablo")
    go(page, f"{base}/partner/handoffs/")
    card = page.locator(f"[data-testid=handoff-card][data-ticket='{number}']")
    expect(card).to_contain_text(SUMMARY)
    expect(card).to_contain_text("Cable and patch panel checked")
    post_without_reload(page, lambda: card.locator("[data-testid=handoff-accept]").click())
    outcome = card.locator("[data-testid=handoff-outcome]")
    expect(outcome).to_have_attribute("data-status", "accepted")
    settle(page)
    with page.expect_navigation():
        outcome.locator("[data-testid=open-ticket]").click()
    expect(page).to_have_url(f"{base}/partner/tickets/{number}/")
    assert INTERNAL_NOTE not in page.content()
    expect(page.locator("#timeline")).to_contain_text(PUBLIC_ANSWER)

    # --- ... works it and resolves it ----------------------------------------------------------
    ticket_page = page.locator("#ticket-page")
    post_without_reload(page, lambda: page.click("[data-transition=in_progress]"))
    expect(ticket_page).to_have_attribute("data-status", "in_progress")
    page.click("[data-transition=resolved]")
    resolve = page.locator("[data-testid=transition-resolved-form]")
    expect(resolve).to_be_visible()
    resolve.locator("#id_transition-resolution_code").select_option("fixed")
    resolve.locator("#id_transition-resolution").fill(RESOLUTION)
    post_without_reload(page, lambda: resolve.locator("button[type=submit]").click())
    expect(ticket_page).to_have_attribute("data-status", "resolved")
    expect(page.locator("[data-testid=resolution]")).to_contain_text(RESOLUTION)
    assert INTERNAL_NOTE not in page.content()
    problems.assert_none()

    # --- Ana reads the whole story ------------------------------------------------------------
    sign_out(page)
    sign_in("ana")
    go(page, f"{base}/tickets/{number}/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text(INTERNAL_NOTE)
    expect(timeline).to_contain_text(PUBLIC_ANSWER)
    expect(timeline.locator("[data-testid=tl-handoff]")).to_contain_text(SUMMARY)
    expect(timeline.locator("[data-testid=tl-handoff-accepted]")).to_contain_text("Pablo")
    resolved = timeline.locator("[data-testid=tl-event][data-action='ticket.status_changed']")
    expect(resolved.filter(has_text=RESOLUTION)).to_have_count(1)
    expect(page.locator("#ticket-page")).to_have_attribute("data-status", "resolved")
    problems.assert_none()


def test_ticket_list_keyboard_and_global_search(page, live_server, sign_in, problems):
    base = live_server.url
    sign_in("ana")
    # open two tickets through the form
    for title in ("Mouse not working", "Keyboard not working"):
        go(page, f"{base}/tickets/new/")
        page.fill("#id_title", title)
        page.select_option("#id_functional_area", "devices")
        settle(page)
        with page.expect_navigation():
            page.click("[data-testid=create-submit]")
    number = page.locator("[data-testid=ticket-number]").inner_text().strip()

    # "/" focuses the list's search; typing filters the table in place
    go(page, f"{base}/tickets/")
    page.keyboard.press("/")
    expect(page.locator("#id_q")).to_be_focused()
    page.keyboard.type("Mouse")
    rows = page.locator("[data-testid=ticket-row]")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=Mouse"))

    # j/k move a highlighted row, Enter opens it
    go(page, f"{base}/tickets/")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")
    expect(rows.first).to_have_class(re.compile(r"is-current"))
    settle(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/tickets/[A-Z]{{3}}-\d{{6}}/$"))

    # the top bar's search jumps straight to a ticket number
    settle(page)
    page.fill("#global-search", number.lower())
    with page.expect_navigation():
        page.press("#global-search", "Enter")
    expect(page).to_have_url(f"{base}/tickets/{number}/")
    problems.assert_none()
