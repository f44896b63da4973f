"""``manage.py seed_demo``: the demo world of SPEC 6, idempotent, every password cogest-demo."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cogest.models import (
    AuditEvent,
    BusinessCalendar,
    Engagement,
    Organization,
    ResponsibilityRule,
    Team,
    UserProfile,
)
from cogest.services import audit_verify

User = get_user_model()

ALL_AREAS = [
    "systems",
    "networks",
    "devices",
    "cybersecurity",
    "applications",
    "backups",
    "monitoring",
]

# username: (organization slug, role)
PEOPLE = {
    "admin": ("internal", "admin"),
    "ana": ("internal", "agent"),
    "ivan": ("internal", "agent"),
    "marta": ("internal", "manager"),
    "pablo": ("acme", "agent"),
    "lucia": ("acme", "manager"),
    "sam": ("shadow", "agent"),
    "rita": ("internal", "requester"),
}

# slug: (name, organization slug, areas, levels)
TEAMS = {
    "service-desk": ("Service Desk", "internal", ALL_AREAS, ["L1"]),
    "internal-systems": ("Internal Systems", "internal", ["systems", "devices"], ["L2"]),
    "acme-networks": ("Acme Networks", "acme", ["networks"], ["L2"]),
    "acme-security": ("Acme Security", "acme", ["cybersecurity"], ["L2", "L3"]),
    "shadow-desk": ("Shadow Desk", "shadow", ALL_AREAS, ["L1", "L2"]),
}


def snapshot() -> dict:
    """Every core row by its natural key, with what SPEC 6 describes about it."""
    return {
        "organizations": sorted(Organization.objects.values_list("pk", "slug", "name", "kind")),
        "teams": sorted(
            (t.pk, t.slug, t.organization.slug, tuple(t.support_levels), t.lead.username)
            for t in Team.objects.select_related("organization", "lead")
        ),
        "members": sorted(Team.members.through.objects.values_list("team_id", "user_id")),
        "users": sorted(
            UserProfile.objects.values_list(
                "user_id", "user__username", "organization__slug", "role"
            )
        ),
        "engagements": sorted(Engagement.objects.values_list("pk", "name", "model")),
        "matrix": sorted(
            ResponsibilityRule.objects.values_list(
                "pk", "functional_area", "support_level", "ticket_type", "team__slug"
            )
        ),
        "calendars": sorted(BusinessCalendar.objects.values_list("pk", "name")),
    }


@pytest.fixture(autouse=True)
def _core_part_only(monkeypatch):
    """These tests are about the core's demo world; the tickets' part (200 tickets played
    through the services) has its own tests in tests/tickets/test_demo.py."""
    monkeypatch.setattr("cogest.management.commands.seed_demo.DEMO_APPS", ["cogest"])


@pytest.fixture
def seeded(db):
    call_command("seed_demo", stdout=StringIO())
    return snapshot()


def test_seed_demo_twice_gives_the_same_world(seeded):
    # when
    out = StringIO()
    call_command("seed_demo", stdout=out)
    # then
    assert snapshot() == seeded
    assert "Demo world ready" in out.getvalue()
    assert len(seeded["organizations"]) == 3
    assert len(seeded["teams"]) == 5
    assert len(seeded["users"]) == User.objects.count() == 8
    assert len(seeded["engagements"]) == 2
    assert len(seeded["matrix"]) == 12
    assert len(seeded["calendars"]) == 2


def test_the_organizations_are_those_of_the_spec(seeded):
    assert {(slug, name, kind) for _pk, slug, name, kind in seeded["organizations"]} == {
        ("internal", "Northwind IT", "internal"),
        ("acme", "Acme MSP", "provider"),
        ("shadow", "Shadow Partners", "provider"),
    }


def test_the_teams_are_those_of_the_spec(seeded):
    for slug, (name, org, areas, levels) in TEAMS.items():
        team = Team.objects.select_related("organization").get(slug=slug)
        assert (team.name, team.organization.slug) == (name, org), slug
        assert team.functional_areas == areas, slug
        assert team.support_levels == levels, slug
        assert team.lead in team.members.all(), slug
        assert {m.profile.organization.slug for m in team.members.all()} == {org}, slug
    assert Team.objects.get(slug="service-desk").members.filter(username="ana").exists()
    assert Team.objects.get(slug="internal-systems").members.filter(username="ivan").exists()
    assert Team.objects.get(slug="acme-networks").members.filter(username="pablo").exists()
    assert Team.objects.get(slug="shadow-desk").members.filter(username="sam").exists()


def test_every_demo_person_has_the_spec_role_and_the_demo_password(seeded):
    for username, (org, role) in PEOPLE.items():
        user = User.objects.select_related("profile__organization").get(username=username)
        assert (user.profile.organization.slug, user.profile.role) == (org, role), username
        assert user.is_active, username
        assert user.check_password("cogest-demo"), username
        assert not user.check_password("cogest-demo "), username
        assert user.is_superuser == (role == "admin"), username
    assert User.objects.get(username="admin").is_staff


def test_the_engagements_are_those_of_the_spec(seeded):
    acme = Engagement.objects.get(provider__slug="acme")
    assert acme.model == "co_managed"
    assert acme.scope_areas == ["networks", "cybersecurity"]
    assert acme.scope_levels == ["L2", "L3"]
    assert {t.slug for t in acme.teams.all()} == {"acme-networks", "acme-security"}
    assert (acme.internal_owner.username, acme.provider_owner.username) == ("marta", "lucia")
    shadow = Engagement.objects.get(provider__slug="shadow")
    assert shadow.model == "shadow"
    assert shadow.scope_areas == ALL_AREAS
    # The core part leaves the automatic causes off: escalation.demo switches them on after the
    # demo tickets are played (tests/escalation/test_demo.py).
    assert not shadow.shadow_on_absence and not shadow.shadow_out_of_hours
    assert shadow.shadow_for_team.slug == "service-desk"
    for engagement in (acme, shadow):
        engagement.full_clean()
        assert engagement.kpi_targets


def test_the_matrix_routes_every_area_at_l1_and_provider_work_through_engagements(seeded):
    l1 = ResponsibilityRule.objects.filter(support_level="L1")
    assert sorted(l1.values_list("functional_area", flat=True)) == sorted(ALL_AREAS)
    assert set(l1.values_list("team__slug", flat=True)) == {"service-desk"}
    for rule in ResponsibilityRule.objects.select_related("team__organization", "engagement"):
        rule.full_clean()
        assert (rule.engagement_id is not None) == rule.team.organization.is_provider
    networks = ResponsibilityRule.objects.get(functional_area="networks", support_level="L2")
    assert networks.team.slug == "acme-networks"


def test_the_calendars_are_madrid_office_hours_and_24x7(seeded):
    madrid = BusinessCalendar.objects.get(name="Madrid office hours")
    assert (madrid.timezone, madrid.holiday_country, madrid.holiday_region) == (
        "Europe/Madrid",
        "ES",
        "",
    )
    assert sorted(madrid.intervals.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    assert {(i.starts.hour, i.ends.hour) for i in madrid.intervals.all()} == {(8, 18)}
    assert BusinessCalendar.objects.get(name="24x7").is_24x7


def test_seeding_again_repairs_a_changed_demo_world(seeded):
    # given someone changed the demo world
    pablo = User.objects.get(username="pablo")
    pablo.is_active = False
    pablo.save()
    UserProfile.objects.filter(user__username="marta").update(role="agent")
    Team.objects.get(slug="acme-networks").members.remove(pablo)
    # when
    call_command("seed_demo", stdout=StringIO())
    # then the described state is back
    assert snapshot() == seeded
    pablo.refresh_from_db()
    assert pablo.is_active


def test_seeding_is_audited_and_the_chain_verifies(seeded):
    call_command("seed_demo", stdout=StringIO())
    seeded_events = AuditEvent.objects.filter(action="demo.seeded")
    assert seeded_events.count() == 2
    assert set(seeded_events.values_list("request_id", flat=True)) == {"seed_demo"}
    assert AuditEvent.objects.filter(action="user.created").count() == 8
    report = audit_verify()
    assert report.ok
    assert report.checked == AuditEvent.objects.count()
