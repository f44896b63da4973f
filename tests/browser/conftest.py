"""Browser fixtures: the demo world committed for the live server, sign-in, and a page watchdog.

The live server runs in another thread with its own database connection, so the demo world must
be committed: ``transactional_db``, not the ``demo`` fixture of ``tests/conftest.py`` (which sits
inside the test's transaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

DEMO_PASSWORD = "cogest-demo"


@pytest.fixture
def live_demo(transactional_db, live_server):
    """The demo world of SPEC 6, committed so the live server thread sees it."""
    from cogest.demo import seed

    return seed()


@dataclass
class PageProblems:
    """What went wrong in the browser while a test ran: console errors, page errors, requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.console_errors, *self.page_errors, *self.failed_requests, *self.bad_responses]

    def assert_none(self) -> None:
        assert self.all() == [], "the browser reported problems:\n" + "\n".join(self.all())


@pytest.fixture
def problems(page):
    """Collects console errors (a CSP violation is one), uncaught errors and failed requests.

    A test ends with ``problems.assert_none()``, so a blocked inline script, a missing
    stylesheet or a 404 on a static file fails it.
    """
    found = PageProblems()
    page.on(
        "console",
        lambda msg: (
            found.console_errors.append(f"console {msg.type}: {msg.text} @ {msg.location}")
            if msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda exc: found.page_errors.append(f"page error: {exc}"))
    page.on(
        "requestfailed",
        lambda req: found.failed_requests.append(f"request failed: {req.url} ({req.failure})"),
    )
    page.on(
        "response",
        lambda resp: (
            found.bad_responses.append(f"HTTP {resp.status}: {resp.url}")
            if resp.status >= 400
            else None
        ),
    )
    return found


@pytest.fixture
def sign_in(page, live_server, live_demo):
    """``sign_in(username, password=DEMO_PASSWORD)``: fill and submit the real login form."""

    def do(username: str, password: str = DEMO_PASSWORD) -> None:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form:has(input[name=password]) button[type=submit]")

    return do
