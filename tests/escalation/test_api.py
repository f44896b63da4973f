"""The escalation API (SPEC 5): ``/api/v1/escalation/rules/`` (internal staff read, internal
managers write, providers refused, strict and audited), ``/api/v1/escalation/events/``
(restricted to the tickets the caller sees) and ``/api/v1/notifications/`` (the caller's)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cogest.models import AuditEvent
from escalation.models import EscalationEvent, EscalationRule, Notification
from escalation.notify import notify_people
from tickets.services import ticket_create

RULES = "/api/v1/escalation/rules/"
EVENTS = "/api/v1/escalation/events/"
NOTIFICATIONS = "/api/v1/notifications/"

GOOD = {
    "name": "P1 networks to L2",
    "trigger": "created",
    "priorities": [1],
    "functional_areas": ["networks"],
    "reassign_level": "L2",
}


def rule(name="existing", **fields) -> EscalationRule:
    fields = {"trigger": "created", "notify": ["internal_managers"], **fields}
    return EscalationRule.objects.create(name=name, **fields)


def snapshot():
    return (
        list(EscalationRule.objects.order_by("id").values()),
        AuditEvent.objects.filter(action__startswith="escalation.rule_").count(),
    )


# --- Rules: reading ----------------------------------------------------------------------------


def test_internal_staff_list_the_rules_in_order_with_their_sentence(api, users, demo):
    rule("second", position=20)
    rule("first", position=10, priorities=[1], post_to_channel=True)
    for name in ("ana", "marta", "admin"):
        response = api(users[name]).get(RULES)
        assert response.status_code == 200, name
        rows = response.json()["results"]
        assert [r["name"] for r in rows] == ["first", "second"]
    first = api(users["ana"]).get(f"{RULES}{rows[0]['id']}/").json()
    assert first["priorities"] == [1] and first["post_to_channel"] is True
    assert first["description"].startswith("When a P1 ticket is created")


def test_the_rule_list_costs_the_same_for_2_and_12_rules(api, users, demo):
    def more(n, start):
        for i in range(start, start + n):
            made = rule(f"rule {i}", notify=["team_lead"])
            made.teams.set([demo.teams["service-desk"], demo.teams["acme-networks"]])
            made.add_watchers.set([users["ivan"]])

    client = api(users["ana"])
    more(2, 0)
    client.get(RULES)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(RULES).json()["results"]) == 2
    more(10, 2)
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(RULES).json()["results"]) == 12
    assert len(small.captured_queries) == len(large.captured_queries)


def test_providers_and_requesters_are_refused_the_rules(api, users, demo):
    existing = rule()
    for name in ("pablo", "lucia", "sam", "rita"):
        client = api(users[name])
        assert client.get(RULES).status_code == 403, name
        assert client.get(f"{RULES}{existing.pk}/").status_code == 403, name
        assert client.post(RULES, GOOD, format="json").status_code == 403, name
    assert api().get(RULES).status_code == 401


def test_filters_on_the_rule_list(api, users, demo):
    rule("on")
    rule("off", is_active=False)
    rule("timed", trigger="unassigned_for", minutes=30)
    client = api(users["ana"])
    names = [r["name"] for r in client.get(RULES, {"is_active": "true"}).json()["results"]]
    assert names == ["on", "timed"]
    names = [r["name"] for r in client.get(RULES, {"trigger": "unassigned_for"}).json()["results"]]
    assert names == ["timed"]
    assert client.get(RULES, {"is_active": "maybe"}).status_code == 400
    assert client.get(RULES, {"trigger": "sometimes"}).status_code == 400


# --- Rules: writing ----------------------------------------------------------------------------


def test_marta_creates_a_rule_and_it_is_audited(api, users, demo):
    response = api(users["marta"]).post(
        RULES,
        {**GOOD, "teams": [demo.teams["service-desk"].pk], "add_watchers": [users["ivan"].pk]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reassign_level"] == "L2" and body["teams"] == [demo.teams["service-desk"].pk]
    assert body["add_watchers"] == [users["ivan"].pk]
    event = AuditEvent.objects.get(action="escalation.rule_created", object_id=str(body["id"]))
    assert event.actor == users["marta"] and event.after["functional_areas"] == ["networks"]


def test_a_rule_whose_only_action_is_adding_watchers_is_valid(api, users, demo):
    response = api(users["marta"]).post(
        RULES,
        {"name": "watch", "trigger": "reopened", "add_watchers": [users["ana"].pk]},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_marta_patches_a_rule_and_the_change_is_audited(api, users, demo):
    existing = rule()
    response = api(users["marta"]).patch(
        f"{RULES}{existing.pk}/",
        {"is_active": False, "trigger": "no_update_for", "minutes": 120},
        format="json",
    )
    assert response.status_code == 200, response.json()
    existing.refresh_from_db()
    assert (existing.is_active, existing.trigger, existing.minutes) == (False, "no_update_for", 120)
    assert existing.notify == ["internal_managers"]  # untouched
    event = AuditEvent.objects.get(action="escalation.rule_changed", object_id=str(existing.pk))
    assert event.before == {"is_active": True, "minutes": None, "trigger": "created"}
    assert event.after == {"is_active": False, "minutes": 120, "trigger": "no_update_for"}


def test_ana_may_read_but_not_write(api, users, demo):
    existing = rule()
    before = snapshot()
    client = api(users["ana"])
    assert client.post(RULES, GOOD, format="json").status_code == 403
    assert client.patch(f"{RULES}{existing.pk}/", {"name": "x"}, format="json").status_code == 403
    assert snapshot() == before


def test_put_and_delete_are_not_offered(api, users, demo):
    existing = rule()
    client = api(users["marta"])
    assert client.put(f"{RULES}{existing.pk}/", GOOD, format="json").status_code == 405
    assert client.delete(f"{RULES}{existing.pk}/").status_code == 405
    assert EscalationRule.objects.filter(pk=existing.pk).exists()


def test_an_unknown_rule_is_a_404(api, users, demo):
    client = api(users["marta"])
    assert client.get(f"{RULES}999999/").status_code == 404
    assert client.patch(f"{RULES}999999/", {"name": "x"}, format="json").status_code == 404
    assert client.get(f"{RULES}99999999999999999999999/").status_code == 404


BAD_INPUTS = {
    "unknown field": ({**GOOD, "colour": "red"}, "colour"),
    "bad trigger": ({**GOOD, "trigger": "whenever"}, "trigger"),
    "timed trigger without minutes": ({**GOOD, "trigger": "unassigned_for"}, "minutes"),
    "minutes on an event trigger": ({**GOOD, "minutes": 30}, "minutes"),
    "no action": ({"name": "idle", "trigger": "created"}, "__all__"),
    "bad priority": ({**GOOD, "priorities": [7]}, "priorities"),
    "priority as text": ({**GOOD, "priorities": ["P1"]}, "priorities"),
    "priority as a boolean": ({**GOOD, "priorities": [True]}, "priorities"),
    "duplicate priority": ({**GOOD, "priorities": [1, 1]}, "priorities"),
    "priorities not a list": ({**GOOD, "priorities": "1"}, "priorities"),
    "unknown area": ({**GOOD, "functional_areas": ["kitchen"]}, "functional_areas"),
    "unknown notify role": ({**GOOD, "notify": ["everyone"]}, "notify"),
    "team and level both": ({**GOOD, "reassign_team": "TEAM"}, "reassign_level"),
    "unknown team": ({**GOOD, "teams": [999999]}, "teams"),
    "team id not a number": ({**GOOD, "teams": ["abc"]}, "teams"),
    "team id too large": ({**GOOD, "teams": [10**30]}, "teams"),
    "co-managed engagement as shadow": ({**GOOD, "activate_shadow": "ACME"}, "activate_shadow"),
    "criticality 5": ({**GOOD, "ci_criticality_at_most": 5}, "ci_criticality_at_most"),
    "negative minutes": (
        {**GOOD, "trigger": "no_update_for", "minutes": -5},
        "minutes",
    ),
    "minutes too large": ({**GOOD, "trigger": "no_update_for", "minutes": 10**12}, "minutes"),
    "name too long": ({**GOOD, "name": "x" * 121}, "name"),
    "duplicate name": ({**GOOD, "name": "existing"}, "name"),
    "missing name": ({k: v for k, v in GOOD.items() if k != "name"}, "name"),
    "position negative": ({**GOOD, "position": -1}, "position"),
    "shadow minutes zero": ({**GOOD, "shadow_minutes": 0}, "shadow_minutes"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_rule_input_is_a_400_and_nothing_is_saved(api, users, demo, case):
    rule()
    data, field = BAD_INPUTS[case]
    data = dict(data)
    if data.get("reassign_team") == "TEAM":
        data["reassign_team"] = demo.teams["acme-networks"].pk
    if data.get("activate_shadow") == "ACME":
        data["activate_shadow"] = demo.engagements["acme"].pk
    before = snapshot()
    response = api(users["marta"]).post(RULES, data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_bad_patches_are_a_400_and_change_nothing(api, users, demo):
    existing = rule()
    before = snapshot()
    client = api(users["marta"])
    for data in (
        {"colour": "red"},
        {"trigger": "unassigned_for"},  # and no minutes
        {"notify": []},  # no action left
        {"name": ""},
        {"teams": "all"},
    ):
        response = client.patch(f"{RULES}{existing.pk}/", data, format="json")
        assert response.status_code == 400, (data, response.content)
    assert client.post(RULES, ["not", "an", "object"], format="json").status_code == 400
    assert client.post(RULES, "{broken", content_type="application/json").status_code == 400
    assert snapshot() == before


def test_a_provider_post_saves_nothing(api, users, demo):
    before = snapshot()
    assert api(users["lucia"]).post(RULES, GOOD, format="json").status_code == 403
    assert snapshot() == before


# --- Events ------------------------------------------------------------------------------------


@pytest.fixture
def fired(demo, users):
    """A P1 networks rule handing tickets to Acme, one P1 networks incident (now at Acme), one
    P1 systems incident (internal only)."""
    to_acme = rule("to acme", functional_areas=["networks"], priorities=[1], reassign_level="L2")
    notify_all = rule("tell", priorities=[1], notify=["internal_managers"])
    networks = ticket_create(
        by=users["ana"], type="incident", title="Core down", functional_area="networks",
        impact="high", urgency="high",
    )  # fmt: skip
    systems = ticket_create(
        by=users["ana"], type="incident", title="ERP down", functional_area="systems",
        impact="high", urgency="high",
    )  # fmt: skip
    return {"to_acme": to_acme, "tell": notify_all, "networks": networks, "systems": systems}


def test_events_list_the_firings_with_their_rule_and_actions(api, users, fired):
    response = api(users["marta"]).get(EVENTS)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 3
    row = next(r for r in rows if r["rule"]["name"] == "to acme")
    assert row["ticket"] == fired["networks"].pk and row["trigger"] == "created"
    assert row["trigger_key"] == "created" and row["actions"][0]["action"] == "handoff"
    assert set(row) == {"id", "rule", "ticket", "trigger", "trigger_key", "fired_at", "actions"}
    assert set(row["rule"]) == {"id", "name"}


def test_events_are_filtered_by_ticket_rule_and_trigger(api, users, fired):
    client = api(users["marta"])
    by_ticket = client.get(EVENTS, {"ticket": fired["systems"].pk}).json()["results"]
    assert [r["rule"]["name"] for r in by_ticket] == ["tell"]
    by_rule = client.get(EVENTS, {"rule": fired["to_acme"].pk}).json()["results"]
    assert [r["ticket"] for r in by_rule] == [fired["networks"].pk]
    assert client.get(EVENTS, {"trigger": "reopened"}).json()["results"] == []
    for bad in ({"ticket": "abc"}, {"trigger": "whenever"}, {"rule": "-1"}):
        assert client.get(EVENTS, bad).status_code == 400, bad


def test_a_provider_sees_only_the_events_on_its_tickets(api, users, fired):
    rows = api(users["pablo"]).get(EVENTS).json()["results"]
    assert {r["ticket"] for r in rows} == {fired["networks"].pk}
    assert api(users["sam"]).get(EVENTS).json()["results"] == []
    assert api(users["rita"]).get(EVENTS).json()["results"] == []
    assert EscalationEvent.objects.count() == 3


def test_events_cost_the_same_for_one_and_many(api, users, fired, django_assert_max_num_queries):
    client = api(users["pablo"])
    client.get(EVENTS)
    with django_assert_max_num_queries(6):
        client.get(EVENTS)
    for i in range(5):
        ticket_create(
            by=users["ana"], type="incident", title=f"more {i}", functional_area="networks",
            impact="high", urgency="high",
        )  # fmt: skip
    with django_assert_max_num_queries(6):
        assert len(client.get(EVENTS).json()["results"]) == 12


# --- Notifications -----------------------------------------------------------------------------


def note(user, i=0):
    [made] = notify_people(
        [user], kind="test", title=f"Note {i}", body="", url="/", occasion=f"n{user.pk}-{i}",
        urgent=False,
    )  # fmt: skip
    return made


def test_notifications_are_the_callers_own(api, users, demo):
    mine = [note(users["pablo"], i) for i in range(2)]
    note(users["marta"])
    response = api(users["pablo"]).get(NOTIFICATIONS)
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [mine[1].pk, mine[0].pk]
    assert api(users["pablo"]).get(NOTIFICATIONS, {"unread": "true"}).json()["results"]
    assert api(users["pablo"]).get(NOTIFICATIONS, {"unread": "perhaps"}).status_code == 400
    assert api().get(NOTIFICATIONS).status_code == 401


def test_marking_a_notification_read_through_the_api(api, users, demo):
    mine, theirs = note(users["pablo"]), note(users["marta"])
    response = api(users["pablo"]).post(f"{NOTIFICATIONS}{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["read_at"]
    assert api(users["pablo"]).post(f"{NOTIFICATIONS}{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    note(users["pablo"], 1)
    response = api(users["pablo"]).post(f"{NOTIFICATIONS}read-all/")
    assert response.status_code == 200 and response.json() == {"marked": 1}
    assert not Notification.objects.filter(recipient=users["pablo"], read_at__isnull=True).exists()


# --- The schema --------------------------------------------------------------------------------


def test_the_schema_documents_the_escalation_api(api, db):
    paths = api().get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/escalation/rules/"])
    assert {"get", "patch"} <= set(paths["/api/v1/escalation/rules/{id}/"])
    assert "put" not in paths["/api/v1/escalation/rules/{id}/"]
    assert "get" in paths["/api/v1/escalation/events/"]
    assert "get" in paths["/api/v1/notifications/"]
    assert "post" in paths["/api/v1/notifications/{id}/read/"]
    params = {p["name"] for p in paths["/api/v1/escalation/events/"]["get"]["parameters"]}
    assert {"ticket", "rule", "trigger"} <= params
