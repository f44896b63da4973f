"""The demo world of SPEC 6, core part: organizations, teams, people, engagements, the matrix.

Idempotent: every object is found by its natural key and brought to the described state. Later
apps add their part in their own ``demo.py`` (the ``seed_demo`` command runs them in layer order).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cogest.choices import EngagementModel, FunctionalArea, OrganizationKind, ReviewCadence
from cogest.models import (
    BusinessCalendar,
    CalendarInterval,
    Engagement,
    Organization,
    ResponsibilityRule,
    Team,
    UserProfile,
)
from cogest.roles import apply_role
from cogest.services import audit_record, user_create

User = get_user_model()
DEMO_PASSWORD = "cogest-demo"
ALL_AREAS = list(FunctionalArea.values)


@dataclass
class DemoWorld:
    """Handles to what the core seeded, for the apps that seed after it."""

    organizations: dict[str, Organization] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    engagements: dict[str, Engagement] = field(default_factory=dict)
    calendars: dict[str, BusinessCalendar] = field(default_factory=dict)
    cis: dict[str, object] = field(default_factory=dict)  # by asset tag (cmdb.demo)


ORGANIZATIONS = [
    ("internal", "Northwind IT", OrganizationKind.INTERNAL, "it@northwind.example"),
    ("acme", "Acme MSP", OrganizationKind.PROVIDER, "noc@acme-msp.example"),
    ("shadow", "Shadow Partners", OrganizationKind.PROVIDER, "desk@shadow-partners.example"),
]

# username: (first, last, organization, role, language)
PEOPLE = {
    "admin": ("Alex", "Admin", "internal", "admin", "en"),
    "ana": ("Ana", "García", "internal", "agent", "es"),
    "ivan": ("Iván", "López", "internal", "agent", "es"),
    "marta": ("Marta", "Ruiz", "internal", "manager", "es"),
    "pablo": ("Pablo", "Martín", "acme", "agent", "es"),
    "lucia": ("Lucía", "Fernández", "acme", "manager", "es"),
    "sam": ("Sam", "Taylor", "shadow", "agent", "en"),
    "rita": ("Rita", "Sánchez", "internal", "requester", "es"),
}

# slug: (name, organization, areas, levels, calendar, members, lead)
TEAMS = {
    "service-desk": (
        "Service Desk",
        "internal",
        ALL_AREAS,
        ["L1"],
        "madrid",
        ["ana", "marta"],
        "marta",
    ),
    "internal-systems": (
        "Internal Systems",
        "internal",
        ["systems", "devices"],
        ["L2"],
        "madrid",
        ["ivan", "marta"],
        "ivan",
    ),
    "acme-networks": (
        "Acme Networks",
        "acme",
        ["networks"],
        ["L2"],
        "madrid",
        ["pablo", "lucia"],
        "lucia",
    ),
    "acme-security": (
        "Acme Security",
        "acme",
        ["cybersecurity"],
        ["L2", "L3"],
        "madrid",
        ["lucia"],
        "lucia",
    ),
    "shadow-desk": ("Shadow Desk", "shadow", ALL_AREAS, ["L1", "L2"], "24x7", ["sam"], "sam"),
}


def _calendars(world: DemoWorld) -> None:
    madrid, _ = BusinessCalendar.objects.update_or_create(
        name="Madrid office hours",
        defaults={
            "timezone": "Europe/Madrid",
            "is_24x7": False,
            "holiday_country": "ES",
            "holiday_region": "",
        },
    )
    if not madrid.intervals.exists():
        CalendarInterval.objects.bulk_create(
            CalendarInterval(calendar=madrid, weekday=day, starts=dt.time(8), ends=dt.time(18))
            for day in range(5)
        )
    always, _ = BusinessCalendar.objects.update_or_create(
        name="24x7", defaults={"timezone": "Europe/Madrid", "is_24x7": True}
    )
    world.calendars = {"madrid": madrid, "24x7": always}


def _organizations(world: DemoWorld) -> None:
    for slug, name, kind, email in ORGANIZATIONS:
        org, _ = Organization.objects.update_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "contact_email": email}
        )
        world.organizations[slug] = org


def _people(world: DemoWorld) -> None:
    for username, (first, last, org_slug, role, language) in PEOPLE.items():
        org = world.organizations[org_slug]
        user = User.objects.filter(username=username).first()
        email = f"{username}@{'northwind' if org_slug == 'internal' else org_slug}.example"
        if user is None:
            user = user_create(
                username=username,
                organization=org,
                role=role,
                password=DEMO_PASSWORD,
                email=email,
                first_name=first,
                last_name=last,
                language=language,
            )
        else:
            UserProfile.objects.update_or_create(
                user=user, defaults={"organization": org, "role": role, "language": language}
            )
            user.is_active = True
            user.save(update_fields=["is_active"])
            apply_role(user, role=role, internal=org.is_internal)
        world.users[username] = user


def _teams(world: DemoWorld) -> None:
    for slug, (name, org_slug, areas, levels, calendar, members, lead) in TEAMS.items():
        team, _ = Team.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "organization": world.organizations[org_slug],
                "functional_areas": areas,
                "support_levels": levels,
                "calendar": world.calendars[calendar],
                "lead": world.users[lead],
                "contact_email": f"{slug}@example.com",
                "is_active": True,
            },
        )
        team.members.set([world.users[m] for m in members])
        world.teams[slug] = team


def _engagements(world: DemoWorld) -> None:
    acme, _ = Engagement.objects.update_or_create(
        name="Acme MSP — networks and security",
        defaults={
            "provider": world.organizations["acme"],
            "model": EngagementModel.CO_MANAGED,
            "scope_areas": ["networks", "cybersecurity"],
            "scope_levels": ["L2", "L3"],
            "starts_on": dt.date(2026, 1, 1),
            "internal_owner": world.users["marta"],
            "provider_owner": world.users["lucia"],
            "review_cadence": ReviewCadence.MONTHLY,
            "kpi_targets": {
                "sla_compliance_pct": 95,
                "mtta_minutes": 30,
                "mttr_hours": 6,
                "handoff_accept_minutes": 30,
                "reopen_rate_pct": 5,
            },
            "is_active": True,
        },
    )
    acme.teams.set([world.teams["acme-networks"], world.teams["acme-security"]])
    shadow, _ = Engagement.objects.update_or_create(
        name="Shadow Partners — backup desk",
        defaults={
            "provider": world.organizations["shadow"],
            "model": EngagementModel.SHADOW,
            "scope_areas": ALL_AREAS,
            "scope_levels": ["L1", "L2"],
            "starts_on": dt.date(2026, 1, 1),
            "internal_owner": world.users["marta"],
            "provider_owner": world.users["sam"],
            "review_cadence": ReviewCadence.QUARTERLY,
            "kpi_targets": {"sla_compliance_pct": 90, "handoff_accept_minutes": 30},
            "shadow_for_team": world.teams["service-desk"],
            # Its automatic causes (absence, out of hours, backlog over 20) are switched on by
            # escalation.demo, after the demo tickets are played: their stories route as told.
            "shadow_on_absence": False,
            "shadow_out_of_hours": False,
            "shadow_backlog_threshold": None,
            "is_active": True,
        },
    )
    shadow.teams.set([world.teams["shadow-desk"]])
    world.engagements = {"acme": acme, "shadow": shadow}


# (area, level, ticket type or "", team, engagement or None)
MATRIX = [
    *[(area, "L1", "", "service-desk", None) for area in ALL_AREAS],
    ("systems", "L2", "", "internal-systems", None),
    ("devices", "L2", "", "internal-systems", None),
    ("networks", "L2", "", "acme-networks", "acme"),
    ("cybersecurity", "L2", "", "acme-security", "acme"),
    ("cybersecurity", "L3", "", "acme-security", "acme"),
]


def _matrix(world: DemoWorld) -> None:
    for area, level, ticket_type, team, engagement in MATRIX:
        rule, _ = ResponsibilityRule.objects.update_or_create(
            functional_area=area,
            support_level=level,
            ticket_type=ticket_type,
            defaults={
                "team": world.teams[team],
                "engagement": world.engagements.get(engagement) if engagement else None,
                "is_active": True,
            },
        )
        rule.full_clean()


@transaction.atomic
def seed(world: DemoWorld | None = None) -> DemoWorld:
    world = world or DemoWorld()
    _calendars(world)
    _organizations(world)
    _people(world)
    _teams(world)
    _engagements(world)
    _matrix(world)
    audit_record(
        actor=None,
        actor_label="system:seed_demo",
        action="demo.seeded",
        after={"at": timezone.now(), "part": "core"},
    )
    return world
