"""Generic outbound webhooks (SPEC 2.5): signed JSON events to an organization's endpoint.

Three parts, in the order an event travels:

1. **Fan-out** (``on_event``, a subscriber of the ticket and SLA domain events, inside the change's
   transaction): for each active webhook subscribed to the event, read the ticket — and the
   comment, handoff or clock — *as the webhook's organization* (``organization_reader`` +
   ``restrict``), build the payload from that read, record a ``WebhookDelivery`` and enqueue its
   job through the outbox. What the organization may not see is never read, so never sent: a
   ticket outside its scope, another organization's ``internal`` comment, another party's clock.
2. **Delivery** (``webhook_deliver``, run by ``escalation.tasks_webhooks``): POST the payload with
   an HMAC-SHA256 signature; 2xx delivered, 5xx or a network error retried with exponential
   backoff up to ``WEBHOOK_MAX_ATTEMPTS``, other answers failed, private targets refused.
3. **Configuration** (``webhook_create`` / ``_update`` / ``_delete`` / ``_ping``): the services the
   API calls, audited.

Payload of every event::

    {"id": "<event uuid>", "event": "comment.added", "occurred_at": "2026-11-30T09:15:00+00:00",
     "ticket": {"id", "number", "type", "title", "status", "priority", "impact", "urgency",
                "functional_area", "support_level", "team": {"id", "name"}, "assignee",
                "engagement", "created_at", "updated_at", "url", "api_url"},
     "data": {...}}                                  # per event, see ``_EVENT_DATA``
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cogest import outbox
from cogest.choices import Role
from cogest.events import DomainEvent
from cogest.models import Organization, Team, UserProfile
from cogest.querysets import Viewer, viewer_for
from cogest.services import audit_record
from cogest.versioned import VersionedValue
from escalation import outbound, tasks_webhooks
from escalation.models.webhooks import (
    PING_EVENT,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
    new_secret,
)

log = logging.getLogger(__name__)
User = get_user_model()

# Importing the jobs' module here also registers them: Celery's discovery reads only tasks.py.
DELIVER_TASK = tasks_webhooks.webhook_deliver_task.name
# Seconds before the first retry; each further retry waits twice as long, at most BACKOFF_CAP.
BACKOFF_BASE = 30
BACKOFF_CAP = 3600
# 4xx answers that mean "later", not "never".
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})
# A scheduled retry that a worker starts slightly before its time (clock skew) still runs.
EARLY_TOLERANCE = dt.timedelta(seconds=5)
# Namespace of the event ids derived from an occasion (a comment, a clock's breach…): the same
# occasion published twice is one delivery per webhook (the unique (webhook, event id)).
EVENT_NAMESPACE = uuid.UUID("6f1c2b8e-3d5a-4e0f-9a7b-2c4d6e8f0a1b")


def max_attempts() -> int:
    return max(1, int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 6)))


# --- Who reads: the organization, not a person ---------------------------------------------


def organization_reader(organization: Organization):
    """A stand-in user that reads exactly what a technician of ``organization`` reads through
    ``restrict``: the organization's tickets, comments and clocks, none of any one person's
    grants or shares, never an administrator's view. It exists only in memory (id 0, which no
    account has), so it can neither log in nor match a personal grant."""
    user = User(id=0, username=f"webhooks@{organization.slug}", is_active=True)
    profile = UserProfile(user=user, organization=organization, role=Role.AGENT)
    User.profile.related.set_cached_value(user, profile)
    viewer = Viewer(user)
    assert not viewer.is_admin and viewer.organization_id == organization.pk
    user._cogest_viewer = viewer
    return user


# --- Fan-out: domain event → deliveries ------------------------------------------------------


def _load_subscriptions() -> dict[str, list[tuple[int, int]]]:
    """event name → [(webhook id, organization id)] of the active webhooks."""
    table: dict[str, list[tuple[int, int]]] = {}
    for pk, organization_id, events in Webhook.objects.active().values_list(
        "pk", "organization_id", "events"
    ):
        for name in events or []:
            table.setdefault(name, []).append((pk, organization_id))
    return table


# Read on every ticket change: kept per process, rebuilt when any process changes a webhook.
_subscriptions = VersionedValue("webhook-subscriptions", _load_subscriptions, (Webhook,))


def connect_cache_invalidation() -> None:
    _subscriptions.connect()


def on_event(event: DomainEvent) -> None:
    """Subscriber of every event a webhook can hear. Never fails the change that caused it: a
    fan-out error is logged and the ticket change commits without its webhooks."""
    subscribed = _subscriptions.get().get(event.name)
    if not subscribed:
        return  # the common case costs no query
    try:
        with transaction.atomic():
            webhook_fan_out(event=event, webhook_ids=[pk for pk, _org in subscribed])
    except Exception:  # noqa: BLE001 - logged; the ticket change must commit
        log.exception("webhook fan-out of %s failed", event.name)


def webhook_fan_out(*, event: DomainEvent, webhook_ids: list[int]) -> int:
    """Record one delivery per webhook of ``webhook_ids`` still active and subscribed to the
    event whose organization may see what the event is about, with the payload read as that
    organization; returns how many were recorded."""
    current = Webhook.objects.active().filter(pk__in=webhook_ids)
    by_org: dict[int, list[int]] = {}
    for pk, organization_id, names in current.values_list("pk", "organization_id", "events"):
        if event.name in (names or []):
            by_org.setdefault(organization_id, []).append(pk)
    if not by_org:
        return 0
    event_id = _event_id(event)
    occurred_at = _occurred_at(event)
    recorded = 0
    organizations = Organization.objects.in_bulk(list(by_org))
    for organization_id, hooks in by_org.items():
        payload = event_payload(
            event=event,
            reader=organization_reader(organizations[organization_id]),
            event_id=event_id,
            occurred_at=occurred_at,
        )
        if payload is None:  # nothing this organization may see
            continue
        for webhook_id in hooks:
            recorded += _record(webhook_id, event.name, event_id, payload, event.ticket_id)
    return recorded


def _record(webhook_id: int, name: str, event_id: uuid.UUID, payload: dict, ticket_id) -> int:
    delivery, created = WebhookDelivery.objects.get_or_create(
        webhook_id=webhook_id,
        event_id=event_id,
        defaults={"event": name, "payload": payload, "ticket_id": ticket_id},
    )
    if not created:  # the same occasion again (a replayed event): already on its way
        return 0
    outbox.enqueue(DELIVER_TASK, delivery.pk)
    return 1


def _event_id(event: DomainEvent) -> uuid.UUID:
    """The occasion's id: derived from what makes it unique when it has one, random if not."""
    key = {
        "ticket.created": lambda e: e.ticket_id,
        "comment.added": lambda e: e.comment_id,
        "ticket.handed_off": lambda e: e.handoff_id,
        "handoff.accepted": lambda e: e.handoff_id,
        "handoff.rejected": lambda e: e.handoff_id,
        "sla.warning": lambda e: e.clock_id,
        "sla.breached": lambda e: e.clock_id,
    }.get(event.name)
    if key is None:
        return uuid.uuid4()
    return uuid.uuid5(EVENT_NAMESPACE, f"{event.name}:{key(event)}")


