"""The tickets REST API (SPEC 5) as outside clients use it: open, read, filter, change through
the workflow, hand off across organizations, comment, attach, log work; and who sees what."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cmdb.models import CIClass, ConfigurationItem
from cogest.models import AuditEvent
from tickets.api.serializers import TicketSerializer
from tickets.models import Attachment, Comment, Handoff, Ticket, TicketHolding, WorkLog
from tickets.services import (
    attachment_add,
    comment_add,
    handoff_reject,
    ticket_handoff,
)

SPEC_FIELDS = {
    "id",
    "number",
    "type",
    "title",
    "description",
    "status",
    "impact",
    "urgency",
    "priority",
    "functional_area",
    "support_level",
    "team",
    "assignee",
    "requester",
    "cis",
    "created_at",
    "updated_at",
    "resolved_at",
    "version",
    "sla",
}
CHECKLIST = {
    "steps_tried": ["Rebooted the VPN concentrator"],
    "evidence": "logs attached",
    "affected_cis": ["FW-MAD-01"],
    "impact": "Madrid office, 40 users",
}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [row["id"] for row in response.json()["results"]]


def make_ci(demo, name: str) -> ConfigurationItem:
    ci_class, _ = CIClass.objects.get_or_create(slug="server", defaults={"name": "Server"})
    return ConfigurationItem.objects.create(
        name=name, ci_class=ci_class, managed_by=demo.organizations["internal"]
    )


def hand_to_acme(ticket, users, demo):
    return ticket_handoff(
        ticket=ticket,
        by=users["ana"],
        team=demo.teams["acme-networks"],
        summary="VPN drops; L1 checks done",
        checklist=CHECKLIST,
    )


@pytest.fixture
def handed(new_ticket, users, demo):
    """A Service Desk networks ticket handed to Acme Networks (waiting for acceptance)."""
    ticket = new_ticket(functional_area="networks")
    hand_to_acme(ticket, users, demo)
    ticket.refresh_from_db()
    return ticket


# --- Opening tickets -------------------------------------------------------------------------


def test_create_routes_by_the_matrix_and_the_caller_is_the_requester(api, users, demo):
    # given ana, an internal agent
    client = api(users["ana"])
    # when she opens a networks L2 incident without naming a team
    response = client.post(
        "/api/v1/tickets/",
        {
            "type": "incident",
            "title": "Core switch flapping",
            "description": "Port *24* goes up and down",
            "functional_area": "networks",
            "support_level": "L2",
            "impact": "high",
            "urgency": "medium",
        },
        format="json",
    )
    # then the matrix routes it to Acme Networks under the Acme engagement
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= SPEC_FIELDS
    assert re.fullmatch(r"INC-\d{6}", body["number"])
    assert body["team"] == demo.teams["acme-networks"].pk
    assert body["engagement"] == demo.engagements["acme"].pk
    assert body["requester"] == users["ana"].pk
    assert body["priority"] == 2 and body["status"] == "new" and body["version"] == 1
    assert body["source"] == "api" and body["sla"] == [] and body["cis"] == []
    assert body["description_html"] == "<p>Port <em>24</em> goes up and down</p>"
    assert response["ETag"] == '"1"'
    assert response["Location"].endswith(f"/api/v1/tickets/{body['id']}/")
    ticket = Ticket.objects.get(pk=body["id"])
    assert ticket.source == "api" and ticket.created_by == users["ana"]
    assert AuditEvent.objects.filter(action="ticket.created", object_id=str(ticket.pk)).exists()


def test_numbers_follow_the_type_prefix(api, users):
    client = api(users["ana"])
    numbers = [
        client.post(
            "/api/v1/tickets/",
            {"type": kind, "title": "Something", "functional_area": "systems"},
            format="json",
        ).json()["number"]
        for kind in ("incident", "service_request", "problem", "change")
    ]
    assert [n[:4] for n in numbers] == ["INC-", "REQ-", "PRB-", "CHG-"]


def test_create_with_team_assignee_and_cis(api, users, demo):
    server = make_ci(demo, "SRV-ERP-01")
    response = api(users["ana"]).post(
        "/api/v1/tickets/",
        {
            "type": "service_request",
            "title": "More disk on the ERP server",
            "functional_area": "systems",
            "team": demo.teams["service-desk"].pk,
            "assignee": users["ana"].pk,
            "cis": [server.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["team"] == demo.teams["service-desk"].pk
    assert body["assignee"] == users["ana"].pk and body["status"] == "assigned"
    assert body["cis"] == [server.pk]


def test_internal_staff_open_a_ticket_for_someone_else_but_a_provider_cannot(api, users):
    data = {
        "type": "incident",
        "title": "Laptop broken",
        "functional_area": "devices",
        "requester": users["rita"].pk,
    }
    response = api(users["ana"]).post("/api/v1/tickets/", data, format="json")
    assert response.status_code == 201 and response.json()["requester"] == users["rita"].pk
    before = Ticket.objects.count()
    refused = api(users["pablo"]).post("/api/v1/tickets/", data, format="json")
    assert refused.status_code == 400 and "requester" in refused.json()
    assert Ticket.objects.count() == before


def test_a_requester_opens_her_own_ticket_and_reads_only_hers(api, users, new_ticket):
    someone_elses = new_ticket()
    rita = api(users["rita"])
    response = rita.post(
        "/api/v1/tickets/",
        {"type": "service_request", "title": "New monitor", "functional_area": "devices"},
        format="json",
    )
    assert response.status_code == 201
    mine = response.json()
    assert mine["requester"] == users["rita"].pk
    assert ids(rita.get("/api/v1/tickets/")) == [mine["id"]]
    assert rita.get(f"/api/v1/tickets/{mine['id']}/").status_code == 200
    assert rita.get(f"/api/v1/tickets/{someone_elses.pk}/").status_code == 404


def test_anonymous_callers_get_401(api, new_ticket):
    ticket = new_ticket()
    anonymous = api()
    assert anonymous.get("/api/v1/tickets/").status_code == 401
    assert anonymous.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 401
    assert anonymous.get(f"/api/v1/tickets/{ticket.pk}/comments/").status_code == 401
    response = anonymous.post(
        "/api/v1/tickets/", {"type": "incident", "title": "x", "functional_area": "systems"}
    )
    assert response.status_code == 401 and "detail" in response.json()
    assert Ticket.objects.count() == 1


# --- Reading ---------------------------------------------------------------------------------


def test_retrieve_has_the_spec_fields_and_the_version_as_etag(api, users, new_ticket, demo):
    server = make_ci(demo, "FW-MAD-01")
    ticket = new_ticket(cis=[server])
    response = api(users["ana"]).get(f"/api/v1/tickets/{ticket.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= SPEC_FIELDS
    assert body["cis"] == [server.pk] and body["number"] == ticket.number
    assert body["sla"] == []
    assert response["ETag"] == f'"{ticket.version}"'


def test_sla_comes_from_the_clocks_relation_when_the_sla_app_provides_it():
    # given a ticket-like object with clocks (what the SLA app will add as ``ticket.clocks``)
    due = timezone.now()
    clock = SimpleNamespace(
        target="resolution", kind="sla", party_id=1, state="running", due_at=due
    )
    ticket = SimpleNamespace(clocks=SimpleNamespace(all=lambda: [clock]))
    # when the serializer reads it, then each clock has the SPEC 5 shape
    [item] = TicketSerializer().get_sla(ticket)
    assert item["target"] == "resolution" and item["kind"] == "sla" and item["party"] == 1
    assert item["state"] == "running" and item["due_at"]
    assert TicketSerializer().get_sla(SimpleNamespace()) == []


# --- Filters, ordering, pagination -----------------------------------------------------------


@pytest.fixture
def assorted(new_ticket, users, demo):
    """Tickets that differ in every filtered field."""
    switch, erp = make_ci(demo, "SW-CORE-01"), make_ci(demo, "SRV-ERP-01")
    t = SimpleNamespace()
    t.vpn = new_ticket(title="VPN drops", functional_area="networks", cis=[switch])
    t.acme = new_ticket(title="Firewall rule", functional_area="networks", support_level="L2")
    t.printer = new_ticket(
        type="service_request",
        title="Printer toner",
        description="The third-floor printer",
        functional_area="devices",
        impact="low",
        urgency="low",
        assignee=users["ana"],
        team=demo.teams["service-desk"],
    )
    t.erp = new_ticket(
        type="problem",
        title="ERP slow",
        functional_area="systems",
        support_level="L2",
        impact="high",
        urgency="high",
        cis=[erp, switch],
    )
    t.switch, t.erp_ci = switch, erp
    return t


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=assigned", ["printer"]),
        ("status=new,assigned", ["erp", "printer", "acme", "vpn"]),
        ("status=new&status=assigned", ["erp", "printer", "acme", "vpn"]),
        ("type=problem", ["erp"]),
        ("type=problem,service_request", ["erp", "printer"]),
        ("priority=1", ["erp"]),
        ("priority=4,1", ["erp", "printer"]),
        ("priority=4&priority=1", ["erp", "printer"]),
        ("functional_area=networks", ["acme", "vpn"]),
        ("support_level=L2", ["erp", "acme"]),
        ("unassigned=true", ["erp", "acme", "vpn"]),
        ("q=printer", ["printer"]),
        ("q=ERP", ["erp"]),
    ],
)
def test_each_filter_narrows_the_list(api, users, assorted, query, expected):
    response = api(users["ana"]).get(f"/api/v1/tickets/?{query}")
    assert ids(response) == [getattr(assorted, name).pk for name in expected]


def test_filters_by_team_assignee_engagement_ci_and_mine(api, users, demo, assorted):
    ana = api(users["ana"])
    acme_team = demo.teams["acme-networks"].pk
    assert ids(ana.get(f"/api/v1/tickets/?team={acme_team}")) == [assorted.acme.pk]
    assert ids(ana.get(f"/api/v1/tickets/?assignee={users['ana'].pk}")) == [assorted.printer.pk]
    assert ids(ana.get("/api/v1/tickets/?mine=true")) == [assorted.printer.pk]
    engagement = demo.engagements["acme"].pk
    assert ids(ana.get(f"/api/v1/tickets/?engagement={engagement}")) == [assorted.acme.pk]
    assert ids(ana.get(f"/api/v1/tickets/?ci={assorted.erp_ci.pk}")) == [assorted.erp.pk]
    both = ids(ana.get(f"/api/v1/tickets/?ci={assorted.switch.pk},{assorted.erp_ci.pk}"))
    assert both == [assorted.erp.pk, assorted.vpn.pk]  # each ticket once
    sd = demo.teams["service-desk"].pk
    assert len(ids(ana.get(f"/api/v1/tickets/?team={sd},{acme_team}"))) == 3


def test_created_after_and_before_take_dates_and_datetimes(api, users, new_ticket):
    with time_machine.travel(dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)):
        march = new_ticket(title="March")
    with time_machine.travel(dt.datetime(2026, 4, 15, 10, 0, tzinfo=dt.UTC)):
        april = new_ticket(title="April")
    ana = api(users["ana"])
    assert ids(ana.get("/api/v1/tickets/?created_after=2026-04-01")) == [april.pk]
    assert ids(ana.get("/api/v1/tickets/?created_before=2026-04-01")) == [march.pk]
    assert ids(ana.get("/api/v1/tickets/?created_after=2026-03-01T09:00:00Z")) == [
        april.pk,
        march.pk,
    ]
    window = "created_after=2026-03-01T10:30:00%2B00:00&created_before=2026-04-15T11:00:00Z"
    assert ids(ana.get(f"/api/v1/tickets/?{window}")) == [april.pk]


def test_ordering_by_each_allowed_field(api, users, assorted):
    ana = api(users["ana"])
    assert ids(ana.get("/api/v1/tickets/?ordering=priority"))[0] == assorted.erp.pk
    assert ids(ana.get("/api/v1/tickets/?ordering=-priority"))[0] == assorted.printer.pk
    by_number = ids(ana.get("/api/v1/tickets/?ordering=number"))
    assert by_number[:2] == [assorted.vpn.pk, assorted.acme.pk]  # INC-1, INC-2 before PRB, REQ
    assert ids(ana.get("/api/v1/tickets/?ordering=created_at"))[0] == assorted.vpn.pk
    assert ids(ana.get("/api/v1/tickets/?ordering=-updated_at"))[0] == assorted.erp.pk
    assert ids(ana.get("/api/v1/tickets/?ordering=status,-priority"))[0] == assorted.printer.pk
    refused = ana.get("/api/v1/tickets/?ordering=title")
    assert refused.status_code == 400 and "ordering" in refused.json()


def test_pagination_links_and_the_200_cap(api, users, demo):
    team = demo.teams["service-desk"]
    Ticket.objects.bulk_create(
        Ticket(
            number=f"INC-9{i:05d}",
            type="incident",
            title=f"Bulk {i}",
            functional_area="systems",
            team=team,
            requester=users["rita"],
        )
        for i in range(205)
    )
    ana = api(users["ana"])
    first = ana.get("/api/v1/tickets/?page_size=2&count=true").json()
    assert first["count"] == 205 and len(first["results"]) == 2 and first["previous"] is None
    assert "count=true" in first["next"]
    second = ana.get(first["next"]).json()
    assert second["previous"] and {r["id"] for r in second["results"]}.isdisjoint(
        {r["id"] for r in first["results"]}
    )
    capped = ana.get("/api/v1/tickets/?page_size=100000")
    assert capped.status_code == 200 and len(capped.json()["results"]) == 200
    assert len(ana.get("/api/v1/tickets/").json()["results"]) == 50


# --- Changing tickets ------------------------------------------------------------------------


def test_patch_title_and_urgency_recomputes_the_priority(api, users, new_ticket):
    ticket = new_ticket(impact="medium", urgency="low")
    assert ticket.priority == 4
    response = api(users["ana"]).patch(
        f"/api/v1/tickets/{ticket.pk}/",
        {"title": "VPN down for everyone", "urgency": "high"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "VPN down for everyone" and body["priority"] == 2
    assert body["version"] == ticket.version + 1
    assert response["ETag"] == f'"{body["version"]}"'
    event = AuditEvent.objects.filter(action="ticket.updated", object_id=str(ticket.pk)).get()
    assert event.after == {"title": "VPN down for everyone", "urgency": "high", "priority": 2}


def test_patch_status_walks_the_workflow(api, users, new_ticket):
    ticket = new_ticket(assignee=users["ana"], team=None)
    ana = api(users["ana"])
    url = f"/api/v1/tickets/{ticket.pk}/"

    def patch(data):
        response = ana.patch(url, data, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    assert patch({"status": "in_progress"})["status"] == "in_progress"
    pending = patch({"status": "pending", "pending_reason": "requester"})
    assert pending["status"] == "pending" and pending["pending_reason"] == "requester"
    assert patch({"status": "in_progress"})["pending_reason"] == ""
    resolved = patch(
        {"status": "resolved", "resolution": "Replaced the SFP", "resolution_code": "fixed"}
    )
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert resolved["resolution"] == "Replaced the SFP"
    assert patch({"status": "closed"})["status"] == "closed"


def test_an_invalid_move_is_a_400_naming_status_and_changes_nothing(api, users, new_ticket):
    ticket = new_ticket()
    response = api(users["ana"]).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"status": "resolved", "resolution": "x"}, format="json"
    )
    assert response.status_code == 400 and "status" in response.json()
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_a_combined_patch_is_all_or_nothing(api, users, working_ticket):
    version = working_ticket.version
    response = api(users["ana"]).patch(
        f"/api/v1/tickets/{working_ticket.pk}/",
        {"title": "Renamed", "urgency": "low", "status": "resolved"},  # no resolution
        format="json",
    )
    assert response.status_code == 400 and "resolution" in response.json()
    ticket = Ticket.objects.get(pk=working_ticket.pk)
    assert ticket.title == working_ticket.title and ticket.urgency == working_ticket.urgency
    assert ticket.status == "in_progress" and ticket.version == version


def test_assign_and_start_in_one_patch(api, users, new_ticket):
    ticket = new_ticket(functional_area="devices")
    response = api(users["ana"]).patch(
        f"/api/v1/tickets/{ticket.pk}/",
        {"assignee": users["ana"].pk, "status": "in_progress"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == users["ana"].pk
    assert response.json()["status"] == "in_progress"


@pytest.mark.parametrize("header", ['"{v}"', "{v}", 'W/"{v}"'])
def test_if_match_with_the_current_version_is_accepted(api, users, new_ticket, header):
    ticket = new_ticket()
    response = api(users["ana"]).patch(
        f"/api/v1/tickets/{ticket.pk}/",
        {"title": "Fresh"},
        format="json",
        HTTP_IF_MATCH=header.format(v=ticket.version),
    )
    assert response.status_code == 200 and response.json()["title"] == "Fresh"


def test_a_stale_if_match_is_412_and_changes_nothing(api, users, new_ticket):
    ticket = new_ticket()
    ana = api(users["ana"])
    etag = ana.get(f"/api/v1/tickets/{ticket.pk}/")["ETag"]
    # someone else changes it meanwhile
    theirs = ana.patch(f"/api/v1/tickets/{ticket.pk}/", {"title": "Theirs"}, format="json")
    assert theirs.status_code == 200
    response = ana.patch(
        f"/api/v1/tickets/{ticket.pk}/", {"title": "Mine"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 412 and "detail" in response.json()
    assert Ticket.objects.get(pk=ticket.pk).title == "Theirs"


def test_a_malformed_if_match_is_400(api, users, new_ticket):
    ticket = new_ticket()
    response = api(users["ana"]).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH="v3"
    )
    assert response.status_code == 400 and "If-Match" in response.json()
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


# --- Handoffs --------------------------------------------------------------------------------


def test_handoff_accept_and_resolution_by_the_provider(api, users, demo, new_ticket):
    # given a Service Desk ticket about the network
    ticket = new_ticket(functional_area="networks")
    ana, pablo = api(users["ana"]), api(users["pablo"])
    assert pablo.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
    # when ana hands it to Acme Networks with the checklist
    response = ana.post(
        f"/api/v1/tickets/{ticket.pk}/handoff/",
        {"team": demo.teams["acme-networks"].pk, "summary": "L1 done", "checklist": CHECKLIST},
        format="json",
    )
    # then the handoff waits for Acme, which can now read the ticket
    assert response.status_code == 201, response.content
    handoff = response.json()
    assert handoff["status"] == "pending" and handoff["checklist"] == CHECKLIST
    assert handoff["to_team"] == demo.teams["acme-networks"].pk
    assert handoff["from_team"] == demo.teams["service-desk"].pk
    assert ticket.pk in ids(pablo.get("/api/v1/tickets/"))
    assert ids(pablo.get(f"/api/v1/tickets/{ticket.pk}/handoffs/")) == [handoff["id"]]
    # when pablo accepts, starts and resolves it
    accepted = pablo.post(f"/api/v1/tickets/{ticket.pk}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["responded_at"]
    detail = pablo.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert detail["assignee"] == users["pablo"].pk and detail["status"] == "assigned"
    url = f"/api/v1/tickets/{ticket.pk}/"
    assert pablo.patch(url, {"status": "in_progress"}, format="json").status_code == 200
    done = pablo.patch(url, {"status": "resolved", "resolution": "SFP replaced"}, format="json")
    # then the provider closed the loop
    assert done.status_code == 200 and done.json()["status"] == "resolved"


def test_reject_with_a_reason_sends_the_ticket_back(api, users, demo, handed):
    response = api(users["pablo"]).post(
        f"/api/v1/tickets/{handed.pk}/reject/", {"reason": "DNS, not network"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"
    assert response.json()["reject_reason"] == "DNS, not network"
    handed.refresh_from_db()
    assert handed.team == demo.teams["service-desk"]


def test_only_the_receiving_organization_answers_a_handoff(api, users, handed):
    response = api(users["ana"]).post(f"/api/v1/tickets/{handed.pk}/accept/")
    assert response.status_code == 403 and "detail" in response.json()
    assert Handoff.objects.get(ticket=handed).status == "pending"


# --- Comments, history, attachments, work logs -------------------------------------------------


@pytest.fixture
def discussed(handed, users):
    """Ana's internal, shared and public comments on a ticket Acme holds; one of Pablo's."""
    for visibility in ("internal", "shared", "public"):
        comment_add(
            ticket=handed, by=users["ana"], body=f"ana {visibility} note", visibility=visibility
        )
    comment_add(ticket=handed, by=users["pablo"], body="pablo internal note", visibility="internal")
    return handed


def bodies(client, ticket) -> list[str]:
    response = client.get(f"/api/v1/tickets/{ticket.pk}/comments/")
    assert response.status_code == 200
    return [row["body"] for row in response.json()["results"]]


def test_each_side_reads_only_the_comments_meant_for_it(api, users, discussed):
    assert bodies(api(users["pablo"]), discussed) == [
        "ana shared note",
        "ana public note",
        "pablo internal note",
    ]
    assert bodies(api(users["ana"]), discussed) == [
        "ana internal note",
        "ana shared note",
        "ana public note",
    ]
    assert "pablo internal note" in bodies(api(users["admin"]), discussed)


def test_the_requester_reads_only_public_comments(api, users, new_ticket):
    ticket = new_ticket(requester=users["rita"])
    comment_add(ticket=ticket, by=users["ana"], body="internal", visibility="internal")
    comment_add(ticket=ticket, by=users["ana"], body="shared", visibility="shared")
    comment_add(ticket=ticket, by=users["ana"], body="We are **on it**", visibility="public")
    response = api(users["rita"]).get(f"/api/v1/tickets/{ticket.pk}/comments/")
    [comment] = response.json()["results"]
    assert comment["body"] == "We are **on it**"
    assert comment["body_html"] == "<p>We are <strong>on it</strong></p>"


def test_the_history_never_shows_another_organizations_internal_comment(api, users, discussed):
    internal = Comment.objects.get(body="ana internal note")
    history = api(users["pablo"]).get(f"/api/v1/tickets/{discussed.pk}/history/")
    assert history.status_code == 200
    rows = history.json()["results"]
    assert {"id", "at", "actor", "actor_organization", "action", "before", "after", "note"} <= set(
        rows[0]
    )
    assert "ticket.handed_off" in [row["action"] for row in rows]
    shown = [row["after"].get("comment") for row in rows if row["action"] == "comment.added"]
    assert internal.pk not in shown and len(shown) == 3  # shared, public, pablo's own
    ana_rows = api(users["ana"]).get(f"/api/v1/tickets/{discussed.pk}/history/").json()["results"]
    ana_shown = [r["after"]["comment"] for r in ana_rows if r["action"] == "comment.added"]
    assert internal.pk in ana_shown and len(ana_shown) == 3  # not pablo's internal one


def test_comment_create_defaults_to_internal_and_renders_markdown(api, users, handed):
    response = api(users["pablo"]).post(
        f"/api/v1/tickets/{handed.pk}/comments/", {"body": "Checked *port 12*"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["visibility"] == "internal" and body["author"] == users["pablo"].pk
    assert body["body_html"] == "<p>Checked <em>port 12</em></p>"
    assert "Checked" not in str(bodies(api(users["ana"]), handed))


def upload(name="trace.txt", content=b"ping 10.0.0.1\n", visibility="shared"):
    return {"file": SimpleUploadedFile(name, content), "visibility": visibility}


def test_attachments_upload_list_and_download(api, users, handed, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ana = api(users["ana"])
    response = ana.post(f"/api/v1/tickets/{handed.pk}/attachments/", upload(), format="multipart")
    assert response.status_code == 201, response.content
    attachment = response.json()
    assert attachment["filename"] == "trace.txt" and attachment["size"] == 14
    assert attachment["content_type"] == "text/plain" and attachment["visibility"] == "shared"
    listed = api(users["pablo"]).get(f"/api/v1/tickets/{handed.pk}/attachments/").json()
    assert [row["id"] for row in listed["results"]] == [attachment["id"]]
    assert set(listed["results"][0]) >= {
        "id",
        "filename",
        "size",
        "content_type",
        "visibility",
        "created_at",
        "download_url",
    }
    download = api(users["pablo"]).get(attachment["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"ping 10.0.0.1\n"
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="trace.txt"' in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_provider_cannot_download_an_internal_attachment_of_northwind(
    api, users, handed, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    secret = attachment_add(
        ticket=handed,
        by=users["ana"],
        upload=SimpleUploadedFile("passwords.txt", b"hunter2"),
        visibility="internal",
    )
    pablo = api(users["pablo"])
    url = f"/api/v1/tickets/{handed.pk}/attachments/{secret.pk}/download/"
    assert pablo.get(url).status_code == 404
    assert pablo.get(f"/api/v1/tickets/{handed.pk}/attachments/{secret.pk}/").status_code == 404
    assert ids(pablo.get(f"/api/v1/tickets/{handed.pk}/attachments/")) == []
    assert api(users["ana"]).get(url).status_code == 200
    # nor through another ticket's URL
    other = Ticket.objects.exclude(pk=handed.pk).first()
    if other is not None:
        assert (
            api(users["ana"])
            .get(f"/api/v1/tickets/{other.pk}/attachments/{secret.pk}/download/")
            .status_code
            == 404
        )


def test_work_logs_are_recorded_and_read_by_side(api, users, handed):
    pablo = api(users["pablo"])
    response = pablo.post(
        f"/api/v1/tickets/{handed.pk}/worklogs/",
        {"minutes": 45, "description": "Replaced SFP", "billable": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    log = response.json()
    assert log["minutes"] == 45 and log["billable"] is True and log["author"] == users["pablo"].pk
    assert ids(api(users["ana"]).get(f"/api/v1/tickets/{handed.pk}/worklogs/")) == [log["id"]]
    assert ids(pablo.get(f"/api/v1/tickets/{handed.pk}/worklogs/")) == [log["id"]]
    ana_log = api(users["ana"]).post(
        f"/api/v1/tickets/{handed.pk}/worklogs/",
        {"minutes": 10, "description": "Triage", "performed_at": "2026-01-05T09:00:00Z"},
        format="json",
    )
    assert ana_log.status_code == 201 and ana_log.json()["billable"] is False
    assert ids(pablo.get(f"/api/v1/tickets/{handed.pk}/worklogs/")) == [log["id"]]


def test_links_and_watching(api, users, new_ticket):
    first, second = new_ticket(), new_ticket(title="Same VPN problem")
    ana = api(users["ana"])
    response = ana.post(
        f"/api/v1/tickets/{second.pk}/links/",
        {"target": first.pk, "kind": "duplicate_of"},
        format="json",
    )
    assert response.status_code == 201, response.content
    link = response.json()
    assert (link["source"], link["kind"], link["target"]) == (second.pk, "duplicate_of", first.pk)
    assert ids(ana.get(f"/api/v1/tickets/{first.pk}/links/")) == [link["id"]]
    assert ana.delete(f"/api/v1/tickets/{second.pk}/links/{link['id']}/").status_code == 204
    assert ids(ana.get(f"/api/v1/tickets/{first.pk}/links/")) == []
    watched = ana.post(f"/api/v1/tickets/{first.pk}/watch/")
    assert watched.status_code == 200 and watched.json()["watchers"] == [users["ana"].pk]
    assert ana.post(f"/api/v1/tickets/{first.pk}/unwatch/").json()["watchers"] == []


# --- Who sees what -----------------------------------------------------------------------------


@pytest.fixture
def provider_world(new_ticket, users, demo):
    """Tickets Acme holds, held, never held."""
    t = SimpleNamespace()
    t.handed = new_ticket(functional_area="networks", title="handed")
    hand_to_acme(t.handed, users, demo)
    t.routed = new_ticket(functional_area="networks", support_level="L2", title="routed")
    t.returned = new_ticket(functional_area="networks", title="returned")
    hand_to_acme(t.returned, users, demo)
    handoff_reject(ticket=t.returned, by=users["pablo"], reason="Not ours")
    t.internal = new_ticket(functional_area="systems", title="internal only")
    comment_add(ticket=t.internal, by=users["ana"], body="shared", visibility="shared")
    return t


def test_a_provider_lists_only_tickets_its_teams_hold_or_held(api, users, provider_world):
    t = provider_world
    listed = ids(api(users["pablo"]).get("/api/v1/tickets/?page_size=200"))
    assert sorted(listed) == sorted([t.handed.pk, t.routed.pk, t.returned.pk])
    assert TicketHolding.objects.filter(ticket=t.returned, organization__slug="acme").exists()
    assert ids(api(users["sam"]).get("/api/v1/tickets/")) == []


SUB_URLS = [
    ("get", ""),
    ("patch", ""),
    ("get", "comments/"),
    ("post", "comments/"),
    ("get", "attachments/"),
    ("post", "attachments/"),
    ("get", "history/"),
    ("get", "worklogs/"),
    ("post", "worklogs/"),
    ("get", "handoffs/"),
    ("get", "links/"),
    ("post", "links/"),
    ("post", "handoff/"),
    ("post", "accept/"),
    ("post", "reject/"),
    ("post", "watch/"),
    ("post", "unwatch/"),
]


@pytest.mark.parametrize(("method", "suffix"), SUB_URLS)
def test_every_url_under_an_invisible_ticket_is_404(api, users, provider_world, method, suffix):
    ticket = provider_world.internal
    before = (Comment.objects.count(), WorkLog.objects.count(), Attachment.objects.count())
    version = Ticket.objects.get(pk=ticket.pk).version
    response = getattr(api(users["pablo"]), method)(
        f"/api/v1/tickets/{ticket.pk}/{suffix}", {"body": "x"}, format="json"
    )
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    after = (Comment.objects.count(), WorkLog.objects.count(), Attachment.objects.count())
    assert after == before and Ticket.objects.get(pk=ticket.pk).version == version


def test_a_provider_cannot_change_a_ticket_it_only_held_before(api, users, provider_world):
    ticket = provider_world.returned
    version = Ticket.objects.get(pk=ticket.pk).version
    pablo = api(users["pablo"])
    assert pablo.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    response = pablo.patch(f"/api/v1/tickets/{ticket.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 403 and "detail" in response.json()
    assert Ticket.objects.get(pk=ticket.pk).version == version


def test_the_requester_cannot_change_her_ticket_through_the_api(api, users, new_ticket):
    ticket = new_ticket(requester=users["rita"])
    response = api(users["rita"]).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"urgency": "high"}, format="json"
    )
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


def test_transitions_by_the_holding_provider_need_its_membership(api, users, handed):
    # sam (Shadow Partners) never held it: 404, not 403
    response = api(users["sam"]).patch(
        f"/api/v1/tickets/{handed.pk}/", {"status": "in_progress"}, format="json"
    )
    assert response.status_code == 404
