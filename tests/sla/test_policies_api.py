"""``GET /api/v1/sla/policies/`` (SPEC 5) and the policies' configuration pages (SPEC 3: internal
managers maintain policies): restricted reads, nested targets, filters, the schema, the admin."""

from __future__ import annotations

import pytest

from cogest.models import AuditEvent
from sla.demo import seed_policies
from sla.models import Clock, SlaPolicy, SlaTarget
from tickets.services import ticket_create

URL = "/api/v1/sla/policies/"


@pytest.fixture
def policies(demo):
    return seed_policies(demo)


def listed(api, user, query: str = "") -> list[dict]:
    response = api(user).get(f"{URL}?{query}")
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


def test_internal_staff_read_every_policy_with_its_targets(api, users, policies):
    rows = listed(api, users["ana"])
    assert {row["name"] for row in rows} == set(policies)
    p1 = next(row for row in rows if row["name"] == "Northwind SLA P1 (24x7)")
    assert p1["scope"] == "end_to_end"
    assert p1["engagement"] is None
    assert p1["priorities"] == [1]
    assert p1["pause_reasons"] == ["requester", "change"]
    assert p1["warning_percent"] == 75
    assert sorted((t["target"], t["priority"], t["minutes"]) for t in p1["targets"]) == [
        ("resolution", None, 240),
        ("response", None, 15),
    ]
    assert set(p1) == {
        "id", "name", "scope", "engagement", "ticket_types", "priorities", "calendar",
        "warning_percent", "pause_reasons", "precedence", "is_active", "targets",
    }  # fmt: skip


def test_a_provider_reads_only_its_engagements_policies(api, users, demo, policies):
    assert [row["name"] for row in listed(api, users["pablo"])] == [
        "Acme MSP underpinning contract"
    ]
    assert [row["name"] for row in listed(api, users["lucia"])] == [
        "Acme MSP underpinning contract"
    ]
    assert [row["name"] for row in listed(api, users["sam"])] == [
        "Shadow Partners underpinning contract"
    ]
    acme = listed(api, users["pablo"])[0]
    assert acme["engagement"] == demo.engagements["acme"].pk
    assert {(t["target"], t["priority"]) for t in acme["targets"]} == {
        ("accept", None),
        ("party_resolution", 1),
        ("party_resolution", 2),
    }


def test_a_provider_cannot_reach_another_partys_policy_through_a_filter(api, users, demo, policies):
    shadow = demo.engagements["shadow"].pk
    assert listed(api, users["pablo"], f"engagement={shadow}") == []
    assert listed(api, users["pablo"], "internal_default=true") == []


def test_a_requester_reads_no_policy(api, users, policies):
    assert listed(api, users["rita"]) == []


def test_anonymous_callers_get_a_401(api, policies):
    response = api().get(URL)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_policies_filter_by_engagement_scope_default_and_activity(api, users, demo, policies):
    ana = users["ana"]
    acme = demo.engagements["acme"].pk
    assert [r["name"] for r in listed(api, ana, f"engagement={acme}")] == [
        "Acme MSP underpinning contract"
    ]
    assert {r["name"] for r in listed(api, ana, "scope=end_to_end")} == {
        "Northwind SLA P1 (24x7)",
        "Northwind SLA P2–P4 (office hours)",
    }
    assert {r["name"] for r in listed(api, ana, "internal_default=true&scope=party")} == {
        "Northwind OLA (internal teams)"
    }
    SlaPolicy.objects.filter(name="Northwind SLA P1 (24x7)").update(is_active=False)
    names = {r["name"] for r in listed(api, ana, "is_active=true")}
    assert "Northwind SLA P1 (24x7)" not in names and len(names) == len(policies) - 1


@pytest.mark.parametrize(
    "query", ["scope=everything", "engagement=abc", "internal_default=maybe", "is_active=2"]
)
def test_a_bad_filter_is_a_400(api, users, policies, query):
    response = api(users["ana"]).get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.json()


def test_the_api_is_read_only(api, users, policies):
    client = api(users["marta"])
    before = SlaPolicy.objects.count()
    assert client.post(URL, {"name": "X"}, format="json").status_code == 405
    assert SlaPolicy.objects.count() == before