def _occurred_at(event: DomainEvent) -> dt.datetime:
    return getattr(event, "at", None) or getattr(event, "created_at", None) or timezone.now()


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- Payloads: built from the organization's restricted read ---------------------------------


def event_payload(*, event: DomainEvent, reader, event_id, occurred_at) -> dict | None:
    """The JSON body for ``reader``'s organization, or ``None`` when it may not see the ticket or
    the thing the event is about (then nothing is sent to it at all)."""
    from tickets.models import Ticket

    ticket = (
        Ticket.objects.restrict(reader, "view")
        .select_related("team")
        .filter(pk=event.ticket_id)
        .first()
    )
    if ticket is None:
        return None
    build = _EVENT_DATA.get(event.name)
    data = build(event, reader) if build else {}
    if data is None:
        return None
    return {
        "id": str(event_id),
        "event": event.name,
        "occurred_at": _iso(occurred_at),
        "ticket": ticket_data(ticket, reader),
        "data": data,
    }


def ticket_data(ticket, reader) -> dict:
    viewer = viewer_for(reader)
    team = None
    if ticket.team_id is not None:
        team = {"id": ticket.team_id}
        # Another provider's team is named only to those who may see it (teams API rule).
        if Team.objects.restrict(reader, "view").filter(pk=ticket.team_id).exists():
            team["name"] = ticket.team.name
    page = "tickets:detail" if viewer.is_internal else "partner-tickets:detail"
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "type": ticket.type,
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "functional_area": ticket.functional_area,
        "support_level": ticket.support_level,
        "team": team,
        "assignee": ticket.assignee_id,
        "engagement": ticket.engagement_id,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "url": settings.PUBLIC_URL + reverse(page, kwargs={"number": ticket.number}),
        "api_url": settings.PUBLIC_URL + reverse("ticket-detail", kwargs={"pk": ticket.pk}),
    }


