"""The CI pages, internal UI and partner portal, driven with Django's test client: the list
(filters, search, sorting, pagination, constant queries), the CI page (attributes, impact,
relations, history), the graph's JSON, the picker, the create and edit forms (direct edits,
proposals, stale versions, bad attributes) and relation changes. Every refusal also checks that
nothing changed."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from cmdb.models import CIChangeProposal, CIClass, CIRelation, ConfigurationItem
from cmdb.services import ci_create, ci_update, relation_create
from cogest.models import AuditEvent, Engagement, UserProfile

HTMX = {"HTTP_HX_REQUEST": "true"}

SWITCH_SCHEMA = {
    "properties": {
        "ports": {"type": "integer", "title": "Ports", "minimum": 1, "maximum": 512},
        "os": {"type": "string", "title": "Operating system", "enum": ["ios", "nxos"]},
        "mgmt_ip": {
            "type": "string",
            "title": "Management IP",
            "pattern": r"^\d{1,3}(\.\d{1,3}){3}$",
        },
        "poe": {"type": "boolean", "title": "PoE"},
    },
    "required": ["ports"],
}
SERVER_SCHEMA = {
    "properties": {
        "ram_gb": {"type": "integer", "title": "RAM (GB)", "minimum": 1},
        "os": {"type": "string", "title": "Operating system", "enum": ["linux", "windows"]},
    },
    "required": ["os"],
}


@pytest.fixture(autouse=True)
def _english(users):
    """Messages are checked in English (the demo people mostly read Spanish)."""
    UserProfile.objects.update(language="en")
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def shadow_covers_barcelona(demo):
    """Shadow Partners' backup desk covers the Barcelona site only (its CI filter): Madrid's
    CIs are outside its scope."""
    Engagement.objects.filter(pk=demo.engagements["shadow"].pk).update(
        scope_ci_filter={"site": ["Barcelona"]}
    )


class Cmdb:
    """The test's CMDB, built with the services: classes, CIs on two sites, relations.

    ``service`` (ERP, a business service) depends on ``app``, which runs on ``server``;
    ``app`` also depends on ``core`` (Acme's core switch), which is connected to ``access``
    (an internally managed access switch). ``bcn`` is an internal switch in Barcelona."""

    def __init__(self, demo, users):
        self.demo, self.users = demo, users
        ivan = users["ivan"]
        internal, acme = demo.organizations["internal"], demo.organizations["acme"]
        self.switch = CIClass.objects.create(
            name="Switch",
            slug="switch",
            functional_area="networks",
            attribute_schema=SWITCH_SCHEMA,
            icon="router",
        )
        self.server_class = CIClass.objects.create(
            name="Server",
            slug="server-t",
            functional_area="systems",
            attribute_schema=SERVER_SCHEMA,
        )
        self.app_class = CIClass.objects.create(
            name="Application", slug="application-t", functional_area="applications"
        )
        self.service_class = CIClass.objects.create(
            name="Business service", slug="business-service-t", is_service=True
        )
        self.core = ci_create(
            by=ivan, name="MAD-CORE-01", ci_class=self.switch, managed_by=acme, site="Madrid",
            criticality=1, asset_tag="NW-CORE-01", owner_team=demo.teams["acme-networks"],
            provider_owner=users["pablo"], attributes={"ports": 48, "os": "ios"},
        )  # fmt: skip
        self.access = ci_create(
            by=ivan, name="SW-MAD-P1", ci_class=self.switch, managed_by=internal, site="Madrid",
            criticality=3, asset_tag="NW-ACC-01", internal_owner=ivan,
            owner_team=demo.teams["internal-systems"], attributes={"ports": 24},
        )  # fmt: skip
        self.bcn = ci_create(
            by=ivan, name="SW-BCN-01", ci_class=self.switch, managed_by=internal,
            site="Barcelona", criticality=3, asset_tag="NW-BCN-01", attributes={"ports": 24},
        )  # fmt: skip
        self.server = ci_create(
            by=ivan, name="ERP-DB-01", ci_class=self.server_class, managed_by=internal,
            site="Madrid", criticality=2, asset_tag="SRV-ERP-01",
            attributes={"os": "linux", "ram_gb": 64},
        )  # fmt: skip
        self.app = ci_create(
            by=ivan, name="SAP ERP", ci_class=self.app_class, managed_by=internal, site="Madrid",
            criticality=1,
        )  # fmt: skip
        self.service = ci_create(
            by=ivan, name="ERP service", ci_class=self.service_class, managed_by=internal,
            criticality=1, description="Invoices and **payroll**.",
        )  # fmt: skip
        relation_create(source=self.service, type="depends_on", target=self.app, by=ivan)
        relation_create(source=self.app, type="runs_on", target=self.server, by=ivan)
        relation_create(source=self.app, type="depends_on", target=self.core, by=ivan)
        relation_create(source=self.core, type="connected_to", target=self.access, by=ivan)

    def refresh(self, ci: ConfigurationItem) -> ConfigurationItem:
        return ConfigurationItem.objects.get(pk=ci.pk)


@pytest.fixture
def cmdb(demo, users) -> Cmdb:
    return Cmdb(demo, users)


@pytest.fixture
def as_user(client, users):
    def login(name):
        client.force_login(users[name])
        return client

    return login


def html(response) -> str:
    return response.content.decode()


def detail(ci, partner=False) -> str:
    return reverse("partner-cmdb:ci-detail" if partner else "cmdb:ci-detail", args=[ci.pk])


def edit_url(ci, partner=False) -> str:
    return reverse("partner-cmdb:ci-edit" if partner else "cmdb:ci-edit", args=[ci.pk])


def form_data(ci: ConfigurationItem, **changes) -> dict:
    """What the edit form posts for ``ci`` unchanged, with ``changes`` applied."""
    data = {
        "name": ci.name,
        "ci_class": ci.ci_class_id,
        "status": ci.status,
        "environment": ci.environment,
        "site": ci.site,
        "criticality": ci.criticality,
        "managed_by": ci.managed_by_id,
        "owner_team": ci.owner_team_id or "",
        "internal_owner": ci.internal_owner_id or "",
        "provider_owner": ci.provider_owner_id or "",
        "asset_tag": ci.asset_tag,
        "serial": ci.serial,
        "description": ci.description,
        "version": ci.version,
        "reason": "",
    }
    for name, value in (ci.attributes or {}).items():
        data[f"attr_{name}"] = str(value).lower() if isinstance(value, bool) else str(value)
    data.update(changes)
    return data


def snapshot(ci: ConfigurationItem) -> tuple:
    ci = ConfigurationItem.objects.get(pk=ci.pk)
    return (ci.name, ci.version, ci.site, ci.attributes, ci.status, ci.criticality)


# --- Pages render for every technician ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "partner", "visible", "invisible"),
    [
        ("ivan", False, ["core", "server", "service", "bcn"], []),
        ("marta", False, ["core", "server", "service", "bcn"], []),
        ("pablo", True, ["core", "access", "bcn"], ["server", "service", "app"]),
        ("lucia", True, ["core", "access", "bcn"], ["server", "service", "app"]),
        ("sam", True, ["bcn"], ["core", "access", "server", "service"]),
    ],
)
def test_list_and_ci_pages_render_for_each_technician(
    name, partner, visible, invisible, as_user, cmdb, shadow_covers_barcelona
):
    # given
    client = as_user(name)
    # when
    listing = client.get(reverse("partner-cmdb:ci-list" if partner else "cmdb:ci-list"))
    # then
    assert listing.status_code == 200
    body = html(listing)
    for key in visible:
        ci = getattr(cmdb, key)
        assert f'data-ci="{ci.pk}"' in body, key
        page = client.get(detail(ci, partner))
        assert page.status_code == 200, key
        assert ci.name in html(page)
    for key in invisible:
        ci = getattr(cmdb, key)
        assert f'data-ci="{ci.pk}"' not in body, key
        assert client.get(detail(ci, partner)).status_code == 404, key


def test_partner_list_is_titled_cis_in_scope_in_the_partner_layout(as_user, cmdb):
    body = html(as_user("pablo").get(reverse("partner-cmdb:ci-list")))
    assert "CIs in scope" in body
    assert 'data-audience="partner"' in body


def test_each_side_is_sent_to_its_own_page(as_user, cmdb):
    # when a provider opens an internal URL, and internal staff a partner one
    to_partner = as_user("pablo").get(detail(cmdb.core) + "?x=1")
    to_internal = as_user("ivan").get(detail(cmdb.core, partner=True))
    # then
    assert to_partner.status_code == 302
    assert to_partner["Location"] == detail(cmdb.core, partner=True) + "?x=1"
    assert to_internal["Location"] == detail(cmdb.core)


@pytest.mark.parametrize("route", ["ci-detail", "ci-edit", "ci-graph", "ci-relations"])
def test_invisible_cis_answer_404_everywhere(route, as_user, cmdb, shadow_covers_barcelona):
    # sam's desk covers Barcelona only; Acme's engagement covers networks and security only
    assert (
        as_user("sam").get(reverse(f"partner-cmdb:{route}", args=[cmdb.core.pk])).status_code == 404
    )
    assert (
        as_user("pablo").get(reverse(f"partner-cmdb:{route}", args=[cmdb.server.pk])).status_code
        == 404
    )


@pytest.mark.parametrize(
    "path",
    [
        lambda c: reverse("cmdb:ci-list"),
        lambda c: reverse("cmdb:ci-create"),
        lambda c: reverse("cmdb:ci-picker") + "?q=ERP",
        lambda c: detail(c.service),
        lambda c: edit_url(c.service),
        lambda c: reverse("cmdb:ci-graph", args=[c.service.pk]),
    ],
)
def test_a_requester_finds_no_cmdb(path, as_user, cmdb):
    assert as_user("rita").get(path(cmdb)).status_code == 404


def test_a_requester_changes_nothing(as_user, cmdb):
    # given
    before, relations = snapshot(cmdb.service), CIRelation.objects.count()
    client = as_user("rita")
    # when
    edit = client.post(edit_url(cmdb.service), form_data(cmdb.service, name="Hacked"))
    rel = client.post(
        reverse("cmdb:ci-relations", args=[cmdb.service.pk]),
        {"op": "add", "type": "depends_on", "target": cmdb.bcn.pk},
    )
    # then
    assert (edit.status_code, rel.status_code) == (404, 404)
    assert snapshot(cmdb.service) == before
    assert CIRelation.objects.count() == relations


def test_anonymous_visitors_are_sent_to_sign_in(client, cmdb):
    for path in (reverse("cmdb:ci-list"), detail(cmdb.core), reverse("cmdb:ci-picker")):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


# --- The CI page --------------------------------------------------------------------------------


def test_ci_page_shows_header_attributes_with_titles_and_description(as_user, cmdb):
    body = html(as_user("ivan").get(detail(cmdb.core)))
    assert "MAD-CORE-01" in body
    assert 'class="badge crit crit-1"' in body
    assert "Acme" in body  # managed by
    assert "Acme Networks" in body  # owner team
    assert "NW-CORE-01" in body
    # attributes under their schema titles, unset ones shown empty
    assert re.search(r"<dt[^>]*>Ports</dt>\s*<dd data-attribute=\"ports\"[^>]*>48</dd>", body)
    assert re.search(
        r"<dt[^>]*>Operating system</dt>\s*<dd data-attribute=\"os\"[^>]*>ios</dd>", body
    )
    assert "Management IP" in body
    service = html(as_user("ivan").get(detail(cmdb.service)))
    assert "<strong>payroll</strong>" in service


def test_ci_page_lists_impacted_services_first_then_cis_and_dependencies(as_user, cmdb):
    body = html(as_user("ivan").get(detail(cmdb.server)))
    impact = body.split('data-testid="ci-impact"')[1].split("</section>")[0]
    # the service (2 hops away) comes first, then the CIs; "connected to" carries no impact
    assert impact.index("ERP service") < impact.index("SAP ERP")
    assert 'data-walk="services"' in impact and "SW-MAD-P1" not in impact
    deps = html(as_user("ivan").get(detail(cmdb.service)))
    deps = deps.split('data-testid="ci-dependencies"')[1].split("</section>")[0]
    for name in ("SAP ERP", "ERP-DB-01", "MAD-CORE-01"):
        assert name in deps


def test_provider_sees_only_what_it_may_in_the_impact(as_user, cmdb, users):
    # given an Acme router the core switch runs on
    acme = cmdb.demo.organizations["acme"]
    router = ci_create(
        by=users["ivan"], name="MAD-RTR-01", ci_class=cmdb.switch, managed_by=acme,
        attributes={"ports": 4},
    )  # fmt: skip
    relation_create(source=cmdb.core, type="runs_on", target=router, by=users["ivan"])
    # when
    body = html(as_user("pablo").get(detail(router, partner=True)))
    # then the core switch is impacted; what depends on it, beyond Acme's sight, is not named
    impact = body.split('data-testid="ci-impact"')[1].split("</section>")[0]
    assert "MAD-CORE-01" in impact
    assert "ERP service" not in body and "SAP ERP" not in body
    assert "ERP service" in html(as_user("ivan").get(detail(router)))


def test_internal_staff_can_create_an_incident_from_the_ci(as_user, cmdb):
    body = html(as_user("ivan").get(detail(cmdb.core)))
    assert f'href="{reverse("tickets:create")}?ci={cmdb.core.pk}"' in body


def test_lazy_sections_appear_only_when_their_views_exist(as_user, cmdb):
    body = html(as_user("ivan").get(detail(cmdb.core)))
    for name, marker in (("cmdb:ci-runbooks", "ci-runbooks"), ("tickets:ci-tickets", "ci-tickets")):
        try:
            url = reverse(name, args=[cmdb.core.pk])
        except NoReverseMatch:
            assert f'data-testid="{marker}"' not in body
        else:
            assert f'hx-get="{url}"' in body


def test_edit_actions_follow_what_the_viewer_may_do(as_user, cmdb):
    # internal staff edit anything
    assert 'data-testid="ci-edit"' in html(as_user("ivan").get(detail(cmdb.access)))
    pablo = as_user("pablo")
    # Acme manages the core switch: pablo edits it and its relations
    own = html(pablo.get(detail(cmdb.core, partner=True)))
    assert 'data-testid="ci-edit"' in own and 'data-testid="relation-form"' in own
    # an internally managed switch in Acme's scope: a proposal, no relation form
    other = html(pablo.get(detail(cmdb.access, partner=True)))
    assert 'data-testid="ci-propose"' in other and 'data-testid="ci-edit"' not in other
    assert 'data-testid="relation-form"' not in other
    # ... but the relation from Acme's core switch to it is Acme's to remove (it changes core)
    assert other.count('data-testid="relation-remove"') == 1


def test_history_lists_the_cis_changes_with_names(as_user, cmdb, users):
    # given
    ci_update(ci=cmdb.access, by=users["ivan"], site="Barcelona", attributes={"ports": 48})
    # when
    body = html(as_user("ivan").get(detail(cmdb.access)))
    # then
    history = body.split('data-testid="ci-history"')[1].split("</section>")[0]
    assert "Registered the CI" in history and "Changed" in history
    assert "<del>Madrid</del> → <ins>Barcelona</ins>" in history
    assert "<del>24</del> → <ins>48</ins>" in history  # the attribute, under its title
    assert "Ports" in history
    # "core connected to access" describes core: it is in core's history
    assert "Added a relation" not in history
    assert "connected to → SW-MAD-P1" in html(as_user("ivan").get(detail(cmdb.core)))


def test_history_hides_another_providers_proposal(as_user, cmdb, users, shadow_covers_barcelona):
    # given a switch both providers see, and Shadow's proposal on it
    ci_update(ci=cmdb.bcn, by=users["sam"], reason="Shadow's idea", site="Girona")
    # when
    acme_view = html(as_user("pablo").get(detail(cmdb.bcn, partner=True)))
    shadow_view = html(as_user("sam").get(detail(cmdb.bcn, partner=True)))
    internal_view = html(as_user("ivan").get(detail(cmdb.bcn)))
    # then
    assert "Girona" not in acme_view and "Proposed a change" not in acme_view
    assert "Girona" in shadow_view and "Proposed a change" in shadow_view
    assert "Girona" in internal_view


def test_provider_never_reads_the_names_of_another_provider(as_user, cmdb, demo, users):
    # given an internal switch owned by Shadow's desk, in Acme's scope
    ci_update(ci=cmdb.access, by=users["ivan"], owner_team=demo.teams["shadow-desk"])
    # when
    body = html(as_user("pablo").get(detail(cmdb.access, partner=True)))
    # then
    assert "Shadow" not in body
    assert "another organization" in body


def test_pending_proposals_are_counted_on_the_ci_page(as_user, cmdb, users):
    ci_update(ci=cmdb.access, by=users["pablo"], reason="Wrong site", site="Getafe")
    body = html(as_user("ivan").get(detail(cmdb.access)))
    assert "1 change waiting for review" in body


# --- Graph and picker ---------------------------------------------------------------------------


def graph(client, ci, partner=False, depth=4) -> dict:
    name = "partner-cmdb:ci-graph" if partner else "cmdb:ci-graph"
    response = client.get(reverse(name, args=[ci.pk]) + f"?depth={depth}")
    assert response.status_code == 200
    return json.loads(response.content)


def test_graph_json_holds_the_cis_and_relations_around_the_ci(as_user, cmdb):
    data = graph(as_user("ivan"), cmdb.core)
    names = {n["name"] for n in data["nodes"]}
    assert names == {"MAD-CORE-01", "SW-MAD-P1", "SAP ERP", "ERP-DB-01", "ERP service"}
    center = next(n for n in data["nodes"] if n["center"])
    assert center["id"] == str(cmdb.core.pk) and center["url"] == detail(cmdb.core)
    assert {(e["source"], e["type"], e["target"]) for e in data["edges"]} == {
        (str(cmdb.service.pk), "depends_on", str(cmdb.app.pk)),
        (str(cmdb.app.pk), "runs_on", str(cmdb.server.pk)),
        (str(cmdb.app.pk), "depends_on", str(cmdb.core.pk)),
        (str(cmdb.core.pk), "connected_to", str(cmdb.access.pk)),
    }
    service = next(n for n in data["nodes"] if n["name"] == "ERP service")
    assert service["is_service"] is True and service["depth"] == 2


def test_graph_depth_limits_the_hops(as_user, cmdb):
    data = graph(as_user("ivan"), cmdb.core, depth=1)
    assert {n["name"] for n in data["nodes"]} == {"MAD-CORE-01", "SW-MAD-P1", "SAP ERP"}


def test_graph_json_only_holds_cis_the_provider_sees(as_user, cmdb):
    data = graph(as_user("pablo"), cmdb.core, partner=True)
    assert {n["name"] for n in data["nodes"]} == {"MAD-CORE-01", "SW-MAD-P1"}
    assert [e["type"] for e in data["edges"]] == ["connected_to"]
    assert all(n["url"].startswith("/partner/cmdb/") for n in data["nodes"])
    assert "SAP" not in json.dumps(data) and "ERP" not in json.dumps(data)


def test_picker_searches_visible_cis_by_name_or_asset_tag(as_user, cmdb):
    # when
    ivan = json.loads(as_user("ivan").get(reverse("cmdb:ci-picker") + "?q=erp").content)
    pablo_client = as_user("pablo")
    pablo = json.loads(pablo_client.get(reverse("partner-cmdb:ci-picker") + "?q=NW-").content)
    hidden = json.loads(pablo_client.get(reverse("partner-cmdb:ci-picker") + "?q=erp").content)
    # then
    assert {r["name"] for r in ivan["results"]} == {"ERP-DB-01", "SAP ERP", "ERP service"}
    assert set(ivan["results"][0]) >= {"id", "name", "ci_class", "asset_tag"}
    assert {r["asset_tag"] for r in pablo["results"]} == {"NW-CORE-01", "NW-ACC-01", "NW-BCN-01"}
    assert hidden["results"] == []


def test_picker_excludes_a_ci_caps_results_and_answers_htmx_with_options(as_user, cmdb):
    client = as_user("ivan")
    url = reverse("cmdb:ci-picker")
    data = json.loads(client.get(f"{url}?q=SW-&exclude={cmdb.bcn.pk}").content)
    assert [r["name"] for r in data["results"]] == ["SW-MAD-P1"]
    options = html(client.get(f"{url}?q=SW-", **HTMX))
    assert 'role="option"' in options and f'data-ci-id="{cmdb.bcn.pk}"' in options
    for i in range(25):
        ci_create(by=client_user(client), name=f"PC-{i:03}", ci_class=cmdb.app_class,
                  managed_by=cmdb.demo.organizations["internal"])  # fmt: skip
    assert len(json.loads(client.get(f"{url}?q=PC-").content)["results"]) == 20


def client_user(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"])


# --- Relations ----------------------------------------------------------------------------------


def relations_url(ci, partner=False) -> str:
    return reverse("partner-cmdb:ci-relations" if partner else "cmdb:ci-relations", args=[ci.pk])


def test_relations_are_listed_in_a_table_too(as_user, cmdb):
    body = html(as_user("ivan").get(detail(cmdb.app)))
    table = body.split('data-testid="ci-relations"')[1]
    assert table.count('data-testid="relation-row"') == 3
    assert "runs on" in table and "depends on" in table


def test_add_a_relation_by_picked_id_then_remove_it(as_user, cmdb, users):
    # given
    client = as_user("ivan")
    # when
    added = client.post(
        relations_url(cmdb.bcn),
        {"op": "add", "direction": "outgoing", "type": "connected_to", "target": cmdb.access.pk},
    )
    # then
    assert added.status_code == 302 and added["Location"].endswith("#relations")
    relation = CIRelation.objects.get(source=cmdb.bcn, target=cmdb.access)
    assert relation.type == "connected_to" and relation.created_by == users["ivan"]
    assert AuditEvent.objects.filter(action="ci.relation_added", object_id=str(cmdb.bcn.pk))
    # when
    removed = client.post(relations_url(cmdb.bcn), {"op": "remove", "relation": relation.pk})
    # then
    assert removed.status_code == 302
    assert not CIRelation.objects.filter(pk=relation.pk).exists()


def test_add_an_incoming_relation_by_asset_tag_with_htmx(as_user, cmdb):
    # when: "SW-BCN-01 depends on this CI", typed as an asset tag
    response = as_user("ivan").post(
        relations_url(cmdb.core),
        {"op": "add", "direction": "incoming", "type": "depends_on", "target_search": "nw-bcn-01"},
        **HTMX,
    )
    # then: the section comes back with the new row, and the graph is told to redraw
    assert response.status_code == 200
    assert response["HX-Trigger"] == "cmdb-relations-changed"
    assert CIRelation.objects.filter(source=cmdb.bcn, target=cmdb.core, type="depends_on").exists()
    assert "Relation added" in html(response) and "SW-BCN-01" in html(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "depends_on", "target": "self"}, "A CI cannot be related to itself."),
        ({"type": "connected_to", "target": "access"}, "These CIs are already related this way."),
        ({"type": "depends_on", "target_search": "nothing-like-this"}, "No CI you can see"),
        ({"type": "depends_on", "target": "999999"}, "Unknown configuration item."),
        ({"type": "depends_on", "target_search": ""}, "Choose the other CI."),
        ({"type": "explodes", "target": "access"}, "Select a valid choice"),
    ],
)
def test_bad_relations_are_refused_inline_with_nothing_saved(data, message, as_user, cmdb):
    # given
    before = CIRelation.objects.count()
    values = {"op": "add", "direction": "outgoing", **data}
    if values.get("target") == "self":
        values["target"] = cmdb.core.pk
    elif values.get("target") == "access":
        values["target"] = cmdb.access.pk
    # when
    page = as_user("ivan").post(relations_url(cmdb.core), values)
    partial = as_user("ivan").post(relations_url(cmdb.core), values, **HTMX)
    # then
    assert page.status_code == 400 and partial.status_code == 400
    assert message in html(page) and message in html(partial)
    assert 'data-testid="ci-page"' in html(page)
    assert CIRelation.objects.count() == before


def test_a_provider_may_not_relate_cis_it_does_not_manage(as_user, cmdb):
    # given
    before = set(CIRelation.objects.values_list("pk", flat=True))
    pablo = as_user("pablo")
    relation = CIRelation.objects.get(source=cmdb.core, target=cmdb.access)
    # when: from an internal switch it sees, and removing from it
    add = pablo.post(
        relations_url(cmdb.access, partner=True),
        {"op": "add", "direction": "outgoing", "type": "depends_on", "target": cmdb.bcn.pk},
    )
    app_rel = CIRelation.objects.get(source=cmdb.app, target=cmdb.core)
    remove_invisible = pablo.post(
        relations_url(cmdb.core, partner=True), {"op": "remove", "relation": app_rel.pk}
    )
    # then
    assert add.status_code == 403
    assert remove_invisible.status_code == 404  # SAP ERP is not Acme's to see
    assert set(CIRelation.objects.values_list("pk", flat=True)) == before
    # but Acme's own core switch is Acme's to relate
    ok = pablo.post(
        relations_url(cmdb.core, partner=True), {"op": "remove", "relation": relation.pk}
    )
    assert ok.status_code == 302
    assert not CIRelation.objects.filter(pk=relation.pk).exists()


def test_incoming_relation_from_a_ci_the_provider_does_not_manage_is_refused(as_user, cmdb):
    # given pablo on Acme's core switch: "SW-BCN-01 (internal) depends on this CI"
    before = CIRelation.objects.count()
    data = {"op": "add", "direction": "incoming", "type": "depends_on", "target": cmdb.bcn.pk}
    # when
    response = as_user("pablo").post(relations_url(cmdb.core, partner=True), data, **HTMX)
    # then: said in the form, nothing saved
    assert response.status_code == 400
    assert "You may not change SW-BCN-01" in html(response)
    assert CIRelation.objects.count() == before


def test_a_relation_of_another_ci_cannot_be_removed_through_this_one(as_user, cmdb):
    relation = CIRelation.objects.get(source=cmdb.service)
    response = as_user("ivan").post(
        relations_url(cmdb.bcn), {"op": "remove", "relation": relation.pk}
    )
    assert response.status_code == 404
    assert CIRelation.objects.filter(pk=relation.pk).exists()


# --- Create and edit ----------------------------------------------------------------------------


def test_internal_staff_register_a_ci_with_typed_attributes(as_user, cmdb, demo):
    # when
    response = as_user("ivan").post(
        reverse("cmdb:ci-create"),
        {
            "name": "SW-MAD-P4",
            "ci_class": cmdb.switch.pk,
            "status": "planned",
            "environment": "production",
            "site": "Madrid",
            "criticality": "2",
            "managed_by": demo.organizations["acme"].pk,
            "asset_tag": "NW-P4",
            "attr_ports": "48",
            "attr_os": "nxos",
            "attr_poe": "true",
            "attr_mgmt_ip": "",
        },
    )
    # then
    ci = ConfigurationItem.objects.get(name="SW-MAD-P4")
    assert response.status_code == 302 and response["Location"] == detail(ci)
    assert ci.attributes == {"ports": 48, "os": "nxos", "poe": True}
    assert (ci.status, ci.criticality, ci.managed_by, ci.environment) == (
        "planned", 2, demo.organizations["acme"], "production",
    )  # fmt: skip


def test_registering_with_bad_attributes_shows_each_error_and_saves_nothing(as_user, cmdb):
    # given
    before = ConfigurationItem.objects.count()
    # when
    response = as_user("ivan").post(
        reverse("cmdb:ci-create"),
        {
            "name": "",
            "ci_class": cmdb.switch.pk,
            "status": "active",
            "criticality": "3",
            "managed_by": cmdb.demo.organizations["internal"].pk,
            "attr_ports": "many",
            "attr_mgmt_ip": "10.0.0",
            "attr_os": "windows",
        },
    )
    # then
    body = html(response)
    assert response.status_code == 400
    assert "This field is required." in body  # name
    assert "Expected a value of type integer." in body
    assert "Does not match the expected format" in body
    assert "Select a valid choice" in body
    assert 'value="many"' in body  # what was typed stays
    assert ConfigurationItem.objects.count() == before


def test_a_missing_required_attribute_and_an_out_of_range_one(as_user, cmdb):
    before = ConfigurationItem.objects.count()
    data = {"name": "X", "ci_class": cmdb.switch.pk, "status": "active", "criticality": "3",
            "managed_by": cmdb.demo.organizations["internal"].pk}  # fmt: skip
    missing = html(as_user("ivan").post(reverse("cmdb:ci-create"), data))
    too_big = html(as_user("ivan").post(reverse("cmdb:ci-create"), {**data, "attr_ports": "9999"}))
    assert "This attribute is required." in missing
    assert "Must be at most 512." in too_big
    assert ConfigurationItem.objects.count() == before


def test_a_duplicate_asset_tag_is_a_field_error(as_user, cmdb):
    before = ConfigurationItem.objects.count()
    response = as_user("ivan").post(
        reverse("cmdb:ci-create"),
        {"name": "Dup", "ci_class": cmdb.app_class.pk, "status": "active", "criticality": "3",
         "managed_by": cmdb.demo.organizations["internal"].pk, "asset_tag": "NW-CORE-01"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Another CI already has this asset tag." in html(response)
    assert ConfigurationItem.objects.count() == before


def test_a_provider_registers_cis_for_its_own_organization(as_user, cmdb, demo):
    # given the form has no "managed by" for a provider
    form_page = html(as_user("pablo").get(reverse("partner-cmdb:ci-create")))
    assert 'name="managed_by"' not in form_page
    # when it posts one anyway
    response = as_user("pablo").post(
        reverse("partner-cmdb:ci-create"),
        {"name": "AP-MAD-09", "ci_class": cmdb.switch.pk, "status": "active",
         "criticality": "4", "attr_ports": "1",
         "managed_by": demo.organizations["internal"].pk},
    )  # fmt: skip
    # then it is Acme's
    ci = ConfigurationItem.objects.get(name="AP-MAD-09")
    assert response["Location"] == detail(ci, partner=True)
    assert ci.managed_by == demo.organizations["acme"]


def test_internal_edit_changes_the_ci_and_records_why(as_user, cmdb):
    # when
    response = as_user("ivan").post(
        edit_url(cmdb.access),
        form_data(cmdb.access, site="Getafe", attr_ports="48", attr_poe="false", reason="Moved"),
    )
    # then
    ci = cmdb.refresh(cmdb.access)
    assert response.status_code == 302
    assert (ci.site, ci.attributes, ci.version) == ("Getafe", {"ports": 48, "poe": False}, 2)
    event = AuditEvent.objects.filter(action="ci.updated", object_id=str(ci.pk)).get()
    assert event.note == "Moved"


def test_editing_nothing_changes_nothing(as_user, cmdb):
    before = snapshot(cmdb.access)
    response = as_user("ivan").post(edit_url(cmdb.access), form_data(cmdb.access), follow=True)
    assert "Nothing changed." in html(response)
    assert snapshot(cmdb.access) == before


def test_a_stale_edit_is_refused_with_nothing_saved(as_user, cmdb, users):
    # given ivan's form was drawn at version 1, then marta changed the CI
    stale = form_data(cmdb.access, site="Getafe")
    ci_update(ci=cmdb.access, by=users["marta"], name="SW-MAD-P1-renamed")
    before = snapshot(cmdb.access)
    # when
    response = as_user("ivan").post(edit_url(cmdb.access), stale)
    # then
    assert response.status_code == 400
    assert "Someone changed this CI while you were editing it." in html(response)
    assert snapshot(cmdb.access) == before


def test_an_edit_without_its_version_is_refused(as_user, cmdb):
    before = snapshot(cmdb.access)
    data = form_data(cmdb.access, site="Getafe")
    del data["version"]
    response = as_user("ivan").post(edit_url(cmdb.access), data)
    assert response.status_code == 400
    assert "The page is out of date" in html(response)
    assert snapshot(cmdb.access) == before


def test_bad_attributes_on_edit_save_nothing(as_user, cmdb):
    before = snapshot(cmdb.core)
    response = as_user("ivan").post(edit_url(cmdb.core), form_data(cmdb.core, attr_ports="0"))
    assert response.status_code == 400
    assert "Must be at least 1." in html(response)
    assert snapshot(cmdb.core) == before


def test_pablo_edits_an_acme_managed_switch_directly(as_user, cmdb):
    # given
    page = html(as_user("pablo").get(edit_url(cmdb.core, partner=True)))
    assert "Edit MAD-CORE-01" in page and 'data-testid="proposal-note"' not in page
    # when
    response = as_user("pablo").post(
        edit_url(cmdb.core, partner=True), form_data(cmdb.core, attr_ports="96")
    )
    # then
    ci = cmdb.refresh(cmdb.core)
    assert response.status_code == 302
    assert ci.attributes["ports"] == 96 and ci.version == 2
    assert not CIChangeProposal.objects.exists()


def test_pablo_proposes_a_change_to_an_internally_managed_switch(as_user, cmdb, users):
    # given the same form, titled as a proposal with a reason to give
    client = as_user("pablo")
    page = html(client.get(edit_url(cmdb.access, partner=True)))
    assert "Propose a change to SW-MAD-P1" in page and "Send for review" in page
    assert 'name="reason"' in page
    before = snapshot(cmdb.access)
    # when
    response = client.post(
        edit_url(cmdb.access, partner=True),
        form_data(cmdb.access, site="Getafe", reason="It was moved last week"),
        follow=True,
    )
    # then: a proposal, not a change
    assert "sent for review" in html(response)
    assert snapshot(cmdb.access) == before
    proposal = CIChangeProposal.objects.get()
    assert proposal.ci == cmdb.access and proposal.proposed_by == users["pablo"]
    assert proposal.changes == {"site": "Getafe"}
    assert proposal.reason == "It was moved last week"


def test_a_proposal_needs_a_reason_and_a_change(as_user, cmdb):
    client = as_user("pablo")
    no_reason = client.post(edit_url(cmdb.access, partner=True), form_data(cmdb.access, site="X"))
    no_change = client.post(
        edit_url(cmdb.access, partner=True), form_data(cmdb.access, reason="Because")
    )
    assert no_reason.status_code == 400 and "Say why you propose this change." in html(no_reason)
    assert no_change.status_code == 400 and "The proposal changes nothing." in html(no_change)
    assert not CIChangeProposal.objects.exists()


def test_a_provider_cannot_hand_a_ci_to_another_organization(as_user, cmdb, demo):
    before = snapshot(cmdb.core)
    response = as_user("pablo").post(
        edit_url(cmdb.core, partner=True),
        form_data(cmdb.core, managed_by=demo.organizations["internal"].pk, site="Elsewhere"),
    )
    # the field is not on a provider's form: the rest applies, the organization stays
    assert response.status_code == 302
    ci = cmdb.refresh(cmdb.core)
    assert ci.managed_by == demo.organizations["acme"] and ci.site == "Elsewhere"
    assert before[1] + 1 == ci.version


def test_class_change_re_renders_the_attribute_fields_keeping_typed_values(as_user, cmdb):
    # when the class menu changes to Server, with an "os" typed for the switch
    response = as_user("ivan").get(
        reverse("cmdb:ci-attribute-fields"),
        {"ci_class": cmdb.server_class.pk, "attr_os": "linux", "attr_ports": "48"},
        **HTMX,
    )
    # then
    body = html(response)
    assert response.status_code == 200
    assert 'name="attr_ram_gb"' in body and 'name="attr_ports"' not in body
    assert '<option value="linux" selected>' in body
    assert "RAM (GB)" in body


def test_changing_the_class_on_edit_validates_the_new_class_attributes(as_user, cmdb):
    before = snapshot(cmdb.bcn)
    response = as_user("ivan").post(
        edit_url(cmdb.bcn), form_data(cmdb.bcn, ci_class=cmdb.server_class.pk)
    )
    assert response.status_code == 400
    assert "This attribute is required." in html(response)  # Server's "os"
    assert snapshot(cmdb.bcn) == before
    ok = as_user("ivan").post(
        edit_url(cmdb.bcn),
        {**form_data(cmdb.bcn, ci_class=cmdb.server_class.pk, attr_os="linux"), "attr_ports": ""},
    )
    assert ok.status_code == 302
    ci = cmdb.refresh(cmdb.bcn)
    assert ci.ci_class == cmdb.server_class and ci.attributes == {"os": "linux"}


# --- List: filters, sorting, pagination, queries -------------------------------------------------


def rows(response) -> list[str]:
    return re.findall(r'class="ci-name">([^<]+)<', html(response))


def test_list_search_filters_and_sorting(as_user, cmdb):
    client = as_user("ivan")
    url = reverse("cmdb:ci-list")
    assert rows(client.get(url, {"q": "nw-"})) == ["MAD-CORE-01", "SW-BCN-01", "SW-MAD-P1"]
    assert rows(client.get(url, {"ci_class": "switch", "site": "Madrid"})) == [
        "MAD-CORE-01",
        "SW-MAD-P1",
    ]
    assert rows(client.get(url, {"attribute": "ports:24", "ordering": "-name"})) == [
        "SW-MAD-P1",
        "SW-BCN-01",
    ]
    assert rows(client.get(url, {"managed_by": cmdb.demo.organizations["acme"].pk})) == [
        "MAD-CORE-01"
    ]
    assert rows(client.get(url, {"criticality": "1", "service": "true"})) == ["ERP service"]
    sorted_by_crit = rows(client.get(url, {"ordering": "criticality", "ci_class": "switch"}))
    assert sorted_by_crit[0] == "MAD-CORE-01"


def test_bad_filters_are_shown_as_errors(as_user, cmdb):
    response = as_user("ivan").get(
        reverse("cmdb:ci-list"), {"status": "exploded", "attribute": "no colon"}
    )
    assert response.status_code == 400
    body = html(response)
    assert 'data-testid="filter-errors"' in body
    assert "name:value" in body


def test_htmx_list_answers_the_results_region_only(as_user, cmdb):
    response = as_user("ivan").get(reverse("cmdb:ci-list"), {"q": "core"}, **HTMX)
    body = html(response)
    assert body.lstrip().startswith('<div id="ci-results"')
    assert rows(response) == ["MAD-CORE-01"]


def test_empty_states(as_user, cmdb, demo, users):
    filtered = html(as_user("ivan").get(reverse("cmdb:ci-list"), {"q": "zzz"}))
    assert "No CI matches these filters." in filtered
    Engagement.objects.filter(provider=demo.organizations["shadow"]).update(
        scope_ci_filter={"site": ["Nowhere"]}
    )
    nothing = html(as_user("sam").get(reverse("partner-cmdb:ci-list")))
    assert "No CI is in your scope yet" in nothing


def make_cis(cmdb, n: int, *, prefix: str = "BULK") -> None:
    teams = [cmdb.demo.teams["acme-networks"], cmdb.demo.teams["internal-systems"], None]
    orgs = [cmdb.demo.organizations["acme"], cmdb.demo.organizations["internal"]]
    ConfigurationItem.objects.bulk_create(
        ConfigurationItem(
            name=f"{prefix}-{i:04}", ci_class=cmdb.switch, managed_by=orgs[i % 2],
            owner_team=teams[i % 3], site=["Madrid", "Barcelona"][i % 2],
            attributes={"ports": 8}, asset_tag=f"{prefix}-{i:04}",
        )
        for i in range(n)
    )  # fmt: skip


def test_pagination_goes_on_without_counting(as_user, cmdb):
    make_cis(cmdb, 60)
    client = as_user("ivan")
    first = client.get(reverse("cmdb:ci-list"), {"ci_class": "switch"})
    assert len(rows(first)) == 50 and 'data-testid="ci-next"' in html(first)
    second = client.get(reverse("cmdb:ci-list"), {"ci_class": "switch", "page": 2})
    assert len(rows(second)) == 13 and 'data-testid="ci-next"' not in html(second)


@pytest.mark.parametrize(("name", "partner"), [("ivan", False), ("pablo", True)])
def test_list_queries_do_not_grow_with_the_cis(
    name, partner, as_user, cmdb, django_assert_max_num_queries
):
    client = as_user(name)
    url = reverse("partner-cmdb:ci-list" if partner else "cmdb:ci-list")
    params = {"q": "BULK", "attribute": "ports:8", "ordering": "-updated_at"}
    make_cis(cmdb, 5)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert len(rows(client.get(url, params))) >= 2
    make_cis(cmdb, 45, prefix="BULK2")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(rows(client.get(url, params))) >= 20


def test_ci_page_queries_do_not_grow_with_relations(as_user, cmdb, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user("pablo")
    client.get(detail(cmdb.core, partner=True))  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(detail(cmdb.core, partner=True)).status_code == 200
    make_cis(cmdb, 12, prefix="REL")
    for ci in ConfigurationItem.objects.filter(name__startswith="REL-"):
        relation_create(source=cmdb.core, type="connected_to", target=ci, by=users["ivan"])
    with CaptureQueriesContext(connection) as many:
        body = html(client.get(detail(cmdb.core, partner=True)))
    assert body.count('data-testid="relation-row"') == 13
    assert len(many.captured_queries) == len(few.captured_queries)
