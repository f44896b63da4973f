"""The ticket pages, driven with Django's test client: the list (filters, search, saved views,
bulk actions), the create form, the ticket page and each of its forms, attachment downloads,
and the partner portal. Every refusal also checks that nothing changed."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from cogest.models import AuditEvent, UserProfile
from tickets.models import (
    Attachment,
    Comment,
    DecisionRecord,
    Handoff,
    SavedView,
    Ticket,
    TicketLink,
    WorkLog,
)
from tickets.services import (
    attachment_add,
    comment_add,
    handoff_accept,
    ticket_handoff,
    ticket_transition,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
SECRET = "root password is hunter2"


@pytest.fixture(autouse=True)
def _english(users):
    """Messages are checked in English (the demo people mostly read Spanish)."""
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


@pytest.fixture
def handed_to_acme(new_ticket, users, demo):
    """A ticket ana works, with an internal note, then handed off to Acme Networks."""
    ticket = new_ticket(title="Core switch drops packets")
    comment_add(ticket=ticket, by=users["ana"], body=SECRET, visibility="internal")
    comment_add(
        ticket=ticket, by=users["ana"], body="Shared with Acme: port 24", visibility="shared"
    )
    ticket_handoff(
        ticket=ticket,
        by=users["ana"],
        team=demo.teams["acme-networks"],
        summary="Packets lost on the core switch",
        checklist={"steps_tried": "Rebooted the access switch", "impact": "Madrid office"},
    )
    return Ticket.objects.get(pk=ticket.pk)


def html(response) -> str:
    return response.content.decode()


def row_numbers(response) -> list[str]:
    return re.findall(r'class="ticket-number">([A-Z]{3}-\d{6})<', html(response))


# --- List ---------------------------------------------------------------------------------------


def test_list_shows_tickets_with_team_organization_and_sla_placeholder(as_user, new_ticket):
    ticket = new_ticket(title="Printer jammed on floor 5")
    response = as_user("ana").get("/tickets/")
    assert response.status_code == 200
    body = html(response)
    assert ticket.number in row_numbers(response)
    assert "Printer jammed on floor 5" in body
    assert 'class="badge prio prio-2"' in body
    assert "Service Desk" in body and "org-tag-internal" in body
    assert 'title="No SLA clock yet">—<' in body
    assert re.search(r'<time datetime="[^"]+" title="[^"]+">', body)


def test_list_filters_by_status_type_priority_team_and_assignee(as_user, new_ticket, users, demo):
    incident = new_ticket(title="Laptop broken", impact="high", urgency="high")
    request = new_ticket(type="service_request", title="New monitor", impact="low", urgency="low")
    networks = new_ticket(functional_area="networks", support_level="L2", title="BGP flap")
    mine = new_ticket(title="Mine", assignee=users["ana"])
    client = as_user("ana")

    def numbers(query):
        return set(row_numbers(client.get(f"/tickets/?{query}")))

    assert numbers("type=service_request") == {request.number}
    assert numbers("priority=1") == {incident.number}
    assert numbers(f"team={demo.teams['acme-networks'].pk}") == {networks.number}
    assert numbers("assignee=me") == {mine.number}
    assert mine.number not in numbers("assignee=unassigned")
    assert numbers("status=assigned") == {mine.number}
    assert numbers("status=new&status=assigned") == {
        incident.number,
        request.number,
        networks.number,
        mine.number,
    }
    assert numbers("functional_area=networks&support_level=L2") == {networks.number}
    assert numbers("team=mine&assignee=unassigned") == {incident.number, request.number}


def test_list_sorts_by_clicked_column(as_user, new_ticket):
    low = new_ticket(title="Low", impact="low", urgency="low")
    high = new_ticket(title="High", impact="high", urgency="high")
    client = as_user("ana")
    assert row_numbers(client.get("/tickets/?ordering=priority")) == [high.number, low.number]
    assert row_numbers(client.get("/tickets/?ordering=-priority")) == [low.number, high.number]
    body = html(client.get("/tickets/?ordering=priority"))
    assert 'aria-sort="ascending"' in body
    # clicking the same header again turns the order around
    assert "ordering=-priority" in body


def test_full_text_search_and_a_number_jumps_to_the_ticket(as_user, new_ticket):
    vpn = new_ticket(title="VPN drops every 10 minutes")
    printer = new_ticket(title="Printer out of toner")
    client = as_user("ana")
    assert row_numbers(client.get("/tickets/?q=toner")) == [printer.number]
    # typing a number in the top bar's search opens the ticket (any case, zeros optional)
    short = f"{vpn.number[:3].lower()}-{int(vpn.number[4:])}"
    response = client.get(f"/tickets/?q={short}")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{vpn.number}/"


def test_htmx_filter_returns_only_the_results_region(as_user, new_ticket):
    new_ticket(title="Printer out of toner")
    response = as_user("ana").get("/tickets/?q=toner", **HTMX)
    body = html(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="ticket-results"')
    assert "<html" not in body


def test_a_bad_filter_is_reported_inline_with_its_value_kept(as_user, new_ticket):
    new_ticket()
    response = as_user("ana").get("/tickets/?created_after=yesterday&q=VPN")
    assert response.status_code == 400
    body = html(response)
    assert 'data-testid="filter-errors"' in body
    assert 'value="yesterday"' in body and 'value="VPN"' in body


def test_pagination_pages_by_fifty_without_counting(as_user, new_ticket):
    for i in range(51):
        new_ticket(title=f"Ticket {i}")
    client = as_user("ana")
    first = client.get("/tickets/")
    assert len(row_numbers(first)) == 50 and 'rel="next"' in html(first)
    second = client.get("/tickets/?page=2")
    assert len(row_numbers(second)) == 1 and 'rel="next"' not in html(second)
    assert 'rel="prev"' in html(second)


def test_saved_views_are_saved_listed_and_deleted_by_their_owner_only(as_user, users, new_ticket):
    client = as_user("ana")
    response = client.post("/tickets/views/", {"name": "My P1s", "query": "priority=1&bogus=x"})
    view = SavedView.objects.get(user=users["ana"], name="My P1s")
    assert view.query == "priority=1"
    assert response.status_code == 302 and response["Location"] == "/tickets/?priority=1"
    assert "My P1s" in html(client.get("/tickets/"))
    # a nameless view is refused
    client.post("/tickets/views/", {"name": " ", "query": "priority=2"})
    assert SavedView.objects.filter(user=users["ana"]).count() == 1
    # someone else's view: 404, and it stays
    other = as_user("ivan")
    assert other.post(f"/tickets/views/{view.pk}/delete/").status_code == 404
    assert "My P1s" not in html(other.get("/tickets/"))
    assert SavedView.objects.filter(pk=view.pk).exists()
    # the owner deletes it
    client = as_user("ana")
    assert client.post(f"/tickets/views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_bulk_assign_gives_every_selected_ticket_to_the_person(as_user, new_ticket, users, demo):
    first, second = new_ticket(), new_ticket()
    team = demo.teams["service-desk"]
    response = as_user("ana").post(
        "/tickets/bulk/",
        {
            "action": "assign",
            "tickets": [first.pk, second.pk],
            "assign_to": f"user:{team.pk}:{users['marta'].pk}",
            "query": "status=new",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert 'data-testid="bulk-report"' in html(response)
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.assignee == users["marta"] and ticket.status == "assigned"


def test_bulk_transition_applies_where_allowed_and_lists_each_refusal(
    as_user, new_ticket, working_ticket, users
):
    fresh = new_ticket(title="Still new")
    response = as_user("ana").post(
        "/tickets/bulk/",
        {
            "action": "transition",
            "tickets": [working_ticket.pk, fresh.pk],
            "to": "pending",
            "pending_reason": "requester",
        },
        **HTMX,
    )
    body = html(response)
    assert response.status_code == 200
    working_ticket.refresh_from_db()
    fresh.refresh_from_db()
    assert working_ticket.status == "pending" and working_ticket.pending_reason == "requester"
    assert fresh.status == "new"
    assert f'data-failed="{fresh.number}"' in body
    assert f'data-failed="{working_ticket.number}"' not in body


def test_bulk_without_a_selection_is_a_400_and_changes_nothing(as_user, new_ticket):
    ticket = new_ticket()
    response = as_user("ana").post(
        "/tickets/bulk/", {"action": "transition", "to": "cancelled"}, **HTMX
    )
    assert response.status_code == 400
    assert "Select at least one ticket." in html(response)
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_bulk_without_htmx_redirects_back_with_messages(as_user, new_ticket):
    ticket = new_ticket()
    response = as_user("ana").post(
        "/tickets/bulk/",
        {"action": "transition", "tickets": [ticket.pk], "to": "cancelled", "query": "q=VPN"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/tickets/?q=VPN"
    ticket.refresh_from_db()
    assert ticket.status == "cancelled"


# --- Create -------------------------------------------------------------------------------------


def test_create_routes_the_ticket_and_names_the_team(as_user, users):
    client = as_user("ana")
    assert client.get("/tickets/new/").status_code == 200
    response = client.post(
        "/tickets/new/",
        {
            "type": "incident",
            "title": "Outlook crashes on start",
            "description": "Since **this morning**",
            "impact": "high",
            "urgency": "medium",
            "functional_area": "applications",
            "support_level": "L1",
            "team": "",
            "assignee": "",
            "requester": str(users["rita"].pk),
        },
        follow=True,
    )
    ticket = Ticket.objects.get(title="Outlook crashes on start")
    assert response.redirect_chain[-1][0] == f"/tickets/{ticket.number}/"
    assert ticket.team.name == "Service Desk" and ticket.priority == 2
    assert ticket.requester == users["rita"]
    body = html(response)
    assert f"{ticket.number} created and routed to Service Desk (Northwind IT)." in body
    assert "<strong>this morning</strong>" in body


def test_create_with_bad_input_shows_inline_errors_keeps_values_and_saves_nothing(
    as_user, users, demo
):
    before = Ticket.objects.count()
    response = as_user("ana").post(
        "/tickets/new/",
        {
            "type": "incident",
            "title": "",
            "description": "Kept text",
            "impact": "high",
            "urgency": "urgent!",
            "functional_area": "networks",
            "support_level": "L1",
        },
    )
    assert response.status_code == 400
    body = html(response)
    assert body.count("invalid-feedback") >= 2
    assert "Kept text" in body
    assert Ticket.objects.count() == before
    # a service refusal (assignee outside the team) is shown next to its field, nothing saved
    response = as_user("ana").post(
        "/tickets/new/",
        {
            "type": "incident",
            "title": "Needs Iván",
            "impact": "low",
            "urgency": "low",
            "functional_area": "systems",
            "support_level": "L1",
            "team": str(demo.teams["service-desk"].pk),
            "assignee": str(users["ivan"].pk),
        },
    )
    assert response.status_code == 400
    assert "ivan is not a member of Service Desk." in html(response)
    assert Ticket.objects.count() == before


def test_providers_have_no_create_page(as_user):
    response = as_user("pablo").get("/tickets/new/")
    assert response.status_code == 302 and response["Location"] == "/partner/"


# --- Ticket page --------------------------------------------------------------------------------


def test_ticket_page_shows_description_timeline_and_who_reads_each_visibility(
    as_user, handed_to_acme
):
    response = as_user("ana").get(f"/tickets/{handed_to_acme.number}/")
    assert response.status_code == 200
    body = html(response)
    assert "Core switch drops packets" in body
    assert SECRET in body  # ana's own organization's internal note
    assert 'data-testid="tl-handoff"' in body and "Packets lost on the core switch" in body
    assert "Rebooted the access switch" in body
    assert "opened the ticket and it was routed to Service Desk" in body
    assert "Visible to: Northwind IT only" in body
    assert "Visible to: Northwind IT and Acme MSP" in body
    assert "Visible to the requester (Ana García) and every technician" in body
    # the composer's default is internal
    assert re.search(r'value="internal" checked', body)


def test_composer_posts_through_htmx_and_gets_the_new_entry(as_user, new_ticket):
    ticket = new_ticket()
    response = as_user("ana").post(
        f"/tickets/{ticket.number}/comment/",
        {"comment-visibility": "shared", "comment-body": "Checked the **uplink**"},
        **HTMX,
    )
    assert response.status_code == 200
    body = html(response)
    assert body.lstrip().startswith('<section id="composer"')
    assert 'hx-swap-oob="beforeend:#timeline"' in body
    assert "<strong>uplink</strong>" in body and 'data-visibility="shared"' in body
    comment = Comment.objects.get(ticket=ticket)
    assert comment.visibility == "shared" and comment.author.username == "ana"


def test_an_empty_comment_is_refused_inline_and_nothing_is_saved(as_user, new_ticket):
    ticket = new_ticket()
    response = as_user("ana").post(
        f"/tickets/{ticket.number}/comment/",
        {"comment-visibility": "public", "comment-body": "   "},
        **HTMX,
    )
    assert response.status_code == 400
    assert "invalid-feedback" in html(response)
    assert 'value="public" checked' in html(response)
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_comment_with_a_refused_file_saves_neither(as_user, new_ticket):
    ticket = new_ticket()
    upload = SimpleUploadedFile("run.exe", b"MZ...", content_type="application/octet-stream")
    response = as_user("ana").post(
        f"/tickets/{ticket.number}/comment/",
        {"comment-visibility": "internal", "comment-body": "See file", "comment-file": upload},
    )
    assert response.status_code == 400
    assert "are not accepted" in html(response)
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert not Attachment.objects.filter(ticket=ticket).exists()


def test_attachments_download_only_for_those_who_may_read_them(
    as_user, handed_to_acme, users, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    internal = attachment_add(
        ticket=handed_to_acme,
        by=users["ana"],
        upload=SimpleUploadedFile("passwords.txt", b"secret", content_type="text/plain"),
        visibility="internal",
    )
    shared = attachment_add(
        ticket=handed_to_acme,
        by=users["ana"],
        upload=SimpleUploadedFile("trace.txt", b"traceroute", content_type="text/plain"),
        visibility="shared",
    )
    number = handed_to_acme.number
    response = as_user("ana").get(f"/tickets/{number}/attachments/{internal.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"secret"
    pablo = as_user("pablo")
    assert pablo.get(f"/partner/tickets/{number}/attachments/{internal.pk}/").status_code == 404
    assert pablo.get(f"/partner/tickets/{number}/attachments/{shared.pk}/").status_code == 200
    # the id alone is not enough: it must belong to the ticket in the URL
    other = Ticket.objects.exclude(pk=handed_to_acme.pk).first()
    if other is not None:
        url = f"/partner/tickets/{other.number}/attachments/{shared.pk}/"
        assert pablo.get(url).status_code == 404


def test_pending_without_a_reason_is_a_400_with_the_error_and_nothing_saved(
    as_user, working_ticket
):
    version = working_ticket.version
    response = as_user("ana").post(
        f"/tickets/{working_ticket.number}/transition/",
        {
            "transition-to": "pending",
            "transition-pending_reason": "",
            "transition-version": version,
        },
        **HTMX,
    )
    assert response.status_code == 400
    body = html(response)
    assert "Say what the ticket waits for" in body
    assert 'id="transition-pending"' in body and "collapse show" in body
    working_ticket.refresh_from_db()
    assert working_ticket.status == "in_progress" and working_ticket.version == version


def test_resolving_asks_for_a_resolution_then_records_it(as_user, working_ticket):
    client = as_user("ana")
    url = f"/tickets/{working_ticket.number}/transition/"
    data = {"transition-to": "resolved", "transition-version": working_ticket.version}
    assert client.post(url, {**data, "transition-resolution": ""}).status_code == 400
    response = client.post(
        url,
        {
            **data,
            "transition-resolution": "Replaced the SFP",
            "transition-resolution_code": "fixed",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "is now resolved" in html(response)
    working_ticket.refresh_from_db()
    assert working_ticket.status == "resolved" and working_ticket.resolution == "Replaced the SFP"


def test_a_stale_version_is_refused_with_a_reload_message(as_user, working_ticket):
    stale = working_ticket.version
    ticket_transition(
        ticket=working_ticket, by=working_ticket.assignee, to="pending", pending_reason="requester"
    )
    response = as_user("ana").post(
        f"/tickets/{working_ticket.number}/fields/",
        {"fields-impact": "high", "fields-urgency": "high", "fields-version": stale},
    )
    assert response.status_code == 400
    assert "changed by someone else" in html(response)
    working_ticket.refresh_from_db()
    assert working_ticket.impact == "medium"


def test_a_stale_handoff_from_the_page_is_refused_and_nothing_is_handed(as_user, working_ticket):
    from cogest.models import Team
    from tickets.models import Handoff

    stale = working_ticket.version
    ticket_transition(
        ticket=working_ticket, by=working_ticket.assignee, to="pending", pending_reason="requester"
    )
    team = Team.objects.get(name="Acme Networks")
    data = {"handoff-team": team.pk, "handoff-summary": "Core switch", "handoff-version": stale}
    response = as_user("ana").post(f"/tickets/{working_ticket.number}/handoff/", data)
    assert response.status_code == 400
    assert "changed by someone else" in html(response)
    assert not Handoff.objects.filter(ticket=working_ticket).exists()
    working_ticket.refresh_from_db()
    data["handoff-version"] = working_ticket.version
    response = as_user("ana").post(f"/tickets/{working_ticket.number}/handoff/", data)
    assert response.status_code == 302
    assert Handoff.objects.filter(ticket=working_ticket, to_team=team).exists()


def test_impact_and_urgency_edit_recomputes_priority(as_user, new_ticket):
    ticket = new_ticket(impact="low", urgency="low")
    response = as_user("ana").post(
        f"/tickets/{ticket.number}/fields/",
        {"fields-impact": "high", "fields-urgency": "high", "fields-version": ticket.version},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == 1
    assert "priority P4 → P1" in html(as_user("ana").get(f"/tickets/{ticket.number}/"))


def test_assigning_outside_the_team_is_refused_inline(as_user, new_ticket, users, demo):
    ticket = new_ticket()
    response = as_user("ana").post(
        f"/tickets/{ticket.number}/assign/",
        {
            "assign-team": demo.teams["service-desk"].pk,
            "assign-assignee": users["ivan"].pk,
            "assign-version": ticket.version,
        },
    )
    assert response.status_code == 400
    assert "ivan is not a member of Service Desk." in html(response)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_assign_to_me_and_to_another_team_of_the_same_organization(
    as_user, new_ticket, users, demo
):
    ticket = new_ticket()
    client = as_user("ana")
    response = client.post(
        f"/tickets/{ticket.number}/assign/",
        {"assign-me": "True", "assign-version": ticket.version},
        **HTMX,
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.assignee == users["ana"] and ticket.status == "assigned"
    client.post(
        f"/tickets/{ticket.number}/assign/",
        {"assign-team": demo.teams["internal-systems"].pk, "assign-assignee": users["ivan"].pk},
    )
    ticket.refresh_from_db()
    assert ticket.team == demo.teams["internal-systems"] and ticket.assignee == users["ivan"]
    assert "assigned the ticket to Iván López (Internal Systems)" in html(
        client.get(f"/tickets/{ticket.number}/")
    )


def test_hand_off_with_a_checklist_then_acme_accepts(as_user, new_ticket, users, demo):
    ticket = new_ticket()
    client = as_user("ana")
    missing = client.post(
        f"/tickets/{ticket.number}/handoff/",
        {"handoff-team": demo.teams["acme-networks"].pk, "handoff-summary": ""},
    )
    assert missing.status_code == 400
    assert not Handoff.objects.filter(ticket=ticket).exists()
    response = client.post(
        f"/tickets/{ticket.number}/handoff/",
        {
            "handoff-team": demo.teams["acme-networks"].pk,
            "handoff-summary": "Switch port errors",
            "handoff-steps_tried": "Cable swapped",
            "handoff-evidence": "Interface counters",
            "handoff-affected_cis": "SW-MAD-01",
            "handoff-impact": "Two floors",
        },
    )
    assert response.status_code == 302
    handoff = Handoff.objects.get(ticket=ticket)
    assert handoff.checklist == {
        "steps_tried": "Cable swapped",
        "evidence": "Interface counters",
        "affected_cis": "SW-MAD-01",
        "impact": "Two floors",
    }
    # Acme sees it on the handoffs page and accepts it from the card
    pablo = as_user("pablo")
    page = html(pablo.get("/partner/handoffs/"))
    assert ticket.number in page and "Switch port errors" in page and "Cable swapped" in page
    response = pablo.post(f"/partner/tickets/{ticket.number}/accept/", {"card": "1"}, **HTMX)
    assert response.status_code == 200
    assert 'data-status="accepted"' in html(response)
    handoff.refresh_from_db()
    ticket.refresh_from_db()
    assert handoff.status == "accepted" and ticket.assignee == users["pablo"]


def test_reject_needs_a_reason_and_sends_the_ticket_back(as_user, handed_to_acme, demo):
    number = handed_to_acme.number
    pablo = as_user("pablo")
    response = pablo.post(
        f"/partner/tickets/{number}/reject/", {"card": "1", "reject-reason": ""}, **HTMX
    )
    assert response.status_code == 400
    assert "invalid-feedback" in html(response)
    assert Handoff.objects.get(ticket=handed_to_acme).status == "pending"
    response = pablo.post(
        f"/partner/tickets/{number}/reject/",
        {"reject-reason": "Not a network problem", "next": "/partner/handoffs/"},
    )
    assert response.status_code == 302 and response["Location"] == "/partner/handoffs/"
    handed_to_acme.refresh_from_db()
    assert handed_to_acme.team == demo.teams["service-desk"]
    assert "Not a network problem" in html(as_user("ana").get(f"/tickets/{number}/"))


def test_only_the_receiving_side_answers_a_handoff(as_user, handed_to_acme):
    response = as_user("ana").post(f"/tickets/{handed_to_acme.number}/accept/")
    assert response.status_code == 400
    assert Handoff.objects.get(ticket=handed_to_acme).status == "pending"


def test_work_log_is_recorded_and_bad_minutes_are_refused(as_user, working_ticket):
    client = as_user("ana")
    url = f"/tickets/{working_ticket.number}/worklog/"
    bad = client.post(url, {"worklog-minutes": "0", "worklog-description": "x"}, **HTMX)
    assert bad.status_code == 400
    assert not WorkLog.objects.exists()
    good = client.post(
        url,
        {
            "worklog-minutes": "45",
            "worklog-description": "Replaced cable",
            "worklog-billable": "on",
        },
        **HTMX,
    )
    assert good.status_code == 200
    log = WorkLog.objects.get()
    assert log.minutes == 45 and log.billable
    assert "45 min in total" in html(good)


def test_link_to_another_ticket_by_number(as_user, new_ticket):
    first, second = new_ticket(), new_ticket(title="Root cause")
    client = as_user("ana")
    url = f"/tickets/{first.number}/link/"
    unknown = client.post(url, {"link-kind": "caused_by", "link-target": "INC-999999"})
    assert unknown.status_code == 400 and "No ticket INC-999999" in html(unknown)
    response = client.post(url, {"link-kind": "caused_by", "link-target": second.number.lower()})
    assert response.status_code == 302
    assert TicketLink.objects.filter(source=first, target=second, kind="caused_by").exists()
    assert "Causes" in html(client.get(f"/tickets/{second.number}/"))


def test_watch_and_unwatch(as_user, new_ticket, users):
    ticket = new_ticket()
    client = as_user("ivan")
    client.post(f"/tickets/{ticket.number}/watch/", {"watching": "1"})
    assert ticket.watchers.filter(pk=users["ivan"].pk).exists()
    client.post(f"/tickets/{ticket.number}/watch/", {"watching": "0"}, **HTMX)
    assert not ticket.watchers.filter(pk=users["ivan"].pk).exists()


def test_decision_record_from_the_ticket_page(as_user, new_ticket, demo):
    ticket = new_ticket()
    client = as_user("ana")
    url = f"/tickets/{ticket.number}/decision/"
    bad = client.post(url, {"decision-title": "Replace switch", "decision-party": "1"})
    assert bad.status_code == 400 and not DecisionRecord.objects.exists()
    response = client.post(
        url,
        {
            "decision-title": "Replace switch",
            "decision-context": "Port errors",
            "decision-decision": "Buy a new one",
            "decision-party": demo.organizations["internal"].pk,
        },
    )
    assert response.status_code == 302
    assert DecisionRecord.objects.get().tickets.get() == ticket
    assert "Replace switch" in html(client.get(f"/tickets/{ticket.number}/"))


def test_a_ticket_that_is_not_visible_is_a_404(as_user, new_ticket):
    ticket = new_ticket()  # never held by Acme
    assert as_user("pablo").get(f"/partner/tickets/{ticket.number}/").status_code == 404
    assert as_user("pablo").post(f"/partner/tickets/{ticket.number}/comment/").status_code == 404


# --- Partner portal and the two sides -----------------------------------------------------------


def test_partner_pages_never_show_an_internal_comment(as_user, handed_to_acme, users):
    number = handed_to_acme.number
    pablo = as_user("pablo")
    pages = [
        "/partner/",
        "/partner/tickets/",
        f"/partner/tickets/{number}/",
        "/partner/queue/",
        "/partner/handoffs/",
        f"/partner/tickets/?q={number}",
    ]
    for url in pages:
        response = pablo.get(url, follow=True)
        assert response.status_code == 200, url
        assert SECRET not in html(response), url
    page = html(pablo.get(f"/partner/tickets/{number}/"))
    assert "Shared with Acme: port 24" in page
    assert "Visible to: Acme MSP only" in page
    # after he accepts, writes and Acme answers internally, Northwind does not see that note
    handoff_accept(ticket=handed_to_acme, by=users["pablo"])
    pablo.post(
        f"/partner/tickets/{number}/comment/",
        {"comment-visibility": "internal", "comment-body": "Acme-only: vendor case 42"},
    )
    assert "Acme-only: vendor case 42" in html(pablo.get(f"/partner/tickets/{number}/"))
    assert "Acme-only: vendor case 42" not in html(as_user("ana").get(f"/tickets/{number}/"))


def test_each_side_is_sent_to_its_own_pages(as_user, handed_to_acme):
    number = handed_to_acme.number
    response = as_user("pablo").get(f"/tickets/{number}/")
    assert response.status_code == 302 and response["Location"] == f"/partner/tickets/{number}/"
    assert as_user("pablo").get("/tickets/?q=x")["Location"] == "/partner/tickets/?q=x"
    response = as_user("ana").get(f"/partner/tickets/{number}/")
    assert response.status_code == 302 and response["Location"] == f"/tickets/{number}/"
    assert as_user("ana").get("/partner/queue/")["Location"] == "/"
    assert as_user("ana").get("/partner/handoffs/")["Location"] == "/"


def test_navigation_and_home_panels(as_user, handed_to_acme, new_ticket, users):
    mine = new_ticket(title="Mine to fix", assignee=users["ana"])
    home = html(as_user("ana").get("/"))
    assert 'href="/tickets/"' in home
    assert mine.number in home
    assert 'data-testid="home-handoffs-out"' in home and handed_to_acme.number in home
    assert home.index('data-testid="ticket-panels"') < home.index('id="myteams-h"')
    partner = html(as_user("pablo").get("/partner/"))
    for url in ("/partner/queue/", "/partner/handoffs/", "/partner/tickets/"):
        assert f'href="{url}"' in partner
    assert 'data-testid="home-handoffs-in"' in partner and handed_to_acme.number in partner


def test_a_requester_sees_her_ticket_and_writes_only_public_comments(as_user, new_ticket, users):
    ticket = new_ticket(requester=users["rita"])
    comment_add(ticket=ticket, by=users["ana"], body=SECRET, visibility="internal")
    client = as_user("rita")
    page = html(client.get(f"/tickets/{ticket.number}/"))
    assert SECRET not in page
    assert 'value="internal"' not in page and 'value="public" checked' in page
    client.post(
        f"/tickets/{ticket.number}/comment/",
        {"comment-visibility": "internal", "comment-body": "sneaky"},
    )
    assert not Comment.objects.filter(body="sneaky").exists()
    client.post(
        f"/tickets/{ticket.number}/comment/",
        {"comment-visibility": "public", "comment-body": "Still broken"},
    )
    assert Comment.objects.get(body="Still broken").visibility == "public"
    assert AuditEvent.objects.filter(action="comment.added").count() == 2
