"""What the core refuses: invalid engagements, teams, matrix rows and absences, in the models, the
database, the services and the admin forms; and what the admin records when it saves."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from cogest.admin import EngagementAdminForm, TeamAdminForm
from cogest.models import (
    Absence,
    AuditEvent,
    Engagement,
    Organization,
    ResponsibilityRule,
    Team,
)
from cogest.services import engagement_activate_shadow, team_set_members


def errors_of(instance) -> dict[str, list[str]]:
    """The ``full_clean`` errors of ``instance`` by field; fails the test if it is valid."""
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def as_form_data(values: dict) -> dict:
    """Turn ``model_to_dict`` output into what a browser would post."""
    data = {}
    for name, value in values.items():
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, dict):
            data[name] = json.dumps(value)
        elif isinstance(value, list) and value and hasattr(value[0], "pk"):
            data[name] = [obj.pk for obj in value]
        else:
            data[name] = value
    return data


def event_count(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def team_state(team: Team) -> tuple:
    team = Team.objects.get(pk=team.pk)
    return sorted(team.members.values_list("username", flat=True)), team.lead_id


# --- Engagements -----------------------------------------------------------------------------


@pytest.fixture
def engagement(demo):
    """A valid, unsaved co-managed engagement with Acme, to spoil one field at a time."""
    return Engagement(
        name="Acme — backups",
        provider=demo.organizations["acme"],
        model="co_managed",
        scope_areas=["backups"],
        scope_levels=["L2"],
        internal_owner=demo.users["marta"],
        provider_owner=demo.users["lucia"],
        kpi_targets={"sla_compliance_pct": 95, "mttr_hours": 4.5},
    )


@pytest.fixture
def shadow_engagement(demo):
    """A valid, unsaved shadow engagement with Shadow Partners covering the Service Desk."""
    return Engagement(
        name="Shadow — nights",
        provider=demo.organizations["shadow"],
        model="shadow",
        scope_areas=["systems"],
        scope_levels=["L1"],
        internal_owner=demo.users["marta"],
        provider_owner=demo.users["sam"],
        shadow_for_team=demo.teams["service-desk"],
        shadow_out_of_hours=True,
    )


def test_the_engagement_fixtures_are_valid(engagement, shadow_engagement, demo):
    # The refusals below are meaningful only if the unspoiled objects pass.
    engagement.full_clean()
    shadow_engagement.full_clean()
    for existing in demo.engagements.values():
        Engagement.objects.get(pk=existing.pk).full_clean()


def test_an_engagement_must_point_at_a_provider(engagement, demo):
    engagement.provider = demo.organizations["internal"]
    engagement.provider_owner = demo.users["ana"]
    errors = errors_of(engagement)
    assert "provider" in errors


def test_the_provider_owner_belongs_to_the_provider(engagement, demo):
    engagement.provider_owner = demo.users["sam"]  # Shadow Partners, not Acme
    assert "provider_owner" in errors_of(engagement)
    engagement.provider_owner = demo.users["marta"]  # internal
    assert "provider_owner" in errors_of(engagement)


def test_the_internal_owner_belongs_to_the_internal_organization(engagement, demo):
    engagement.internal_owner = demo.users["pablo"]
    assert "internal_owner" in errors_of(engagement)


KPI_MISTAKES = {
    "unknown-metric": {"happiness_pct": 90},
    "negative": {"mtta_minutes": -1},
    "text": {"mtta_minutes": "30"},
    "boolean": {"sla_compliance_pct": True},
    "null": {"sla_compliance_pct": None},
    "not-an-object": ["sla_compliance_pct"],
}


def test_kpi_targets_are_known_metrics_with_non_negative_numbers(engagement):
    for case, targets in KPI_MISTAKES.items():
        engagement.kpi_targets = targets
        assert "kpi_targets" in errors_of(engagement), case
    engagement.kpi_targets = {"mtta_minutes": 0, "sla_compliance_pct": 99.5}
    engagement.full_clean()


def test_an_engagement_cannot_end_before_it_starts(engagement):
    engagement.starts_on = dt.date(2026, 3, 1)
    engagement.ends_on = dt.date(2026, 2, 1)
    assert "ends_on" in errors_of(engagement)
    count = Engagement.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        engagement.save()
    assert Engagement.objects.count() == count


def test_shadow_settings_only_apply_to_shadow_engagements(demo):
    settings = {
        "shadow_on_absence": True,
        "shadow_out_of_hours": True,
        "shadow_backlog_threshold": 10,
        "shadow_manual_until": timezone.now() + dt.timedelta(hours=2),
        "shadow_for_team": demo.teams["service-desk"],
    }
    for name, value in settings.items():
        engagement = Engagement.objects.get(pk=demo.engagements["acme"].pk)
        engagement.full_clean()
        setattr(engagement, name, value)
        if name == "shadow_manual_until":
            engagement.shadow_manual_reason = "peak"
        assert "model" in errors_of(engagement), name


def test_a_shadow_engagement_with_activation_rules_names_the_team_it_covers(shadow_engagement):
    shadow_engagement.shadow_for_team = None
    assert "shadow_for_team" in errors_of(shadow_engagement)


def test_a_shadow_engagement_covers_an_internal_team_not_a_providers(shadow_engagement, demo):
    shadow_engagement.shadow_for_team = demo.teams["acme-networks"]
    assert "shadow_for_team" in errors_of(shadow_engagement)


def test_a_manual_shadow_activation_needs_a_reason(shadow_engagement):
    shadow_engagement.shadow_manual_until = timezone.now() + dt.timedelta(hours=4)
    shadow_engagement.shadow_manual_reason = ""
    assert "shadow_manual_reason" in errors_of(shadow_engagement)
    shadow_engagement.shadow_manual_reason = "Service Desk training day"
    shadow_engagement.full_clean()


# --- Organizations ---------------------------------------------------------------------------


def test_there_is_only_one_internal_organization(demo):
    # given
    internal = demo.organizations["internal"]
    Organization.objects.get(pk=internal.pk).full_clean()  # the existing one is fine
    second = Organization(name="Other IT", slug="other-it", kind="internal")
    # when / then: the model refuses it
    assert "kind" in errors_of(second)
    # and so does the database
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    assert Organization.objects.filter(kind="internal").count() == 1
    # while another provider is welcome
    Organization(name="Beta Net", slug="beta", kind="provider").full_clean()


# --- Teams: admin form and service -----------------------------------------------------------


def team_form_data(team: Team, **changes) -> dict:
    values = model_to_dict(Team.objects.get(pk=team.pk))
    values.update(changes)
    return as_form_data(values)


def test_the_team_admin_form_accepts_an_unchanged_team(demo):
    team = demo.teams["acme-networks"]
    form = TeamAdminForm(data=team_form_data(team), instance=team)
    assert form.is_valid(), form.errors


def test_the_team_admin_form_refuses_a_lead_who_is_not_a_member(demo):
    team, users = demo.teams["acme-networks"], demo.users
    form = TeamAdminForm(
        data=team_form_data(team, members=[users["pablo"]], lead=users["lucia"].pk),
        instance=team,
    )
    assert not form.is_valid()
    assert "lead" in form.errors
    assert "members" not in form.errors


def test_the_team_admin_form_refuses_members_of_another_organization(demo):
    team, users = demo.teams["acme-networks"], demo.users
    form = TeamAdminForm(
        data=team_form_data(team, members=[users["pablo"], users["sam"], users["ana"]]),
        instance=team,
    )
    assert not form.is_valid()
    assert "ana, sam" in " ".join(form.errors["members"])


def test_the_team_admin_form_refuses_a_team_without_support_level(demo):
    team = demo.teams["acme-networks"]
    form = TeamAdminForm(data=team_form_data(team, support_levels=[]), instance=team)
    assert not form.is_valid()
    assert "support_levels" in form.errors


def test_team_set_members_refuses_people_of_another_organization(demo):
    # given
    team, users = demo.teams["acme-networks"], demo.users
    before = team_state(team)
    # when / then
    with pytest.raises(ValidationError) as caught:
        team_set_members(
            team=team,
            members=[users["pablo"], users["sam"]],
            lead=users["pablo"],
            by=users["lucia"],
        )
    assert "members" in caught.value.message_dict
    assert team_state(team) == before
    assert event_count("team.members_changed") == 0


def test_team_set_members_refuses_a_lead_who_is_not_a_member(demo):
    team, users = demo.teams["acme-networks"], demo.users
    before = team_state(team)
    with pytest.raises(ValidationError) as caught:
        team_set_members(
            team=team, members=[users["pablo"]], lead=users["lucia"], by=users["lucia"]
        )
    assert "lead" in caught.value.message_dict
    assert team_state(team) == before
    assert event_count("team.members_changed") == 0


@pytest.mark.parametrize(
    ("actor", "refusal"),
    [
        ("pablo", PermissionDenied),  # sees his team, is not a manager
        ("marta", PermissionDenied),  # an internal manager, but not of Acme's teams
        ("ana", PermissionDenied),
        ("sam", Team.DoesNotExist),  # does not even see Acme's teams: 404, not 403
    ],
)
def test_team_set_members_refuses_people_who_may_not_change_the_team(demo, actor, refusal):
    team, users = demo.teams["acme-networks"], demo.users
    before = team_state(team)
    with pytest.raises(refusal):
        team_set_members(team=team, members=[users["lucia"]], lead=None, by=users[actor])
    assert team_state(team) == before
    assert event_count("team.members_changed") == 0


def test_team_set_members_replaces_members_and_lead_and_is_audited(demo):
    # given
    team, users = demo.teams["acme-networks"], demo.users
    # when
    team_set_members(team=team, members=[users["pablo"]], lead=users["pablo"], by=users["lucia"])
    # then
    assert team_state(team) == (["pablo"], users["pablo"].pk)
    event = AuditEvent.objects.get(action="team.members_changed")
    assert event.actor_id == users["lucia"].pk
    assert event.object_type == "cogest.team" and event.object_id == str(team.pk)
    assert event.before == {"members": ["lucia", "pablo"], "lead": "lucia"}
    assert event.after == {"members": ["pablo"], "lead": "pablo"}


# --- Engagement teams (admin form) -----------------------------------------------------------


def engagement_form_data(engagement: Engagement, **changes) -> dict:
    values = model_to_dict(Engagement.objects.get(pk=engagement.pk))
    values.update(changes)
    return as_form_data(values)


def test_the_engagement_admin_form_accepts_an_unchanged_engagement(demo):
    for engagement in demo.engagements.values():
        form = EngagementAdminForm(data=engagement_form_data(engagement), instance=engagement)
        assert form.is_valid(), form.errors


def test_an_internal_team_cannot_work_under_a_provider_engagement(demo):
    acme, teams = demo.engagements["acme"], demo.teams
    form = EngagementAdminForm(
        data=engagement_form_data(acme, teams=[teams["acme-networks"], teams["service-desk"]]),
        instance=acme,
    )
    assert not form.is_valid()
    assert "internal team" in " ".join(form.errors["teams"])


def test_another_providers_team_cannot_work_under_an_engagement(demo):
    acme, teams = demo.engagements["acme"], demo.teams
    form = EngagementAdminForm(
        data=engagement_form_data(acme, teams=[teams["shadow-desk"]]), instance=acme
    )
    assert not form.is_valid()
    assert "another provider" in " ".join(form.errors["teams"])


def test_the_engagement_admin_form_runs_the_model_rules(demo):
    acme = demo.engagements["acme"]
    form = EngagementAdminForm(
        data=engagement_form_data(acme, kpi_targets={"mtta_minutes": -5}), instance=acme
    )
    assert not form.is_valid()
    assert "kpi_targets" in form.errors


# --- The responsibility matrix ---------------------------------------------------------------


def rule(demo, area, level, team, engagement=None, ticket_type="incident"):
    # A type-specific rule: the demo fills the "any type" cells already.
    return ResponsibilityRule(
        functional_area=area,
        support_level=level,
        ticket_type=ticket_type,
        team=demo.teams[team],
        engagement=demo.engagements[engagement] if engagement else None,
    )


def test_a_valid_matrix_row_passes(demo):
    rule(demo, "networks", "L2", "acme-networks", "acme").full_clean()
    rule(demo, "systems", "L2", "internal-systems").full_clean()
    for existing in ResponsibilityRule.objects.all():
        existing.full_clean()


def test_a_matrix_row_routes_only_to_a_team_covering_its_area(demo):
    errors = errors_of(rule(demo, "networks", "L2", "internal-systems"))
    assert "does not cover" in " ".join(errors["team"])


def test_a_matrix_row_routes_only_to_a_team_working_at_its_level(demo):
    errors = errors_of(rule(demo, "systems", "L1", "internal-systems"))
    assert "does not work at level L1" in " ".join(errors["team"])


def test_an_internal_team_holds_no_engagement_in_the_matrix(demo):
    errors = errors_of(rule(demo, "systems", "L2", "internal-systems", "acme"))
    assert "engagement" in errors


def test_a_provider_team_is_routed_through_an_engagement(demo):
    errors = errors_of(rule(demo, "networks", "L2", "acme-networks"))
    assert "engagement" in errors


def test_a_provider_team_is_routed_through_its_own_providers_engagement(demo):
    errors = errors_of(rule(demo, "networks", "L2", "acme-networks", "shadow"))
    assert "another provider" in " ".join(errors["engagement"])


def test_a_matrix_row_stays_inside_the_engagements_scope(demo):
    # given an Acme team that covers applications at L1, outside Acme's engagement scope
    Team.objects.create(
        organization=demo.organizations["acme"],
        name="Acme Apps",
        slug="acme-apps",
        functional_areas=["applications"],
        support_levels=["L1"],
    )
    demo.teams["acme-apps"] = Team.objects.get(slug="acme-apps")
    # when / then
    errors = errors_of(rule(demo, "applications", "L1", "acme-apps", "acme"))
    assert "outside the engagement's scope" in " ".join(errors["engagement"])


def test_one_rule_per_cell(demo):
    duplicate = rule(demo, "networks", "L2", "acme-networks", "acme", ticket_type="")
    errors_of(duplicate)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


# --- Absences --------------------------------------------------------------------------------


def absence(demo, *, team=None, user=None, hours=8):
    starts = timezone.now()
    return Absence(
        team=demo.teams[team] if team else None,
        user=demo.users[user] if user else None,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=hours),
    )


def test_a_valid_absence_passes(demo):
    absence(demo, team="service-desk").full_clean()
    absence(demo, user="ana").full_clean()


def test_an_invalid_absence_is_refused_by_the_model_and_the_database(demo):
    cases = {
        "team-and-person": ({"team": "service-desk", "user": "ana"}, 8, "team"),
        "nobody": ({}, 8, "team"),
        "ends-before-start": ({"user": "ana"}, -8, "ends_at"),
        "empty": ({"user": "ana"}, 0, "ends_at"),
    }
    for case, (who, hours, field) in cases.items():
        invalid = absence(demo, hours=hours, **who)
        assert field in errors_of(invalid), case
        with pytest.raises(IntegrityError), transaction.atomic():
            invalid.save()
    assert not Absence.objects.exists()


# --- Choice lists (areas, levels) ------------------------------------------------------------


@pytest.fixture
def new_team(demo):
    return Team(
        organization=demo.organizations["acme"],
        name="Acme Backup",
        slug="acme-backup",
        functional_areas=["backups", "monitoring"],
        support_levels=["L2"],
    )


def test_a_valid_new_team_passes(new_team):
    new_team.full_clean()


def test_choice_lists_refuse_unknown_and_repeated_values(new_team):
    mistakes = [
        ("functional_areas", ["backups", "gardening"]),
        ("functional_areas", ["backups", "backups"]),
        ("functional_areas", "backups"),
        ("support_levels", ["L4"]),
        ("support_levels", ["L2", "L2"]),
    ]
    for field, value in mistakes:
        valid = getattr(new_team, field)
        setattr(new_team, field, value)
        assert field in errors_of(new_team), value
        setattr(new_team, field, valid)
    new_team.full_clean()


def test_choice_lists_are_stored_in_the_order_of_their_choices(new_team):
    new_team.functional_areas = ["monitoring", "systems", "backups"]
    new_team.save()
    assert Team.objects.get(pk=new_team.pk).functional_areas == ["systems", "backups", "monitoring"]


# --- Manual shadow activation (service) ------------------------------------------------------


def shadow_state(engagement: Engagement) -> tuple:
    fresh = Engagement.objects.get(pk=engagement.pk)
    return fresh.shadow_manual_until, fresh.shadow_manual_reason, fresh.shadow_manual_by_id


def test_a_manager_activates_shadow_support_by_hand_with_a_reason_and_expiry(demo):
    # given
    shadow, marta = demo.engagements["shadow"], demo.users["marta"]
    until = timezone.now() + dt.timedelta(hours=6)
    assert not shadow.manual_activation_active()
    # when
    result = engagement_activate_shadow(
        engagement=shadow, until=until, reason="  Service Desk offsite  ", by=marta
    )
    # then
    assert shadow_state(shadow) == (until, "Service Desk offsite", marta.pk)
    assert result.manual_activation_active()
    Engagement.objects.get(pk=shadow.pk).full_clean()
    event = AuditEvent.objects.get(action="engagement.shadow_activated")
    assert event.actor_id == marta.pk
    assert event.object_id == str(shadow.pk)
    assert event.before == {"manual_until": None}
    assert event.after["reason"] == "Service Desk offsite"


@pytest.mark.parametrize(
    ("engagement", "reason", "hours", "field"),
    [
        ("acme", "peak", 4, None),
        ("shadow", "   ", 4, "reason"),
        ("shadow", "peak", -1, "until"),
    ],
    ids=["not-shadow", "blank-reason", "past-expiry"],
)
def test_a_manual_shadow_activation_is_refused_when_invalid(demo, engagement, reason, hours, field):
    target = demo.engagements[engagement]
    before = shadow_state(target)
    with pytest.raises(ValidationError) as caught:
        engagement_activate_shadow(
            engagement=target,
            until=timezone.now() + dt.timedelta(hours=hours),
            reason=reason,
            by=demo.users["marta"],
        )
    if field:
        assert field in caught.value.message_dict
    assert shadow_state(target) == before
    assert event_count("engagement.shadow_activated") == 0


@pytest.mark.parametrize(
    ("actor", "refusal"),
    [
        ("pablo", Engagement.DoesNotExist),  # another provider's engagement: invisible, 404
        ("lucia", Engagement.DoesNotExist),
        ("sam", PermissionDenied),  # his own engagement: visible, but not his to switch on
        ("ana", PermissionDenied),  # internal, but not a manager
    ],
)
def test_only_internal_managers_activate_shadow_support(demo, actor, refusal):
    shadow = demo.engagements["shadow"]
    before = shadow_state(shadow)
    with pytest.raises(refusal):
        engagement_activate_shadow(
            engagement=shadow,
            until=timezone.now() + dt.timedelta(hours=2),
            reason="I say so",
            by=demo.users[actor],
        )
    assert shadow_state(shadow) == before
    assert event_count("engagement.shadow_activated") == 0


# --- The admin -------------------------------------------------------------------------------

ADMIN_MODELS = [
    "cogest/organization",
    "cogest/team",
    "cogest/engagement",
    "cogest/responsibilityrule",
    "cogest/absence",
    "cogest/businesscalendar",
    "auth/user",
]


@pytest.fixture
def admin_client(client, demo):
    client.force_login(demo.users["admin"])
    return client


def test_every_core_admin_page_opens(admin_client, demo):
    Absence.objects.create(
        team=demo.teams["service-desk"],
        starts_at=timezone.now(),
        ends_at=timezone.now() + dt.timedelta(days=1),
    )
    for model in ADMIN_MODELS:
        assert admin_client.get(f"/admin/{model}/").status_code == 200, model
        assert admin_client.get(f"/admin/{model}/add/").status_code == 200, model
    objects = {
        "cogest/organization": demo.organizations["acme"],
        "cogest/team": demo.teams["acme-networks"],
        "cogest/engagement": demo.engagements["shadow"],
        "cogest/responsibilityrule": ResponsibilityRule.objects.first(),
        "cogest/absence": Absence.objects.get(),
        "cogest/businesscalendar": demo.calendars["madrid"],
        "auth/user": demo.users["pablo"],
    }
    for model, obj in objects.items():
        assert admin_client.get(f"/admin/{model}/{obj.pk}/change/").status_code == 200, model
    # django-guardian's object permissions page, for the shared models
    team_perms = f"/admin/cogest/team/{demo.teams['shadow-desk'].pk}/permissions/"
    assert admin_client.get(team_perms).status_code == 200


def test_the_audit_trail_is_read_only_in_the_admin(admin_client):
    event = AuditEvent.objects.order_by("id").first()
    before = AuditEvent.objects.filter(pk=event.pk).values().get()
    assert admin_client.get("/admin/cogest/auditevent/").status_code == 200
    assert admin_client.get(f"/admin/cogest/auditevent/{event.pk}/change/").status_code == 200
    assert admin_client.get("/admin/cogest/auditevent/add/").status_code == 403
    assert admin_client.get(f"/admin/cogest/auditevent/{event.pk}/delete/").status_code == 403
    response = admin_client.post(
        f"/admin/cogest/auditevent/{event.pk}/change/", {"note": "rewritten"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).values().get() == before


@pytest.mark.parametrize("username", ["ana", "pablo", "lucia", "rita"])
def test_agents_providers_and_requesters_cannot_open_the_admin(client, demo, username):
    client.force_login(demo.users[username])
    response = client.get("/admin/cogest/engagement/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_change_saved_in_the_admin_is_audited(admin_client, demo):
    # given
    acme = demo.organizations["acme"]
    data = as_form_data(model_to_dict(acme))
    data["contact_email"] = "desk@acme-msp.example"
    # when
    response = admin_client.post(f"/admin/cogest/organization/{acme.pk}/change/", data)
    # then
    assert response.status_code == 302, response.content[:2000]
    assert Organization.objects.get(pk=acme.pk).contact_email == "desk@acme-msp.example"
    event = AuditEvent.objects.get(action="organization.changed")
    assert event.actor_id == demo.users["admin"].pk
    assert event.note == "admin"
    assert event.before == {"contact_email": "noc@acme-msp.example"}
    assert event.after == {"contact_email": "desk@acme-msp.example"}


def test_a_team_change_in_the_admin_records_members_before_and_after(admin_client, demo):
    team, users = demo.teams["acme-networks"], demo.users
    data = team_form_data(team, members=[users["pablo"]], lead=users["pablo"].pk)
    response = admin_client.post(f"/admin/cogest/team/{team.pk}/change/", data)
    assert response.status_code == 302
    assert team_state(team) == (["pablo"], users["pablo"].pk)
    event = AuditEvent.objects.get(action="team.changed")
    assert sorted(event.before["members"]) == ["lucia", "pablo"]
    assert event.after["members"] == ["pablo"]


def test_an_invalid_team_change_in_the_admin_changes_nothing(admin_client, demo):
    team, users = demo.teams["acme-networks"], demo.users
    before = team_state(team)
    data = team_form_data(team, members=[users["pablo"], users["sam"]])
    response = admin_client.post(f"/admin/cogest/team/{team.pk}/change/", data)
    assert response.status_code == 200
    assert "another organization" in response.content.decode()
    assert team_state(team) == before
    assert event_count("team.changed") == 0


def test_an_invalid_matrix_row_in_the_admin_is_not_created(admin_client, demo):
    count = ResponsibilityRule.objects.count()
    response = admin_client.post(
        "/admin/cogest/responsibilityrule/add/",
        {
            "functional_area": "networks",
            "support_level": "L2",
            "ticket_type": "incident",
            "team": demo.teams["internal-systems"].pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert ResponsibilityRule.objects.count() == count
    assert event_count("responsibilityrule.created") == 0
