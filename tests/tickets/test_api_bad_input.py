"""Bad input to the tickets API: each case is a clear 4xx with a JSON body, and nothing is
saved (SPEC 5, SPEC 8: "40+ bad inputs, each a clear 4xx with nothing saved")."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cogest.models import AuditEvent
from tickets.models import Attachment, Comment, Handoff, Ticket, TicketLink, WorkLog
from tickets.services import attachment_add, ticket_create, ticket_handoff

VALID = {"type": "incident", "title": "VPN down", "functional_area": "networks"}


@pytest.fixture
def ctx(demo, users, new_ticket, working_ticket, settings, tmp_path):
    """A ticket ana works on, one handed to Acme (waiting), one of rita's, and an internal
    attachment on the handed one; small attachment limits."""
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_BYTES = 1024
    handed = new_ticket(functional_area="networks", title="Handed")
    ticket_handoff(
        ticket=handed, by=users["ana"], team=demo.teams["acme-networks"], summary="L1 done"
    )
    secret = attachment_add(
        ticket=handed,
        by=users["ana"],
        upload=SimpleUploadedFile("secret.txt", b"hunter2"),
        visibility="internal",
    )
    rita_ticket = ticket_create(
        by=users["rita"], type="service_request", title="Monitor", functional_area="devices"
    )
    return SimpleNamespace(
        ticket=working_ticket.pk,
        handed=handed.pk,
        rita_ticket=rita_ticket.pk,
        secret=secret.pk,
        acme_team=demo.teams["acme-networks"].pk,
        internal_team=demo.teams["internal-systems"].pk,
        service_desk=demo.teams["service-desk"].pk,
        pablo=users["pablo"].pk,
        ivan=users["ivan"].pk,
    )


def snapshot() -> dict:
    """Everything a refused request must leave as it was."""
    return {
        "tickets": Ticket.objects.count(),
        "comments": Comment.objects.count(),
        "attachments": Attachment.objects.count(),
        "worklogs": WorkLog.objects.count(),
        "handoffs": list(Handoff.objects.order_by("pk").values_list("pk", "status")),
        "links": TicketLink.objects.count(),
        "audit": AuditEvent.objects.count(),
        "versions": dict(Ticket.objects.values_list("pk", "version")),
        "titles": dict(Ticket.objects.values_list("pk", "title")),
    }


def file(name: str, size: int = 10) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * size)


T = "/api/v1/tickets/"
TK = "/api/v1/tickets/{ticket}/"
HD = "/api/v1/tickets/{handed}/"

# (id, user, method, url, payload or callable(ctx) → payload, format, headers, expected status)
CASES = [
    # --- opening a ticket ---
    ("create-unknown-field", "ana", "post", T, {**VALID, "colour": "red"}, "json", {}, 400),
    ("create-read-only-number", "ana", "post", T, {**VALID, "number": "INC-1"}, "json", {}, 400),
    ("create-read-only-priority", "ana", "post", T, {**VALID, "priority": 1}, "json", {}, 400),
    ("create-wrong-type", "ana", "post", T, {**VALID, "type": "outage"}, "json", {}, 400),
    ("create-wrong-impact", "ana", "post", T, {**VALID, "impact": "extreme"}, "json", {}, 400),
    ("create-urgency-int", "ana", "post", T, {**VALID, "urgency": 1}, "json", {}, 400),
    (
        "create-wrong-area",
        "ana",
        "post",
        T,
        {**VALID, "functional_area": "plumbing"},
        "json",
        {},
        400,
    ),
    ("create-wrong-level", "ana", "post", T, {**VALID, "support_level": "L9"}, "json", {}, 400),
    (
        "create-missing-type",
        "ana",
        "post",
        T,
        {"title": "x", "functional_area": "systems"},
        "json",
        {},
        400,
    ),
    ("create-empty-title", "ana", "post", T, {**VALID, "title": "  "}, "json", {}, 400),
    ("create-300-char-title", "ana", "post", T, {**VALID, "title": "x" * 300}, "json", {}, 400),
    ("create-title-null", "ana", "post", T, {**VALID, "title": None}, "json", {}, 400),
    ("create-nonexistent-team", "ana", "post", T, {**VALID, "team": 999999}, "json", {}, 400),
    ("create-team-string", "ana", "post", T, {**VALID, "team": "acme"}, "json", {}, 400),
    ("create-team-bool", "ana", "post", T, {**VALID, "team": True}, "json", {}, 400),
    ("create-team-huge", "ana", "post", T, {**VALID, "team": 10**30}, "json", {}, 400),
    (
        "create-assignee-outside-team",
        "ana",
        "post",
        T,
        lambda c: {**VALID, "team": c.service_desk, "assignee": c.pablo},
        "json",
        {},
        400,
    ),
    ("create-cis-not-ids", "ana", "post", T, {**VALID, "cis": ["abc"]}, "json", {}, 400),
    ("create-cis-unknown", "ana", "post", T, {**VALID, "cis": [999999]}, "json", {}, 400),
    ("create-cis-object", "ana", "post", T, {**VALID, "cis": {"a": 1}}, "json", {}, 400),
    (
        "create-requester-by-provider",
        "pablo",
        "post",
        T,
        lambda c: {**VALID, "requester": c.ivan},
        "json",
        {},
        400,
    ),
    ("create-list-body", "ana", "post", T, [VALID], "json", {}, 400),
    ("create-not-json", "ana", "post", T, "title=x", "text", {}, 415),
    ("create-malformed-json", "ana", "post", T, '{"title": ', "rawjson", {}, 400),
    ("create-form-encoded", "ana", "post", T, VALID, "multipart", {}, 415),
    # --- changing a ticket ---
    ("patch-unknown-field", "ana", "patch", TK, {"colour": "red"}, "json", {}, 400),
    ("patch-wrong-status", "ana", "patch", TK, {"status": "done"}, "json", {}, 400),
    ("patch-invalid-transition", "ana", "patch", TK, {"status": "closed"}, "json", {}, 400),
    ("patch-pending-no-reason", "ana", "patch", TK, {"status": "pending"}, "json", {}, 400),
    (
        "patch-wrong-pending-reason",
        "ana",
        "patch",
        TK,
        {"status": "pending", "pending_reason": "coffee"},
        "json",
        {},
        400,
    ),
    (
        "patch-reason-without-pending",
        "ana",
        "patch",
        TK,
        {"pending_reason": "requester"},
        "json",
        {},
        400,
    ),
    ("patch-resolved-no-resolution", "ana", "patch", TK, {"status": "resolved"}, "json", {}, 400),
    (
        "patch-resolved-blank-resolution",
        "ana",
        "patch",
        TK,
        {"status": "resolved", "resolution": "  "},
        "json",
        {},
        400,
    ),
    (
        "patch-wrong-resolution-code",
        "ana",
        "patch",
        TK,
        {"status": "resolved", "resolution": "ok", "resolution_code": "magic"},
        "json",
        {},
        400,
    ),
    ("patch-type", "ana", "patch", TK, {"type": "problem"}, "json", {}, 400),
    ("patch-version-in-body", "ana", "patch", TK, {"version": 99}, "json", {}, 400),
    ("patch-empty-title", "ana", "patch", TK, {"title": ""}, "json", {}, 400),
    ("patch-wrong-impact", "ana", "patch", TK, {"impact": 3}, "json", {}, 400),
    (
        "patch-assignee-outside-team",
        "ana",
        "patch",
        TK,
        lambda c: {"assignee": c.pablo},
        "json",
        {},
        400,
    ),
    (
        "patch-team-of-another-org",
        "ana",
        "patch",
        TK,
        lambda c: {"team": c.acme_team},
        "json",
        {},
        400,
    ),
    ("patch-team-null", "ana", "patch", TK, {"team": None}, "json", {}, 400),
    (
        "patch-malformed-if-match",
        "ana",
        "patch",
        TK,
        {"title": "x"},
        "json",
        {"HTTP_IF_MATCH": "abc"},
        400,
    ),
    (
        "patch-two-if-match",
        "ana",
        "patch",
        TK,
        {"title": "x"},
        "json",
        {"HTTP_IF_MATCH": '"1", "2"'},
        400,
    ),
    (
        "patch-stale-if-match",
        "ana",
        "patch",
        TK,
        {"title": "x"},
        "json",
        {"HTTP_IF_MATCH": '"1"'},
        412,
    ),
    ("patch-list-body", "ana", "patch", TK, [{"title": "x"}], "json", {}, 400),
    ("put-not-allowed", "ana", "put", TK, {"title": "x"}, "json", {}, 405),
    ("delete-not-allowed", "ana", "delete", TK, None, "json", {}, 405),
    ("patch-invisible-ticket", "pablo", "patch", TK, {"title": "x"}, "json", {}, 404),
    (
        "patch-by-requester",
        "rita",
        "patch",
        "/api/v1/tickets/{rita_ticket}/",
        {"title": "x"},
        "json",
        {},
        403,
    ),
    ("patch-by-previous-holder", "sam", "patch", HD, {"title": "x"}, "json", {}, 404),
    # --- handoffs ---
    (
        "handoff-same-organization",
        "ana",
        "post",
        TK + "handoff/",
        lambda c: {"team": c.internal_team, "summary": "please"},
        "json",
        {},
        400,
    ),
    (
        "handoff-without-summary",
        "ana",
        "post",
        TK + "handoff/",
        lambda c: {"team": c.acme_team},
        "json",
        {},
        400,
    ),
    (
        "handoff-blank-summary",
        "ana",
        "post",
        TK + "handoff/",
        lambda c: {"team": c.acme_team, "summary": "   "},
        "json",
        {},
        400,
    ),
    (
        "handoff-checklist-list",
        "ana",
        "post",
        TK + "handoff/",
        lambda c: {"team": c.acme_team, "summary": "s", "checklist": ["a"]},
        "json",
        {},
        400,
    ),
    (
        "handoff-checklist-unknown-key",
        "ana",
        "post",
        TK + "handoff/",
        lambda c: {"team": c.acme_team, "summary": "s", "checklist": {"mood": "bad"}},
        "json",
        {},
        400,
    ),
    (
        "handoff-already-waiting",
        "pablo",
        "post",
        HD + "handoff/",
        lambda c: {"team": c.service_desk, "summary": "back"},
        "json",
        {},
        400,
    ),
    ("handoff-no-team", "ana", "post", TK + "handoff/", {"summary": "s"}, "json", {}, 400),
    ("reject-without-reason", "pablo", "post", HD + "reject/", {}, "json", {}, 400),
    ("reject-blank-reason", "pablo", "post", HD + "reject/", {"reason": " "}, "json", {}, 400),
    ("accept-by-wrong-organization", "ana", "post", HD + "accept/", {}, "json", {}, 403),
    ("accept-by-another-provider", "sam", "post", HD + "accept/", {}, "json", {}, 404),
    ("accept-nothing-waiting", "ana", "post", TK + "accept/", {}, "json", {}, 400),
    ("accept-with-a-body", "pablo", "post", HD + "accept/", {"note": "ok"}, "json", {}, 400),
    # --- comments ---
    (
        "comment-wrong-visibility",
        "ana",
        "post",
        TK + "comments/",
        {"body": "x", "visibility": "secret"},
        "json",
        {},
        400,
    ),
    ("comment-empty-body", "ana", "post", TK + "comments/", {"body": "  "}, "json", {}, 400),
    ("comment-missing-body", "ana", "post", TK + "comments/", {}, "json", {}, 400),
    (
        "comment-too-long",
        "ana",
        "post",
        TK + "comments/",
        {"body": "x" * 20_001},
        "json",
        {},
        400,
    ),
    (
        "comment-requester-internal",
        "rita",
        "post",
        "/api/v1/tickets/{rita_ticket}/comments/",
        {"body": "x", "visibility": "internal"},
        "json",
        {},
        400,
    ),
    ("comment-invisible-ticket", "pablo", "post", TK + "comments/", {"body": "x"}, "json", {}, 404),
    ("comment-nul-character", "ana", "post", TK + "comments/", {"body": "a\x00b"}, "json", {}, 400),
    # --- attachments ---
    (
        "attachment-oversized",
        "ana",
        "post",
        TK + "attachments/",
        lambda c: {"file": file("big.txt", 2048)},
        "multipart",
        {},
        400,
    ),
    (
        "attachment-far-too-large",
        "ana",
        "post",
        TK + "attachments/",
        lambda c: {"file": file("huge.txt", 70 * 1024)},
        "multipart",
        {},
        413,
    ),
    (
        "attachment-exe",
        "ana",
        "post",
        TK + "attachments/",
        lambda c: {"file": file("setup.exe")},
        "multipart",
        {},
        400,
    ),
    (
        "attachment-html",
        "ana",
        "post",
        TK + "attachments/",
        lambda c: {"file": file("page.html")},
        "multipart",
        {},
        400,
    ),
    (
        "attachment-svg",
        "ana",
        "post",
        TK + "attachments/",
        lambda c: {"file": file("logo.svg")},
        "multipart",
        {},
        400,
    ),
    (
        "attachment-empty-file",
        "ana",
        "post",
        TK + "attachments/",
        lambda c: {"file": file("empty.txt", 0)},
        "multipart",
        {},
        400,
    ),
    (
        "attachment-no-file",
        "ana",
        "post",
        TK + "attachments/",
        {"visibility": "shared"},
        "multipart",
        {},
        400,
    ),
    (
        "attachment-wrong-visibility",
        "ana",
        "post",
        TK + "attachments/",
        lambda c: {"file": file("a.txt"), "visibility": "everyone"},
        "multipart",
        {},
        400,
    ),
    (
        "attachment-as-json",
        "ana",
        "post",
        TK + "attachments/",
        {"file": "aGVsbG8="},
        "json",
        {},
        415,
    ),
    (
        "attachment-download-internal-by-provider",
        "pablo",
        "get",
        HD + "attachments/{secret}/download/",
        None,
        "json",
        {},
        404,
    ),
    (
        "attachment-download-via-another-ticket",
        "ana",
        "get",
        TK + "attachments/{secret}/download/",
        None,
        "json",
        {},
        404,
    ),
    # --- work logs ---
    (
        "worklog-zero-minutes",
        "ana",
        "post",
        TK + "worklogs/",
        {"minutes": 0, "description": "x"},
        "json",
        {},
        400,
    ),
    (
        "worklog-2000-minutes",
        "ana",
        "post",
        TK + "worklogs/",
        {"minutes": 2000, "description": "x"},
        "json",
        {},
        400,
    ),
    (
        "worklog-minutes-abc",
        "ana",
        "post",
        TK + "worklogs/",
        {"minutes": "abc", "description": "x"},
        "json",
        {},
        400,
    ),
    (
        "worklog-no-description",
        "ana",
        "post",
        TK + "worklogs/",
        {"minutes": 5},
        "json",
        {},
        400,
    ),
    (
        "worklog-in-the-future",
        "ana",
        "post",
        TK + "worklogs/",
        {"minutes": 5, "description": "x", "performed_at": "2999-01-01T00:00:00Z"},
        "json",
        {},
        400,
    ),
    (
        "worklog-bad-date",
        "ana",
        "post",
        TK + "worklogs/",
        {"minutes": 5, "description": "x", "performed_at": "yesterday"},
        "json",
        {},
        400,
    ),
    (
        "worklog-by-requester",
        "rita",
        "post",
        "/api/v1/tickets/{rita_ticket}/worklogs/",
        {"minutes": 5, "description": "x"},
        "json",
        {},
        403,
    ),
    # --- links ---
    (
        "link-to-itself",
        "ana",
        "post",
        TK + "links/",
        lambda c: {"target": c.ticket, "kind": "relates_to"},
        "json",
        {},
        400,
    ),
    (
        "link-wrong-kind",
        "ana",
        "post",
        TK + "links/",
        lambda c: {"target": c.handed, "kind": "cousin_of"},
        "json",
        {},
        400,
    ),
    (
        "link-unknown-target",
        "ana",
        "post",
        TK + "links/",
        {"target": 999999, "kind": "relates_to"},
        "json",
        {},
        400,
    ),
    (
        "link-invisible-target",
        "pablo",
        "post",
        HD + "links/",
        lambda c: {"target": c.ticket, "kind": "relates_to"},
        "json",
        {},
        400,
    ),
    # --- the list ---
    (
        "list-created-after-word",
        "ana",
        "get",
        T + "?created_after=yesterday",
        None,
        "json",
        {},
        400,
    ),
    (
        "list-created-before-bad-date",
        "ana",
        "get",
        T + "?created_before=2026-13-45",
        None,
        "json",
        {},
        400,
    ),
    (
        "list-created-after-year-1",
        "ana",
        "get",
        T + "?created_after=0001-01-01T00:00:00%2B05:00",
        None,
        "json",
        {},
        400,
    ),
    ("list-ordering-unknown", "ana", "get", T + "?ordering=title", None, "json", {}, 400),
    ("list-ordering-sql", "ana", "get", T + "?ordering=id;drop", None, "json", {}, 400),
    ("list-status-unknown", "ana", "get", T + "?status=new,done", None, "json", {}, 400),
    ("list-priority-9", "ana", "get", T + "?priority=9", None, "json", {}, 400),
    ("list-type-unknown", "ana", "get", T + "?type=outage", None, "json", {}, 400),
    ("list-area-unknown", "ana", "get", T + "?functional_area=plumbing", None, "json", {}, 400),
    ("list-team-not-id", "ana", "get", T + "?team=acme", None, "json", {}, 400),
    ("list-ci-negative", "ana", "get", T + "?ci=-1", None, "json", {}, 400),
    ("list-mine-maybe", "ana", "get", T + "?mine=maybe", None, "json", {}, 400),
    (
        "list-too-many-values",
        "ana",
        "get",
        T + "?team=" + ",".join(["1"] * 101),
        None,
        "json",
        {},
        400,
    ),
    ("list-q-too-long", "ana", "get", T + "?q=" + "x" * 201, None, "json", {}, 400),
    ("list-q-nul", "ana", "get", T + "?q=a%00b", None, "json", {}, 400),
    ("list-page-0", "ana", "get", T + "?page=0", None, "json", {}, 404),
    ("list-page-abc", "ana", "get", T + "?page=abc", None, "json", {}, 404),
    ("list-page-too-far", "ana", "get", T + "?page=999", None, "json", {}, 404),
    ("detail-not-a-number", "ana", "get", T + "abc/", None, "json", {}, 404),
    ("detail-huge-id", "ana", "get", T + "9" * 30 + "/", None, "json", {}, 404),
    ("detail-missing", "ana", "get", T + "999999/", None, "json", {}, 404),
    ("comments-huge-ticket-id", "ana", "get", T + "9" * 30 + "/comments/", None, "json", {}, 404),
]


def send(client, method: str, url: str, payload, fmt: str, headers: dict):
    call = getattr(client, method)
    if payload is None:
        return call(url, **headers)
    if fmt == "text":
        return call(url, payload, content_type="text/plain", **headers)
    if fmt == "rawjson":
        return call(url, payload, content_type="application/json", **headers)
    return call(url, payload, format=fmt, **headers)


@pytest.mark.parametrize(
    ("who", "method", "url", "payload", "fmt", "headers", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_is_a_clear_4xx_and_saves_nothing(
    api, users, ctx, who, method, url, payload, fmt, headers, expected
):
    # given
    client = api(users[who])
    payload = payload(ctx) if callable(payload) else payload
    before = snapshot()
    # when
    response = send(client, method, url.format(**vars(ctx)), payload, fmt, headers)
    # then
    assert response.status_code == expected, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict) and body
    assert snapshot() == before


def test_there_are_enough_bad_inputs():
    assert len(CASES) >= 40
    assert len({case[0] for case in CASES}) == len(CASES)


def test_html_and_script_in_markdown_are_kept_raw_but_rendered_harmless(api, users, ctx):
    body = (
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[click](javascript:alert(3)) **bold**"
    )
    response = api(users["ana"]).post(
        f"/api/v1/tickets/{ctx.ticket}/comments/",
        {"body": body, "visibility": "shared"},
        format="json",
    )
    assert response.status_code == 201
    comment = response.json()
    assert comment["body"] == body
    html = comment["body_html"].lower()
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "<strong>bold</strong>" in html
    patched = api(users["ana"]).patch(
        f"/api/v1/tickets/{ctx.ticket}/", {"description": body}, format="json"
    )
    description_html = patched.json()["description_html"].lower()
    assert "<script" not in description_html and "onerror" not in description_html


def test_a_huge_page_size_is_capped_not_refused(api, users, ctx):
    response = api(users["ana"]).get("/api/v1/tickets/?page_size=100000")
    assert response.status_code == 200
    assert response.json()["count"] == len(response.json()["results"]) == 3
