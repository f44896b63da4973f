"""Sharing and access requests through the pages and the API."""

import datetime as dt

from django.utils import timezone

from cogest.models import AccessGrant
from tickets.models import Ticket


def _until(days=1) -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_pablo_requests_access_marta_approves_and_pablo_sees_the_ticket(client, users, new_ticket):
    ticket = new_ticket(functional_area="systems", title="ERP batch job stuck")
    client.force_login(users["pablo"])
    response = client.post(
        "/partner/access/",
        {
            "object_type": "ticket",
            "object": ticket.number.lower(),
            "level": "view",
            "reason": "Need the ERP router logs",
            "expires_at": _until(),
        },
    )
    assert response.status_code == 302
    grant = AccessGrant.objects.get()
    assert grant.status == "requested" and grant.grantee_user == users["pablo"]
    page = client.get("/partner/access/").content.decode()
    assert ticket.number in page
    client.force_login(users["marta"])
    assert "Need the ERP router logs" in client.get("/access/").content.decode()
    assert client.post(f"/access/{grant.pk}/approve/").status_code == 302
    assert Ticket.objects.restrict(users["pablo"]).filter(pk=ticket.pk).exists()


def test_bad_request_form_keeps_values_and_saves_nothing(client, users):
    client.force_login(users["pablo"])
    response = client.post(
        "/partner/access/",
        {
            "object_type": "ticket",
            "object": "INC-999999",
            "level": "view",
            "reason": "",
            "expires_at": _until(90),
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "is-invalid" in body and "INC-999999" in body
    assert not AccessGrant.objects.exists()


def test_agent_shares_from_the_access_page_but_cannot_decide(client, users, new_ticket, demo):
    ticket = new_ticket(functional_area="systems")
    client.force_login(users["ana"])
    response = client.post(
        "/access/",
        {
            "object_type": "ticket",
            "object": ticket.number,
            "organization": demo.organizations["acme"].pk,
            "level": "comment",
            "reason": "second opinion",
            "expires_at": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    grant = AccessGrant.objects.get()
    assert grant.status == "active" and grant.kind == "share"
    request = AccessGrant.objects.create(
        kind="request",
        content_type=grant.content_type,
        object_id=ticket.pk,
        object_label="x",
        organization=demo.organizations["acme"],
        grantee_user=users["pablo"],
        status="requested",
        reason="r",
        requested_by=users["pablo"],
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    client.post(f"/access/{request.pk}/approve/")
    request.refresh_from_db()
    assert request.status == "requested"  # agents do not decide


def test_provider_and_requester_pages(client, users):
    client.force_login(users["pablo"])
    assert client.get("/access/")["Location"] == "/partner/access/"
    client.force_login(users["ana"])
    assert client.get("/partner/access/")["Location"] == "/access/"
    client.force_login(users["rita"])
    assert client.get("/access/").status_code == 403


def test_api_request_approve_and_revoke(api, users, new_ticket):
    ticket = new_ticket(functional_area="systems")
    response = api(users["pablo"]).post(
        "/api/v1/access-grants/",
        {
            "kind": "request",
            "object_type": "ticket",
            "object": ticket.number,
            "reason": "logs",
            "expires_at": (timezone.now() + dt.timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    grant_id = response.json()["id"]
    assert response.json()["object_type"] == "ticket"
    assert (
        api(users["ana"])
        .post(f"/api/v1/access-grants/{grant_id}/approve/", {}, format="json")
        .status_code
        == 403
    )
    assert (
        api(users["sam"])
        .post(f"/api/v1/access-grants/{grant_id}/approve/", {}, format="json")
        .status_code
        == 404
    )
    approved = api(users["marta"]).post(
        f"/api/v1/access-grants/{grant_id}/approve/", {}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    revoked = api(users["ana"]).post(
        f"/api/v1/access-grants/{grant_id}/revoke/", {"note": "done"}, format="json"
    )
    assert revoked.json()["status"] == "revoked"


def test_api_rejects_bad_grant_input(api, users, new_ticket):
    ticket = new_ticket(functional_area="systems")
    for body in (
        {"kind": "request", "object_type": "printer", "object": "x", "reason": "r"},
        {"kind": "request", "object_type": "ticket", "object": ticket.number, "reason": "r"},
        {"kind": "share", "object_type": "ticket", "object": ticket.number},
        {"kind": "bogus", "object_type": "ticket", "object": ticket.number},
        {
            "kind": "request",
            "object_type": "ticket",
            "object": ticket.number,
            "reason": "r",
            "unknown": 1,
        },
    ):
        who = users["ana"] if body["kind"] == "share" else users["pablo"]
        response = api(who).post("/api/v1/access-grants/", body, format="json")
        assert response.status_code == 400, (body, response.content)
    assert not AccessGrant.objects.exists()
