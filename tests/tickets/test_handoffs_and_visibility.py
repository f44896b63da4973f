"""Handoffs across organizations and who sees what on a ticket (SPEC 2.2, 3): the trust that
co-management rests on."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cogest.models import AuditEvent
from tickets.models import Attachment, Comment, Handoff, Ticket, TicketHolding, WorkLog
from tickets.selectors import ticket_history, ticket_timeline
from tickets.services import (
    attachment_add,
    comment_add,
    handoff_accept,
    handoff_reject,
    ticket_handoff,
    ticket_transition,
    worklog_add,
)

CHECKLIST = {
    "steps_tried": ["Rebooted the VPN concentrator"],
    "evidence": "logs attached",
    "affected_cis": ["FW-MAD-01"],
    "impact": "Madrid office, 40 users",
}


@pytest.fixture
def handed(new_ticket, users, demo):
    """A Service Desk ticket handed to Acme Networks, with an internal and a shared comment."""
    ticket = new_ticket(functional_area="networks")
    comment_add(
        ticket=ticket, by=users["ana"], body="root password is hunter2", visibility="internal"
    )
    comment_add(ticket=ticket, by=users["ana"], body="Please check port 12", visibility="shared")
    handoff = ticket_handoff(
        ticket=ticket,
        by=users["ana"],
        team=demo.teams["acme-networks"],
        summary="VPN drops; L1 checks done",
        checklist=CHECKLIST,
    )
    return ticket, handoff


def test_handoff_moves_the_ticket_and_waits_for_acceptance(handed, demo):
    ticket, handoff = handed
    ticket.refresh_from_db()
    assert ticket.team == demo.teams["acme-networks"] and ticket.assignee is None
    assert ticket.engagement == demo.engagements["acme"]
    assert handoff.status == "pending" and handoff.checklist == CHECKLIST
    holdings = list(
        TicketHolding.objects.filter(ticket=ticket).values_list("team__slug", "ended_at")
    )
    assert [slug for slug, _ in holdings] == ["service-desk", "acme-networks"]
    assert holdings[0][1] is not None and holdings[1][1] is None


def test_receiving_technician_accepts_and_becomes_assignee_then_resolves(handed, users):
    ticket, handoff = handed
    accepted = handoff_accept(ticket=ticket, by=users["pablo"])
    assert accepted.status == "accepted" and accepted.responded_by == users["pablo"]
    ticket.refresh_from_db()
    assert ticket.assignee == users["pablo"] and ticket.status == "assigned"
    ticket_transition(ticket=ticket, by=users["pablo"], to="in_progress")
    done = ticket_transition(
        ticket=ticket, by=users["pablo"], to="resolved", resolution="Replaced SFP on port 12"
    )
    assert done.status == "resolved"


def test_rejection_needs_a_reason_and_sends_the_ticket_back(handed, users, demo):
    ticket, _handoff = handed
    with pytest.raises(ValidationError):
        handoff_reject(ticket=ticket, by=users["pablo"], reason=" ")
    assert Handoff.objects.get(ticket=ticket).status == "pending"
    rejected = handoff_reject(ticket=ticket, by=users["pablo"], reason="Not a network issue: DNS")
    ticket.refresh_from_db()
    assert rejected.status == "rejected" and ticket.team == demo.teams["service-desk"]
    assert AuditEvent.objects.get(action="handoff.rejected").note == "Not a network issue: DNS"


def test_only_the_receiving_organization_answers_a_handoff(handed, users):
    ticket, _ = handed
    with pytest.raises(PermissionDenied):
        handoff_accept(ticket=ticket, by=users["ana"])
    with pytest.raises(Ticket.DoesNotExist):
        handoff_accept(ticket=ticket, by=users["sam"])
    assert Handoff.objects.get(ticket=ticket).status == "pending"


def test_second_pending_handoff_and_same_org_handoff_are_refused(handed, users, demo):
    ticket, _ = handed
    with pytest.raises(ValidationError):
        ticket_handoff(
            ticket=ticket, by=users["ana"], team=demo.teams["acme-security"], summary="again"
        )
    handoff_accept(ticket=ticket, by=users["pablo"])
    with pytest.raises(ValidationError):
        ticket_handoff(
            ticket=ticket, by=users["pablo"], team=demo.teams["acme-security"], summary="same org"
        )
    assert Handoff.objects.filter(ticket=ticket).count() == 1


def test_handoff_needs_a_summary_and_a_clean_checklist(new_ticket, users, demo):
    ticket = new_ticket(functional_area="networks")
    for summary, checklist in (("", None), ("ok", {"bogus": 1}), ("ok", ["not", "a", "dict"])):
        with pytest.raises(ValidationError):
            ticket_handoff(
                ticket=ticket,
                by=users["ana"],
                team=demo.teams["acme-networks"],
                summary=summary,
                checklist=checklist,
            )
    assert not Handoff.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


def test_handoff_to_a_provider_team_outside_its_engagement_scope_is_refused(
    new_ticket, users, demo
):
    ticket = new_ticket(functional_area="systems")  # Acme's engagement covers networks/security
    with pytest.raises(ValidationError) as error:
        ticket_handoff(
            ticket=ticket, by=users["ana"], team=demo.teams["acme-networks"], summary="try"
        )
    assert "team" in error.value.message_dict
    assert not Handoff.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).team == demo.teams["service-desk"]


def test_handoff_raises_the_ticket_to_the_receiving_level(handed):
    ticket, _ = handed
    ticket.refresh_from_db()
    assert ticket.support_level == "L2"  # L1 Service Desk → L2 Acme Networks


def test_provider_sees_handed_tickets_but_never_internal_comments(handed, users):
    ticket, _ = handed
    pablo = users["pablo"]
    assert Ticket.objects.restrict(pablo).filter(pk=ticket.pk).exists()
    bodies = list(
        Comment.objects.restrict(pablo).filter(ticket=ticket).values_list("body", flat=True)
    )
    assert bodies == ["Please check port 12"]
    timeline = ticket_timeline(ticket=ticket, user=pablo)
    assert "hunter2" not in repr([getattr(e.obj, "body", "") for e in timeline])
    history = ticket_history(ticket=ticket, user=pablo)
    internal = [e for e in history if (e.after or {}).get("visibility") == "internal"]
    assert internal == []


def test_other_provider_sees_nothing_of_it(handed, users):
    ticket, _ = handed
    sam = users["sam"]
    assert not Ticket.objects.restrict(sam).filter(pk=ticket.pk).exists()
    assert not Comment.objects.restrict(sam).filter(ticket=ticket).exists()
    assert not Handoff.objects.restrict(sam).filter(ticket=ticket).exists()


def test_providers_internal_comments_stay_with_the_provider(handed, users):
    ticket, _ = handed
    handoff_accept(ticket=ticket, by=users["pablo"])
    comment_add(
        ticket=ticket, by=users["pablo"], body="Acme-only: reseller margin", visibility="internal"
    )
    ana_sees = set(
        Comment.objects.restrict(users["ana"]).filter(ticket=ticket).values_list("body", flat=True)
    )
    assert "Acme-only: reseller margin" not in ana_sees
    assert "Acme-only: reseller margin" in set(
        Comment.objects.restrict(users["lucia"])
        .filter(ticket=ticket)
        .values_list("body", flat=True)
    )
    assert "Acme-only: reseller margin" in set(
        Comment.objects.restrict(users["admin"])
        .filter(ticket=ticket)
        .values_list("body", flat=True)
    )


def test_requester_sees_own_ticket_and_only_public_comments(users):
    from tickets.services import ticket_create

    ticket = ticket_create(
        by=users["rita"], type="incident", title="Printer jam floor 3", functional_area="devices"
    )
    comment_add(ticket=ticket, by=users["ana"], body="internal note", visibility="internal")
    comment_add(ticket=ticket, by=users["ana"], body="shared note", visibility="shared")
    comment_add(ticket=ticket, by=users["ana"], body="We are on it", visibility="public")
    assert list(
        Comment.objects.restrict(users["rita"]).filter(ticket=ticket).values_list("body", flat=True)
    ) == ["We are on it"]
    with pytest.raises(ValidationError):
        comment_add(ticket=ticket, by=users["rita"], body="x", visibility="internal")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None  # the public answer was the first response


def test_rita_does_not_see_other_peoples_tickets(new_ticket, users):
    ticket = new_ticket()
    assert not Ticket.objects.restrict(users["rita"]).filter(pk=ticket.pk).exists()


def test_attachment_visibility_follows_comment_rules(handed, users):
    ticket, _ = handed
    upload = SimpleUploadedFile("capture.pcap", b"\xd4\xc3\xb2\xa1 packets")
    attachment = attachment_add(
        ticket=ticket, by=users["ana"], upload=upload, visibility="internal"
    )
    assert attachment.size == len(b"\xd4\xc3\xb2\xa1 packets") and len(attachment.sha256) == 64
    assert not Attachment.objects.restrict(users["pablo"]).filter(pk=attachment.pk).exists()
    assert Attachment.objects.restrict(users["ivan"]).filter(pk=attachment.pk).exists()


@pytest.mark.parametrize(
    ("name", "content", "field"),
    [
        ("run.exe", b"MZ", "file"),
        ("page.html", b"<script>", "file"),
        ("x.svg", b"<svg/>", "file"),
        ("empty.txt", b"", "file"),
        ("noext", b"data", "file"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_stored(new_ticket, users, name, content, field):
    ticket = new_ticket()
    with pytest.raises(ValidationError) as error:
        attachment_add(ticket=ticket, by=users["ana"], upload=SimpleUploadedFile(name, content))
    assert field in error.value.message_dict
    assert not Attachment.objects.exists()


def test_oversized_attachment_is_refused(new_ticket, users, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError):
        attachment_add(
            ticket=new_ticket(), by=users["ana"], upload=SimpleUploadedFile("big.log", b"x" * 2048)
        )
    assert not Attachment.objects.exists()


def test_work_logs_are_validated_and_provider_sees_only_its_own(handed, users):
    ticket, _ = handed
    handoff_accept(ticket=ticket, by=users["pablo"])
    worklog_add(ticket=ticket, by=users["ana"], minutes=15, description="L1 triage")
    worklog_add(ticket=ticket, by=users["pablo"], minutes=45, description="SFP swap", billable=True)
    for minutes in (0, 2000, "abc"):
        with pytest.raises(ValidationError):
            worklog_add(ticket=ticket, by=users["pablo"], minutes=minutes, description="x")
    with pytest.raises(PermissionDenied):
        worklog_add(ticket=ticket, by=users["rita"], minutes=5, description="x")
    assert WorkLog.objects.count() == 2
    assert list(WorkLog.objects.restrict(users["pablo"]).values_list("minutes", flat=True)) == [45]
    assert sorted(WorkLog.objects.restrict(users["marta"]).values_list("minutes", flat=True)) == [
        15,
        45,
    ]


def test_markdown_is_rendered_without_scripts():
    from cogest.markdown import render_markdown

    html = render_markdown(
        '**ok** <script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))'
    )
    assert "<strong>ok</strong>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
