"""The demo CMDB of SPEC 6: two sites, about 60 valid CIs, real impact chains, idempotent."""

from __future__ import annotations

import pytest

from cmdb import demo as cmdb_demo
from cmdb.impact import ci_impact
from cmdb.models import CIClass, CIRelation, ConfigurationItem
from cmdb.schema import attribute_errors


@pytest.fixture
def cmdb(demo):
    cmdb_demo.seed(demo)
    return demo


def _names(entries) -> set[str]:
    return {entry["name"] for entry in entries}


def test_the_demo_has_the_spec_classes_and_about_sixty_valid_cis_on_two_sites(cmdb):
    assert set(CIClass.objects.values_list("slug", flat=True)) == {
        "business_service", "application", "saas", "server", "virtual_machine", "database",
        "network_device", "firewall", "workstation", "mobile_device", "backup_job", "site",
    }  # fmt: skip
    assert 55 <= ConfigurationItem.objects.count() <= 70
    assert {"Madrid", "Barcelona"} <= set(ConfigurationItem.objects.values_list("site", flat=True))
    for ci in ConfigurationItem.objects.select_related("ci_class"):
        assert attribute_errors(ci.ci_class.attribute_schema, ci.attributes) == {}, ci.name
    assert CIRelation.objects.count() == len(cmdb_demo.RELATIONS)


def test_the_core_switch_impacts_the_firewall_and_the_vpn_service(cmdb, users):
    core = ConfigurationItem.objects.get(asset_tag="NW-MAD-CORE-01")
    impact = ci_impact(ci=core, user=users["ivan"])
    assert {"FW-MAD-01", "ESX-MAD-01", "VM-ERP-DB01"} <= _names(impact["cis"])
    assert {"VPN service", "ERP service", "Identity and sign-in"} <= _names(impact["services"])


def test_the_erp_database_impacts_sap_and_the_erp_service_not_its_backup(cmdb, users):
    database = ConfigurationItem.objects.get(asset_tag="DB-ERP-01")
    impact = ci_impact(ci=database, user=users["ivan"])
    assert _names(impact["cis"]) == {"SAP S/4HANA PRD"}
    assert _names(impact["services"]) == {"ERP service"}


def test_seeding_twice_adds_nothing(cmdb):
    counts = (ConfigurationItem.objects.count(), CIRelation.objects.count())
    cmdb_demo.seed(cmdb)
    assert (ConfigurationItem.objects.count(), CIRelation.objects.count()) == counts


def test_pablo_sees_acme_scope_and_an_internally_managed_switch_but_not_the_erp_database(
    cmdb, users
):
    visible = ConfigurationItem.objects.restrict(users["pablo"], "view")
    changeable = ConfigurationItem.objects.restrict(users["pablo"], "change")
    assert visible.filter(asset_tag="NW-MAD-CORE-01").exists()
    assert visible.filter(asset_tag="NW-BCN-P1-01").exists()
    assert not changeable.filter(asset_tag="NW-BCN-P1-01").exists()
    assert changeable.filter(asset_tag="NW-MAD-CORE-01").exists()
    assert not visible.filter(asset_tag="DB-ERP-01").exists()


def test_the_demo_runbooks_are_versioned_acknowledged_and_one_is_overdue(cmdb):
    from cmdb.models import Runbook, RunbookAcknowledgement, RunbookReviewTask

    assert Runbook.objects.count() == len(cmdb_demo.RUNBOOKS)
    core = Runbook.objects.get(title__startswith="Core switch failure")
    assert core.current_version == 2
    sides = set(
        RunbookAcknowledgement.objects.filter(
            runbook_version__runbook=core, runbook_version__number=2
        ).values_list("side", flat=True)
    )
    assert sides == {"internal"}  # Acme has yet to acknowledge the new version
    assert list(RunbookReviewTask.objects.values_list("runbook__title", flat=True)) == [core.title]
    cmdb_demo.seed(cmdb)
    assert Runbook.objects.count() == len(cmdb_demo.RUNBOOKS)
    assert RunbookReviewTask.objects.count() == 1


def test_the_demo_has_acmes_proposal_waiting_on_the_internal_switch(cmdb):
    from cmdb.models import CIChangeProposal

    proposal = CIChangeProposal.objects.get()
    assert (proposal.ci.asset_tag, proposal.organization.slug, proposal.status) == (
        "NW-BCN-P1-01",
        "acme",
        "pending",
    )
    assert proposal.changes["attributes"]["firmware"] == "17.9.5"
    assert "firmware" not in proposal.ci.attributes  # not applied before review
    cmdb_demo.seed(cmdb)
    assert CIChangeProposal.objects.count() == 1
