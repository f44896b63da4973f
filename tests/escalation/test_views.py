"""Escalation pages (issue 7): the rules (internal staff read, internal managers configure them,
with a live preview of the open tickets they match), and the escalation matrix on both sides,
restricted and printable."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cogest.models import AuditEvent, ResponsibilityRule, UserProfile
from escalation.models import EscalationRule
from escalation.selectors import ticket_list_matching
from sla.demo import seed_policies
from tickets.services import ticket_create, ticket_transition

HTMX = {"HTTP_HX_REQUEST": "true"}


def rule(name="P1 networks", **fields) -> EscalationRule:
    fields = {"trigger": "created", "notify": ["internal_managers"], **fields}
    return EscalationRule.objects.create(name=name, **fields)


def incident(users, *, area="networks", impact="medium", urgency="medium", **extra):
    return ticket_create(
        by=users["ana"],
        type="incident",
        title=extra.pop("title", f"{area} {impact}/{urgency}"),
        functional_area=area,
        support_level="L1",
        impact=impact,
        urgency=urgency,
        **extra,
    )


def form_data(**overrides) -> dict:
    data = {
        "name": "P1 networks to L2",
        "trigger": "created",
        "minutes": "",
        "position": "100",
        "is_active": "on",
        "priorities": ["1"],
        "functional_areas": ["networks"],
        "reassign_level": "L2",
        "shadow_minutes": "480",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def signed_in(client, users):
    """``signed_in(name)``: the test client as that demo user, reading English (the demo people
    read Spanish; the assertions below quote the English text)."""

    def sign(name, language="en"):
        UserProfile.objects.filter(user=users[name]).update(language=language)
        client.force_login(users[name])
        return client

    return sign


# --- Rules: who may do what ----------------------------------------------------------------------


def test_marta_creates_a_rule_with_the_form_and_it_is_audited(signed_in, demo):
    client = signed_in("marta")
    assert client.get("/escalation/rules/new/").status_code == 200
    response = client.post("/escalation/rules/new/", form_data(notify=["team_lead"]))
    assert response.status_code == 302 and response["Location"] == "/escalation/rules/"
    created = EscalationRule.objects.get(name="P1 networks to L2")
    assert (created.trigger, created.priorities, created.functional_areas) == (
        "created",
        [1],
        ["networks"],
    )
    assert (created.reassign_level, created.notify, created.is_active) == (
        "L2",
        ["team_lead"],
        True,
    )
    event = AuditEvent.objects.get(action="escalation.rule_created", object_id=str(created.pk))
    assert event.actor.username == "marta" and event.after["priorities"] == [1]
    page = client.get("/escalation/rules/").content.decode()
    assert "P1 networks to L2" in page
    assert "When a P1 incident" not in page  # no type condition: any ticket
    assert "When a P1 ticket is created" in page
    assert "escalate it to the matrix&#x27;s L2 team for its area" in page


def test_every_field_of_a_rule_can_be_set_in_the_form(signed_in, demo, users):
    client = signed_in("marta")
    data = form_data(
        name="Everything",
        trigger="unassigned_for",
        minutes="45",
        position="7",
        stop_processing="on",
        ticket_types=["incident", "change"],
        priorities=["1", "2"],
        support_levels=["L1"],
        teams=[str(demo.teams["service-desk"].pk)],
        engagements=[str(demo.engagements["acme"].pk)],
        ci_criticality_at_most="2",
        reassign_level="",
        reassign_team=str(demo.teams["acme-networks"].pk),
        raise_priority="on",
        notify=["assignee", "engagement_owners"],
        post_to_channel="on",
        activate_shadow=str(demo.engagements["shadow"].pk),
        shadow_minutes="90",
        add_watchers=[str(users["ivan"].pk)],
    )
    assert client.post("/escalation/rules/new/", data).status_code == 302
    saved = EscalationRule.objects.get(name="Everything")
    assert (saved.minutes, saved.position, saved.stop_processing) == (45, 7, True)
    assert saved.ticket_types == ["incident", "change"] and saved.priorities == [1, 2]
    assert saved.ci_criticality_at_most == 2 and saved.reassign_team.slug == "acme-networks"
    assert saved.raise_priority and saved.post_to_channel and saved.shadow_minutes == 90
    assert saved.activate_shadow == demo.engagements["shadow"]
    assert [u.username for u in saved.add_watchers.all()] == ["ivan"]
    assert [t.slug for t in saved.teams.all()] == ["service-desk"]
    page = client.get("/escalation/rules/").content.decode()
    assert "stays unassigned for 45 min" in page
    assert "activate shadow support (Shadow Partners — backup desk) for 1 h 30 min" in page


def test_the_edit_form_shows_the_rule_as_it_is(signed_in, demo):
    existing = rule(priorities=[2], functional_areas=["systems"], reassign_level="L2")
    existing.teams.set([demo.teams["service-desk"]])
    page = signed_in("marta").get(f"/escalation/rules/{existing.pk}/edit/").content.decode()
    checked = set(re.findall(r'type="checkbox" name="(\w+)" value="(\w+)"[^>]*checked', page))
    assert {("priorities", "2"), ("functional_areas", "systems")} <= checked
    assert ("notify", "internal_managers") in checked
    assert ("priorities", "1") not in checked and ("functional_areas", "networks") not in checked
    assert re.search(r'<option value="L2" selected>', page)
    assert re.search(rf'<option value="{demo.teams["service-desk"].pk}" selected>', page)


def test_marta_edits_a_rule_and_the_change_is_audited_field_by_field(signed_in, demo):
    existing = rule()
    client = signed_in("marta")
    page = client.get(f"/escalation/rules/{existing.pk}/edit/")
    assert page.status_code == 200 and 'value="P1 networks"' in page.content.decode()
    response = client.post(
        f"/escalation/rules/{existing.pk}/edit/",
        form_data(name="P1 networks", reassign_level="", notify=["internal_managers", "team_lead"]),
    )
    assert response.status_code == 302
    existing.refresh_from_db()
    assert existing.notify == ["team_lead", "internal_managers"] or existing.notify == [
        "internal_managers",
        "team_lead",
    ]
    event = AuditEvent.objects.get(action="escalation.rule_changed", object_id=str(existing.pk))
    assert set(event.after) == {"notify", "priorities", "functional_areas"}
    assert event.before["priorities"] == [] and event.after["priorities"] == [1]


def test_marta_deactivates_and_reorders_rules_with_htmx(signed_in, demo):
    first, second = rule("first", position=10), rule("second", position=10)
    client = signed_in("marta")
    response = client.post(f"/escalation/rules/{first.pk}/active/", {"active": "0"}, **HTMX)
    assert response.status_code == 200 and 'data-testid="rule-table"' in response.content.decode()
    first.refresh_from_db()
    assert first.is_active is False
    assert AuditEvent.objects.filter(
        action="escalation.rule_changed", object_id=str(first.pk), after={"is_active": False}
    ).exists()
    client.post(f"/escalation/rules/{second.pk}/move/", {"direction": "up"}, **HTMX)
    order = list(EscalationRule.objects.order_by("position", "id").values_list("name", flat=True))
    assert order == ["second", "first"]
    # Without JavaScript: a redirect back to the list.
    response = client.post(f"/escalation/rules/{first.pk}/active/", {"active": "1"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.is_active is True


def test_ana_reads_the_rules_but_may_not_change_them(signed_in, demo):
    existing = rule()
    client = signed_in("ana")
    page = client.get("/escalation/rules/")
    assert page.status_code == 200 and "P1 networks" in page.content.decode()
    assert "/edit/" not in page.content.decode()
    assert client.get("/escalation/rules/new/").status_code == 403
    assert client.get(f"/escalation/rules/{existing.pk}/edit/").status_code == 403
    assert client.post("/escalation/rules/new/", form_data()).status_code == 403
    assert client.post(f"/escalation/rules/{existing.pk}/edit/", form_data()).status_code == 403
    assert (
        client.post(f"/escalation/rules/{existing.pk}/active/", {"active": "0"}).status_code == 403
    )
    assert (
        client.post(f"/escalation/rules/{existing.pk}/move/", {"direction": "up"}).status_code
        == 403
    )
    assert client.post("/escalation/rules/preview/", {}).status_code == 403
    # nothing changed
    existing.refresh_from_db()
    assert existing.is_active and existing.name == "P1 networks" and existing.reassign_level == ""
    assert EscalationRule.objects.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="escalation.rule_").exists()


def test_a_provider_and_a_requester_find_no_rule_pages(signed_in, demo):
    existing = rule()
    for name in ("pablo", "lucia", "rita"):
        client = signed_in(name)
        assert client.get("/escalation/rules/").status_code == 404, name
        assert client.get(f"/escalation/rules/{existing.pk}/edit/").status_code == 404, name
        assert client.post("/escalation/rules/new/", form_data()).status_code == 404, name
        assert (
            client.post(f"/escalation/rules/{existing.pk}/active/", {"active": "0"}).status_code
            == 404
        )
    existing.refresh_from_db()
    assert existing.is_active and EscalationRule.objects.count() == 1


def test_a_rule_that_does_not_exist_is_a_404_for_marta(signed_in, demo):
    client = signed_in("marta")
    assert client.get("/escalation/rules/999999/edit/").status_code == 404
    assert client.post("/escalation/rules/999999/active/", {"active": "0"}).status_code == 404


def test_anonymous_people_are_sent_to_sign_in(client, demo):
    for url in ("/escalation/", "/escalation/rules/", "/partner/escalation/", "/notifications/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


# --- Rules: form errors ------------------------------------------------------------------------


def test_a_timed_trigger_without_minutes_is_refused_inline_with_the_values_kept(signed_in, demo):
    client = signed_in("marta")
    response = client.post(
        "/escalation/rules/new/", form_data(name="Waiting too long", trigger="unassigned_for")
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "minutes" in form.errors
    page = response.content.decode()
    assert 'value="Waiting too long"' in page
    assert "This trigger needs a number of minutes." in page
    assert 'name="minutes" class="form-control form-control-sm is-invalid"' in page or (
        "is-invalid" in str(form["minutes"])
    )
    assert not EscalationRule.objects.exists()


def test_a_rule_without_actions_and_other_form_mistakes_are_refused(signed_in, demo):
    client = signed_in("marta")
    rule("Taken")
    cases = [
        (form_data(reassign_level=""), "__all__", "A rule needs at least one action."),
        (form_data(name="Taken"), "name", "already exists"),
        (form_data(minutes="15"), "minutes", "Only timed triggers take minutes."),
        (
            form_data(reassign_team=str(demo.teams["acme-networks"].pk)),
            "reassign_level",
            "not both",
        ),
        (form_data(priorities=["7"]), "priorities", "7"),
        (form_data(trigger="whenever"), "trigger", "whenever"),
    ]
    for data, field, text in cases:
        response = client.post("/escalation/rules/new/", data)
        assert response.status_code == 400, (field, text)
        errors = response.context["form"].errors
        assert field in errors and text in " ".join(errors[field]), (field, errors)
    assert EscalationRule.objects.count() == 1


# --- The preview -------------------------------------------------------------------------------


def test_the_preview_lists_the_open_tickets_the_conditions_match(signed_in, demo, users):
    p1_networks = incident(users, impact="high", urgency="high", title="Core switch down")
    p3_networks = incident(users, title="Slow Wi-Fi")
    p1_systems = incident(users, area="systems", impact="high", urgency="high", title="ERP down")
    closed = incident(users, impact="high", urgency="high", title="Old outage")
    ticket_transition(ticket=closed, by=users["ana"], to="cancelled")
    client = signed_in("marta")
    response = client.post(
        "/escalation/rules/preview/",
        {"priorities": ["1"], "functional_areas": ["networks"]},
        **HTMX,
    )
    assert response.status_code == 200
    shown = [t.number for t in response.context["preview"].tickets]
    assert shown == [p1_networks.number]
    for other in (p3_networks, p1_systems, closed):
        assert other.number not in response.content.decode()
    # No condition: every open ticket.
    response = client.post("/escalation/rules/preview/", {}, **HTMX)
    assert {t.number for t in response.context["preview"].tickets} == {
        p1_networks.number,
        p3_networks.number,
        p1_systems.number,
    }


def test_the_preview_follows_team_and_ci_conditions(signed_in, demo, users):
    from cmdb.models import CIClass, ConfigurationItem

    ci_class, _ = CIClass.objects.get_or_create(slug="server", defaults={"name": "Server"})
    northwind = demo.organizations["internal"]
    critical = ConfigurationItem.objects.create(
        name="core-sw-01", ci_class=ci_class, criticality=1, managed_by=northwind
    )
    minor = ConfigurationItem.objects.create(
        name="printer-7", ci_class=ci_class, criticality=4, managed_by=northwind
    )
    affecting = incident(users, title="Core switch", cis=[critical])
    incident(users, title="Printer", cis=[minor])
    incident(users, title="Nothing linked")
    client = signed_in("marta")
    response = client.post("/escalation/rules/preview/", {"ci_criticality_at_most": "2"}, **HTMX)
    assert [t.number for t in response.context["preview"].tickets] == [affecting.number]
    team = str(demo.teams["acme-networks"].pk)
    response = client.post("/escalation/rules/preview/", {"teams": [team]}, **HTMX)
    assert response.context["preview"].tickets == []
    assert 'data-count="0"' in response.content.decode()


def test_the_preview_is_capped_and_says_so(demo, users):
    made = [incident(users, title=f"T{i}") for i in range(4)]
    preview = ticket_list_matching(user=users["marta"], conditions={}, limit=3)
    assert preview.capped and len(preview.tickets) == 3
    assert {t.pk for t in preview.tickets} <= {t.pk for t in made}
    assert not ticket_list_matching(user=users["marta"], conditions={}, limit=4).capped


def test_the_preview_costs_the_same_for_2_and_12_matching_tickets(signed_in, demo, users):
    client = signed_in("marta")
    for i in range(2):
        incident(users, title=f"first {i}")
    data = {"functional_areas": ["networks"], "teams": [str(demo.teams["service-desk"].pk)]}
    client.post("/escalation/rules/preview/", data, **HTMX)  # warm caches
    with CaptureQueriesContext(connection) as small:
        assert client.post("/escalation/rules/preview/", data, **HTMX).status_code == 200
    for i in range(10):
        incident(users, title=f"more {i}")
    with CaptureQueriesContext(connection) as large:
        response = client.post("/escalation/rules/preview/", data, **HTMX)
    assert len(response.context["preview"].tickets) == 12
    assert len(small.captured_queries) == len(large.captured_queries)


def test_invalid_conditions_in_the_preview_say_so(signed_in, demo):
    response = signed_in("marta").post("/escalation/rules/preview/", {"priorities": ["9"]}, **HTMX)
    assert (
        response.status_code == 200 and 'data-testid="preview-invalid"' in response.content.decode()
    )


# --- The escalation matrix ---------------------------------------------------------------------


@pytest.fixture
def shadow_row(demo):
    """A matrix row that routes to Shadow Partners: Acme's people must never see it."""
    return ResponsibilityRule.objects.create(
        functional_area="applications",
        support_level="L2",
        team=demo.teams["shadow-desk"],
        engagement=demo.engagements["shadow"],
    )