def _created(event, reader) -> dict:
    return {"routed_by_rule": event.routed_by_rule_id}


def _status_changed(event, reader) -> dict:
    return {
        "before": event.before,
        "after": event.after,
        "pending_reason": event.pending_reason,
        "reopened": event.reopened,
    }


def _assigned(event, reader) -> dict:
    return {
        "team_before": event.team_before,
        "team_after": event.team_after,
        "assignee_before": event.assignee_before,
        "assignee_after": event.assignee_after,
    }


def _handoff(event, reader) -> dict | None:
    from tickets.models import Handoff

    handoff = Handoff.objects.restrict(reader, "view").filter(pk=event.handoff_id).first()
    if handoff is None:
        return None
    data = {
        "id": handoff.pk,
        "status": handoff.status,
        "from_team": handoff.from_team_id,
        "to_team": handoff.to_team_id,
        "from_organization": handoff.from_organization_id,
        "to_organization": handoff.to_organization_id,
        "summary": handoff.summary,
        "created_at": _iso(handoff.created_at),
        "responded_at": _iso(handoff.responded_at),
    }
    if handoff.reject_reason:
        data["reject_reason"] = handoff.reject_reason
    return {"handoff": data}


def _comment(event, reader) -> dict | None:
    """The comment as the organization reads it; one it may not read (another organization's
    ``internal`` note) is no delivery at all, not a delivery without its body."""
    from tickets.models import Comment

    comment = Comment.objects.restrict(reader, "view").filter(pk=event.comment_id).first()
    if comment is None:
        return None
    return {
        "comment": {
            "id": comment.pk,
            "visibility": comment.visibility,
            "author": comment.author_id,
            "author_organization": comment.author_organization_id,
            "body": comment.body,
            "created_at": _iso(comment.created_at),
        }
    }


def _sla(event, reader) -> dict | None:
    """The clock as the organization reads it: the end-to-end clocks and its own, never another
    party's OLA or UC."""
    from sla.models import Clock

    clock = Clock.objects.restrict(reader, "view").filter(pk=event.clock_id).first()
    if clock is None:
        return None
    return {
        "clock": {
            "id": clock.pk,
            "target": clock.target,
            "kind": clock.kind,
            "party": clock.party_id,
            "state": clock.state,
            "due_at": _iso(clock.due_at),
        },
        "at": _iso(event.at),
    }


_EVENT_DATA = {
    WebhookEvent.TICKET_CREATED: _created,
    WebhookEvent.TICKET_STATUS_CHANGED: _status_changed,
    WebhookEvent.TICKET_ASSIGNED: _assigned,
    WebhookEvent.TICKET_HANDED_OFF: _handoff,
    WebhookEvent.HANDOFF_ACCEPTED: _handoff,
    WebhookEvent.HANDOFF_REJECTED: _handoff,
    WebhookEvent.COMMENT_ADDED: _comment,
    WebhookEvent.SLA_WARNING: _sla,
    WebhookEvent.SLA_BREACHED: _sla,
}


# --- Delivery: POST, sign, retry -------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of the raw body with the webhook's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: 30 s, 60 s, 120 s… at most an hour."""
    return dt.timedelta(seconds=min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP))


