"""Shared fixtures: the demo world, API clients by role, and the system Chromium for Playwright."""

from __future__ import annotations

import os

import pytest
from rest_framework.test import APIClient

# Browser tests drive a live server from Playwright's event loop; Django needs to be told that
# its synchronous database calls from there are fine (shared/ENVIRONMENT.md).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Argon2 is the product's hasher (asserted in test_settings); tests hash fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_configuration():
    """The matrix, policies and calendars are kept per process (cogest.versioned); a rolled-back
    test sends no signal, so each test starts without them."""
    from cogest.versioned import VersionedValue

    VersionedValue.forget_all()
    yield
    VersionedValue.forget_all()


@pytest.fixture(autouse=True)
def _no_login_lockout_leftovers(db):
    """django-axes keeps failures in the database and the cache; start each test clean."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def demo(db):
    """The demo world of SPEC 6 (core part): organizations, teams, users, engagements, matrix."""
    from cogest.demo import seed

    return seed()


@pytest.fixture
def users(demo):
    return demo.users


@pytest.fixture
def api():
    """``api(user)``: a client authenticated with the user's real token; ``api()``: anonymous."""
    from rest_framework.authtoken.models import Token

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright drives Debian's Chromium; it never downloads a browser."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
