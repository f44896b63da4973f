"""Impact analysis (SPEC 2.3, 5): exact sets on a graph with cycles and diamonds, the depth limit,
the reverse walk, several starting CIs, what each reader may see, and no blow-up on dense graphs."""

from __future__ import annotations

import time

import pytest

from cmdb.impact import (
    MAX_DEPTH,
    ci_dependencies,
    ci_impact,
    cis_impact,
    dependency_ids,
    impacted_ids,
)
from cmdb.models import CIClass, CIRelation, ConfigurationItem
from tests.cmdb.items_world import build_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(demo):
    return build_items(demo)


def _by_name(world, reach: dict[int, int]) -> dict[str, int]:
    return {world.name_of(pk): depth for pk, depth in reach.items()}


def _flat(result: dict) -> dict[str, int]:
    return {e["name"]: e["depth"] for key in ("cis", "services") for e in result[key]}


def test_impact_of_the_core_switch_is_everything_above_it_once_at_its_shortest_distance(items):
    # when
    reach = impacted_ids(items.cis["CORE"].pk)
    # then: the backup job (backs_up) and the laptop (connected_to) are not impacted
    assert _by_name(items, reach) == {
        "ESX-1": 1,
        "FW": 1,
        "VM-DB": 2,
        "SVC-VPN": 2,
        "APP-ERP": 3,  # runs_on VM-DB (3), also through DB-ERP (4): the shortest counts
        "DB-ERP": 3,
        "APP-CRM": 4,  # APP-CRM and APP-ERP depend on each other: a cycle
        "SVC-ERP": 4,
        "SVC-CRM": 5,
    }


def test_the_impact_splits_services_from_other_cis_nearest_first(items, users):
    # when
    result = ci_impact(ci=items.cis["CORE"], user=users["ivan"])
    # then
    assert [(e["name"], e["depth"]) for e in result["services"]] == [
        ("SVC-VPN", 2),
        ("SVC-ERP", 4),
        ("SVC-CRM", 5),
    ]
    assert [e["name"] for e in result["cis"]] == [
        "ESX-1", "FW", "VM-DB", "APP-ERP", "DB-ERP", "APP-CRM",
    ]  # fmt: skip
    first = result["cis"][0]
    assert first == {
        "id": items.cis["ESX-1"].pk,
        "name": "ESX-1",
        "ci_class": "server",
        "criticality": 2,
        "status": "active",
        "site": "Madrid",
        "depth": 1,
    }


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (1, {"ESX-1": 1, "FW": 1}),
        (2, {"ESX-1": 1, "FW": 1, "VM-DB": 2, "SVC-VPN": 2}),
        (3, {"ESX-1": 1, "FW": 1, "VM-DB": 2, "SVC-VPN": 2, "APP-ERP": 3, "DB-ERP": 3}),
    ],
)
def test_the_depth_limit_stops_the_walk(items, depth, expected):
    assert _by_name(items, impacted_ids(items.cis["CORE"].pk, depth=depth)) == expected


def test_a_cycle_back_to_the_start_never_lists_the_start_itself(items):
    reach = impacted_ids(items.cis["APP-ERP"].pk, depth=MAX_DEPTH)
    assert _by_name(items, reach) == {"SVC-ERP": 1, "APP-CRM": 1, "SVC-CRM": 2}


def test_a_diamond_lists_each_ci_once(items):
    # VM-DB ← APP-ERP directly (runs_on) and through DB-ERP (hosted_on, then depends_on)
    reach = impacted_ids(items.cis["VM-DB"].pk)
    assert _by_name(items, reach) == {
        "APP-ERP": 1,
        "DB-ERP": 1,
        "SVC-ERP": 2,
        "APP-CRM": 2,
        "SVC-CRM": 3,
    }


def test_the_reverse_walk_is_what_a_service_needs(items, users):
    # when
    reach = dependency_ids(items.cis["SVC-ERP"].pk)
    result = ci_dependencies(ci=items.cis["SVC-ERP"], user=users["ivan"])
    # then
    expected = {"APP-ERP": 1, "VM-DB": 2, "DB-ERP": 2, "APP-CRM": 2, "ESX-1": 3, "CORE": 4}
    assert _by_name(items, reach) == expected
    assert _flat(result) == expected
    assert result["services"] == []


def test_the_reverse_walk_has_its_depth_limit_too(items):
    assert _by_name(items, dependency_ids(items.cis["SVC-ERP"].pk, depth=1)) == {"APP-ERP": 1}


