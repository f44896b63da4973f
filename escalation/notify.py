"""In-app notifications (with their email, sent after commit by the outbox): one per person and
occasion, however often the occasion is processed."""

from __future__ import annotations

from django.urls import reverse

from cogest import outbox
from escalation.models import Notification, NotificationPreference


def ticket_url(ticket, user) -> str:
    """The ticket's page for this person: the partner portal for a provider's people."""
    profile = getattr(user, "profile", None)
    portal = profile is not None and profile.organization.kind == "provider"
    name = "partner-tickets:detail" if portal else "tickets:detail"
    return reverse(name, kwargs={"number": ticket.number})


def notify_people(
    people, *, kind: str, title: str, body: str, url: str | None, occasion: str, urgent: bool,
    ticket=None,
) -> list[Notification]:  # fmt: skip
    """Tell each person once about ``occasion``; the email goes out after commit, in their
    language, at once when ``urgent`` (P1, breaches), else in their working hours — unless the
    person turned email off for normal notifications (their preferences). Without a ``url``,
    the link is the ticket's page on the person's side."""
    made = []
    urgency = Notification.Urgency.URGENT if urgent else Notification.Urgency.NORMAL
    everyone = {person.pk: person for person in people if person is not None}
    muted = set() if urgent else NotificationPreference.objects.email_muted(everyone)
    for user in everyone.values():
        notification, created = Notification.objects.get_or_create(
            recipient=user,
            occasion=occasion[:160],
            defaults={
                "ticket": ticket,
                "kind": kind[:40],
                "title": str(title)[:200],
                "body": str(body),
                "url": (url or ticket_url(ticket, user))[:300],
                "urgency": urgency,
            },
        )
        if created:
            made.append(notification)
            if user.pk not in muted:
                outbox.enqueue("escalation.tasks.notification_email_task", notification.pk)
    if made:
        from escalation.selectors import notification_unread_forget  # selectors import services

        notification_unread_forget(user_ids=[n.recipient_id for n in made])
    return made
