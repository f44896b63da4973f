"""The CMDB API (SPEC 5): ``/api/v1/cis/``, ``/cis/{id}/impact/``, ``/ci-relations/``,
``/ci-classes/``. Shapes, restricted rows, writes through the services, 4xx with nothing saved."""

from __future__ import annotations

import pytest

from cmdb.api.items import CISerializer, ci_rows, ci_rows_data
from cmdb.models import CIChangeProposal, CIRelation, ConfigurationItem
from cogest.models import AuditEvent
from tests.cmdb.items_world import build_items

pytestmark = pytest.mark.django_db

SPEC_FIELDS = {
    "id", "name", "ci_class", "status", "environment", "site", "criticality", "owner_team",
    "managed_by", "attributes", "version",
}  # fmt: skip


@pytest.fixture
def items(demo):
    world = build_items(demo)
    # An internally managed switch: in Acme's scope (networks), not Acme's to change.
    world.cis["SW-INT"] = ConfigurationItem.objects.create(
        name="SW-INT",
        ci_class=world.classes["network_device"],
        managed_by=demo.organizations["internal"],
        site="Madrid",
        asset_tag="TAG-SW-INT",
    )
    CIRelation.objects.create(
        source=world.cis["SW-INT"], type="depends_on", target=world.cis["CORE"]
    )
    return world


def _names(response) -> set[str]:
    return {row["name"] for row in response.json()["results"]}


def _snapshot() -> list[tuple]:
    """Everything a refused write must leave as it was."""
    return [
        list(ConfigurationItem.objects.order_by("id").values_list()),
        list(CIRelation.objects.order_by("id").values_list()),
        CIChangeProposal.objects.count(),
        AuditEvent.objects.filter(action__startswith="ci.").count(),
    ]


# --- List ---------------------------------------------------------------------------------------


def test_the_list_gives_the_spec_fields_with_the_class_slug(api, users, items):
    # when
    response = api(users["ana"]).get("/api/v1/cis/", {"page_size": 200})
    # then
    assert response.status_code == 200
    body = response.json()
    assert {"results", "next", "previous"} <= set(body)
    rows = {row["name"]: row for row in body["results"]}
    assert set(rows) == set(items.cis)
    esx = rows["ESX-1"]
    assert set(esx) >= SPEC_FIELDS
    assert esx["ci_class"] == "server"
    assert esx["managed_by"] == items.cis["ESX-1"].managed_by_id
    assert esx["attributes"] == {"os": "linux", "ram_gb": 256, "backup": True}
    assert esx["version"] == 1
    assert esx["is_service"] is False
    assert rows["SVC-ERP"]["is_service"] is True


def test_list_rows_render_exactly_as_the_serializer_does(items):
    queryset = ConfigurationItem.objects.select_related("ci_class").order_by("id")
    assert ci_rows_data(ci_rows(queryset)) == [
        dict(d) for d in CISerializer(queryset, many=True).data
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("pablo", {"CORE", "FW", "SW-INT"}),  # Acme: networks and cybersecurity
        ("lucia", {"CORE", "FW", "SW-INT"}),
        # Shadow: every area; services and the laptop's class have none
        ("sam", {"CORE", "FW", "SW-INT", "ESX-1", "VM-DB", "DB-ERP", "APP-ERP", "APP-CRM", "BKP"}),
        ("rita", set()),
    ],
)
def test_each_role_lists_only_the_cis_it_may_see(api, users, items, role, expected):
    response = api(users[role]).get("/api/v1/cis/", {"page_size": 200})
    assert response.status_code == 200
    assert _names(response) == expected


def test_anonymous_callers_are_refused(api, items):
    assert api().get("/api/v1/cis/").status_code in (401, 403)
    assert api().get(f"/api/v1/cis/{items.cis['CORE'].pk}/impact/").status_code in (401, 403)


def _more_cis(demo, items, n):
    ConfigurationItem.objects.bulk_create(
        ConfigurationItem(
            name=f"EXTRA-{i:03d}",
            ci_class=items.classes["server"],
            managed_by=demo.organizations["acme" if i % 2 else "internal"],
            attributes={"os": "linux"},
        )
        for i in range(n)
    )