def test_the_list_costs_the_same_queries_for_few_and_many_policies(api, users, demo, policies):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(users["ana"])
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(10):
        policy = SlaPolicy.objects.create(name=f"Extra {i}", calendar=demo.calendars["24x7"])
        SlaTarget.objects.create(policy=policy, metric="response", minutes=10 + i)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["results"]) == len(policies) + 10
    assert len(few) == len(many)


def test_the_schema_documents_the_policies_endpoint(api, db):
    schema = api().get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "engagement",
        "scope",
        "internal_default",
        "is_active",
    }
    component = schema["components"]["schemas"]["SlaPolicy"]
    assert "targets" in component["properties"]


# --- Configuration pages ---------------------------------------------------------------------


def test_internal_managers_configure_policies_and_targets_in_the_admin(client, users, policies):
    client.force_login(users["marta"])
    policy = policies["Northwind SLA P1 (24x7)"]
    assert client.get("/admin/sla/slapolicy/").status_code == 200
    assert client.get("/admin/sla/slapolicy/add/").status_code == 200
    page = client.get(f"/admin/sla/slapolicy/{policy.pk}/change/")
    assert page.status_code == 200
    assert b"targets-TOTAL_FORMS" in page.content
    # Clocks (with their events) and notices: read, never edited.
    ticket = ticket_create(
        by=users["ana"], type="incident", title="Disk full", functional_area="systems"
    )
    clock = Clock.objects.filter(ticket=ticket).first()
    assert client.get("/admin/sla/clock/").status_code == 200
    page = client.get(f"/admin/sla/clock/{clock.pk}/change/")
    assert page.status_code == 200
    assert b"ticket created" in page.content  # the start event, inline
    assert b'name="_save"' not in page.content
    assert client.get("/admin/sla/slanotice/").status_code == 200
    assert client.get("/admin/sla/clock/add/").status_code == 403
    # Policies are retired, not deleted (clocks point at them).
    assert client.get(f"/admin/sla/slapolicy/{policy.pk}/delete/").status_code == 403


def test_a_manager_changes_a_target_and_the_change_is_audited(client, users, policies):
    client.force_login(users["marta"])
    policy = policies["Northwind SLA P1 (24x7)"]
    targets = list(policy.targets.order_by("id"))
    data = {
        "name": policy.name,
        "scope": policy.scope,
        "engagement": "",
        "is_active": "on",
        "precedence": policy.precedence,
        "priorities": ["1"],
        "calendar": policy.calendar_id,
        "warning_percent": 80,
        "pause_reasons": ["requester"],
        "targets-TOTAL_FORMS": len(targets),
        "targets-INITIAL_FORMS": len(targets),
        "targets-MIN_NUM_FORMS": 0,
        "targets-MAX_NUM_FORMS": 1000,
    }
    for i, target in enumerate(targets):
        data.update(
            {
                f"targets-{i}-id": target.pk,
                f"targets-{i}-policy": policy.pk,
                f"targets-{i}-metric": target.metric,
                f"targets-{i}-priority": target.priority or "",
                f"targets-{i}-minutes": 20 if target.metric == "response" else target.minutes,
                f"targets-{i}-calendar": target.calendar_id or "",
            }
        )
    response = client.post(f"/admin/sla/slapolicy/{policy.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    policy.refresh_from_db()
    assert policy.priorities == [1]
    assert policy.warning_percent == 80
    assert policy.targets.get(metric="response").minutes == 20
    event = AuditEvent.objects.get(action="slapolicy.targets_changed")
    assert event.actor_id == users["marta"].pk
    assert "response any priority: 15 min" in event.before["targets"]
    assert "response any priority: 20 min" in event.after["targets"]
    assert AuditEvent.objects.filter(action="slapolicy.changed").exists()


@pytest.mark.parametrize("username", ["ana", "pablo", "lucia"])
def test_others_do_not_configure_policies(client, users, policies, username):
    client.force_login(users[username])
    response = client.get("/admin/sla/slapolicy/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
