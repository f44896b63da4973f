"""The home page of each audience, driven in a real browser against a live server.

Assertions use data (team, organization and engagement names), ``data-testid`` attributes, URLs
and ``html[lang]``, never English UI wording: the demo people mostly read Spanish.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

ACME_ENGAGEMENT = "Acme MSP — networks and security"
SHADOW_ENGAGEMENT = "Shadow Partners — backup desk"


def assert_assets_loaded(page: Page) -> None:
    """Every stylesheet and script of the shell was served and parsed (static files work)."""
    sheets = page.evaluate(
        "() => [...document.styleSheets].filter(s => s.href)"
        ".map(s => ({href: s.href, rules: s.cssRules.length}))"
    )
    assert len(sheets) == 3, sheets
    assert all(sheet["rules"] > 0 for sheet in sheets), sheets
    assert page.evaluate("() => typeof window.bootstrap") == "object"
    assert page.evaluate("() => typeof window.htmx") in {"object", "function"}


def card_titles(page: Page, card: str) -> list[str]:
    return sorted(t.strip() for t in page.locator(f"{card} h3").all_inner_texts())


def open_user_menu(page: Page) -> None:
    page.click(".user-menu")
    expect(page.locator(".user-menu-panel")).to_be_visible()


def test_internal_agent_signs_in_and_sees_teams_engagements_and_matrix(
    page, live_server, sign_in, problems
):
    # when
    sign_in("ana")
    # then
    expect(page).to_have_url(f"{live_server.url}/")
    html = page.locator("html")
    expect(html).to_have_attribute("data-audience", "internal")
    expect(html).to_have_attribute("lang", "es")  # ana's profile language
    expect(page.locator(".topbar .org-chip")).to_contain_text("Northwind IT")
    assert card_titles(page, "[data-testid=team-card]") == ["Service Desk"]
    assert card_titles(page, ".engagement-card") == [ACME_ENGAGEMENT, SHADOW_ENGAGEMENT]
    matrix = page.locator(".matrix-table")
    expect(matrix).to_contain_text("Acme Networks")
    expect(matrix).to_contain_text("Service Desk")
    assert_assets_loaded(page)
    problems.assert_none()


def test_provider_agent_lands_on_partner_portal_and_sees_only_his_provider(
    page, live_server, sign_in, problems
):
    # when
    sign_in("pablo")
    # then
    expect(page).to_have_url(f"{live_server.url}/partner/")
    expect(page.locator("html")).to_have_attribute("data-audience", "partner")
    expect(page.locator(".topbar .org-chip")).to_contain_text("Acme MSP")
    assert card_titles(page, "[data-testid=team-card]") == ["Acme Networks"]
    assert card_titles(page, ".engagement-card") == [ACME_ENGAGEMENT]
    expect(page.locator(".matrix-table")).to_contain_text("Acme Networks")
    # no other provider leaks into the page: not in the text, not in the markup
    text, markup = page.inner_text("body"), page.content()
    for leak in ("Shadow Partners", "Shadow Desk", "Sam Taylor"):
        assert leak not in text
        assert leak not in markup
    assert not re.search(r"\bsam\b", text, re.IGNORECASE)
    assert not re.search(r"\bsam\b", markup, re.IGNORECASE)
    assert_assets_loaded(page)

    # when: he opens the internal home
    page.goto(f"{live_server.url}/")
    # then: he is sent back to the partner portal
    expect(page).to_have_url(f"{live_server.url}/partner/")
    problems.assert_none()


def test_wrong_password_shows_an_error_and_stays_on_login(page, live_server, sign_in, problems):
    # when
    sign_in("ana", password="not-her-password")
    # then
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/login/"))
    expect(page.locator(".alert-danger[role=alert]")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-audience", "public")
    expect(page.locator("input[name=username]")).to_have_value("ana")
    assert_assets_loaded(page)
    problems.assert_none()


def test_sign_out_from_user_menu_returns_to_login(page, live_server, sign_in, problems):
    # given
    sign_in("ana")
    expect(page).to_have_url(f"{live_server.url}/")
    # when
    open_user_menu(page)
    with page.expect_navigation():
        page.click("[data-testid=logout]")
    # then
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/login/"))
    expect(page.locator("input[name=password]")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    problems.assert_none()


def test_language_preference_switches_the_page_language(page, live_server, sign_in, problems):
    # given: ana reads Spanish
    sign_in("ana")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "es")
    save = "form[action$='/preferences/'] button[type=submit]"

    for language in ("en", "es"):
        # when
        open_user_menu(page)
        page.select_option("#pref-language", language)
        with page.expect_navigation():
            page.click(save)
        # then: back on the same page, in the chosen language, and it sticks
        expect(page).to_have_url(f"{live_server.url}/")
        expect(html).to_have_attribute("lang", language)
        page.reload()
        expect(html).to_have_attribute("lang", language)
        expect(page.locator("#pref-language")).to_have_value(language)
    problems.assert_none()