@dataclass(frozen=True)
class Outcome:
    """What one run of ``webhook_deliver`` did; ``retry_at`` says when to run it again."""

    result: str
    retry_at: dt.datetime | None = None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new target: following it would bypass the target check."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict) -> int:
    """POST the raw body; the HTTP status (errors included). Network failures raise."""
    request = urllib.request.Request(  # noqa: S310 - http(s) checked by check_target
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "cogest-webhooks", **headers},
    )
    try:
        with _opener.open(request, timeout=settings.OUTBOUND_TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def webhook_deliver(*, delivery_id: int, now: dt.datetime | None = None) -> Outcome:
    """Try one delivery once, if it is due: the state machine behind the task.

    ``pending`` → ``delivered`` (2xx) | ``pending`` again with ``next_attempt_at`` (5xx, 408/429,
    network error; until ``WEBHOOK_MAX_ATTEMPTS``) | ``failed`` (other answers, or out of
    attempts) | ``refused`` (a target cogest may not post to). A delivery that is not pending is
    never posted again, and two runners never post the same attempt: each claims it first.
    """
    now = now or timezone.now()
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None:
        return Outcome("missing")
    if delivery.status != DeliveryStatus.PENDING:
        return Outcome(f"already {delivery.status}")
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now + EARLY_TOLERANCE:
        return Outcome("not due")  # an early duplicate job; the scheduled one will come
    webhook = delivery.webhook
    if not webhook.is_active:
        _finish(delivery, DeliveryStatus.FAILED, error=_("The webhook is inactive."))
        return Outcome("failed")
    # Claim this attempt: the attempt counter moves only for the runner that saw it.
    lease = now + dt.timedelta(seconds=settings.OUTBOUND_TIMEOUT_SECONDS + BACKOFF_BASE)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(attempts=delivery.attempts + 1, next_attempt_at=lease)
    if not claimed:
        return Outcome("claimed by another run")
    attempts = delivery.attempts + 1
    try:
        _check_target(webhook.url)
    except outbound.RefusedTarget as refused:
        log.warning("webhook %s delivery %s refused: %s", webhook.pk, delivery.pk, refused)
        _finish(delivery, DeliveryStatus.REFUSED, error=str(refused))
        return Outcome("refused")
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "X-Cogest-Event": delivery.event,
        "X-Cogest-Delivery": str(delivery.event_id),
        "X-Cogest-Signature": sign(webhook.secret, body),
        "X-Cogest-Timestamp": str(int(now.timestamp())),
    }
    try:
        code, error = _post(webhook.url, body, headers), ""
    except (OSError, http.client.HTTPException) as failure:
        code, error = None, f"{type(failure).__name__}: {failure}"
    if code is not None and 200 <= code < 300:
        _finish(delivery, DeliveryStatus.DELIVERED, code=code, delivered_at=timezone.now())
        return Outcome("delivered")
    retryable = code is None or code >= 500 or code in RETRYABLE_CLIENT_ERRORS
    error = error or f"HTTP {code}"
    if not retryable:
        _finish(delivery, DeliveryStatus.FAILED, code=code, error=error)
        log.warning("webhook %s delivery %s failed: %s", webhook.pk, delivery.pk, error)
        return Outcome("failed")
    if attempts >= max_attempts():
        _finish(delivery, DeliveryStatus.FAILED, code=code, error=error)
        log.warning(
            "webhook %s delivery %s failed after %s attempts: %s",
            webhook.pk,
            delivery.pk,
            attempts,
            error,
        )
        return Outcome("failed")
    retry_at = now + backoff(attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        last_status_code=code, last_error=error[:2000], next_attempt_at=retry_at
    )
    return Outcome("retry", retry_at=retry_at)


def _finish(delivery, status: str, *, code=None, error: str = "", delivered_at=None) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        last_status_code=code,
        last_error=error[:2000],
        next_attempt_at=None,
        delivered_at=delivered_at,
    )


