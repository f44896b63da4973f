"""Providers' CI change proposals through the API (SPEC 2.3, 5): list and filters, approve (the
values apply, the CI version moves, audited), reject (the CI stays), who may decide, what a
provider sees, a second decision, withdraw. Every refusal also checks that nothing changed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cmdb.models import CIChangeProposal, CIClass, ConfigurationItem
from cmdb.services import ci_update
from cogest.models import AuditEvent

URL = "/api/v1/ci-proposals/"


@dataclass
class ProposalWorld:
    core: ConfigurationItem  # internal, owned by ivan, in Acme's scope (networks)
    edge: ConfigurationItem  # internal, no internal owner, in Acme's scope
    proposal: CIChangeProposal  # pablo's, on core


def build_world(demo, users) -> ProposalWorld:
    """Two internally managed network CIs Acme may see, and pablo's proposal on the first."""
    klass = CIClass.objects.create(
        slug="network_device", name="Network device", functional_area="networks"
    )
    internal = demo.organizations["internal"]
    core = ConfigurationItem.objects.create(
        name="CORE-SW-01",
        ci_class=klass,
        site="Madrid",
        criticality=1,
        managed_by=internal,
        internal_owner=users["ivan"],
        owner_team=demo.teams["internal-systems"],
    )
    edge = ConfigurationItem.objects.create(
        name="EDGE-RT-01", ci_class=klass, site="Madrid", criticality=2, managed_by=internal
    )
    result = ci_update(
        ci=core, by=users["pablo"], site="Barcelona", criticality=2, reason="Moved to rack B4"
    )
    assert result.proposed
    return ProposalWorld(core=core, edge=edge, proposal=result.proposal)


@pytest.fixture
def world(demo, users) -> ProposalWorld:
    return build_world(demo, users)


def snapshot(world: ProposalWorld) -> tuple:
    core = ConfigurationItem.objects.get(pk=world.core.pk)
    proposal = CIChangeProposal.objects.get(pk=world.proposal.pk)
    return (core.site, core.criticality, core.version, proposal.status, proposal.decision_note)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- Reading ----------------------------------------------------------------------------------


def test_a_proposal_reads_with_its_diff_and_versions(api, users, world):
    body = api(users["ana"]).get(f"{URL}{world.proposal.pk}/").json()
    assert body["ci"] == world.core.pk and body["ci_name"] == "CORE-SW-01"
    assert body["changes"] == {"site": "Barcelona", "criticality": 2}
    assert body["before"] == {"site": "Madrid", "criticality": 1}
    assert body["base_version"] == body["ci_version"] == 1 and body["stale"] is False
    assert body["status"] == "pending" and body["reason"] == "Moved to rack B4"
    assert body["organization"] == users["pablo"].profile.organization_id


def test_the_list_filters_by_status_and_ci(api, users, world):
    other = ci_update(ci=world.edge, by=users["pablo"], site="Valencia").proposal
    client = api(users["ana"])
    assert ids(client.get(URL)) == [other.pk, world.proposal.pk]
    assert ids(client.get(f"{URL}?ci={world.edge.pk}")) == [other.pk]
    assert ids(client.get(f"{URL}?status=approved")) == []
    assert ids(client.get(f"{URL}?status=pending&status=rejected")) == [other.pk, world.proposal.pk]


@pytest.mark.parametrize(
    "query", ["status=maybe", "ci=abc", "ci=0", "ci=1.5", f"ci={10**30}", "ci=-1"]
)
def test_a_bad_filter_is_a_400(api, users, world, query):
    response = api(users["ana"]).get(f"{URL}?{query}")
    assert response.status_code == 400
    assert set(response.json()) <= {"status", "ci"}


def test_a_provider_sees_only_its_own_organizations_proposals(api, users, world):
    assert ids(api(users["pablo"]).get(URL)) == [world.proposal.pk]
    assert ids(api(users["lucia"]).get(URL)) == [world.proposal.pk]
    assert ids(api(users["sam"]).get(URL)) == []
    assert ids(api(users["rita"]).get(URL)) == []
    for name in ("sam", "rita"):
        assert api(users[name]).get(f"{URL}{world.proposal.pk}/").status_code == 404
    assert api().get(URL).status_code == 401


# --- Approve ----------------------------------------------------------------------------------


def test_approving_applies_the_values_bumps_the_version_and_is_audited(api, users, world):
    # when the CI's internal owner approves
    response = api(users["ivan"]).post(
        f"{URL}{world.proposal.pk}/approve/", {"note": "Checked on site"}, format="json"
    )
    # then the proposal is closed and the CI carries the values, one version later
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved" and body["decided_by"] == users["ivan"].pk
    assert body["decision_note"] == "Checked on site" and body["decided_at"]
    core = ConfigurationItem.objects.get(pk=world.core.pk)
    assert (core.site, core.criticality, core.version) == ("Barcelona", 2, 2)
    updated = AuditEvent.objects.get(action="ci.updated", object_id=str(core.pk))
    assert updated.before == {"site": "Madrid", "criticality": 1}
    assert updated.after == {"site": "Barcelona", "criticality": 2}
    assert updated.actor == users["ivan"]
    approved = AuditEvent.objects.get(action="ci.proposal_approved", object_id=str(core.pk))
    assert "Checked on site" in approved.note


def test_a_manager_decides_any_proposal_and_anyone_internal_when_the_ci_has_no_owner(
    api, users, world
):
    assert api(users["marta"]).post(f"{URL}{world.proposal.pk}/approve/").status_code == 200
    unowned = ci_update(ci=world.edge, by=users["pablo"], site="Valencia").proposal
    response = api(users["ana"]).post(f"{URL}{unowned.pk}/approve/", {}, format="json")
    assert response.status_code == 200
    assert ConfigurationItem.objects.get(pk=world.edge.pk).site == "Valencia"


