"""The proposal review pages (SPEC 2.3): the internal list (pending first, filters) and review
page (the diff with names, what changed since, approve / reject for whoever may decide), and the
partner portal's list and page (their organization's proposals, withdraw). Every refusal also
checks that nothing changed."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from cmdb.models import CIChangeProposal, ConfigurationItem
from cmdb.services import ci_update, proposal_reject
from cogest.models import UserProfile

from .test_proposals import build_world, snapshot


@pytest.fixture(autouse=True)
def _english(users):
    UserProfile.objects.update(language="en")
    for user in users.values():
        user.profile.refresh_from_db()
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def world(demo, users):
    return build_world(demo, users)


@pytest.fixture
def as_user(client, users):
    def login(name):
        client.force_login(users[name])
        return client

    return login


def html(response) -> str:
    return response.content.decode()


def listed(response) -> list[int]:
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'data-proposal="(\d+)"', html(response))]


def diff_row(body: str, field: str) -> str:
    return body.split(f'data-field="{field}"')[1].split("</tr>")[0]


# --- Internal list ------------------------------------------------------------------------------


def test_the_list_shows_pending_proposals_first_and_filters(as_user, users, world):
    edge = ci_update(ci=world.edge, by=users["pablo"], site="Valencia").proposal
    proposal_reject(proposal=edge, by=users["marta"], note="No")
    later = ci_update(ci=world.edge, by=users["pablo"], site="Bilbao").proposal
    client = as_user("ana")
    # pending (newest first), then decided
    assert listed(client.get("/cmdb/proposals/")) == [later.pk, world.proposal.pk, edge.pk]
    assert listed(client.get("/cmdb/proposals/?status=rejected")) == [edge.pk]
    assert listed(client.get(f"/cmdb/proposals/?ci={world.core.pk}")) == [world.proposal.pk]
    acme = users["pablo"].profile.organization_id
    shadow = users["sam"].profile.organization_id
    assert len(listed(client.get(f"/cmdb/proposals/?organization={acme}"))) == 3
    assert listed(client.get(f"/cmdb/proposals/?organization={shadow}")) == []
    body = html(client.get("/cmdb/proposals/"))
    assert "CORE-SW-01" in body and "Acme MSP" in body and "Site, Criticality" in body


def test_a_bad_filter_is_a_400_reported_inline_and_the_valid_ones_apply(as_user, users, world):
    other = ci_update(ci=world.edge, by=users["pablo"], site="Valencia").proposal
    response = as_user("ana").get(f"/cmdb/proposals/?status=maybe&ci={other.ci_id}")
    assert response.status_code == 400
    body = html(response)
    assert 'data-testid="filter-errors"' in body
    assert re.findall(r'data-proposal="(\d+)"', body) == [str(other.pk)]


# --- Review page --------------------------------------------------------------------------------


def test_the_review_page_shows_the_diff_field_by_field_with_names(as_user, users, demo, world):
    proposal = ci_update(
        ci=world.edge,
        by=users["pablo"],
        owner_team=demo.teams["service-desk"],
        internal_owner=users["marta"],
        status="maintenance",
        reason="Marta owns it now",
    ).proposal
    body = html(as_user("marta").get(f"/cmdb/proposals/{proposal.pk}/"))
    assert "Owner team" in diff_row(body, "owner_team")
    assert "Service Desk · Northwind IT" in diff_row(body, "owner_team")
    assert "—" in diff_row(body, "internal_owner")
    assert "Marta Ruiz" in diff_row(body, "internal_owner")
    assert "Active" in diff_row(body, "status") and "Maintenance" in diff_row(body, "status")
    assert "Marta owns it now" in body
    assert 'data-testid="approve-form"' in body and 'data-testid="reject-form"' in body
    assert 'data-testid="stale-warning"' not in body


def test_the_review_page_warns_when_the_ci_changed_since(as_user, users, world):
    ci_update(ci=world.core, by=users["ivan"], site="Sevilla")
    body = html(as_user("ivan").get(f"/cmdb/proposals/{world.proposal.pk}/"))
    assert 'data-testid="stale-warning"' in body and "version 1, now 2" in body
    site = diff_row(body, "site")
    assert "Madrid" in site and "Barcelona" in site and "Sevilla" in site
    assert "changed since" in site
    assert "changed since" not in diff_row(body, "criticality")


def test_approving_from_the_page_applies_the_change(as_user, world):
    response = as_user("ivan").post(
        f"/cmdb/proposals/{world.proposal.pk}/approve/", {"approve-note": "Fine"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/cmdb/proposals/{world.proposal.pk}/"
    assert "Proposal approved: CORE-SW-01 is updated." in html(response)
    core = ConfigurationItem.objects.get(pk=world.core.pk)
    assert (core.site, core.criticality, core.version) == ("Barcelona", 2, 2)
    assert 'data-testid="decision-note"' in html(response) and "Fine" in html(response)
    assert 'data-testid="approve-form"' not in html(response)


def test_rejecting_needs_a_reason_shown_next_to_the_field(as_user, world):
    before = snapshot(world)
    client = as_user("ivan")
    response = client.post(f"/cmdb/proposals/{world.proposal.pk}/reject/", {"reject-note": " "})
    assert response.status_code == 400
    assert "Say why the proposal is rejected." in html(response)
    assert snapshot(world) == before
    response = client.post(
        f"/cmdb/proposals/{world.proposal.pk}/reject/", {"reject-note": "Rack full"}, follow=True
    )
    assert "stays as it was" in html(response)
    assert CIChangeProposal.objects.get(pk=world.proposal.pk).status == "rejected"
    assert ConfigurationItem.objects.get(pk=world.core.pk).site == "Madrid"


def test_an_agent_who_is_not_the_owner_gets_no_forms_and_a_403(as_user, world):
    before = snapshot(world)
    client = as_user("ana")
    body = html(client.get(f"/cmdb/proposals/{world.proposal.pk}/"))
    assert 'data-testid="approve-form"' not in body and 'data-testid="not-yours"' in body
    response = client.post(f"/cmdb/proposals/{world.proposal.pk}/approve/", {})
    assert response.status_code == 403
    assert "Only an internal owner of the CI or a manager decides this." in html(response)
    assert snapshot(world) == before


def test_deciding_twice_from_the_page_is_refused(as_user, world):
    client = as_user("ivan")
    client.post(f"/cmdb/proposals/{world.proposal.pk}/approve/", {})
    after = snapshot(world)
    response = client.post(f"/cmdb/proposals/{world.proposal.pk}/reject/", {"reject-note": "x"})
    assert response.status_code == 400
    assert "already decided" in html(response)
    assert snapshot(world) == after


def test_a_get_on_an_action_goes_back_to_the_page(as_user, world):
    response = as_user("ivan").get(f"/cmdb/proposals/{world.proposal.pk}/approve/")
    assert response.status_code == 302
    assert response["Location"] == f"/cmdb/proposals/{world.proposal.pk}/"
    assert snapshot(world)[3] == "pending"


# --- Partner portal -----------------------------------------------------------------------------


def test_the_partner_list_and_page_show_the_organizations_proposals(as_user, world):
    client = as_user("lucia")
    assert listed(client.get("/partner/cmdb/proposals/")) == [world.proposal.pk]
    body = html(client.get(f"/partner/cmdb/proposals/{world.proposal.pk}/"))
    assert "Barcelona" in diff_row(body, "site")
    assert 'data-testid="withdraw-form"' in body
    assert 'data-testid="approve-form"' not in body


def test_another_provider_gets_a_404(as_user, world):
    client = as_user("sam")
    assert listed(client.get("/partner/cmdb/proposals/")) == []
    response = client.get(f"/partner/cmdb/proposals/{world.proposal.pk}/")
    assert response.status_code == 404
    assert "CORE-SW-01" not in html(response)
    before = snapshot(world)
    assert client.post(f"/partner/cmdb/proposals/{world.proposal.pk}/withdraw/").status_code == 404
    assert snapshot(world) == before


def test_each_side_is_sent_to_its_own_page(as_user, world):
    response = as_user("pablo").get(f"/cmdb/proposals/{world.proposal.pk}/")
    assert response["Location"] == f"/partner/cmdb/proposals/{world.proposal.pk}/"
    response = as_user("ivan").get(f"/partner/cmdb/proposals/{world.proposal.pk}/")
    assert response["Location"] == f"/cmdb/proposals/{world.proposal.pk}/"
    # a provider's decision post never reaches the internal action
    before = snapshot(world)
    response = as_user("pablo").post(f"/cmdb/proposals/{world.proposal.pk}/approve/", {})
    assert response.status_code == 302
    assert snapshot(world) == before


def test_the_provider_withdraws_from_the_page(as_user, world):
    client = as_user("pablo")
    response = client.post(f"/partner/cmdb/proposals/{world.proposal.pk}/withdraw/", follow=True)
    assert "Proposal withdrawn." in html(response)
    assert CIChangeProposal.objects.get(pk=world.proposal.pk).status == "withdrawn"
    after = snapshot(world)
    response = client.post(f"/partner/cmdb/proposals/{world.proposal.pk}/withdraw/")
    assert response.status_code == 400
    assert "already decided" in html(response)
    assert snapshot(world) == after