def test_the_internal_matrix_page_shows_the_matrix_the_rules_in_words_and_the_policies(
    signed_in, demo, shadow_row
):
    seed_policies(demo)
    rule("P1 created", priorities=[1], ticket_types=["incident"], post_to_channel=True)
    rule("Quiet", is_active=False)
    for name in ("ana", "marta"):
        response = signed_in(name).get("/escalation/")
        assert response.status_code == 200
        page = response.content.decode()
        assert 'data-team="acme-networks"' in page and 'data-team="shadow-desk"' in page
        assert (
            "When a P1 incident is created → notify the internal managers; post to the "
            "team&#x27;s channel" in " ".join(page.split())
        )
        assert "Quiet" not in page  # inactive rules are not the workflow
        assert 'data-testid="policy-row"' in page
        assert "cogest/escalation.css" in page and "data-print" in page
    assert 'data-testid="rules-link"' in signed_in("ana").get("/escalation/").content.decode()


def test_pablo_reads_the_portal_matrix_without_other_providers(signed_in, demo, shadow_row):
    seed_policies(demo)
    rule("P1 created", priorities=[1], post_to_channel=True)
    rule("Shadow only", notify=["team_lead"]).teams.set([demo.teams["shadow-desk"]])
    rule("To shadow", reassign_team=demo.teams["shadow-desk"], notify=[])
    client = signed_in("pablo")
    assert client.get("/escalation/").status_code == 302  # the internal page sends him home
    response = client.get("/partner/escalation/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-team="acme-networks"' in page and 'data-team="service-desk"' in page
    assert "shadow-desk" not in page and "Shadow Desk" not in page and "Shadow Partners" not in page
    assert "When a P1 ticket is created" in page
    assert "reassign it to another provider&#x27;s team" in page
    assert "Shadow only" not in page and "To shadow" not in page  # rule names stay internal
    assert "/escalation/rules/" not in page
    # Acme's underpinning contract only; not the internal default, not Shadow Partners'.
    policies = response.context["policies"]
    assert policies and all(p.policy.engagement == demo.engagements["acme"] for p in policies)
    assert all(e.provider.slug == "acme" for e in response.context["engagements"])


def test_internal_staff_are_sent_to_the_internal_matrix_and_a_requester_is_refused(signed_in, demo):
    assert signed_in("marta").get("/partner/escalation/").status_code == 302
    assert signed_in("rita").get("/escalation/").status_code == 403
    assert signed_in("rita").get("/partner/escalation/").status_code == 302


def test_the_navigation_leads_to_the_escalation_pages(signed_in, demo):
    page = signed_in("ana").get("/").content.decode()
    assert 'data-testid="nav-escalation"' in page and 'href="/escalation/"' in page
    page = signed_in("pablo").get("/partner/").content.decode()
    assert 'href="/partner/escalation/"' in page and 'data-testid="nav-escalation"' in page
    assert 'data-testid="nav-escalation"' not in signed_in("rita").get("/").content.decode()