def deliveries_overdue(*, now: dt.datetime, grace: dt.timedelta, limit: int = 500) -> list[int]:
    """Pending deliveries whose retry is overdue by ``grace``: their scheduled job was lost (a
    broker restart, a worker killed); the sweep sends them again."""
    return list(
        WebhookDelivery.objects.due(now - grace)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- Configuration: the services the API calls ----------------------------------------------


def _check_manager(by) -> Viewer:
    viewer = viewer_for(by)
    if not viewer.is_authenticated or viewer.is_requester or not viewer.is_manager:
        raise PermissionDenied(_("Only managers configure their organization's webhooks."))
    return viewer


def check_url(url: str) -> None:
    """A URL cogest may post to (http or https; no private or loopback target unless allowed)."""
    try:
        _check_target(url)
    except outbound.RefusedTarget as refused:
        raise ValidationError({"url": [str(refused)]}) from None


def _check_target(url: str) -> None:
    """``outbound.check_target``, with a URL it cannot parse or encode (a port out of range, a
    bad IDNA host) refused like any other, not raised as a 500."""
    try:
        outbound.check_target(url)
    except outbound.RefusedTarget:
        raise
    except (UnicodeError, ValueError) as error:
        raise outbound.RefusedTarget(f"not a usable URL: {url!r} ({error})") from None


def _check_events(events) -> list[str]:
    known = set(WebhookEvent.values)
    unknown = sorted({e for e in events if e not in known})
    if unknown:
        raise ValidationError({"events": [_("Unknown events: %s.") % ", ".join(unknown)]})
    if not events:
        raise ValidationError({"events": [_("Subscribe to at least one event.")]})
    return list(dict.fromkeys(events))


def _snapshot(webhook: Webhook) -> dict:
    return {
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "is_active": webhook.is_active,
    }


@transaction.atomic
def webhook_create(
    *, by, name: str, url: str, events: list[str], is_active: bool = True
) -> Webhook:
    """A webhook for the caller's organization (a manager's). Its secret is on the returned
    object; the API shows it this once."""
    viewer = _check_manager(by)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Name the webhook.")]})
    check_url(url)
    webhook = Webhook(
        organization_id=viewer.organization_id,
        name=name,
        url=url,
        events=_check_events(events),
        is_active=is_active,
        secret=new_secret(),
        created_by=by,
    )
    webhook.save()
    audit_record(actor=by, action="webhook.created", obj=webhook, after=_snapshot(webhook))
    return webhook


@transaction.atomic
def webhook_update(*, webhook: Webhook | int, by, **changes) -> Webhook:
    """Change a webhook's name, URL, events or active flag (its organization's managers)."""
    pk = webhook.pk if isinstance(webhook, Webhook) else webhook
    webhook = Webhook.objects.lock_for_change(by, pk)
    before = _snapshot(webhook)
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise ValidationError({"name": [_("Name the webhook.")]})
        webhook.name = name
    if "url" in changes:
        check_url(changes["url"])
        webhook.url = changes["url"]
    if "events" in changes:
        webhook.events = _check_events(changes["events"])
    if "is_active" in changes:
        webhook.is_active = bool(changes["is_active"])
    webhook.save()
    after = _snapshot(webhook)
    if after != before:
        audit_record(actor=by, action="webhook.updated", obj=webhook, before=before, after=after)
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook | int, by) -> None:
    """Delete a webhook and its delivery log (its organization's managers)."""
    pk = webhook.pk if isinstance(webhook, Webhook) else webhook
    webhook = Webhook.objects.lock_for_change(by, pk)
    audit_record(actor=by, action="webhook.deleted", obj=webhook, before=_snapshot(webhook))
    webhook.delete()


@transaction.atomic
def webhook_ping(*, webhook: Webhook | int, by) -> WebhookDelivery:
    """Queue a ``ping`` delivery (no ticket data) to check the endpoint and its signature."""
    pk = webhook.pk if isinstance(webhook, Webhook) else webhook
    webhook = Webhook.objects.lock_for_change(by, pk)
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "event": PING_EVENT,
        "occurred_at": _iso(timezone.now()),
        "ticket": None,
        "data": {"webhook": {"id": webhook.pk, "name": webhook.name}},
    }
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event=PING_EVENT, event_id=event_id, payload=payload
    )
    audit_record(actor=by, action="webhook.pinged", obj=webhook, after={"delivery": delivery.pk})
    outbox.enqueue(DELIVER_TASK, delivery.pk)
    return delivery
