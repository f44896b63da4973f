"""``/api/v1/runbooks/`` (SPEC 2.6, 5): list and filters, create, PATCH with If-Match, versions,
acknowledgements; restricted per SPEC 3; bad input is a JSON 4xx with nothing saved."""

from __future__ import annotations

import pytest

from cmdb.models import Runbook, RunbookAcknowledgement, RunbookVersion
from cmdb.runbooks import runbook_publish

from .test_runbooks import build_runbook_world

URL = "/api/v1/runbooks/"


@pytest.fixture
def world(demo):
    return build_runbook_world(demo)


def _titles(response) -> set[str]:
    return {row["title"] for row in response.json()["results"]}


def _state():
    return (
        Runbook.objects.count(),
        RunbookVersion.objects.count(),
        RunbookAcknowledgement.objects.count(),
        list(Runbook.objects.order_by("pk").values_list("title", "version", "current_version")),
    )


# --- Reading ------------------------------------------------------------------------------------


def test_list_is_restricted_per_reader(world, api, users):
    assert len(api(users["ana"]).get(URL).json()["results"]) == 6
    assert _titles(api(users["pablo"]).get(URL)) == {
        "Acme VPN failover",
        "Switch firmware upgrade",
        "SW-1 port reset",
    }
    assert _titles(api(users["sam"]).get(URL)) == {
        "Switch firmware upgrade",
        "Server patching",
        "SW-1 port reset",
    }
    assert api(users["rita"]).get(URL).json()["results"] == []
    assert api().get(URL).status_code in (401, 403)


def test_list_rows_carry_links_and_acknowledgement(world, api, users):
    rows = {r["title"]: r for r in api(users["ivan"]).get(URL).json()["results"]}
    acme = rows["Acme VPN failover"]
    assert acme["provider_owner"] == users["pablo"].pk
    assert acme["provider_organization"] == world.runbooks["acme"].provider_organization_id
    assert (acme["acknowledged_internal"], acme["acknowledged_provider"]) == (False, False)
    assert rows["Server patching"]["cis"] == [world.cis["SRV-1"].pk]
    assert rows["Any server: disk full"]["ci_classes"] == ["server"]
    assert rows["Printer toner"]["acknowledged_provider"] is None
    assert "body" not in acme


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "known_error"}, {"SW-1 port reset"}),
        ({"area": "systems"}, {"Server patching"}),
        ({"ci_class": "server"}, {"Any server: disk full"}),
        ({"q": "toner"}, {"Printer toner"}),
    ],
)
def test_list_filters(world, api, users, query, expected):
    response = api(users["ana"]).get(URL, query)
    assert response.status_code == 200
    assert _titles(response) == expected


def test_ci_filter_follows_the_class_and_the_readers_scope(world, api, users):
    srv = world.cis["SRV-1"].pk
    assert _titles(api(users["ana"]).get(URL, {"ci": srv})) == {
        "Server patching",
        "Any server: disk full",
    }
    assert api(users["pablo"]).get(URL, {"ci": srv}).json()["results"] == []


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "novel"},
        {"area": "kitchen"},
        {"ci": "abc"},
        {"ci": "0"},
        {"ci": str(2**70)},
        {"ci_class": "no-such-class"},
        {"ci_class": "bad slug!"},
    ],
)
def test_bad_filters_are_a_json_400(world, api, users, query):
    response = api(users["ana"]).get(URL, query)
    assert response.status_code == 400
    assert set(query) <= set(response.json())


