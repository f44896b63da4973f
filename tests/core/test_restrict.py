"""``restrict(user, action)``: the one visibility rule per model (SPEC 3), and guardian shares."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from guardian.shortcuts import assign_perm, remove_perm

from cogest.models import (
    Absence,
    AuditEvent,
    Engagement,
    Organization,
    ResponsibilityRule,
    Team,
    UserProfile,
)

User = get_user_model()


def visible(model, user, action="view") -> set[int]:
    return set(model.objects.restrict(user, action).values_list("pk", flat=True))


def all_pks(model) -> set[int]:
    return set(model.objects.values_list("pk", flat=True))


def pks(objects) -> set[int]:
    return {o.pk for o in objects}


def fresh(user):
    """The same person as a new object: what a new request would see (no cached viewer)."""
    return User.objects.get(pk=user.pk)


CORE_MODELS = [Organization, UserProfile, Team, Engagement, ResponsibilityRule, Absence, AuditEvent]


# --- Who sees everything, who sees nothing ---------------------------------------------------


def test_an_internal_agent_sees_every_row_of_the_core(world):
    # Every model has rows of each side (the trail: system events and every organization's).
    for model in CORE_MODELS:
        assert len(all_pks(model)) >= 2, model
        assert visible(model, world.users["ana"]) == all_pks(model), model


def test_an_administrator_sees_every_row_of_the_core(world):
    for model in CORE_MODELS:
        assert visible(model, world.users["admin"]) == all_pks(model), model


def test_an_anonymous_visitor_gets_nothing(world):
    for model in CORE_MODELS:
        for action in ("view", "change"):
            assert visible(model, AnonymousUser(), action) == set(), model
            assert visible(model, None, action) == set(), model


@pytest.mark.parametrize("username", ["ana", "pablo", "admin"])
def test_a_deactivated_user_gets_nothing(world, username):
    # given someone who could see rows of every model while active
    user = fresh(world.users[username])
    for model in CORE_MODELS:
        assert visible(model, user), model
    # when
    User.objects.filter(pk=user.pk).update(is_active=False)
    # then
    for model in CORE_MODELS:
        assert visible(model, fresh(user)) == set(), model
        assert visible(model, fresh(user), "change") == set(), model


def test_a_user_without_a_profile_gets_nothing(world):
    stranger = User.objects.create_user("stranger", password="x")  # no organization
    for model in CORE_MODELS:
        assert visible(model, stranger) == set(), model


def test_a_superuser_without_a_profile_is_an_administrator(world):
    root = User.objects.create_superuser("root", "root@example.com", "x")
    assert visible(Team, root) == all_pks(Team)
    assert visible(Engagement, root, "change") == all_pks(Engagement)


def test_an_unknown_action_is_an_error(world):
    for user in (world.users["ana"], world.users["admin"], AnonymousUser()):
        with pytest.raises(ValueError, match="Unknown action 'delete'"):
            Team.objects.restrict(user, "delete")


# --- Providers see their own side and the internal one, never another provider's ------------


def test_a_provider_sees_its_own_organization_and_the_internal_one(world):
    orgs = world.organizations
    assert visible(Organization, world.users["pablo"]) == pks([orgs["internal"], orgs["acme"]])
    assert visible(Organization, world.users["sam"]) == pks([orgs["internal"], orgs["shadow"]])


def test_a_provider_sees_its_own_people_and_the_internal_ones(world):
    profiles = {p.user.username: p.pk for p in UserProfile.objects.select_related("user")}
    internal = {profiles[n] for n in ("admin", "ana", "ivan", "marta", "rita")}
    assert visible(UserProfile, world.users["pablo"]) == internal | {
        profiles["pablo"],
        profiles["lucia"],
    }
    assert visible(UserProfile, world.users["sam"]) == internal | {profiles["sam"]}


def test_a_provider_sees_its_own_teams_and_the_internal_ones(world):
    teams = world.teams
    internal = pks([teams["service-desk"], teams["internal-systems"]])
    assert visible(Team, world.users["pablo"]) == internal | pks(
        [teams["acme-networks"], teams["acme-security"]]
    )
    assert visible(Team, world.users["lucia"]) == visible(Team, world.users["pablo"])
    assert visible(Team, world.users["sam"]) == internal | {teams["shadow-desk"].pk}


def test_a_provider_sees_only_its_own_engagements(world):
    engagements = world.engagements
    assert visible(Engagement, world.users["pablo"]) == {engagements["acme"].pk}
    assert visible(Engagement, world.users["lucia"]) == {engagements["acme"].pk}
    assert visible(Engagement, world.users["sam"]) == {engagements["shadow"].pk}


def test_a_provider_reads_the_matrix_without_other_providers_rows(world):
    rules = world.rules
    every = all_pks(ResponsibilityRule)
    acme_rows = set(
        ResponsibilityRule.objects.filter(team__organization__slug="acme").values_list(
            "pk", flat=True
        )
    )
    assert acme_rows and rules["acme"].pk in acme_rows
    assert visible(ResponsibilityRule, world.users["pablo"]) == every - {rules["shadow"].pk}
    assert visible(ResponsibilityRule, world.users["sam"]) == every - acme_rows
    assert rules["internal"].pk in visible(ResponsibilityRule, world.users["sam"])


def test_a_provider_sees_only_its_own_absences(world):
    absences = world.absences
    assert visible(Absence, world.users["pablo"]) == pks(
        [absences["acme-team"], absences["acme-user"]]
    )
    assert visible(Absence, world.users["sam"]) == pks(
        [absences["shadow-team"], absences["shadow-user"]]
    )


def test_a_provider_reads_only_what_its_own_people_did(world):
    events = world.events
    acme = pks([events["pablo"], events["lucia"]])
    assert visible(AuditEvent, world.users["pablo"]) == acme
    assert visible(AuditEvent, world.users["lucia"]) == acme
    assert visible(AuditEvent, world.users["sam"]) == {events["sam"].pk}


def test_a_requester_reads_only_their_own_audit_events(world):
    assert visible(AuditEvent, world.users["rita"]) == {world.events["rita"].pk}


# --- Who may change what ---------------------------------------------------------------------


def test_only_internal_managers_change_engagements(world):
    every = all_pks(Engagement)
    assert visible(Engagement, world.users["marta"], "change") == every
    assert visible(Engagement, world.users["admin"], "change") == every
    for name in ("ana", "ivan", "rita", "pablo", "lucia", "sam"):
        assert visible(Engagement, world.users[name], "change") == set(), name


def test_only_internal_managers_change_the_matrix(world):
    assert visible(ResponsibilityRule, world.users["marta"], "change") == all_pks(
        ResponsibilityRule
    )
    for name in ("ana", "pablo", "lucia", "sam"):
        assert visible(ResponsibilityRule, world.users[name], "change") == set(), name


def test_only_administrators_change_organizations(world):
    assert visible(Organization, world.users["admin"], "change") == all_pks(Organization)
    for name in ("ana", "marta", "pablo", "lucia", "sam", "rita"):
        assert visible(Organization, world.users[name], "change") == set(), name


def test_managers_change_the_teams_of_their_own_organization(world):
    teams = world.teams
    assert visible(Team, world.users["lucia"], "change") == pks(
        [teams["acme-networks"], teams["acme-security"]]
    )
    assert visible(Team, world.users["marta"], "change") == pks(
        [teams["service-desk"], teams["internal-systems"]]
    )
    for name in ("ana", "pablo", "sam"):
        assert visible(Team, world.users[name], "change") == set(), name


def test_managers_record_absences_of_their_own_organization(world):
    absences = world.absences
    assert visible(Absence, world.users["marta"], "change") == all_pks(Absence)
    assert visible(Absence, world.users["lucia"], "change") == pks(
        [absences["acme-team"], absences["acme-user"]]
    )
    for name in ("ana", "pablo", "sam"):
        assert visible(Absence, world.users[name], "change") == set(), name


def test_each_person_changes_only_their_own_profile(world):
    for name in ("ana", "marta", "pablo", "lucia", "sam", "rita"):
        user = world.users[name]
        assert visible(UserProfile, user, "change") == {user.profile.pk}, name


def test_nobody_changes_the_audit_trail_not_even_an_administrator(world):
    for name in ("ana", "marta", "pablo", "lucia", "sam", "rita", "admin"):
        assert visible(AuditEvent, world.users[name], "change") == set(), name


# --- Explicit shares (django-guardian) -------------------------------------------------------


def test_a_guardian_share_shows_one_team_to_one_person_until_it_is_removed(world):
    # given
    pablo, lucia = world.users["pablo"], world.users["lucia"]
    shadow_desk = world.teams["shadow-desk"]
    before = visible(Team, pablo)
    assert shadow_desk.pk not in before
    # when
    assign_perm("cogest.view_team", pablo, shadow_desk)
    # then
    assert visible(Team, fresh(pablo)) == before | {shadow_desk.pk}
    assert shadow_desk.pk not in visible(Team, fresh(lucia))
    assert shadow_desk.pk not in visible(Team, fresh(pablo), "change")
    # when the share ends
    remove_perm("cogest.view_team", pablo, shadow_desk)
    # then
    assert visible(Team, fresh(pablo)) == before


def test_a_guardian_share_shows_another_providers_engagement(world):
    pablo, shadow = world.users["pablo"], world.engagements["shadow"]
    assert visible(Engagement, pablo) == {world.engagements["acme"].pk}
    assign_perm("cogest.view_engagement", pablo, shadow)
    assert visible(Engagement, fresh(pablo)) == all_pks(Engagement)
    assert visible(Engagement, fresh(world.users["lucia"])) == {world.engagements["acme"].pk}
    assert visible(Engagement, fresh(pablo), "change") == set()


def test_a_change_share_lets_a_manager_change_one_more_team(world):
    lucia, shadow_desk = world.users["lucia"], world.teams["shadow-desk"]
    assign_perm("cogest.change_team", lucia, shadow_desk)
    assert shadow_desk.pk in visible(Team, fresh(lucia), "change")
    # a change share is not a view share
    assert shadow_desk.pk not in visible(Team, fresh(lucia))


def test_a_share_does_not_narrow_what_internal_staff_see(world):
    # Regression: ``Q() | Q(pk__in=shared)`` is just the shared rows; the rule must stay "all".
    ana, marta = world.users["ana"], world.users["marta"]
    assign_perm("cogest.view_team", ana, world.teams["acme-networks"])
    assign_perm("cogest.view_engagement", ana, world.engagements["acme"])
    assign_perm("cogest.change_engagement", marta, world.engagements["acme"])
    assert visible(Team, fresh(ana)) == all_pks(Team)
    assert visible(Engagement, fresh(ana)) == all_pks(Engagement)
    assert visible(Engagement, fresh(marta), "change") == all_pks(Engagement)
    assert len(all_pks(Team)) == 5 and len(all_pks(Engagement)) == 2


def test_restricted_querysets_chain_like_any_queryset(world):
    pablo = world.users["pablo"]
    acme_teams = Team.objects.restrict(pablo).filter(organization__slug="acme")
    assert set(acme_teams.values_list("slug", flat=True)) == {"acme-networks", "acme-security"}
    assert Team.objects.filter(organization__slug="shadow").restrict(pablo).count() == 0


# --- lock_for_change: the first step of every service write ----------------------------------


def test_lock_for_change_tells_invisible_from_forbidden(world):
    shadow = world.engagements["shadow"]
    # invisible to another provider: it does not exist for them (404)
    with pytest.raises(Engagement.DoesNotExist):
        Engagement.objects.lock_for_change(world.users["pablo"], shadow.pk)
    # visible but not theirs to change (403)
    for name in ("sam", "ana"):
        with pytest.raises(PermissionDenied):
            Engagement.objects.lock_for_change(world.users[name], shadow.pk)
    # an internal manager gets the row
    assert Engagement.objects.lock_for_change(world.users["marta"], shadow.pk) == shadow
