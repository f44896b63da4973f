"""Generic outbound webhooks (SPEC 2.5, issues 4 and 7): signed deliveries to a local HTTP server,
retries with backoff and their limit, refused private targets, payloads read as the webhook's
organization (never another organization's internal comment, never a ticket it cannot see),
and the ``/api/v1/webhooks/`` API."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone

from cogest import outbox
from cogest.events import publish
from cogest.models import AuditEvent, Organization, OutboxMessage, UserProfile
from escalation import webhooks
from escalation.models import Webhook, WebhookDelivery
from escalation.tasks_webhooks import webhook_deliver_task
from escalation.webhooks import organization_reader, webhook_create, webhook_deliver
from sla.events import SlaBreached
from tickets.models import Ticket
from tickets.services import (
    comment_add,
    handoff_accept,
    ticket_create,
    ticket_handoff,
    ticket_transition,
)

PUBLIC_URL = "https://93.184.216.34/cogest-hook"  # a public address literal: no DNS needed
ALL_EVENTS = [
    "ticket.created",
    "ticket.status_changed",
    "ticket.assigned",
    "ticket.handed_off",
    "handoff.accepted",
    "handoff.rejected",
    "comment.added",
    "sla.warning",
    "sla.breached",
]


# --- A local HTTP server that records what it receives --------------------------------------


class Receiver:
    """Answers each POST with the next code of ``codes`` (then 200) and keeps what it got."""

    def __init__(self):
        self.codes: list[int] = []
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the test server listens on loopback
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def sent(monkeypatch):
    """Jobs that reach the broker, recorded instead of sent."""
    jobs: list[tuple[str, list]] = []
    monkeypatch.setattr(
        outbox.current_app,
        "send_task",
        lambda name, args=None, kwargs=None, **options: jobs.append((name, args)),
    )
    return jobs


def hook(by, url=PUBLIC_URL, events=None, **extra) -> Webhook:
    return webhook_create(by=by, name="Hook", url=url, events=events or ALL_EVENTS, **extra)


def incident(users, title="VPN down", area="networks", **extra) -> Ticket:
    return ticket_create(
        by=users["ana"], type="incident", title=title, functional_area=area, **extra
    )


def handed_to_acme(demo, users, title="Core switch flapping") -> Ticket:
    ticket = incident(users, title=title)
    ticket_handoff(ticket=ticket, by=users["ana"], team=demo.teams["acme-networks"], summary="L1")
    handoff_accept(ticket=ticket, by=users["pablo"])
    return Ticket.objects.get(pk=ticket.pk)


def deliveries(webhook, event=None):
    rows = WebhookDelivery.objects.filter(webhook=webhook).order_by("id")
    return list(rows.filter(event=event) if event else rows)


def one_delivery(users, receiver, events=("ticket.created",)) -> WebhookDelivery:
    webhook = hook(users["marta"], url=receiver.url, events=list(events))
    incident(users)
    [delivery] = deliveries(webhook)
    return delivery


# --- Delivery: signature, retries, limit, refusal --------------------------------------------


def test_a_delivery_is_signed_with_the_webhooks_secret(demo, users, receiver):
    delivery = one_delivery(users, receiver)
    assert webhook_deliver(delivery_id=delivery.pk).result == "delivered"
    [got] = receiver.received
    headers = {name.lower(): value for name, value in got["headers"].items()}
    expected = hmac.new(delivery.webhook.secret.encode(), got["body"], hashlib.sha256).hexdigest()
    assert headers["x-cogest-signature"] == f"sha256={expected}"
    assert headers["x-cogest-event"] == "ticket.created"
    assert headers["x-cogest-delivery"] == str(delivery.event_id)
    assert abs(int(headers["x-cogest-timestamp"]) - timezone.now().timestamp()) < 60
    assert headers["content-type"] == "application/json"
    body = json.loads(got["body"])
    assert body["id"] == str(delivery.event_id) and body["event"] == "ticket.created"
    assert body["ticket"]["title"] == "VPN down" and body["ticket"]["number"].startswith("INC-")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None


def test_a_500_is_retried_with_backoff_and_then_delivered(demo, users, receiver):
    receiver.codes = [500, 200]
    delivery = one_delivery(users, receiver)
    now = timezone.now()
    first = webhook_deliver(delivery_id=delivery.pk, now=now)
    assert first.result == "retry" and first.retry_at == now + dt.timedelta(seconds=30)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    # An early duplicate job finds it not due and posts nothing.
    assert webhook_deliver(delivery_id=delivery.pk, now=now).result == "not due"
    assert len(receiver.received) == 1
    assert webhook_deliver(delivery_id=delivery.pk, now=first.retry_at).result == "delivered"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert len(receiver.received) == 2


def test_gives_up_after_the_limit_and_logs_it(demo, users, receiver, settings, caplog):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.codes = [500, 502, 503, 500]
    delivery = one_delivery(users, receiver)
    now, waits = timezone.now(), []
    with caplog.at_level(logging.WARNING, logger="escalation.webhooks"):
        for _ in range(3):
            outcome = webhook_deliver(delivery_id=delivery.pk, now=now)
            if outcome.retry_at:
                waits.append(outcome.retry_at - now)
                now = outcome.retry_at
    assert outcome.result == "failed"
    assert waits == [dt.timedelta(seconds=30), dt.timedelta(seconds=60)]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 503)
    assert "failed after 3 attempts" in caplog.text
    # Spent: nothing is posted again.
    assert webhook_deliver(delivery_id=delivery.pk, now=now + dt.timedelta(hours=1)).result == (
        "already failed"
    )
    assert len(receiver.received) == 3


def test_a_client_error_fails_at_once_without_retry(demo, users, receiver):
    receiver.codes = [410]
    delivery = one_delivery(users, receiver)
    assert webhook_deliver(delivery_id=delivery.pk).result == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code, delivery.next_attempt_at) == (
        "failed",
        410,
        None,
    )
    assert len(receiver.received) == 1


def test_a_network_error_is_retried(demo, users, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhook = hook(users["marta"], url=f"http://127.0.0.1:{port}/", events=["ticket.created"])
    incident(users)
    [delivery] = deliveries(webhook)
    assert webhook_deliver(delivery_id=delivery.pk).result == "retry"
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "Connection refused" in delivery.last_error or "Error" in delivery.last_error


def test_a_loopback_target_is_refused_when_not_allowed(demo, users, receiver, settings):
    delivery = one_delivery(users, receiver)
    settings.OUTBOUND_ALLOW_PRIVATE = False
    assert webhook_deliver(delivery_id=delivery.pk).result == "refused"
    delivery.refresh_from_db()
    assert delivery.status == "refused" and "non-public address" in delivery.last_error
    assert receiver.received == []


def test_a_delivered_delivery_is_never_posted_again(demo, users, receiver):
    delivery = one_delivery(users, receiver)
    assert webhook_deliver(delivery_id=delivery.pk).result == "delivered"
    assert webhook_deliver(delivery_id=delivery.pk).result == "already delivered"
    assert webhook_deliver_task.run(delivery.pk) == "already delivered"
    assert len(receiver.received) == 1


def test_the_task_schedules_the_retry_at_its_backoff(demo, users, receiver, monkeypatch):
    receiver.codes = [503]
    delivery = one_delivery(users, receiver)
    scheduled = []
    monkeypatch.setattr(
        webhook_deliver_task, "apply_async", lambda **options: scheduled.append(options)
    )
    assert webhook_deliver_task.run(delivery.pk) == "retry"
    [options] = scheduled
    delivery.refresh_from_db()
    assert options["args"] == [delivery.pk] and options["eta"] == delivery.next_attempt_at


def test_an_eager_retry_does_not_loop(demo, users, receiver, settings):
    # Eager Celery runs a scheduled retry at once: it finds the delivery not due and stops.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    receiver.codes = [500, 500, 500]
    delivery = one_delivery(users, receiver)
    assert webhook_deliver_task.apply(args=[delivery.pk]).get() == "retry"
    assert len(receiver.received) == 1


def test_the_sweep_resends_a_retry_whose_job_was_lost(demo, users, receiver, monkeypatch):
    receiver.codes = [500]
    delivery = one_delivery(users, receiver)
    now = timezone.now()
    webhook_deliver(delivery_id=delivery.pk, now=now)
    assert webhooks.deliveries_overdue(now=now, grace=dt.timedelta(minutes=2)) == []
    later = now + dt.timedelta(minutes=10)
    assert webhooks.deliveries_overdue(now=later, grace=dt.timedelta(minutes=2)) == [delivery.pk]


def test_a_ping_reaches_the_endpoint_signed(demo, users, receiver, sent, api):
    webhook = hook(users["marta"], url=receiver.url)
    response = api(users["marta"]).post(f"/api/v1/webhooks/{webhook.pk}/test/", {}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["event"] == "ping"
    delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert webhook_deliver(delivery_id=delivery.pk).result == "delivered"
    [got] = receiver.received
    assert json.loads(got["body"])["event"] == "ping"
    signature = hmac.new(webhook.secret.encode(), got["body"], hashlib.sha256).hexdigest()
    assert got["headers"]["X-Cogest-Signature"] == f"sha256={signature}"


# --- Fan-out: after commit, once, only what the organization may see ------------------------


def test_deliveries_leave_after_commit_and_a_rollback_sends_nothing(
    demo, users, sent, django_capture_on_commit_callbacks
):
    webhook = hook(users["marta"], events=["ticket.created"])
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        incident(users, title="Rolled back")
        1 / 0  # noqa: B018
    assert deliveries(webhook) == [] and not OutboxMessage.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        incident(users)
        assert sent == []  # not before the commit
    [delivery] = deliveries(webhook)
    assert sent == [("escalation.tasks_webhooks.webhook_deliver_task", [delivery.pk])]


def test_a_provider_webhook_never_gets_another_organizations_internal_comment(demo, users):
    acme_hook = hook(users["lucia"], events=["comment.added"])
    internal_hook = hook(users["marta"], events=["comment.added"])
    ticket = handed_to_acme(demo, users)
    comment_add(ticket=ticket, by=users["ana"], body="NW-ROOT-PASSWORD", visibility="internal")
    comment_add(ticket=ticket, by=users["ana"], body="Please check port 12", visibility="shared")
    comment_add(ticket=ticket, by=users["pablo"], body="ACME-PRIVATE-NOTE", visibility="internal")
    comment_add(ticket=ticket, by=users["pablo"], body="Fixed, tell the user", visibility="public")
    acme = [d.payload["data"]["comment"]["body"] for d in deliveries(acme_hook)]
    assert acme == ["Please check port 12", "ACME-PRIVATE-NOTE", "Fixed, tell the user"]
    assert "NW-ROOT-PASSWORD" not in json.dumps([d.payload for d in deliveries(acme_hook)])
    internal = [d.payload["data"]["comment"]["body"] for d in deliveries(internal_hook)]
    assert internal == ["NW-ROOT-PASSWORD", "Please check port 12", "Fixed, tell the user"]
    # The payload is the organization's read: a provider gets the partner portal's link.
    [first, *_] = deliveries(acme_hook)
    assert "/partner/tickets/" in first.payload["ticket"]["url"]


def test_a_provider_webhook_never_hears_of_tickets_it_cannot_see(demo, users):
    acme_hook = hook(users["lucia"])
    shadow_hook = Webhook.objects.create(
        organization=Organization.objects.get(slug="shadow"), name="S", url=PUBLIC_URL,
        events=ALL_EVENTS,
    )  # fmt: skip
    internal_only = incident(users, title="NW-ONLY", area="systems")
    comment_add(ticket=internal_only, by=users["ana"], body="public", visibility="public")
    shadow = incident(users, title="SHADOW-ONLY", area="applications")
    ticket_handoff(ticket=shadow, by=users["ana"], team=demo.teams["shadow-desk"], summary="go")
    comment_add(ticket=shadow, by=users["ana"], body="shared with shadow", visibility="shared")
    ticket_transition(ticket=shadow.pk, by=users["sam"], to="cancelled")
    assert deliveries(acme_hook) == []
    assert {d.event for d in deliveries(shadow_hook)} == {
        "ticket.handed_off",
        "comment.added",
        "ticket.status_changed",
    }
    assert all(d.payload["ticket"]["title"] == "SHADOW-ONLY" for d in deliveries(shadow_hook))


def test_a_handoff_to_a_provider_reaches_its_webhook(demo, users):
    acme_hook = hook(users["lucia"], events=["ticket.handed_off", "handoff.accepted"])
    ticket = handed_to_acme(demo, users)
    handed, accepted = deliveries(acme_hook)
    assert handed.event == "ticket.handed_off" and handed.ticket_id == ticket.pk
    assert handed.payload["data"]["handoff"]["summary"] == "L1"
    assert handed.payload["ticket"]["team"] == {
        "id": demo.teams["acme-networks"].pk,
        "name": "Acme Networks",
    }
    assert accepted.payload["data"]["handoff"]["status"] == "accepted"


def test_sla_notices_reach_a_provider_only_for_clocks_it_may_see(demo, users):
    from sla.demo import seed_policies

    seed_policies(demo)
    acme_hook = hook(users["lucia"], events=["sla.breached"])
    ticket = handed_to_acme(demo, users)
    acme = Organization.objects.get(slug="acme")
    clocks = list(ticket.clocks.all())
    assert clocks, "the SLA app started no clock"
    for clock in clocks:
        publish(
            SlaBreached(
                clock_id=clock.pk, ticket_id=ticket.pk, target=clock.target, kind=clock.kind,
                party_id=clock.party_id, at=timezone.now(),
            )
        )  # fmt: skip
    got = {d.payload["data"]["clock"]["id"] for d in deliveries(acme_hook)}
    assert got == {c.pk for c in clocks if c.kind == "sla" or c.party_id == acme.pk}


def test_the_same_occasion_twice_is_one_delivery(demo, users):
    from tickets.events import CommentAdded

    internal_hook = hook(users["marta"], events=["comment.added"])
    ticket = incident(users)
    comment = comment_add(ticket=ticket, by=users["ana"], body="once", visibility="public")
    publish(
        CommentAdded(
            ticket_id=ticket.pk, actor_id=users["ana"].pk, comment_id=comment.pk,
            visibility="public", author_organization_id=comment.author_organization_id,
        )
    )  # fmt: skip
    assert len(deliveries(internal_hook)) == 1


def test_inactive_webhooks_and_other_events_get_nothing(demo, users):
    inactive = hook(users["marta"], is_active=False)
    status_only = hook(users["marta"], events=["ticket.status_changed"])
    incident(users)
    assert deliveries(inactive) == [] and deliveries(status_only) == []


def test_a_failing_fan_out_never_fails_the_ticket_change(demo, users, monkeypatch):
    internal_hook = hook(users["marta"], events=["ticket.created"])

    def broken(**kwargs):
        raise RuntimeError("payload bug")

    monkeypatch.setattr(webhooks, "event_payload", broken)
    ticket = incident(users, title="Still saved")
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert deliveries(internal_hook) == []


def test_a_webhook_deleted_meanwhile_neither_gets_deliveries_nor_fails_the_change(
    demo, users, monkeypatch
):
    webhook = hook(users["marta"], events=["ticket.created"])
    stale = {"ticket.created": [(webhook.pk, webhook.organization_id)]}
    monkeypatch.setattr(webhooks._subscriptions, "get", lambda: stale)  # another process's view
    Webhook.objects.filter(pk=webhook.pk).delete()
    ticket = incident(users)
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert not WebhookDelivery.objects.exists()
    # A delivery whose webhook went away (no database constraint binds them) is skipped.
    orphan = WebhookDelivery.objects.create(
        webhook_id=webhook.pk, event="ping", event_id=uuid.uuid4(), payload={}
    )
    assert webhook_deliver(delivery_id=orphan.pk).result == "missing"


def test_the_organization_reader_sees_what_an_agent_of_it_sees(demo, users):
    ticket = handed_to_acme(demo, users)
    incident(users, title="internal only", area="systems")
    reader = organization_reader(Organization.objects.get(slug="acme"))
    assert list(Ticket.objects.restrict(reader, "view").values_list("pk", flat=True)) == [ticket.pk]
    assert set(Ticket.objects.restrict(reader, "view")) == set(
        Ticket.objects.restrict(users["pablo"], "view")
    )
    assert not Webhook.objects.restrict(reader, "change").exists()


# --- API ------------------------------------------------------------------------------------


def test_creating_a_webhook_shows_its_secret_once(demo, users, api):
    client = api(users["marta"])
    response = client.post(
        "/api/v1/webhooks/",
        {"name": "SIEM", "url": PUBLIC_URL, "events": ["ticket.created", "sla.breached"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    webhook = Webhook.objects.get(pk=body["id"])
    assert body["secret"] == webhook.secret and len(webhook.secret) == 64
    assert body["organization"] == users["marta"].profile.organization_id
    assert body["events"] == ["ticket.created", "sla.breached"]
    assert AuditEvent.objects.filter(action="webhook.created", object_id=str(webhook.pk)).exists()
    for path in ("/api/v1/webhooks/", f"/api/v1/webhooks/{webhook.pk}/"):
        read = client.get(path)
        assert read.status_code == 200
        assert webhook.secret not in read.content.decode() and "secret" not in read.json()


def test_a_provider_sees_and_changes_only_its_own_webhooks(demo, users, api):
    internal = hook(users["marta"])
    acme = hook(users["lucia"])
    listed = api(users["lucia"]).get("/api/v1/webhooks/").json()["results"]
    assert [w["id"] for w in listed] == [acme.pk]
    assert api(users["lucia"]).get(f"/api/v1/webhooks/{internal.pk}/").status_code == 404
    assert api(users["lucia"]).get(f"/api/v1/webhooks/{internal.pk}/deliveries/").status_code == (
        404
    )
    assert api(users["lucia"]).delete(f"/api/v1/webhooks/{internal.pk}/").status_code == 404
    assert api(users["sam"]).get("/api/v1/webhooks/").json()["results"] == []
    assert api(users["rita"]).get("/api/v1/webhooks/").json()["results"] == []
    ana = api(users["ana"]).get("/api/v1/webhooks/").json()["results"]
    assert [w["id"] for w in ana] == [internal.pk]
    # A technician reads their organization's webhooks but does not change them.
    pablo = api(users["pablo"])
    assert pablo.get(f"/api/v1/webhooks/{acme.pk}/").status_code == 200
    assert (
        pablo.patch(f"/api/v1/webhooks/{acme.pk}/", {"name": "Mine"}, format="json").status_code
        == 403
    )
    assert pablo.post(
        "/api/v1/webhooks/", {"name": "X", "url": PUBLIC_URL, "events": ["ticket.created"]},
        format="json",
    ).status_code == 403  # fmt: skip
    assert Webhook.objects.count() == 2 and Webhook.objects.get(pk=acme.pk).name == "Hook"


def test_a_manager_updates_and_deletes_a_webhook_audited(demo, users, api):
    webhook = hook(users["lucia"])
    client = api(users["lucia"])
    response = client.patch(
        f"/api/v1/webhooks/{webhook.pk}/",
        {"events": ["comment.added"], "is_active": False},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["events"] == ["comment.added"] and response.json()["is_active"] is False
    assert "secret" not in response.json()
    assert AuditEvent.objects.filter(action="webhook.updated", object_id=str(webhook.pk)).exists()
    assert client.delete(f"/api/v1/webhooks/{webhook.pk}/").status_code == 204
    assert not Webhook.objects.filter(pk=webhook.pk).exists()
    assert AuditEvent.objects.filter(action="webhook.deleted", object_id=str(webhook.pk)).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "url": PUBLIC_URL, "events": ["ticket.created"], "secret": "s"}, "secret"),
        ({"name": "X", "url": "ftp://93.184.216.34/x", "events": ["ticket.created"]}, "url"),
        ({"name": "X", "url": "not a url", "events": ["ticket.created"]}, "url"),
        ({"name": "X", "url": "http://127.0.0.1:9/hook", "events": ["ticket.created"]}, "url"),
        ({"name": "X", "url": "http://10.1.2.3/hook", "events": ["ticket.created"]}, "url"),
        ({"name": "X", "url": "http://[::1]/hook", "events": ["ticket.created"]}, "url"),
        ({"name": "X", "url": "http://169.254.169.254/", "events": ["ticket.created"]}, "url"),
        ({"name": "X", "url": "http://93.184.216.34:99999/", "events": ["ticket.created"]}, "url"),
        ({"name": "X", "url": "http://xn--\u00f1.com/", "events": ["ticket.created"]}, "url"),
        ({"name": "X", "url": PUBLIC_URL, "events": ["ticket.deleted"]}, "events"),
        ({"name": "X", "url": PUBLIC_URL, "events": []}, "events"),
        ({"name": "X", "url": PUBLIC_URL, "events": "ticket.created"}, "events"),
        ({"name": "", "url": PUBLIC_URL, "events": ["ticket.created"]}, "name"),
        ({"url": PUBLIC_URL, "events": ["ticket.created"]}, "name"),
        ({"name": "X", "url": PUBLIC_URL, "events": ["ticket.created"], "organization": 2}, None),
    ],
)
def test_bad_webhook_input_is_a_400_with_nothing_saved(demo, users, api, body, field):
    response = api(users["marta"]).post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400, response.content
    assert field is None or field in response.json()
    assert not Webhook.objects.exists()


def test_a_bad_change_is_a_400_with_nothing_changed(demo, users, api):
    webhook = hook(users["marta"])
    client = api(users["marta"])
    for body in (
        {"secret": "mine"},
        {"url": "http://localhost/hook"},
        {"events": ["nope"]},
        {"is_active": "maybe"},
    ):
        response = client.patch(f"/api/v1/webhooks/{webhook.pk}/", body, format="json")
        assert response.status_code == 400, (body, response.content)
    fresh = Webhook.objects.get(pk=webhook.pk)
    assert (fresh.url, fresh.events, fresh.is_active, fresh.secret) == (
        PUBLIC_URL,
        ALL_EVENTS,
        True,
        webhook.secret,
    )


def test_anonymous_callers_get_401(demo, users, api):
    webhook = hook(users["marta"])
    assert api().get("/api/v1/webhooks/").status_code == 401
    assert api().get(f"/api/v1/webhooks/{webhook.pk}/").status_code == 401
    create = api().post(
        "/api/v1/webhooks/", {"name": "X", "url": PUBLIC_URL, "events": ["ticket.created"]},
        format="json",
    )  # fmt: skip
    assert create.status_code == 401 and Webhook.objects.count() == 1


def test_the_delivery_log_lists_attempts_and_response_codes(demo, users, api, receiver):
    receiver.codes = [500]
    webhook = hook(users["lucia"], url=receiver.url, events=["ticket.handed_off"])
    ticket = handed_to_acme(demo, users)
    [delivery] = deliveries(webhook)
    webhook_deliver(delivery_id=delivery.pk)
    response = api(users["pablo"]).get(f"/api/v1/webhooks/{webhook.pk}/deliveries/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["event"], row["status"], row["attempts"], row["last_status_code"]) == (
        "ticket.handed_off",
        "pending",
        1,
        500,
    )
    assert row["payload"]["ticket"]["number"] == ticket.number


def test_the_schema_documents_the_webhooks_api(db, api):
    paths = api().get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/webhooks/"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/webhooks/{id}/"])
    assert "get" in paths["/api/v1/webhooks/{id}/deliveries/"]
    assert "post" in paths["/api/v1/webhooks/{id}/test/"]


def test_only_managers_of_an_organization_create_its_webhooks(demo, users):
    from django.core.exceptions import PermissionDenied

    for name in ("ana", "pablo", "rita"):
        with pytest.raises(PermissionDenied):
            hook(users[name])
    assert hook(users["lucia"]).organization.slug == "acme"
    assert UserProfile.objects.get(user=users["admin"]).organization.is_internal
    assert hook(users["admin"]).organization.is_internal