def test_retrieve_has_the_current_text_and_an_etag(world, api, users):
    runbook = world.runbooks["net"]
    runbook_publish(runbook=runbook, by=users["ivan"], body="Second text", note="v2")
    response = api(users["pablo"]).get(f"{URL}{runbook.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["body"], body["note"], body["current_version"]) == ("Second text", "v2", 2)
    assert response["ETag"] == '"2"'


@pytest.mark.parametrize(
    ("who", "key"), [("pablo", "sys"), ("pablo", "bare"), ("sam", "acme"), ("rita", "net")]
)
def test_invisible_runbooks_are_404_on_every_url(world, api, users, who, key):
    pk = world.runbooks[key].pk
    client = api(users[who])
    before = _state()
    assert client.get(f"{URL}{pk}/").status_code == 404
    assert client.patch(f"{URL}{pk}/", {"title": "x"}, format="json").status_code == 404
    assert client.get(f"{URL}{pk}/versions/").status_code == 404
    assert client.post(f"{URL}{pk}/versions/", {"body": "x"}, format="json").status_code == 404
    assert client.post(f"{URL}{pk}/acknowledge/", {}, format="json").status_code == 404
    assert _state() == before


def test_unknown_ids_are_404(world, api, users):
    assert api(users["ana"]).get(f"{URL}999999/").status_code == 404
    assert api(users["ana"]).get(f"{URL}{'9' * 30}/").status_code == 404


# --- Writing ------------------------------------------------------------------------------------


def test_create_publishes_version_one(world, api, users):
    payload = {
        "title": "Firewall failover",
        "kind": "contingency",
        "body": "1. Switch over.",
        "areas": ["cybersecurity"],
        "ci_classes": ["firewall"],
        "cis": [world.cis["FW-1"].pk],
        "internal_owner": users["ivan"].pk,
        "provider_owner": users["pablo"].pk,
        "review_on": "2027-06-30",
    }
    response = api(users["ana"]).post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["current_version"], body["version"], body["body"]) == (1, 1, "1. Switch over.")
    assert body["ci_classes"] == ["firewall"] and body["cis"] == [world.cis["FW-1"].pk]
    assert body["provider_organization"] == users["pablo"].profile.organization_id
    assert response["ETag"] == '"1"'


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "novel"}, "kind"),
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"areas": "networks"}, "areas"),
        ({"areas": ["kitchen"]}, "areas"),
        ({"ci_classes": ["no-such-class"]}, "ci_classes"),
        ({"cis": [999999]}, "cis"),
        ({"cis": ["SW-1"]}, "cis"),
        ({"cis": [2**70]}, "cis"),
        ({"internal_owner": None}, "internal_owner"),
        ({"internal_owner": "ivan"}, "internal_owner"),
        ({"provider_owner": 999999}, "provider_owner"),
        ({"review_on": "someday"}, "review_on"),
        ({"note": "x" * 301}, "note"),
    ],
)
def test_bad_create_input_is_a_json_400_with_nothing_saved(world, api, users, payload, field):
    data = {
        "title": "T",
        "kind": "manual",
        "body": "B",
        "internal_owner": users["ivan"].pk,
        **payload,
    }
    before = _state()
    response = api(users["ana"]).post(URL, data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert _state() == before


def test_requesters_and_strangers_write_nothing(world, api, users):
    before = _state()
    data = {"title": "T", "kind": "manual", "body": "B", "internal_owner": users["ivan"].pk}
    assert api(users["rita"]).post(URL, data, format="json").status_code == 403
    assert api().post(URL, data, format="json").status_code in (401, 403)
    # a provider writes only for its own organization
    data["provider_owner"] = users["sam"].pk
    response = api(users["pablo"]).post(URL, data, format="json")
    assert response.status_code == 400 and "provider_owner" in response.json()
    assert _state() == before


def test_patch_changes_metadata_with_if_match(world, api, users):
    runbook = world.runbooks["net"]
    client = api(users["ivan"])
    response = client.patch(
        f"{URL}{runbook.pk}/",
        {"title": "Firmware", "ci_classes": ["network_device"], "review_on": None},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["title"], response.json()["version"]) == ("Firmware", 2)
    assert response.json()["ci_classes"] == ["network_device"]
    assert response["ETag"] == '"2"'
    # a stale If-Match: 412, nothing changed
    before = _state()
    response = client.patch(
        f"{URL}{runbook.pk}/", {"title": "Stale"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 412
    assert "detail" in response.json()
    assert _state() == before


@pytest.mark.parametrize(
    ("payload", "headers", "field"),
    [
        ({"body": "new text"}, {}, "body"),
        ({"title": ""}, {}, "title"),
        ({"internal_owner": None}, {}, "internal_owner"),
        ({"cis": [999999]}, {}, "cis"),
        ({"title": "ok"}, {"HTTP_IF_MATCH": "soon"}, "If-Match"),
    ],
)
def test_bad_patch_is_a_400_with_nothing_changed(world, api, users, payload, headers, field):
    runbook = world.runbooks["net"]
    before = _state()
    response = api(users["ivan"]).patch(f"{URL}{runbook.pk}/", payload, format="json", **headers)
    assert response.status_code == 400
    assert field in response.json()
    assert _state() == before


def test_a_provider_patches_only_what_it_co_owns(world, api, users):
    client = api(users["pablo"])
    acme, net = world.runbooks["acme"], world.runbooks["net"]
    assert client.patch(f"{URL}{acme.pk}/", {"title": "Acme VPN"}, format="json").status_code == 200
    before = _state()
    assert client.patch(f"{URL}{net.pk}/", {"title": "Mine"}, format="json").status_code == 403
    response = client.patch(
        f"{URL}{acme.pk}/", {"internal_owner": users["marta"].pk}, format="json"
    )
    assert response.status_code == 400 and "internal_owner" in response.json()
    assert _state() == before


def test_versions_publish_and_list(world, api, users):
    runbook = world.runbooks["acme"]
    client = api(users["pablo"])
    response = client.post(
        f"{URL}{runbook.pk}/versions/",
        {"body": "Acme v2", "note": "Clearer"},
        format="json",
        HTTP_IF_MATCH="1",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["number"], response.json()["note"]) == (2, "Clearer")
    listing = client.get(f"{URL}{runbook.pk}/versions/").json()["results"]
    assert [v["number"] for v in listing] == [2, 1]
    assert listing[0]["author"] == users["pablo"].pk


@pytest.mark.parametrize(
    ("who", "payload", "headers", "status", "field"),
    [
        ("ivan", {"body": "# Acme VPN failover\n\n1. Check.\n2. Fix."}, {}, 400, "body"),
        ("ivan", {"body": ""}, {}, 400, "body"),
        ("ivan", {"body": "x", "version": 3}, {}, 400, "version"),
        ("ivan", {"body": "x"}, {"HTTP_IF_MATCH": '"7"'}, 412, "detail"),
        ("ivan", {"body": "x" * 100_001}, {}, 400, "body"),
        ("ana", {"body": "x"}, {}, 201, "number"),
    ],
)
def test_publishing_bad_input(world, api, users, who, payload, headers, status, field):
    runbook = world.runbooks["acme"]
    before = _state()
    response = api(users[who]).post(
        f"{URL}{runbook.pk}/versions/", payload, format="json", **headers
    )
    assert response.status_code == status
    assert field in response.json()
    if status != 201:
        assert _state() == before


def test_a_provider_cannot_publish_an_internal_runbook(world, api, users):
    before = _state()
    response = api(users["pablo"]).post(
        f"{URL}{world.runbooks['net'].pk}/versions/", {"body": "x"}, format="json"
    )
    assert response.status_code == 403
    assert _state() == before


def test_acknowledge_once_per_side(world, api, users):
    runbook = world.runbooks["acme"]
    url = f"{URL}{runbook.pk}/acknowledge/"
    response = api(users["ivan"]).post(url, {"version": 1}, format="json")
    assert response.status_code == 201
    assert (response.json()["side"], response.json()["version"]) == ("internal", 1)
    assert api(users["pablo"]).post(url, {}, format="json").status_code == 201
    # again: 409, no duplicate
    response = api(users["marta"]).post(url, format="json")
    assert response.status_code == 409
    assert "already acknowledged" in response.json()["detail"]
    assert RunbookAcknowledgement.objects.count() == 2
    detail = api(users["ivan"]).get(f"{URL}{runbook.pk}/").json()
    assert detail["acknowledged"] is True
    versions = api(users["ivan"]).get(f"{URL}{runbook.pk}/versions/").json()["results"]
    assert {a["side"] for a in versions[0]["acknowledgements"]} == {"internal", "provider"}


@pytest.mark.parametrize(
    ("who", "key", "payload", "status"),
    [
        ("ana", "net", {}, 403),
        ("pablo", "net", {}, 403),
        ("ivan", "net", {"version": 2}, 400),
        ("ivan", "net", {"version": "one"}, 400),
        ("ivan", "net", {"colour": "red"}, 400),
    ],
)
def test_acknowledge_refusals(world, api, users, who, key, payload, status):
    before = _state()
    response = api(users[who]).post(
        f"{URL}{world.runbooks[key].pk}/acknowledge/", payload, format="json"
    )
    assert response.status_code == status
    assert _state() == before


def test_the_schema_documents_the_runbook_endpoints(world, api, users):
    response = api(users["ana"]).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/runbooks/"])
    assert {"get", "patch"} <= set(paths["/api/v1/runbooks/{id}/"])
    assert {"get", "post"} <= set(paths["/api/v1/runbooks/{id}/versions/"])
    assert "post" in paths["/api/v1/runbooks/{id}/acknowledge/"]
