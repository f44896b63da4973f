"""Fixtures of the core tests: a demo world with rows on every side, and raw SQL helpers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone, translation

from cogest.models import Absence, ResponsibilityRule
from cogest.services import audit_record


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English. A request by a Spanish-speaking user (ana) leaves Spanish
    active in the thread, as Django's LocaleMiddleware does; do not let it leak between tests."""
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def postgresql_only(db):
    """Skip, with a visible reason, a test that needs PostgreSQL (its trigger, its errors)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: set DATABASE_URL=postgres://... to run it")


def raw_sql_bypassing_audit_trigger(sql: str, params: list) -> None:
    """Run ``sql`` as someone with direct database access would, to simulate tampering.

    On PostgreSQL the append-only trigger would refuse it; ``session_replication_role = replica``
    (a superuser setting) disables triggers for this statement only, inside the test transaction.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.fixture
def tamper():
    return raw_sql_bypassing_audit_trigger


@pytest.fixture
def world(demo):
    """The demo world plus what visibility tests need on every side: a matrix row routed to the
    shadow provider, absences of each organization and audit events by people of each one."""
    users, teams = demo.users, demo.teams
    shadow_rule = ResponsibilityRule(
        functional_area="applications",
        support_level="L2",
        team=teams["shadow-desk"],
        engagement=demo.engagements["shadow"],
    )
    shadow_rule.full_clean()
    shadow_rule.save()
    now = timezone.now()
    later = now + dt.timedelta(days=3)
    demo.rules = {
        "acme": ResponsibilityRule.objects.get(functional_area="networks", support_level="L2"),
        "shadow": shadow_rule,
        "internal": ResponsibilityRule.objects.get(functional_area="systems", support_level="L2"),
    }
    demo.absences = {
        "internal-team": Absence.objects.create(
            team=teams["service-desk"], starts_at=now, ends_at=later
        ),
        "internal-user": Absence.objects.create(user=users["ivan"], starts_at=now, ends_at=later),
        "acme-team": Absence.objects.create(
            team=teams["acme-security"], starts_at=now, ends_at=later
        ),
        "acme-user": Absence.objects.create(user=users["pablo"], starts_at=now, ends_at=later),
        "shadow-team": Absence.objects.create(
            team=teams["shadow-desk"], starts_at=now, ends_at=later
        ),
        "shadow-user": Absence.objects.create(user=users["sam"], starts_at=now, ends_at=later),
    }
    demo.events = {
        name: audit_record(actor=users[name], action="test.did_something")
        for name in ("ana", "rita", "pablo", "lucia", "sam")
    }
    demo.events["system"] = audit_record(
        actor=None, actor_label="system:test", action="test.job_ran"
    )
    return demo
