"""Tickets and CIs (issue 5, SPEC 2.3): the affected-CIs pickers (restricted search, inline edit on
the ticket page), creating a ticket from a CI, the affected business services, the "critical
service impacted" flag, the CI page's tickets panel, and a ticket page whose cost does not grow
with its CIs. Every refusal also checks that nothing changed."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from cmdb.models import CIClass, CIRelation, ConfigurationItem
from cogest.models import AuditEvent, UserProfile
from tickets.cmdb_links import with_critical_impact
from tickets.models import Ticket
from tickets.services import (
    handoff_accept,
    ticket_handoff,
    ticket_transition,
    ticket_update,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _english(users):
    UserProfile.objects.update(language="en")
    for user in users.values():
        user.profile.refresh_from_db()
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def as_user(client, users):
    def login(name):
        client.force_login(users[name])
        return client

    return login


# slug: (name, is a service, functional area)
CLASSES = {
    "virtual_machine": ("Virtual machine", False, "systems"),
    "database": ("Database", False, "systems"),
    "application": ("Application", False, "applications"),
    "business_service": ("Business service", True, ""),
    "backup_job": ("Backup job", False, "backups"),
    "network_device": ("Network device", False, "networks"),
    "server": ("Server", False, "systems"),
}
# name: (class, criticality, asset tag)
ITEMS = {
    "VM-ERP-01": ("virtual_machine", 2, "VM-0001"),
    "DB-ERP": ("database", 2, "DB-0001"),
    "APP-ERP": ("application", 2, "APP-0001"),
    "SVC-ERP": ("business_service", 1, ""),
    "SVC-PAYROLL": ("business_service", 3, ""),
    "SVC-MAIL": ("business_service", 2, ""),
    "BKP-ERP": ("backup_job", 3, ""),
    "SVC-ARCHIVE": ("business_service", 1, ""),
    "CORE-SW-01": ("network_device", 1, "NET-0001"),
    "NW-VAULT-01": ("server", 1, "SRV-0666"),
    "SRV-SPARE-01": ("server", 4, ""),
    "SRV-SPARE-02": ("server", 4, ""),
    "SRV-SPARE-03": ("server", 4, ""),
}
# The chain VM → DB → app → service, a second service on the database, and a backup job (not
# an impact relation) that a critical service depends on: never reached from the VM.
RELATIONS = [
    ("DB-ERP", "hosted_on", "VM-ERP-01"),
    ("APP-ERP", "depends_on", "DB-ERP"),
    ("SVC-ERP", "depends_on", "APP-ERP"),
    ("SVC-PAYROLL", "depends_on", "DB-ERP"),
    ("BKP-ERP", "backs_up", "DB-ERP"),
    ("SVC-ARCHIVE", "depends_on", "BKP-ERP"),
]


@dataclass
class CMDB:
    cis: dict[str, ConfigurationItem] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ConfigurationItem:
        return self.cis[name]


@pytest.fixture
def cmdb(demo, users) -> CMDB:
    classes = {
        slug: CIClass.objects.create(slug=slug, name=name, is_service=service, functional_area=area)
        for slug, (name, service, area) in CLASSES.items()
    }
    world = CMDB()
    for name, (slug, criticality, tag) in ITEMS.items():
        world.cis[name] = ConfigurationItem.objects.create(
            name=name,
            ci_class=classes[slug],
            criticality=criticality,
            asset_tag=tag,
            managed_by=demo.organizations["internal"],
            internal_owner=users["ivan"],
        )
    for source, kind, target in RELATIONS:
        CIRelation.objects.create(source=world[source], type=kind, target=world[target])
    return world


def html(response) -> str:
    return response.content.decode()


def service_names(response) -> list[tuple[str, int]]:
    return [(s.name, s.depth) for s in response.context["affected_services"]]


def hand_to_acme(ticket, users, demo) -> Ticket:
    ticket_handoff(ticket=ticket, by=users["ana"], team=demo.teams["acme-networks"], summary="x")
    handoff_accept(ticket=ticket, by=users["pablo"])
    return Ticket.objects.get(pk=ticket.pk)


# --- Pickers ------------------------------------------------------------------------------------


def test_the_picker_search_offers_pablo_only_the_cis_he_may_see(as_user, cmdb):
    # given a CI in Acme's scope (networks) and an internal-only server, both matching "-01"
    # when each side searches
    pablo = html(as_user("pablo").get("/partner/tickets/ci-options/?ci_q=-01", **HTMX))
    ana = html(as_user("ana").get("/tickets/ci-options/?ci_q=-01", **HTMX))
    # then pablo never sees the internal-only CI
    assert "CORE-SW-01" in pablo and "NW-VAULT-01" not in pablo
    assert "CORE-SW-01" in ana and "NW-VAULT-01" in ana and "VM-ERP-01" in ana


def test_the_picker_keeps_the_checked_cis_and_searches_by_asset_tag(as_user, cmdb):
    core, vm = cmdb["CORE-SW-01"], cmdb["VM-ERP-01"]
    body = html(
        as_user("ana").get(f"/tickets/ci-options/?ci_q=net-0001&cis={vm.pk}&cis=junk", **HTMX)
    )
    assert f'value="{vm.pk}" id="ci-pick-{vm.pk}" checked' in body
    assert f'value="{core.pk}" id="ci-pick-{core.pk}">' in body
    assert "1 match for “net-0001”" in body


def test_pablo_searching_on_a_ticket_page_without_javascript_sees_only_visible_cis(
    as_user, cmdb, new_ticket, users, demo
):
    ticket = hand_to_acme(
        new_ticket(functional_area="networks", cis=[cmdb["CORE-SW-01"]]), users, demo
    )
    url = f"/partner/tickets/{ticket.number}/cis/"
    response = as_user("pablo").post(
        url, {"op": "search", "ci_q": "-01", "cis": [cmdb["CORE-SW-01"].pk], "version": 3}
    )
    assert response.status_code == 200
    body = html(response)
    assert 'id="cis-form"' in body and "NW-VAULT-01" not in body
    assert 'hx-get="/partner/tickets/ci-options/"' in body
    assert f'value="{cmdb["CORE-SW-01"].pk}" id="ci-pick-{cmdb["CORE-SW-01"].pk}" checked' in body
    # a search saves nothing
    assert list(Ticket.objects.get(pk=ticket.pk).cis.all()) == [cmdb["CORE-SW-01"]]


def test_affected_cis_are_edited_inline_through_the_ticket_service(as_user, cmdb, new_ticket):
    ticket = new_ticket(cis=[cmdb["CORE-SW-01"]])
    client = as_user("ana")
    response = client.post(
        f"/tickets/{ticket.number}/cis/",
        {"op": "save", "cis": [cmdb["VM-ERP-01"].pk, cmdb["SVC-MAIL"].pk], "version": 1},
        **HTMX,
    )
    assert response.status_code == 200
    assert "2 affected CIs saved." in html(response)
    ticket.refresh_from_db()
    assert set(ticket.cis.all()) == {cmdb["VM-ERP-01"], cmdb["SVC-MAIL"]}
    assert ticket.version == 2
    event = AuditEvent.objects.filter(action="ticket.updated", object_id=str(ticket.pk)).get()
    assert event.before["cis"] == [cmdb["CORE-SW-01"].pk]
    assert event.after["cis"] == sorted([cmdb["VM-ERP-01"].pk, cmdb["SVC-MAIL"].pk])
    # the page now lists the services they carry
    assert ("SVC-MAIL", 0) in service_names(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"cis": ["999999"], "version": 1}, "Unknown configuration items: 999999."),
        ({"cis": ["abc"], "version": 1}, "is not a configuration item id"),
        ({"cis": [], "version": 7}, "changed by someone else"),
    ],
)
def test_a_refused_ci_edit_is_shown_inline_and_changes_nothing(
    as_user, cmdb, new_ticket, data, message
):
    ticket = new_ticket(cis=[cmdb["CORE-SW-01"]])
    response = as_user("ana").post(f"/tickets/{ticket.number}/cis/", data, **HTMX)
    assert response.status_code == 400
    assert message in html(response)
    ticket.refresh_from_db()
    assert list(ticket.cis.all()) == [cmdb["CORE-SW-01"]] and ticket.version == 1


def test_pablo_cannot_link_a_ci_he_may_not_see(as_user, cmdb, new_ticket, users, demo):
    ticket = hand_to_acme(
        new_ticket(functional_area="networks", cis=[cmdb["CORE-SW-01"]]), users, demo
    )
    vault = cmdb["NW-VAULT-01"]
    response = as_user("pablo").post(
        f"/partner/tickets/{ticket.number}/cis/",
        {"cis": [cmdb["CORE-SW-01"].pk, vault.pk], "version": ticket.version},
    )
    assert response.status_code == 400
    assert f"Unknown configuration items: {vault.pk}." in html(response)
    assert "NW-VAULT-01" not in html(response)
    assert list(Ticket.objects.get(pk=ticket.pk).cis.all()) == [cmdb["CORE-SW-01"]]


def test_the_api_ci_filter_lists_only_the_tickets_the_caller_sees(
    api, cmdb, new_ticket, users, demo
):
    core = cmdb["CORE-SW-01"]
    internal = new_ticket(functional_area="systems", cis=[core])
    acme = hand_to_acme(new_ticket(functional_area="networks", cis=[core]), users, demo)
    new_ticket(cis=[cmdb["VM-ERP-01"]])

    def ids(name):
        response = api(users[name]).get(f"/api/v1/tickets/?ci={core.pk}")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids("ana") == {internal.pk, acme.pk}
    assert ids("pablo") == {acme.pk}
    assert ids("sam") == set()


# --- Create from a CI ---------------------------------------------------------------------------


def test_creating_from_a_ci_prefills_the_ci_area_type_and_a_title_hint(as_user, cmdb, users):
    core = cmdb["CORE-SW-01"]
    client = as_user("ana")
    response = client.get(f"/tickets/new/?ci={core.pk}")
    assert response.status_code == 200
    body = html(response)
    assert f'value="{core.pk}" id="ci-pick-{core.pk}" checked' in body
    form = response.context["form"]
    assert form["functional_area"].value() == "networks"
    assert form["type"].value() == "incident"
    assert "What is wrong with CORE-SW-01?" in body
    assert 'data-testid="source-ci"' in body
    # submitting the pre-filled form links the CI
    response = client.post(
        "/tickets/new/",
        {
            "type": "incident",
            "title": "CORE-SW-01 does not respond",
            "impact": "high",
            "urgency": "high",
            "functional_area": "networks",
            "support_level": "L1",
            "cis": [core.pk],
        },
    )
    ticket = Ticket.objects.get(title="CORE-SW-01 does not respond")
    assert response.status_code == 302
    assert list(ticket.cis.all()) == [core]


@pytest.mark.parametrize("value", ["999999", "abc", "-3", "1" * 40])
def test_an_unknown_ci_in_the_create_link_is_ignored_with_a_message(as_user, cmdb, value):
    response = as_user("ana").get(f"/tickets/new/?ci={value}")
    assert response.status_code == 200
    body = html(response)
    assert "That configuration item is not available to you; nothing was filled." in body
    assert "checked" not in body.split('data-testid="ci-picker"')[1].split("</fieldset>")[0]


def test_an_invisible_ci_in_the_create_link_is_ignored_and_never_named(as_user, cmdb):
    # rita (a requester) sees no CI: the link's CI is neither chosen nor named
    core = cmdb["CORE-SW-01"]
    response = as_user("rita").get(f"/tickets/new/?ci={core.pk}")
    assert response.status_code == 200
    body = html(response)
    assert "That configuration item is not available to you; nothing was filled." in body
    assert "CORE-SW-01" not in body and 'data-testid="ci-picker"' not in body


def test_the_create_form_searches_cis_without_creating_anything(as_user, cmdb):
    before = Ticket.objects.count()
    response = as_user("ana").post(
        "/tickets/new/",
        {"op": "search", "title": "Half written", "ci_q": "SVC-", "cis": [cmdb["VM-ERP-01"].pk]},
    )
    assert response.status_code == 200
    body = html(response)
    assert 'value="Half written"' in body and "SVC-PAYROLL" in body
    assert f'value="{cmdb["VM-ERP-01"].pk}" id="ci-pick-{cmdb["VM-ERP-01"].pk}" checked' in body
    assert "invalid-feedback" not in body
    assert Ticket.objects.count() == before


def test_creating_with_an_unknown_ci_is_refused_next_to_the_picker(as_user, cmdb):
    before = Ticket.objects.count()
    response = as_user("ana").post(
        "/tickets/new/",
        {
            "type": "incident",
            "title": "Bad CI",
            "impact": "low",
            "urgency": "low",
            "functional_area": "systems",
            "support_level": "L1",
            "cis": ["987654"],
        },
    )
    assert response.status_code == 400
    assert "Unknown configuration items: 987654." in html(response)
    assert Ticket.objects.count() == before


# --- Affected services and the critical flag ----------------------------------------------------


def test_affected_services_are_exactly_the_services_the_cis_carry(as_user, cmdb, new_ticket):
    # given a ticket on the VM (VM → DB → app → SVC-ERP; DB → SVC-PAYROLL) and on SVC-MAIL
    ticket = new_ticket(functional_area="systems", cis=[cmdb["VM-ERP-01"], cmdb["SVC-MAIL"]])
    # when ana opens it
    response = as_user("ana").get(f"/tickets/{ticket.number}/")
    # then: the linked service, then each reached service at its distance; a backup relation
    # carries no impact, so SVC-ARCHIVE is not there
    assert service_names(response) == [("SVC-MAIL", 0), ("SVC-PAYROLL", 2), ("SVC-ERP", 3)]
    body = html(response)
    assert 'data-testid="affected-services"' in body and "SVC-ARCHIVE" not in body


def test_a_provider_sees_only_the_affected_services_it_may_see(
    as_user, cmdb, new_ticket, users, demo
):
    ticket = hand_to_acme(
        new_ticket(functional_area="networks", cis=[cmdb["VM-ERP-01"]], impact="high"),
        users,
        demo,
    )
    response = as_user("pablo").get(f"/partner/tickets/{ticket.number}/")
    assert response.status_code == 200
    assert service_names(response) == []
    assert "SVC-ERP" not in html(response) and "SVC-PAYROLL" not in html(response)


def _critical(ticket) -> bool:
    return with_critical_impact(Ticket.objects.filter(pk=ticket.pk)).get().critical_impact


def test_a_p1_incident_reaching_a_critical_service_is_flagged_and_a_p3_is_not(
    as_user, cmdb, new_ticket
):
    p1 = new_ticket(cis=[cmdb["VM-ERP-01"]], impact="high", urgency="high", title="ERP VM down")
    p3 = new_ticket(cis=[cmdb["VM-ERP-01"]], impact="medium", urgency="medium", title="Slow VM")
    assert (p1.priority, p3.priority) == (1, 3)
    client = as_user("ana")
    body = html(client.get(f"/tickets/{p1.number}/"))
    assert 'data-testid="critical-impact"' in body and "Critical service impacted" in body
    assert "SVC-ERP" in body.split('data-testid="critical-impact"')[1].split("</div>")[0]
    assert 'data-testid="critical-impact"' not in html(client.get(f"/tickets/{p3.number}/"))
    assert _critical(p1) is True and _critical(p3) is False


def test_the_flag_needs_an_incident_a_critical_service_and_follows_the_priority(
    cmdb, new_ticket, users
):
    request = new_ticket(
        type="service_request", cis=[cmdb["VM-ERP-01"]], impact="high", urgency="high"
    )
    minor = new_ticket(cis=[cmdb["SVC-PAYROLL"]], impact="high", urgency="high")
    direct = new_ticket(cis=[cmdb["SVC-ERP"]], impact="high", urgency="high")
    none = new_ticket(impact="high", urgency="high")
    assert [_critical(t) for t in (request, minor, direct, none)] == [False, False, True, False]
    # read when asked: lowering the urgency clears it, raising it back sets it
    ticket = new_ticket(cis=[cmdb["VM-ERP-01"]], impact="high", urgency="high")
    ticket_update(ticket=ticket, by=users["ana"], urgency="low")
    assert _critical(ticket) is False
    ticket_update(ticket=ticket, by=users["ana"], urgency="high")
    assert _critical(ticket) is True


def test_a_provider_sees_the_critical_flag_without_the_service_name(
    as_user, cmdb, new_ticket, users, demo
):
    ticket = hand_to_acme(
        new_ticket(
            functional_area="networks", cis=[cmdb["VM-ERP-01"]], impact="high", urgency="high"
        ),
        users,
        demo,
    )
    body = html(as_user("pablo").get(f"/partner/tickets/{ticket.number}/"))
    assert "Critical service impacted" in body and "SVC-ERP" not in body


# --- The CI page's tickets ----------------------------------------------------------------------


@pytest.fixture
def core_tickets(cmdb, new_ticket, users, demo):
    core = cmdb["CORE-SW-01"]
    internal = new_ticket(title="NW-ONLY core audit", functional_area="systems", cis=[core])
    acme = hand_to_acme(
        new_ticket(title="Core switch drops packets", functional_area="networks", cis=[core]),
        users,
        demo,
    )
    done = new_ticket(title="Old core outage", cis=[core], assignee=users["ana"], team=None)
    ticket_transition(ticket=done, by=users["ana"], to="in_progress")
    ticket_transition(ticket=done, by=users["ana"], to="resolved", resolution="Replaced PSU")
    other = new_ticket(title="Unrelated printer", cis=[cmdb["SRV-SPARE-01"]])
    return {"internal": internal, "acme": acme, "done": done, "other": other}


def test_the_ci_tickets_panel_lists_open_and_recent_tickets_for_internal_staff(
    as_user, cmdb, core_tickets
):
    response = as_user("ana").get(f"/tickets/for-ci/{cmdb['CORE-SW-01'].pk}/", **HTMX)
    assert response.status_code == 200
    panel = response.context["ci_tickets"]
    assert {t.pk for t in panel.open} == {core_tickets["internal"].pk, core_tickets["acme"].pk}
    assert [t.pk for t in panel.recent] == [core_tickets["done"].pk]
    body = html(response)
    assert f'href="/tickets/{core_tickets["acme"].number}/"' in body
    assert "Unrelated printer" not in body


def test_the_ci_tickets_panel_shows_a_provider_only_its_tickets_with_portal_links(
    as_user, cmdb, core_tickets
):
    client = as_user("pablo")
    # the internal URL sends the provider to the portal's
    response = client.get(f"/tickets/for-ci/{cmdb['CORE-SW-01'].pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/partner/tickets/for-ci/{cmdb['CORE-SW-01'].pk}/"
    response = client.get(response["Location"], **HTMX)
    assert response.status_code == 200
    body = html(response)
    assert f'href="/partner/tickets/{core_tickets["acme"].number}/"' in body
    assert "NW-ONLY core audit" not in body and "Old core outage" not in body


def test_a_ci_with_many_open_tickets_links_to_the_filtered_list(
    as_user, cmdb, core_tickets, monkeypatch
):
    monkeypatch.setattr("tickets.cmdb_links.CI_OPEN_LIMIT", 1)
    core = cmdb["CORE-SW-01"]
    response = as_user("ana").get(f"/tickets/for-ci/{core.pk}/", **HTMX)
    assert len(response.context["ci_tickets"].open) == 1
    assert response.context["ci_tickets"].more_open is True
    assert f'href="/tickets/?ci={core.pk}&amp;status=new' in html(response)


@pytest.mark.parametrize("name", ["NW-VAULT-01", "987654", "9" * 30])
def test_the_ci_tickets_panel_is_a_404_for_an_invisible_or_unknown_ci(as_user, cmdb, name):
    pk = cmdb[name].pk if name in cmdb.cis else name
    response = as_user("pablo").get(f"/partner/tickets/for-ci/{pk}/", **HTMX)
    assert response.status_code == 404
    assert "NW-VAULT-01" not in html(response)


# --- Cost ---------------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("username", ["ana", "pablo"])
def test_the_ticket_page_costs_the_same_with_one_or_five_cis(
    client, users, demo, cmdb, new_ticket, username
):
    one = new_ticket(functional_area="networks", cis=[cmdb["VM-ERP-01"]], impact="high")
    five = new_ticket(
        functional_area="networks",
        impact="high",
        cis=[
            cmdb[n] for n in ("VM-ERP-01", "DB-ERP", "SRV-SPARE-01", "SRV-SPARE-02", "SRV-SPARE-03")
        ],
    )
    base = "/tickets/"
    if username == "pablo":
        one, five = (hand_to_acme(t, users, demo) for t in (one, five))
        base = "/partner/tickets/"
    client.force_login(users[username])
    client.get(f"{base}{one.number}/")  # warm the process-wide caches
    small = _count(client, f"{base}{one.number}/")
    large = _count(client, f"{base}{five.number}/")
    print(f"{username} ticket page queries: {small} (1 CI), {large} (5 CIs)")
    assert small == large


def test_the_ticket_list_reads_the_flag_in_its_own_query(
    users, demo, cmdb, new_ticket, django_assert_num_queries
):
    from django.http import QueryDict

    from tickets import selectors
    from tickets.views.lists import ListFilterForm, with_sla_clocks

    flagged = hand_to_acme(
        new_ticket(
            functional_area="networks", cis=[cmdb["VM-ERP-01"]], impact="high", urgency="high"
        ),
        users,
        demo,
    )
    plain = hand_to_acme(new_ticket(functional_area="networks", impact="high"), users, demo)
    for name in ("ana", "pablo"):
        user = users[name]
        form = ListFilterForm(QueryDict("status=new&status=assigned&q=VPN"))
        tickets = with_critical_impact(
            with_sla_clocks(
                form.apply(selectors.ticket_list_for_user(user=user), user=user), user=user
            )
        )
        with django_assert_num_queries(1):
            flags = {t.pk: t.critical_impact for t in tickets[:50]}
        assert flags == {flagged.pk: True, plain.pk: False}


def test_the_ticket_list_marks_a_critical_p1_incident(as_user, cmdb, new_ticket):
    flagged = new_ticket(cis=[cmdb["VM-ERP-01"]], impact="high", urgency="high", title="ERP down")
    new_ticket(cis=[cmdb["VM-ERP-01"]], impact="low", urgency="low", title="ERP slow")
    body = html(as_user("ana").get("/tickets/"))
    rows = body.split('data-testid="ticket-row"')[1:]
    marked = [row for row in rows if 'data-testid="critical-badge"' in row]
    assert len(marked) == 1 and flagged.number in marked[0]