@pytest.mark.parametrize(("role", "queries"), [("ana", 2), ("pablo", 4)])
def test_the_list_costs_the_same_queries_at_two_sizes(
    api, users, items, demo, role, queries, django_assert_num_queries
):
    # The token and the page; a provider's rule also reads its engagements' scopes and the
    # content type of its access grants.
    client = api(users[role])
    client.get("/api/v1/cis/")  # warm the per-process caches
    with django_assert_num_queries(queries):
        small = client.get("/api/v1/cis/", {"page_size": 100})
    _more_cis(demo, items, 90)
    with django_assert_num_queries(queries):
        large = client.get("/api/v1/cis/", {"page_size": 100})
    assert len(large.json()["results"]) > len(small.json()["results"])


def test_a_filtered_list_costs_few_queries(api, users, items, demo, django_assert_max_num_queries):
    client = api(users["ana"])
    query = {"ci_class": "server", "managed_by": demo.organizations["internal"].pk, "q": "e"}
    with django_assert_max_num_queries(4):  # token, class lookup, organization lookup, page
        response = client.get("/api/v1/cis/", query)
    assert response.status_code == 200
    assert _names(response) == {"ESX-1"}


def test_pages_never_repeat_or_skip_a_ci(api, users, items, demo):
    _more_cis(demo, items, 40)
    client = api(users["ana"])
    seen, url = [], "/api/v1/cis/?page_size=7&ordering=criticality"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(ConfigurationItem.objects.values_list("id", flat=True))


