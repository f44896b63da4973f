#!/usr/bin/env python3
"""Take the documentation screenshots of a running cogest (docs/screenshots/*.png, 1366x900).

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000
    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 --language es --out /tmp/shots

Needs the demo world (`manage.py seed_demo`) and Chromium (Debian's /usr/bin/chromium; never
`playwright install`). With ``--language en|es`` each user's language is switched through the
user menu for the shots and switched back afterwards (both changes land in the audit trail);
``--language profile`` keeps each user's own language (the demo users speak Spanish).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

VIEWPORT = {"width": 1366, "height": 900}
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit].btn-primary")
    page.wait_for_load_state("networkidle")
    if "/login/" in page.url:
        raise SystemExit(f"could not sign in as {username!r} (is the demo world seeded?)")


def set_language(page: Page, language: str) -> str:
    """Switch the signed-in user's language with the user menu; return the previous one."""
    page.click("button.user-menu")
    select = page.locator("#pref-language")
    previous = select.input_value()
    if previous != language:
        select.select_option(language)
        page.click("form[action$='/preferences/'] button[type=submit]")
        page.wait_for_load_state("networkidle")
    else:
        page.keyboard.press("Escape")
    return previous


def shoot(page: Page, out: Path, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.mouse.move(0, 0)  # no hover effects in the picture
    path = out / name
    page.screenshot(path=str(path))
    print(f"  {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="where cogest runs, e.g. http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots", help="folder for the PNG files")
    parser.add_argument("--password", default="cogest-demo", help="the demo users' password")
    parser.add_argument("--language", choices=["en", "es", "profile"], default="en")
    parser.add_argument("--engagement", default="Acme", help="text of the engagement to show")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    args = parser.parse_args(argv)

    base = args.base_url.rstrip("/")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)

        def session(username: str | None):
            context = browser.new_context(viewport=VIEWPORT, locale="en-US")
            page = context.new_page()
            restore = None
            if username:
                sign_in(page, base, username, args.password)
                if args.language != "profile":
                    restore = set_language(page, args.language)
            return context, page, restore

        @contextlib.contextmanager
        def as_user(username: str | None):
            context, page, restore = session(username)
            try:
                yield page
            finally:
                if restore and restore != args.language:
                    page.goto(f"{base}/")
                    set_language(page, restore)
                context.close()

        with as_user(None) as page:
            page.goto(f"{base}/login/")
            if args.language != "profile":
                page.click(f"button[name=language][value={args.language}]")
            shoot(page, out, "login.png")

        with as_user("ana") as page:
            page.goto(f"{base}/")
            shoot(page, out, "home-internal-ana.png")
            page.goto(f"{base}/engagements/")
            page.get_by_role("link", name=args.engagement).first.click()
            shoot(page, out, "engagement-detail.png")
            page.goto(f"{base}/matrix/")
            shoot(page, out, "matrix.png")

        with as_user("marta") as page:
            page.goto(f"{base}/")
            governance = page.locator("[data-testid=governance]")
            if governance.count():  # what a manager's home adds: show it, not the top again
                governance.scroll_into_view_if_needed()
            shoot(page, out, "home-manager-marta.png")
            page.goto(f"{base}/sla/")
            page.wait_for_timeout(800)  # the charts draw
            shoot(page, out, "sla-dashboard-marta.png")
            page.goto(f"{base}/sla/reviews/")
            reviews = page.locator("main a[href*='/sla/reviews/']")
            if reviews.count():
                reviews.first.click()
                shoot(page, out, "kpi-review-marta.png")
            page.goto(f"{base}/cmdb/proposals/")
            proposal = page.locator("main a[href*='/cmdb/proposals/']")
            if proposal.count():
                proposal.first.click()
                shoot(page, out, "cmdb-proposal-marta.png")
            page.goto(f"{base}/escalation/rules/")
            shoot(page, out, "escalation-rules-marta.png")
            page.goto(f"{base}/escalation/")
            shoot(page, out, "escalation-matrix-marta.png")
            page.goto(f"{base}/notifications/")
            shoot(page, out, "notifications-marta.png")

        with as_user("ana") as page:
            page.goto(f"{base}/tickets/?sla=breached")
            shoot(page, out, "tickets-sla-breached-ana.png")
            first = page.locator("[data-testid=ticket-row] a, table tbody tr a").first
            if first.count():
                first.click()
                page.wait_for_load_state("networkidle")
                page.goto(page.url.rstrip("/") + "/sla/")
                shoot(page, out, "ticket-clocks-explained-ana.png")

        with as_user("ivan") as page:
            page.goto(f"{base}/cmdb/cis/")
            shoot(page, out, "cmdb-list-ivan.png")
            page.goto(f"{base}/cmdb/cis/?q=MAD-CORE-01")
            page.locator("[data-testid=ci-row] a").first.click()
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1000)  # the graph lays itself out
            shoot(page, out, "cmdb-ci-core-switch-ivan.png")
            page.goto(f"{base}/cmdb/runbooks/")
            shoot(page, out, "runbooks-ivan.png")
            runbook = page.locator("main a[href*='/cmdb/runbooks/']", has_text="Core switch")
            if runbook.count():
                runbook.first.click()
                shoot(page, out, "runbook-ivan.png")
            page.goto(f"{base}/cmdb/imports/new/")
            shoot(page, out, "cmdb-import-ivan.png")

        with as_user("pablo") as page:
            page.goto(f"{base}/partner/cmdb/cis/")
            shoot(page, out, "partner-cmdb-pablo.png")
            page.goto(f"{base}/partner/cmdb/cis/?q=SW-BCN-P1-01")
            page.locator("[data-testid=ci-row] a").first.click()
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1000)
            shoot(page, out, "partner-ci-pablo.png")

        with as_user("pablo") as page:
            page.goto(f"{base}/partner/")
            shoot(page, out, "partner-home-pablo.png")
            page.goto(f"{base}/partner/escalation/")
            shoot(page, out, "partner-escalation-pablo.png")

        with as_user("lucia") as page:
            page.goto(f"{base}/partner/kpis/")
            page.wait_for_timeout(800)
            shoot(page, out, "partner-kpis-lucia.png")

        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
