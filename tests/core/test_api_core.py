"""The core of the REST API (SPEC 5): list shape, paging, restricted rows, 404s, the schema."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cogest.models import AuditEvent, Engagement, Organization, Team
from cogest.services import audit_record

LISTS = ["organizations", "teams", "engagements", "audit"]


def get_ok(client, url, **params) -> dict:
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.content[:300])
    return response.json()


def ids(body: dict) -> set[int]:
    return {row["id"] for row in body["results"]}


def all_ids(client, url) -> set[int]:
    """Every id of a list, following ``next`` through the pages."""
    found, page = set(), get_ok(client, url, page_size=200)
    while True:
        found |= ids(page)
        if not page["next"]:
            return found
        page = client.get(page["next"]).json()


# --- Shape -----------------------------------------------------------------------------------


def test_lists_have_the_spec_shape(world, api):
    ana = api(world.users["ana"])
    for name in LISTS:
        body = get_ok(ana, f"/api/v1/{name}/")
        assert {"results", "next", "previous"} <= set(body), name
        assert isinstance(body["results"], list) and body["results"], name
        assert body["next"] is None and body["previous"] is None, name


def test_me_describes_the_caller(world, api):
    pablo = world.users["pablo"]
    body = get_ok(api(pablo), "/api/v1/users/me/")
    assert body["id"] == pablo.pk
    assert body["username"] == "pablo"
    assert body["role"] == "agent"
    assert body["organization"]["slug"] == "acme"
    assert body["organization"]["kind"] == "provider"
    assert body["teams"] == [world.teams["acme-networks"].pk]
    assert body["language"] == "es"


def test_a_team_row_has_its_people_and_levels(world, api):
    team = world.teams["acme-security"]
    body = get_ok(api(world.users["ana"]), f"/api/v1/teams/{team.pk}/")
    assert body["organization"] == world.organizations["acme"].pk
    assert body["support_levels"] == ["L2", "L3"]
    assert body["support_level"] == "L2"
    assert body["functional_areas"] == ["cybersecurity"]
    assert body["lead"] == world.users["lucia"].pk
    assert body["members"] == [world.users["lucia"].pk]


# --- Restricted rows -------------------------------------------------------------------------


def test_a_provider_token_lists_only_allowed_rows(world, api):
    pablo = api(world.users["pablo"])
    orgs, teams, engagements = world.organizations, world.teams, world.engagements
    assert all_ids(pablo, "/api/v1/organizations/") == {orgs["internal"].pk, orgs["acme"].pk}
    assert all_ids(pablo, "/api/v1/teams/") == {
        teams[s].pk for s in ("service-desk", "internal-systems", "acme-networks", "acme-security")
    }
    assert all_ids(pablo, "/api/v1/engagements/") == {engagements["acme"].pk}
    assert all_ids(pablo, "/api/v1/audit/") == set(
        AuditEvent.objects.filter(actor_organization=orgs["acme"]).values_list("pk", flat=True)
    )
    assert world.events["sam"].pk not in all_ids(pablo, "/api/v1/audit/")


def test_the_other_provider_gets_the_mirror_image(world, api):
    sam = api(world.users["sam"])
    orgs, teams = world.organizations, world.teams
    assert all_ids(sam, "/api/v1/organizations/") == {orgs["internal"].pk, orgs["shadow"].pk}
    assert teams["acme-networks"].pk not in all_ids(sam, "/api/v1/teams/")
    assert teams["shadow-desk"].pk in all_ids(sam, "/api/v1/teams/")
    assert all_ids(sam, "/api/v1/engagements/") == {world.engagements["shadow"].pk}
    assert all_ids(sam, "/api/v1/audit/") == {world.events["sam"].pk}


def test_internal_staff_list_everything(world, api):
    ana = api(world.users["ana"])
    assert all_ids(ana, "/api/v1/organizations/") == set(
        Organization.objects.values_list("pk", flat=True)
    )
    assert all_ids(ana, "/api/v1/teams/") == set(Team.objects.values_list("pk", flat=True))
    assert all_ids(ana, "/api/v1/engagements/") == set(
        Engagement.objects.values_list("pk", flat=True)
    )
    assert all_ids(ana, "/api/v1/audit/") == set(AuditEvent.objects.values_list("pk", flat=True))


def test_a_requester_reads_only_their_own_audit_events(world, api):
    assert all_ids(api(world.users["rita"]), "/api/v1/audit/") == {world.events["rita"].pk}


def test_an_invisible_object_answers_404(world, api):
    pablo = api(world.users["pablo"])
    invisible = {
        "organizations": world.organizations["shadow"].pk,
        "teams": world.teams["shadow-desk"].pk,
        "engagements": world.engagements["shadow"].pk,
        "audit": world.events["sam"].pk,
    }
    for name, pk in invisible.items():
        response = pablo.get(f"/api/v1/{name}/{pk}/")
        assert response.status_code == 404, name
        assert "detail" in response.json()
    # the same objects are there for their own side
    sam = api(world.users["sam"])
    for name, pk in invisible.items():
        assert sam.get(f"/api/v1/{name}/{pk}/").status_code == 200, name


def test_an_unknown_id_answers_404_like_an_invisible_one(world, api):
    response = api(world.users["pablo"]).get("/api/v1/teams/999999/")
    assert response.status_code == 404


def test_a_filter_cannot_reach_around_the_restriction(world, api):
    pablo = api(world.users["pablo"])
    shadow_org = world.organizations["shadow"].pk
    assert get_ok(pablo, "/api/v1/teams/", organization=shadow_org)["results"] == []
    assert get_ok(pablo, "/api/v1/engagements/", provider=shadow_org)["results"] == []
    assert get_ok(pablo, "/api/v1/organizations/", slug="shadow")["results"] == []
    actor = world.users["sam"].pk
    assert get_ok(pablo, "/api/v1/audit/", actor=actor)["results"] == []


def test_anonymous_callers_are_refused(world, api):
    anonymous = api()
    details = {
        "organizations": world.organizations["acme"].pk,
        "teams": world.teams["acme-networks"].pk,
        "engagements": world.engagements["acme"].pk,
        "audit": world.events["pablo"].pk,
    }
    paths = [f"/api/v1/{n}/" for n in LISTS] + [f"/api/v1/{n}/{pk}/" for n, pk in details.items()]
    for path in [*paths, "/api/v1/users/me/"]:
        response = anonymous.get(path)
        assert response.status_code in (401, 403), path
        assert "detail" in response.json(), path
        assert "results" not in response.json(), path


def test_a_session_works_for_the_api_too(world, client):
    client.force_login(world.users["sam"])
    body = get_ok(client, "/api/v1/engagements/")
    assert ids(body) == {world.engagements["shadow"].pk}


# --- Paging ----------------------------------------------------------------------------------


def test_page_size_pages_through_a_list(world, api):
    ana = api(world.users["ana"])
    first = get_ok(ana, "/api/v1/teams/", page_size=1)
    assert len(first["results"]) == 1
    assert first["previous"] is None and "page_size=1" in first["next"]
    second = ana.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["previous"]
    assert ids(first).isdisjoint(ids(second))
    assert all_ids(ana, "/api/v1/teams/") == set(Team.objects.values_list("pk", flat=True))


def test_page_size_is_capped_at_200(world, api):
    # given more events than the cap
    for i in range(205 - AuditEvent.objects.count()):
        audit_record(actor=None, actor_label="system:test", action="test.bulk", note=str(i))
    assert AuditEvent.objects.count() >= 205
    # when
    body = get_ok(api(world.users["ana"]), "/api/v1/audit/", page_size=500)
    # then
    assert len(body["results"]) == 200
    assert body["next"]


def test_the_default_page_is_50(world, api):
    for i in range(60):
        audit_record(actor=None, actor_label="system:test", action="test.bulk", note=str(i))
    body = get_ok(api(world.users["ana"]), "/api/v1/audit/")
    assert len(body["results"]) == 50


BAD_QUERIES = [
    "page=999",
    "page=abc",
    "page_size=abc",
    "page_size=-5",
    "ordering=-nonexistent",
    "organization=abc",
    "is_active=maybe",
    "functional_area=gardening",
    "created_after=yesterday",
    "actor=x",
]


def test_bad_query_parameters_never_cause_a_5xx(demo, api):
    ana = api(demo.users["ana"])
    for name in ("organizations", "teams", "engagements", "audit"):
        for query in BAD_QUERIES:
            response = ana.get(f"/api/v1/{name}/?{query}")
            assert response.status_code < 500, (name, query)
            assert response["Content-Type"].startswith("application/json"), (name, query)


def test_lists_cost_the_same_queries_at_two_sizes(world, api):
    ana = api(world.users["ana"])

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert ana.get(path).status_code == 200
        return len(captured)

    small = {name: queries(f"/api/v1/{name}/") for name in LISTS}
    acme = world.organizations["acme"]
    for i in range(10):
        team = Team.objects.create(
            organization=acme,
            name=f"Acme extra {i}",
            slug=f"acme-extra-{i}",
            functional_areas=["networks"],
            support_levels=["L2"],
        )
        team.members.set([world.users["pablo"], world.users["lucia"]])
        engagement = Engagement.objects.create(
            name=f"Acme extra {i}",
            provider=acme,
            model="co_managed",
            internal_owner=world.users["marta"],
            provider_owner=world.users["lucia"],
        )
        engagement.teams.set([team])
        Organization.objects.create(name=f"Provider {i}", slug=f"provider-{i}", kind="provider")
        audit_record(actor=world.users["ana"], action="test.more")
    large = {name: queries(f"/api/v1/{name}/") for name in LISTS}
    assert large == small


# --- Read-only endpoints, schema, docs -------------------------------------------------------


def test_the_core_endpoints_are_read_only(world, api):
    ana = api(world.users["admin"])
    counts = (Organization.objects.count(), Team.objects.count(), Engagement.objects.count())
    events = AuditEvent.objects.count()
    for name in LISTS:
        assert ana.post(f"/api/v1/{name}/", {"name": "x"}, format="json").status_code == 405
    detail = {
        "organizations": world.organizations["acme"].pk,
        "teams": world.teams["acme-networks"].pk,
        "engagements": world.engagements["acme"].pk,
        "audit": world.events["pablo"].pk,
    }
    for name, pk in detail.items():
        url = f"/api/v1/{name}/{pk}/"
        assert ana.put(url, {"name": "x"}, format="json").status_code == 405, name
        assert ana.patch(url, {"name": "x"}, format="json").status_code == 405, name
        assert ana.delete(url).status_code == 405, name
    assert ana.post("/api/v1/users/me/", {}, format="json").status_code == 405
    assert ana.patch("/api/v1/users/me/", {"username": "x"}, format="json").status_code == 405
    assert (
        Organization.objects.count(),
        Team.objects.count(),
        Engagement.objects.count(),
    ) == counts
    assert AuditEvent.objects.count() == events
    assert Organization.objects.get(pk=detail["organizations"]).name == "Acme MSP"


def test_the_openapi_schema_describes_the_core(db, api):
    response = api().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/organizations/",
        "/api/v1/teams/{id}/",
        "/api/v1/engagements/",
        "/api/v1/users/me/",
        "/api/v1/audit/",
    ):
        assert path in schema["paths"], path


def test_the_schema_is_served_as_yaml_by_default(db, api):
    response = api().get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi: 3." in response.content


def test_the_interactive_docs_open(db, client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "swagger" in response.content.decode().lower()


def test_teams_filter_by_functional_area(world, api):
    ana = api(world.users["ana"])
    body = get_ok(ana, "/api/v1/teams/", functional_area="networks")
    slugs = {row["slug"] for row in body["results"]}
    assert slugs == {"service-desk", "acme-networks", "shadow-desk"}
    pablo = api(world.users["pablo"])
    body = get_ok(pablo, "/api/v1/teams/", functional_area="networks")
    assert {row["slug"] for row in body["results"]} == {"service-desk", "acme-networks"}