# --- Filters through the API (each filter in detail: test_filters.py) ---------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"ci_class": "business_service"}, {"SVC-ERP", "SVC-CRM", "SVC-VPN"}),
        ({"ci_class": "firewall,database"}, {"FW", "DB-ERP"}),
        ({"service": "true", "criticality": "1"}, {"SVC-ERP", "SVC-VPN"}),
        ({"attribute": "os:linux"}, {"ESX-1"}),
        ({"q": "app-"}, {"APP-ERP", "APP-CRM"}),
        ({"site": "Barcelona"}, {"APP-CRM", "LAPTOP"}),
    ],
)
def test_the_list_filters(api, users, items, query, expected):
    response = api(users["ana"]).get("/api/v1/cis/", query)
    assert response.status_code == 200
    assert _names(response) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "broken"}, "status"),
        ({"ci_class": "spaceship"}, "ci_class"),
        ({"managed_by": "acme"}, "managed_by"),
        ({"managed_by": "99999999999999999999999"}, "managed_by"),
        ({"owner_team": "0"}, "owner_team"),
        ({"criticality": "7"}, "criticality"),
        ({"service": "maybe"}, "service"),
        ({"attribute": "os=linux"}, "attribute"),
        ({"attribute": "OS:linux"}, "attribute"),
        ({"ordering": "password"}, "ordering"),
        ({"id": "1,x"}, "id"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"site": "Mad\x00rid"}, "site"),
        ({"attribute": "os:lin\x00ux"}, "attribute"),
        ({"ci_class": "ser\x00ver"}, "ci_class"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(api, users, items, query, field):
    response = api(users["ana"]).get("/api/v1/cis/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_a_provider_cannot_filter_by_an_organization_it_cannot_see(api, users, items, demo):
    shadow = demo.organizations["shadow"].pk
    response = api(users["pablo"]).get("/api/v1/cis/", {"managed_by": shadow})
    assert response.status_code == 400
    assert "managed_by" in response.json()


# --- Detail -------------------------------------------------------------------------------------


def test_the_detail_carries_its_version_as_etag_and_says_who_may_change(api, users, items):
    ci = items.cis["CORE"]
    # when
    internal = api(users["ivan"]).get(f"/api/v1/cis/{ci.pk}/")
    acme = api(users["pablo"]).get(f"/api/v1/cis/{ci.pk}/")
    foreign = api(users["pablo"]).get(f"/api/v1/cis/{items.cis['SW-INT'].pk}/")
    # then
    assert internal.status_code == 200
    assert internal["ETag"] == '"1"'
    body = internal.json()
    assert set(body) >= SPEC_FIELDS
    assert body["url"].endswith(f"/api/v1/cis/{ci.pk}/")
    assert body["may_change"] is True
    assert acme.json()["may_change"] is True  # Acme manages the core switch
    assert foreign.json()["may_change"] is False  # in scope, managed internally: proposals


@pytest.mark.parametrize("suffix", ["", "impact/", "dependencies/"])
def test_a_ci_outside_the_callers_scope_is_a_404_everywhere(api, users, items, suffix):
    esx = items.cis["ESX-1"]  # internal, systems: not Acme's
    assert api(users["pablo"]).get(f"/api/v1/cis/{esx.pk}/{suffix}").status_code == 404
    assert api(users["rita"]).get(f"/api/v1/cis/{esx.pk}/{suffix}").status_code == 404
    assert api(users["ana"]).get(f"/api/v1/cis/{esx.pk}/{suffix}").status_code == 200


def test_unknown_or_absurd_ids_are_404s(api, users, items):
    client = api(users["ana"])
    for pk in ("999999", "9" * 18, "9" * 30, "abc"):
        assert client.get(f"/api/v1/cis/{pk}/").status_code == 404


# --- Create -------------------------------------------------------------------------------------


def test_internal_staff_register_a_ci_with_valid_attributes(api, users, items, demo):
    # when
    response = api(users["ivan"]).post(
        "/api/v1/cis/",
        {
            "name": "ESX-2",
            "ci_class": "server",
            "site": "Madrid",
            "environment": "production",
            "criticality": 2,
            "owner_team": demo.teams["internal-systems"].pk,
            "internal_owner": users["ivan"].pk,
            "asset_tag": "SRV-0002",
            "attributes": {"os": "windows", "ram_gb": 64, "hostname": "esx-2"},
        },
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    ci = ConfigurationItem.objects.get(pk=body["id"])
    assert response["Location"] == body["url"]
    assert response["ETag"] == '"1"'
    assert (ci.name, ci.ci_class.slug, ci.managed_by.slug) == ("ESX-2", "server", "internal")
    assert ci.attributes == {"os": "windows", "ram_gb": 64, "hostname": "esx-2"}
    assert AuditEvent.objects.filter(action="ci.created", object_id=str(ci.pk)).exists()


def test_a_provider_registers_cis_for_its_own_organization(api, users, items, demo):
    response = api(users["pablo"]).post(
        "/api/v1/cis/", {"name": "SW-ACME-9", "ci_class": "network_device"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["managed_by"] == demo.organizations["acme"].pk


def test_a_provider_cannot_register_a_ci_for_another_organization(api, users, items, demo):
    before = _snapshot()
    response = api(users["pablo"]).post(
        "/api/v1/cis/",
        {
            "name": "SW-X",
            "ci_class": "network_device",
            "managed_by": demo.organizations["internal"].pk,
        },
        format="json",
    )
    assert response.status_code == 403
    assert _snapshot() == before


def test_a_requester_cannot_register_a_ci(api, users, items):
    before = _snapshot()
    response = api(users["rita"]).post(
        "/api/v1/cis/", {"name": "MY-PC", "ci_class": "workstation"}, format="json"
    )
    assert response.status_code in (400, 403)
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"attributes": {"os": "solaris"}}, "attributes", "os: Must be one of: linux, windows."),
        ({"attributes": {"os": "linux", "ram_gb": 0}}, "attributes", "ram_gb: Must be at least 1."),
        ({"attributes": {"os": "linux", "ram_gb": 9000}}, "attributes", "at most 4096"),
        ({"attributes": {"os": "linux", "ram_gb": "lots"}}, "attributes", "type integer"),
        ({"attributes": {"os": "linux", "hostname": "ESX_2!"}}, "attributes", "expected format"),
        ({"attributes": {}}, "attributes", "os: This attribute is required."),
        ({"attributes": {"os": "linux", "colour": "red"}}, "attributes", "colour"),
        ({"attributes": ["os", "linux"]}, "attributes", ""),
        ({"ci_class": "spaceship"}, "ci_class", "spaceship"),
        ({"ci_class": 7}, "ci_class", ""),
        ({"name": ""}, "name", ""),
        ({"name": "x" * 201}, "name", ""),
        ({"status": "broken"}, "status", ""),
        ({"environment": "moon"}, "environment", ""),
        ({"criticality": 7}, "criticality", ""),
        ({"criticality": True}, "criticality", ""),
        ({"owner_team": 999999}, "owner_team", "Unknown id"),
        ({"owner_team": "x"}, "owner_team", ""),
        ({"managed_by": 2**70}, "managed_by", ""),
        ({"internal_owner": 999999}, "internal_owner", ""),
        ({"asset_tag": "TAG-CORE"}, "asset_tag", "already"),
        ({"version": 3}, "version", "cannot be written"),
        ({"colour": "red"}, "colour", "Unknown field"),
    ],
)
def test_bad_input_to_create_is_a_400_with_nothing_saved(api, users, items, body, field, message):
    # given
    before = _snapshot()
    data = {"name": "ESX-9", "ci_class": "server", "attributes": {"os": "linux"}, **body}
    # when
    response = api(users["ivan"]).post("/api/v1/cis/", data, format="json")
    # then
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors
    assert message in " ".join(errors[field])
    assert _snapshot() == before


def test_owners_must_belong_to_their_side(api, users, items):
    before = _snapshot()
    response = api(users["ivan"]).post(
        "/api/v1/cis/",
        {
            "name": "ESX-9",
            "ci_class": "server",
            "attributes": {"os": "linux"},
            "internal_owner": users["pablo"].pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "internal_owner" in response.json()
    assert _snapshot() == before


@pytest.mark.parametrize(
    "payload",
    [
        '["a list"]',
        '"text"',
        "{broken json",
        "null",
        # What a database cannot store in JSON (a 500 if it got that far)
        '{"name": "X", "ci_class": "server", "attributes": {"os": "linux", "load": 1e400}}',
        '{"name": "X", "ci_class": "server", "attributes": {"os": "linux", "load": NaN}}',
        '{"name": "X", "ci_class": "server", "attributes": {"os": "linux", "notes": "a\\u0000"}}',
        '{"name": "X\\u0000", "ci_class": "server", "attributes": {"os": "linux"}}',
        '{"name": "X", "ci_class": "ser\\u0000ver", "attributes": {"os": "linux"}}',
    ],
)
def test_a_body_that_is_not_an_object_is_a_400(api, users, items, payload):
    before = _snapshot()
    response = api(users["ivan"]).generic(
        "POST", "/api/v1/cis/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert _snapshot() == before


# --- Change -------------------------------------------------------------------------------------


def test_internal_staff_change_a_ci_and_the_version_moves(api, users, items):
    ci = items.cis["ESX-1"]
    # when
    response = api(users["ivan"]).patch(
        f"/api/v1/cis/{ci.pk}/",
        {"site": "Barcelona", "attributes": {"os": "linux", "ram_gb": 512}, "reason": "moved"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    # then
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    ci.refresh_from_db()
    assert (ci.site, ci.attributes["ram_gb"], ci.version) == ("Barcelona", 512, 2)
    event = AuditEvent.objects.get(action="ci.updated", object_id=str(ci.pk))
    assert event.before["site"] == "Madrid" and event.after["site"] == "Barcelona"
    assert event.note == "moved"


def test_a_stale_if_match_is_a_412_with_nothing_changed(api, users, items):
    ci = items.cis["ESX-1"]
    ConfigurationItem.objects.filter(pk=ci.pk).update(version=4)
    before = _snapshot()
    response = api(users["ivan"]).patch(
        f"/api/v1/cis/{ci.pk}/", {"site": "Sevilla"}, format="json", HTTP_IF_MATCH='W/"3"'
    )
    assert response.status_code == 412
    assert "version 4" in response.json()["detail"]
    assert _snapshot() == before


def test_a_malformed_if_match_is_a_400(api, users, items):
    ci = items.cis["ESX-1"]
    before = _snapshot()
    response = api(users["ivan"]).patch(
        f"/api/v1/cis/{ci.pk}/", {"site": "Sevilla"}, format="json", HTTP_IF_MATCH="yesterday"
    )
    assert response.status_code == 400
    assert "If-Match" in response.json()
    assert _snapshot() == before


def test_a_provider_changes_the_cis_its_organization_manages(api, users, items):
    ci = items.cis["CORE"]
    response = api(users["pablo"]).patch(f"/api/v1/cis/{ci.pk}/", {"criticality": 2}, format="json")
    assert response.status_code == 200
    ci.refresh_from_db()
    assert ci.criticality == 2


def test_a_providers_change_to_an_internally_managed_ci_becomes_a_proposal(api, users, items):
    # given: SW-INT is in Acme's scope (networks) but managed internally
    ci = items.cis["SW-INT"]
    # when
    response = api(users["pablo"]).patch(
        f"/api/v1/cis/{ci.pk}/",
        {"site": "Barcelona", "reason": "It was moved last week."},
        format="json",
    )
    # then: 202, the proposal, and the CI as it still is
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["proposal"]["changes"] == {"site": "Barcelona"}
    assert body["proposal"]["before"] == {"site": "Madrid"}
    assert body["proposal"]["status"] == "pending"
    assert body["proposal"]["reason"] == "It was moved last week."
    assert body["ci"]["site"] == "Madrid"
    ci.refresh_from_db()
    assert (ci.site, ci.version) == ("Madrid", 1)
    proposal = CIChangeProposal.objects.get(pk=body["proposal"]["id"])
    assert proposal.proposed_by == users["pablo"]


def test_a_proposal_on_a_stale_version_is_a_412_with_nothing_filed(api, users, items):
    before = _snapshot()
    response = api(users["pablo"]).patch(
        f"/api/v1/cis/{items.cis['SW-INT'].pk}/",
        {"site": "Barcelona"},
        format="json",
        HTTP_IF_MATCH='"7"',
    )
    assert response.status_code == 412
    assert _snapshot() == before


def test_a_provider_cannot_propose_to_take_a_ci_over(api, users, items, demo):
    before = _snapshot()
    response = api(users["pablo"]).patch(
        f"/api/v1/cis/{items.cis['SW-INT'].pk}/",
        {"managed_by": demo.organizations["acme"].pk},
        format="json",
    )
    assert response.status_code == 403
    assert _snapshot() == before


def test_a_bad_proposal_is_refused_now_with_nothing_filed(api, users, items):
    before = _snapshot()
    response = api(users["pablo"]).patch(
        f"/api/v1/cis/{items.cis['SW-INT'].pk}/", {"status": "exploded"}, format="json"
    )
    assert response.status_code == 400
    assert _snapshot() == before


def test_a_provider_cannot_hand_its_ci_to_another_organization(api, users, items, demo):
    before = _snapshot()
    response = api(users["pablo"]).patch(
        f"/api/v1/cis/{items.cis['CORE'].pk}/",
        {"managed_by": demo.organizations["internal"].pk},
        format="json",
    )
    assert response.status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": "nothing else"},
        {"version": 9},
        {"id": 5},
        {"attributes": {"os": "beos"}},
        {"name": "  "},
        {"hacker": True},
    ],
)
def test_bad_changes_are_400s_with_nothing_changed(api, users, items, body):
    before = _snapshot()
    response = api(users["ivan"]).patch(
        f"/api/v1/cis/{items.cis['ESX-1'].pk}/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert _snapshot() == before


def test_invisible_cis_cannot_be_changed_or_proposed_for(api, users, items):
    before = _snapshot()
    response = api(users["pablo"]).patch(
        f"/api/v1/cis/{items.cis['ESX-1'].pk}/", {"site": "X"}, format="json"
    )
    assert response.status_code == 404
    assert _snapshot() == before


def test_put_and_delete_are_not_offered(api, users, items):
    client = api(users["ivan"])
    url = f"/api/v1/cis/{items.cis['ESX-1'].pk}/"
    assert client.put(url, {"name": "x"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert ConfigurationItem.objects.filter(pk=items.cis["ESX-1"].pk).exists()


# --- Impact -------------------------------------------------------------------------------------


def test_impact_lists_the_impacted_cis_and_services(api, users, items):
    response = api(users["ana"]).get(f"/api/v1/cis/{items.cis['CORE'].pk}/impact/")
    assert response.status_code == 200
    body = response.json()
    assert body["ci"] == {"id": items.cis["CORE"].pk, "name": "CORE"}
    assert body["depth"] == 10
    assert [s["name"] for s in body["services"]] == ["SVC-VPN", "SVC-ERP", "SVC-CRM"]
    assert {c["name"] for c in body["cis"]} == {
        "ESX-1", "FW", "SW-INT", "VM-DB", "APP-ERP", "DB-ERP", "APP-CRM",
    }  # fmt: skip
    assert {"id", "name", "ci_class", "depth"} <= set(body["cis"][0])


def test_impact_takes_a_depth(api, users, items):
    response = api(users["ana"]).get(f"/api/v1/cis/{items.cis['CORE'].pk}/impact/", {"depth": 1})
    assert response.json()["depth"] == 1
    assert {c["name"] for c in response.json()["cis"]} == {"ESX-1", "FW", "SW-INT"}
    assert response.json()["services"] == []


@pytest.mark.parametrize("depth", ["0", "21", "-1", "two", "1.5", "", "٣"])
def test_a_bad_depth_is_a_400(api, users, items, depth):
    response = api(users["ana"]).get(
        f"/api/v1/cis/{items.cis['CORE'].pk}/impact/", {"depth": depth}
    )
    assert response.status_code == 400
    assert "depth" in response.json()


def test_a_provider_sees_only_the_impact_it_may_see(api, users, items):
    response = api(users["pablo"]).get(f"/api/v1/cis/{items.cis['CORE'].pk}/impact/")
    body = response.json()
    assert {c["name"] for c in body["cis"]} == {"FW", "SW-INT"}
    assert body["services"] == []


def test_dependencies_are_what_a_service_needs(api, users, items):
    response = api(users["ana"]).get(f"/api/v1/cis/{items.cis['SVC-VPN'].pk}/dependencies/")
    assert response.status_code == 200
    assert [(c["name"], c["depth"]) for c in response.json()["cis"]] == [("FW", 1), ("CORE", 2)]


@pytest.mark.parametrize(("role", "queries"), [("ana", 3), ("pablo", 6)])
def test_impact_costs_the_same_few_queries_whatever_its_size(
    api, users, items, demo, role, queries, django_assert_num_queries
):
    client = api(users[role])
    url = f"/api/v1/cis/{items.cis['CORE'].pk}/impact/"
    client.get(url)  # warm the per-process caches
    # The token, the CI, and the walk with its rows and the reader's visibility rule in one
    # query; a provider's rule also reads its engagements (the ticket and the CI rules), and
    # its walk runs alone first (most CIs impact nothing: then the rule is never planned).
    with django_assert_num_queries(queries):
        small = client.get(url).json()
    ConfigurationItem.objects.bulk_create(
        ConfigurationItem(
            name=f"SW-{i}",
            ci_class=items.classes["network_device"],
            managed_by=demo.organizations["acme"],
        )
        for i in range(30)
    )
    CIRelation.objects.bulk_create(
        CIRelation(source=ci, type="depends_on", target=items.cis["CORE"])
        for ci in ConfigurationItem.objects.filter(name__startswith="SW-").exclude(name="SW-INT")
    )
    with django_assert_num_queries(queries):
        large = client.get(url).json()
    assert len(large["cis"]) == len(small["cis"]) + 30


def test_a_provider_asking_for_a_leaf_pays_no_visibility_rule(
    api, users, items, django_assert_num_queries
):
    client = api(users["pablo"])
    url = f"/api/v1/cis/{items.cis['SW-INT'].pk}/impact/"  # nothing depends on it
    client.get(url)
    with django_assert_num_queries(5):
        assert client.get(url).json()["cis"] == []


# --- Relations ----------------------------------------------------------------------------------


def test_relations_are_listed_with_both_names_and_filtered_by_ci(api, users, items):
    core = items.cis["CORE"]
    response = api(users["ana"]).get("/api/v1/ci-relations/", {"ci": core.pk, "type": "depends_on"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {(r["source_name"], r["type"], r["target_name"]) for r in rows} == {
        ("ESX-1", "depends_on", "CORE"),
        ("FW", "depends_on", "CORE"),
        ("SW-INT", "depends_on", "CORE"),
    }
    assert {"id", "source", "type", "target"} <= set(rows[0])


def test_a_provider_sees_only_relations_between_cis_it_sees(api, users, items):
    response = api(users["pablo"]).get("/api/v1/ci-relations/", {"page_size": 200})
    assert {(r["source_name"], r["target_name"]) for r in response.json()["results"]} == {
        ("FW", "CORE"),
        ("SW-INT", "CORE"),
    }


def test_relating_two_cis(api, users, items):
    # when
    response = api(users["ivan"]).post(
        "/api/v1/ci-relations/",
        {"source": items.cis["SVC-VPN"].pk, "type": "depends_on", "target": items.cis["SW-INT"].pk},
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    relation = CIRelation.objects.get(pk=response.json()["id"])
    assert (relation.source.name, relation.type, relation.target.name) == (
        "SVC-VPN",
        "depends_on",
        "SW-INT",
    )
    assert response.json()["source_name"] == "SVC-VPN"
    assert AuditEvent.objects.filter(
        action="ci.relation_added", object_id=str(items.cis["SVC-VPN"].pk)
    ).exists()


@pytest.mark.parametrize(
    ("source", "kind", "target", "field", "code"),
    [
        ("FW", "depends_on", "CORE", "detail", 400),  # already related this way
        ("FW", "depends_on", "FW", "target", 400),  # no self-loops
        ("FW", "likes", "CORE", "type", 400),
        ("FW", "depends_on", None, "target", 400),  # missing
        ("FW", "depends_on", "ESX-1", "target", 400),  # pablo cannot see ESX-1
        ("SW-INT", "depends_on", "FW", None, 403),  # visible, not Acme's to change
    ],
)
def test_bad_relations_are_refused_with_nothing_saved(
    api, users, items, source, kind, target, field, code
):
    before = _snapshot()
    body = {"source": items.cis[source].pk, "type": kind}
    if target:
        body["target"] = items.cis[target].pk
    response = api(users["pablo"]).post("/api/v1/ci-relations/", body, format="json")
    assert response.status_code == code, response.content
    if field:
        assert field in response.json()
    assert _snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"source": "one", "type": "depends_on", "target": 1},
        {"source": 2**70, "type": "depends_on", "target": 1},
        {"source": 1, "type": "depends_on", "target": 1, "weight": 3},
        {"source": 1, "type": "depends_on", "target": 1, "id": 3},
    ],
)
def test_malformed_relations_are_400s(api, users, items, body):
    before = _snapshot()
    response = api(users["ivan"]).post("/api/v1/ci-relations/", body, format="json")
    assert response.status_code == 400
    assert _snapshot() == before


def test_removing_a_relation(api, users, items):
    relation = CIRelation.objects.get(source=items.cis["FW"], target=items.cis["CORE"])
    response = api(users["pablo"]).delete(f"/api/v1/ci-relations/{relation.pk}/")
    assert response.status_code == 204
    assert not CIRelation.objects.filter(pk=relation.pk).exists()
    assert AuditEvent.objects.filter(
        action="ci.relation_removed", object_id=str(items.cis["FW"].pk)
    ).exists()


def test_a_visible_relation_of_an_internal_ci_is_not_a_providers_to_remove(api, users, items):
    relation = CIRelation.objects.get(source=items.cis["SW-INT"], target=items.cis["CORE"])
    before = _snapshot()
    assert api(users["pablo"]).delete(f"/api/v1/ci-relations/{relation.pk}/").status_code == 403
    hidden = CIRelation.objects.get(source=items.cis["VM-DB"], target=items.cis["ESX-1"])
    assert api(users["pablo"]).delete(f"/api/v1/ci-relations/{hidden.pk}/").status_code == 404
    assert api(users["pablo"]).get(f"/api/v1/ci-relations/{hidden.pk}/").status_code == 404
    assert _snapshot() == before


# --- Classes ------------------------------------------------------------------------------------


def test_classes_are_listed_with_their_attribute_schema(api, users, items):
    response = api(users["pablo"]).get("/api/v1/ci-classes/", {"page_size": 200})
    assert response.status_code == 200
    rows = {row["slug"]: row for row in response.json()["results"]}
    assert rows["server"]["attribute_schema"]["required"] == ["os"]
    assert rows["business_service"]["is_service"] is True
    detail = api(users["pablo"]).get(f"/api/v1/ci-classes/{rows['server']['id']}/")
    assert detail.json()["slug"] == "server"


def test_classes_are_read_only_in_the_api(api, users, items):
    response = api(users["marta"]).post(
        "/api/v1/ci-classes/", {"name": "Toaster", "slug": "toaster"}, format="json"
    )
    assert response.status_code == 405
    assert api(users["rita"]).get("/api/v1/ci-classes/").json()["results"] == []


def test_the_schema_documents_the_cmdb_endpoints(api, db):
    schema = api().get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/v1/cis/",
        "/api/v1/cis/{id}/",
        "/api/v1/cis/{id}/impact/",
        "/api/v1/cis/{id}/dependencies/",
        "/api/v1/ci-relations/",
        "/api/v1/ci-relations/{id}/",
        "/api/v1/ci-classes/",
    ):
        assert path in schema["paths"], path
    assert "patch" in schema["paths"]["/api/v1/cis/{id}/"]
    assert "202" in schema["paths"]["/api/v1/cis/{id}/"]["patch"]["responses"]