def test_an_agent_who_is_not_the_owner_gets_a_403_and_nothing_changes(api, users, world):
    before = snapshot(world)
    response = api(users["ana"]).post(f"{URL}{world.proposal.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert "internal owner" in response.json()["detail"]
    response = api(users["ana"]).post(
        f"{URL}{world.proposal.pk}/reject/", {"note": "no"}, format="json"
    )
    assert response.status_code == 403
    assert snapshot(world) == before


@pytest.mark.parametrize("name", ["pablo", "lucia"])
@pytest.mark.parametrize("op", ["approve", "reject"])
def test_a_provider_cannot_decide_even_its_own_proposal(api, users, world, name, op):
    before = snapshot(world)
    response = api(users[name]).post(
        f"{URL}{world.proposal.pk}/{op}/", {"note": "x"}, format="json"
    )
    assert response.status_code == 403
    assert snapshot(world) == before


@pytest.mark.parametrize("op", ["approve", "reject", "withdraw"])
def test_another_providers_proposal_is_a_404_whatever_the_action(api, users, world, op):
    before = snapshot(world)
    response = api(users["sam"]).post(f"{URL}{world.proposal.pk}/{op}/", {"bad": 1}, format="json")
    assert response.status_code == 404
    assert snapshot(world) == before


def test_a_second_decision_is_a_400_and_changes_nothing(api, users, world):
    client = api(users["ivan"])
    assert client.post(f"{URL}{world.proposal.pk}/approve/").status_code == 200
    after_first = snapshot(world)
    for op, data in (("approve", {}), ("reject", {"note": "Too late"})):
        response = client.post(f"{URL}{world.proposal.pk}/{op}/", data, format="json")
        assert response.status_code == 400
        assert "already decided" in response.json()["status"][0]
    assert snapshot(world) == after_first


def test_a_stale_proposal_says_so_and_approving_applies_its_fields_only(api, users, world):
    ci_update(ci=world.core, by=users["ivan"], site="Sevilla", description="Rebuilt")
    body = api(users["ivan"]).get(f"{URL}{world.proposal.pk}/").json()
    assert body["stale"] is True and body["ci_version"] == 2
    api(users["ivan"]).post(f"{URL}{world.proposal.pk}/approve/")
    core = ConfigurationItem.objects.get(pk=world.core.pk)
    assert (core.site, core.criticality, core.description, core.version) == (
        "Barcelona",
        2,
        "Rebuilt",
        3,
    )


# --- Reject -----------------------------------------------------------------------------------


def test_rejecting_leaves_the_ci_unchanged_and_records_why(api, users, world):
    response = api(users["ivan"]).post(
        f"{URL}{world.proposal.pk}/reject/", {"note": "Rack B4 is full"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    core = ConfigurationItem.objects.get(pk=world.core.pk)
    assert (core.site, core.criticality, core.version) == ("Madrid", 1, 1)
    event = AuditEvent.objects.get(action="ci.proposal_rejected", object_id=str(core.pk))
    assert "Rack B4 is full" in event.note


@pytest.mark.parametrize("data", [{}, {"note": "   "}])
def test_rejecting_without_a_reason_is_a_400_and_changes_nothing(api, users, world, data):
    before = snapshot(world)
    response = api(users["ivan"]).post(f"{URL}{world.proposal.pk}/reject/", data, format="json")
    assert response.status_code == 400
    assert response.json()["note"] == ["Say why the proposal is rejected."]
    assert snapshot(world) == before


@pytest.mark.parametrize(
    "data", [{"note": "ok", "apply": True}, {"note": ["a list"]}, {"note": "x" * 2001}]
)
def test_bad_decision_input_is_a_400_and_changes_nothing(api, users, world, data):
    before = snapshot(world)
    response = api(users["ivan"]).post(f"{URL}{world.proposal.pk}/approve/", data, format="json")
    assert response.status_code == 400
    assert snapshot(world) == before


# --- Withdraw ---------------------------------------------------------------------------------


def test_the_proposing_organization_withdraws_a_pending_proposal(api, users, world):
    response = api(users["lucia"]).post(f"{URL}{world.proposal.pk}/withdraw/")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert AuditEvent.objects.filter(action="ci.proposal_withdrawn").count() == 1
    core = ConfigurationItem.objects.get(pk=world.core.pk)
    assert (core.site, core.version) == ("Madrid", 1)
    # withdrawn is final: no second withdrawal, no decision
    after = snapshot(world)
    assert api(users["pablo"]).post(f"{URL}{world.proposal.pk}/withdraw/").status_code == 400
    assert api(users["ivan"]).post(f"{URL}{world.proposal.pk}/approve/").status_code == 400
    assert snapshot(world) == after


def test_internal_staff_do_not_withdraw_a_providers_proposal(api, users, world):
    before = snapshot(world)
    response = api(users["marta"]).post(f"{URL}{world.proposal.pk}/withdraw/")
    assert response.status_code == 403
    response = api(users["pablo"]).post(
        f"{URL}{world.proposal.pk}/withdraw/", {"why": "x"}, format="json"
    )
    assert response.status_code == 400
    assert snapshot(world) == before


def test_an_unknown_or_malformed_id_is_a_404(api, users, world):
    client = api(users["ivan"])
    assert client.get(f"{URL}987654/").status_code == 404
    assert client.post(f"{URL}987654/approve/").status_code == 404
    assert client.get(f"{URL}{'9' * 30}/").status_code == 404
