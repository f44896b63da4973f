"""Jobs of the escalation app: the timed-trigger sweep, notification emails and chat posts.
Thin, keyed by ids, idempotent; sent from the outbox after commit."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from escalation import outbound

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def escalation_sweep_task() -> int:
    """The timed triggers due since the last sweep, and shadow engagements switching on or off."""
    from escalation.services import sweep
    from escalation.shadow import record_transitions

    record_transitions()
    return len(sweep())


def next_working_instant(user, now: dt.datetime) -> dt.datetime | None:
    """When ``user`` is next at work (their first team's calendar), or ``None`` if now."""
    from sla.businesstime import working_time

    team = user.teams.filter(calendar__isnull=False).order_by("pk").first()
    if team is None:
        return None
    hours = working_time(team.calendar_id)
    if hours.is_working(now):
        return None
    return hours.next_change(now)


@shared_task(bind=True, acks_late=True, max_retries=None)
def notification_email_task(self, notification_id: int) -> str:
    """Email one notification, in the recipient's language, with a link to the ticket. A normal
    one waits for the recipient's working hours; urgent ones (P1, breaches) go at once."""
    from escalation.models import Notification, NotificationPreference

    notification = (
        Notification.objects.select_related("recipient__profile", "ticket")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or not notification.recipient.email:
        return "nothing to send"
    if getattr(notification, "emailed_at", None):
        return "already sent"
    user = notification.recipient
    if notification.urgency != Notification.Urgency.URGENT:
        # The preference is read again here: it may have changed while the email waited.
        if NotificationPreference.objects.email_muted([user.pk]):
            return "email off"
        later = next_working_instant(user, timezone.now())
        if later is not None:
            raise self.retry(eta=later, countdown=None)
    profile = getattr(user, "profile", None)
    language = (profile.language if profile else "") or settings.LANGUAGE_CODE
    context = {
        "notification": notification,
        "user": user,
        "link": settings.PUBLIC_URL + notification.url,
    }
    with translation.override(language):
        subject = f"[cogest] {notification.title}"
        text = render_to_string("escalation/email/notification.txt", context)
        html = render_to_string("escalation/email/notification.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    message.send()
    return "sent"


@shared_task(bind=True, acks_late=True, max_retries=5)
def chat_post_task(self, event_id: int) -> str:
    """Post an escalation to the ticket team's Slack or Teams channel; retried with backoff
    on a network error or a 5xx."""
    from escalation.models import EscalationEvent

    event = (
        EscalationEvent.objects.select_related("rule", "ticket__team").filter(pk=event_id).first()
    )
    team = event.ticket.team if event else None
    if event is None or team is None or not team.chat_webhook_url:
        return "no channel"
    ticket = event.ticket
    with translation.override(settings.LANGUAGE_CODE):
        payload = outbound.chat_payload(
            team.chat_webhook_url,
            title=f"{ticket.number} {ticket.title}",
            text=f"{event.rule.name} ({event.rule.get_trigger_display()}), P{ticket.priority}",
            link=settings.PUBLIC_URL + reverse("tickets:detail", kwargs={"number": ticket.number}),
        )
    try:
        status = outbound.post_json(team.chat_webhook_url, payload)
    except outbound.RefusedTarget as refused:
        log.warning("chat post for escalation %s refused: %s", event_id, refused)
        return f"refused: {refused}"
    except OSError as error:
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from None
    if status >= 500:
        raise self.retry(countdown=30 * 2**self.request.retries)
    return f"posted: {status}"


# The webhook jobs live beside the webhooks; the worker learns them here (autodiscovery reads
# this module only).
from escalation.tasks_webhooks import webhook_deliver_task, webhook_retry_sweep_task  # noqa: E402, F401