def test_several_starting_cis_walk_once_and_leave_the_starts_out(items, users):
    # when: a ticket on VM-DB and DB-ERP (DB-ERP also depends on VM-DB)
    result = cis_impact(cis=[items.cis["VM-DB"], items.cis["DB-ERP"].pk], user=users["ivan"])
    # then
    assert _flat(result) == {"APP-ERP": 1, "SVC-ERP": 2, "APP-CRM": 2, "SVC-CRM": 3}


def test_no_starting_ci_impacts_nothing(users, db):
    assert cis_impact(cis=[], user=users["ivan"]) == {"cis": [], "services": []}


def test_a_provider_sees_only_the_impacted_cis_it_may_see(items, users):
    # pablo (Acme: networks and cybersecurity) sees the core switch and the firewall only
    result = ci_impact(ci=items.cis["CORE"], user=users["pablo"])
    assert _flat(result) == {"FW": 1}


def test_the_walk_crosses_cis_the_reader_cannot_see(items, users, demo):
    # given: Acme's monitoring runs on VM-DB; pablo sees neither VM-DB nor ESX-1 (internal)
    monitor = ConfigurationItem.objects.create(
        name="ACME-MON",
        ci_class=items.classes["application"],
        managed_by=demo.organizations["acme"],
    )
    CIRelation.objects.create(source=monitor, type="runs_on", target=items.cis["VM-DB"])
    # when
    result = ci_impact(ci=items.cis["CORE"], user=users["pablo"])
    # then: reached through CIs he cannot see, listed without them
    assert _flat(result) == {"FW": 1, "ACME-MON": 3}


def test_a_reader_in_every_area_sees_every_impacted_ci_but_the_services(items, users):
    # sam (Shadow: every area) does not see the services: their class has no area
    result = ci_impact(ci=items.cis["CORE"], user=users["sam"])
    assert _flat(result) == {
        "ESX-1": 1, "FW": 1, "VM-DB": 2, "APP-ERP": 3, "DB-ERP": 3, "APP-CRM": 4,
    }  # fmt: skip


def test_a_requester_sees_no_impact(items, users):
    assert ci_impact(ci=items.cis["CORE"], user=users["rita"]) == {"cis": [], "services": []}


def test_too_many_starting_cis_is_refused(db):
    with pytest.raises(ValueError, match="At most"):
        cis_impact(cis=range(1, 300), user=None)


def _lattice(demo, layers: int, width: int) -> list[list[int]]:
    """``layers`` layers of ``width`` CIs, each CI depending on every CI of the layer below:
    ``width ** (layers - 1)`` paths from the bottom to the top."""
    klass = CIClass.objects.create(name="Node", slug="node")
    org = demo.organizations["internal"]
    grid = []
    for layer in range(layers):
        row = ConfigurationItem.objects.bulk_create(
            ConfigurationItem(name=f"N{layer}-{i}", ci_class=klass, managed_by=org)
            for i in range(width)
        )
        grid.append([ci.pk for ci in row])
    CIRelation.objects.bulk_create(
        CIRelation(source_id=upper, type="depends_on", target_id=lower)
        for below, above in zip(grid, grid[1:], strict=False)
        for upper in above
        for lower in below
    )
    return grid


def test_a_dense_graph_does_not_multiply_paths(demo):
    # given: 12 layers of 15, 15^11 paths from the bottom, and a cycle from the top back down
    grid = _lattice(demo, layers=12, width=15)
    CIRelation.objects.create(source_id=grid[0][1], type="depends_on", target_id=grid[-1][0])
    # when
    started = time.perf_counter()
    reach = impacted_ids(grid[0][0], depth=MAX_DEPTH)
    elapsed = time.perf_counter() - started
    # then: every CI above once, at its layer; through the cycle, the bottom CI that needs the
    # top one, one step further
    expected = {pk: layer for layer, row in enumerate(grid) for pk in row if layer}
    expected[grid[0][1]] = 12
    assert reach == expected
    assert elapsed < 5


def test_a_long_chain_is_cut_at_the_maximum_depth(demo):
    grid = _lattice(demo, layers=MAX_DEPTH + 5, width=1)
    reach = impacted_ids(grid[0][0], depth=MAX_DEPTH + 5)  # asked for more than allowed
    assert reach == {grid[layer][0]: layer for layer in range(1, MAX_DEPTH + 1)}
