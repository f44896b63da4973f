"""The partner portal as Acme's people use it (issue: partner portal): Pablo accepts a handoff,
comments, logs work and resolves; tickets outside Acme's scope answer 404; Lucía, Acme's
manager, sees her teams' workload. Assertions use data and ``data-testid``, not UI wording."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tickets.models import Ticket, WorkLog
from tickets.services import ticket_create, ticket_handoff

pytestmark = pytest.mark.browser

SUMMARY = "Firewall drops VPN sessions every hour; L1 checks done."
ACME_NOTE = "Acme: checking the IPsec lifetime on FW-MAD-01"


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")


@pytest.fixture
def tickets(live_demo):
    users, teams = live_demo.users, live_demo.teams
    handed = ticket_create(
        by=users["ana"],
        type="incident",
        title="VPN sessions drop hourly",
        functional_area="networks",
    )
    ticket_handoff(
        ticket=handed,
        by=users["ana"],
        team=teams["acme-networks"],
        summary=SUMMARY,
        checklist={"steps_tried": ["Restarted the VPN client"]},
    )
    internal = ticket_create(
        by=users["ana"],
        type="incident",
        title="Payroll export fails",
        functional_area="applications",
    )
    shadow = ticket_create(
        by=users["ana"], type="service_request", title="Printer toner", functional_area="devices"
    )
    ticket_handoff(ticket=shadow, by=users["ana"], team=teams["shadow-desk"], summary="cover")
    return {"handed": handed, "internal": internal, "shadow": shadow}


def test_pablo_accepts_comments_logs_work_and_resolves(
    page, live_server, sign_in, problems, tickets
):
    base, number = live_server.url, tickets["handed"].number
    sign_in("pablo")
    settle(page)
    page.goto(f"{base}/partner/handoffs/")
    card = page.locator(f"[data-testid=handoff-card][data-ticket='{number}']")
    expect(card).to_contain_text(SUMMARY)
    card.locator("[data-testid=handoff-accept]").click()
    expect(card.locator("[data-testid=handoff-outcome]")).to_have_attribute(
        "data-status", "accepted"
    )
    settle(page)
    page.goto(f"{base}/partner/tickets/{number}/")
    # comment, internal to Acme
    page.check("[data-testid=vis-internal]")
    page.fill("#id_comment-body", ACME_NOTE)
    page.click("[data-testid=comment-submit]")
    expect(
        page.locator("#timeline [data-testid=tl-comment]").filter(has_text=ACME_NOTE)
    ).to_have_attribute("data-visibility", "internal")
    # log work
    form = page.locator("[data-testid=worklog-form]")
    form.locator("#id_worklog-minutes").fill("35")
    form.locator("#id_worklog-description").fill("Raised the IPsec SA lifetime")
    form.locator("button[type=submit]").click()
    expect(page.locator("#timeline [data-testid=tl-worklog]")).to_have_count(1)
    # resolve
    page.click("[data-transition=in_progress]")
    expect(page.locator("#ticket-page")).to_have_attribute("data-status", "in_progress")
    page.click("[data-transition=resolved]")
    resolve = page.locator("[data-testid=transition-resolved-form]")
    resolve.locator("#id_transition-resolution").fill("SA lifetime aligned on both peers")
    resolve.locator("button[type=submit]").click()
    expect(page.locator("#ticket-page")).to_have_attribute("data-status", "resolved")
    settle(page)
    problems.assert_none()
    ticket = Ticket.objects.get(pk=tickets["handed"].pk)
    assert ticket.status == "resolved" and ticket.assignee.username == "pablo"
    assert WorkLog.objects.get(ticket=ticket).minutes == 35


@pytest.mark.parametrize("key", ["internal", "shadow"])
def test_pablo_cannot_open_tickets_outside_acmes_scope(page, live_server, sign_in, tickets, key):
    ticket = tickets[key]
    sign_in("pablo")
    settle(page)
    response = page.goto(f"{live_server.url}/partner/tickets/{ticket.number}/")
    assert response.status == 404
    assert ticket.title not in page.content()
    api = page.request.get(f"{live_server.url}/api/v1/tickets/{ticket.pk}/")
    assert api.status == 404


def test_lucia_sees_acmes_workload(page, live_server, sign_in, tickets):
    sign_in("lucia")
    settle(page)
    workload = page.locator("[data-testid=workload]")
    expect(workload).to_contain_text("Acme Networks")
    expect(workload).to_contain_text("Acme Security")
    expect(workload).not_to_contain_text("Shadow Desk")
    expect(workload).not_to_contain_text("Service Desk")
