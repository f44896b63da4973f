"""The CI filter set (API list and CMDB pages): each filter, attribute values of every JSON type
on both databases, and bad values refused."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.test import RequestFactory

from cmdb.filters import CIFilterSet, CIRelationFilterSet
from cmdb.models import CIRelation, ConfigurationItem
from tests.cmdb.items_world import build_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(demo):
    world = build_items(demo)
    server = world.classes["server"]
    acme = demo.organizations["acme"]
    for name, attributes in {
        "SRV-WIN": {"os": "windows", "ram_gb": 16, "backup": False, "hostname": "srv-win"},
        "SRV-ODD": {"os": "Linux", "ram_gb": 16.5, "port": "8080", "contains": "x", "note": "a,b"},
        "SRV-NUM": {"os": "linux", "port": 8080, "ram_gb": 16},
    }.items():
        world.cis[name] = ConfigurationItem.objects.create(
            name=name,
            ci_class=server,
            managed_by=acme,
            owner_team=demo.teams["acme-networks"],
            status="maintenance" if name == "SRV-ODD" else "active",
            environment="test" if name == "SRV-WIN" else "production",
            attributes=attributes,
        )
    return world


def _filter(user, query: str, filterset=CIFilterSet, queryset=None):
    request = RequestFactory().get("/")
    request.user = user
    queryset = queryset if queryset is not None else ConfigurationItem.objects.all()
    return filterset(data=QueryDict(query), queryset=queryset, request=request)


def _names(user, query: str) -> set[str]:
    filterset = _filter(user, query)
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("attribute=os:linux", {"ESX-1", "SRV-ODD", "SRV-NUM"}),  # text ignores case
        ("attribute=os:LINUX", {"ESX-1", "SRV-ODD", "SRV-NUM"}),
        ("attribute=os:win", set()),  # equal, not containing
        ("attribute=ram_gb:16", {"SRV-WIN", "SRV-NUM"}),
        ("attribute=ram_gb:16.5", {"SRV-ODD"}),
        ("attribute=ram_gb:256", {"ESX-1"}),
        ("attribute=backup:true", {"ESX-1"}),
        ("attribute=backup:false", {"SRV-WIN"}),
        ("attribute=port:8080", {"SRV-ODD", "SRV-NUM"}),  # the text "8080" and the number
        ("attribute=contains:x", {"SRV-ODD"}),  # an attribute named like a lookup
        ("attribute=note:a,b", {"SRV-ODD"}),  # a comma is part of the value
        ("attribute=os:linux&attribute=ram_gb:16", {"SRV-NUM"}),  # every condition holds
        ("attribute=hostname:&ci_class=server", {"ESX-1", "SRV-ODD", "SRV-NUM"}),  # not set
        ("attribute=os:50%25", set()),  # LIKE wildcards are plain text
    ],
)
def test_attribute_values_of_every_type(items, users, query, expected):
    assert _names(users["ivan"], query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=maintenance", {"SRV-ODD"}),
        ("status=maintenance,planned", {"SRV-ODD"}),
        ("environment=test", {"SRV-WIN"}),
        ("site=Barcelona&site=Nowhere", {"APP-CRM", "LAPTOP"}),
        ("criticality=4", {"LAPTOP"}),
        ("criticality=3,4", {"BKP", "LAPTOP", "SRV-WIN", "SRV-ODD", "SRV-NUM"}),
        ("functional_area=cybersecurity", {"FW"}),
        ("functional_area=networks,cybersecurity", {"FW", "CORE"}),
        ("service=true", {"SVC-ERP", "SVC-CRM", "SVC-VPN"}),
        ("ci_class=server&service=false", {"ESX-1", "SRV-WIN", "SRV-ODD", "SRV-NUM"}),
        ("q=srv-", {"SRV-WIN", "SRV-ODD", "SRV-NUM"}),
        ("q=tag-core", {"CORE"}),  # the asset tag
    ],
)
def test_each_filter(items, users, query, expected):
    assert _names(users["ivan"], query) == expected


def test_filters_by_organization_team_and_ids(items, users, demo):
    acme, team = demo.organizations["acme"].pk, demo.teams["acme-networks"].pk
    assert _names(users["ivan"], f"managed_by={acme}") == {
        "CORE", "FW", "SRV-WIN", "SRV-ODD", "SRV-NUM",
    }  # fmt: skip
    assert _names(users["ivan"], f"owner_team={team}") == {"SRV-WIN", "SRV-ODD", "SRV-NUM"}
    ids = f"{items.cis['FW'].pk},{items.cis['BKP'].pk}"
    assert _names(users["ivan"], f"id={ids}&id=999999") == {"FW", "BKP"}


def test_ordering_keeps_ties_in_id_order_and_sorts_by_class_name(items, users):
    filterset = _filter(users["ivan"], "ordering=-ci_class")
    assert filterset.is_valid()
    rows = list(filterset.qs.values_list("ci_class__name", "id"))
    assert rows == sorted(rows, reverse=True)  # "-ci_class" then "-id"
    filterset = _filter(users["ivan"], "ordering=criticality")
    rows = list(filterset.qs.values_list("criticality", "id"))
    assert rows == sorted(rows)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=exploded", "status"),
        ("environment=moon", "environment"),
        ("ci_class=toaster", "ci_class"),
        ("criticality=0", "criticality"),
        ("managed_by=x", "managed_by"),
        ("managed_by=" + "9" * 25, "managed_by"),
        ("owner_team=-1", "owner_team"),
        ("service=yes", "service"),
        ("attribute=justtext", "attribute"),
        ("attribute=Bad-Name:x", "attribute"),
        ("attribute=os:" + "x" * 201, "attribute"),
        ("&".join(f"attribute=a{i}:1" for i in range(11)), "attribute"),
        ("status=" + ",".join(["active"] * 101), "status"),
        ("site=" + "x" * 81, "site"),
        ("ordering=secret", "ordering"),
        ("id=1.5", "id"),
    ],
)
def test_bad_values_are_errors_not_ignored(items, users, query, field):
    filterset = _filter(users["ivan"], query)
    assert not filterset.is_valid()
    assert field in filterset.errors


def test_a_provider_may_only_name_organizations_and_teams_it_sees(items, users, demo):
    shadow_org, shadow_team = demo.organizations["shadow"].pk, demo.teams["shadow-desk"].pk
    assert "managed_by" in _filter(users["pablo"], f"managed_by={shadow_org}").errors
    assert "owner_team" in _filter(users["pablo"], f"owner_team={shadow_team}").errors
    assert _filter(users["pablo"], f"managed_by={demo.organizations['acme'].pk}").is_valid()


def test_the_filter_form_offers_the_visible_classes_for_a_page(items, users):
    form = _filter(users["pablo"], "").form
    slugs = {value for value, _label in form.fields["ci_class"].choices}
    assert {"server", "network_device", "business_service"} <= slugs
    assert _filter(users["rita"], "ci_class=server").errors  # a requester sees no class


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("type=hosted_on", {("DB-ERP", "VM-DB"), ("VM-DB", "ESX-1")}),
        ("source={ESX-1}", {("ESX-1", "CORE")}),
        ("target={VM-DB}", {("APP-ERP", "VM-DB"), ("DB-ERP", "VM-DB")}),
        ("ci={FW}", {("FW", "CORE"), ("SVC-VPN", "FW")}),
    ],
)
def test_relation_filters(items, users, query, expected):
    query = query.format(**{name: ci.pk for name, ci in items.cis.items()})
    filterset = _filter(users["ivan"], query, CIRelationFilterSet, CIRelation.objects.all())
    assert filterset.is_valid(), filterset.errors
    assert {(r.source.name, r.target.name) for r in filterset.qs} == expected


def test_a_bad_relation_type_is_an_error(items, users):
    filterset = _filter(users["ivan"], "type=likes", CIRelationFilterSet, CIRelation.objects.all())
    assert "type" in filterset.errors
