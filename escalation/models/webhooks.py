"""Generic outbound webhooks (SPEC 2.5): an organization's HTTP endpoint that hears about the
tickets that organization may see, and the log of every delivery to it."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cogest.models.fields import ChoiceListField
from cogest.querysets import RestrictedQuerySet, Viewer


class WebhookEvent(models.TextChoices):
    """The public names of the events a webhook can subscribe to (the domain events' names)."""

    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_STATUS_CHANGED = "ticket.status_changed", _("Ticket status changed")
    TICKET_ASSIGNED = "ticket.assigned", _("Ticket assigned")
    TICKET_HANDED_OFF = "ticket.handed_off", _("Ticket handed off")
    HANDOFF_ACCEPTED = "handoff.accepted", _("Handoff accepted")
    HANDOFF_REJECTED = "handoff.rejected", _("Handoff rejected")
    COMMENT_ADDED = "comment.added", _("Comment added")
    SLA_WARNING = "sla.warning", _("SLA warning")
    SLA_BREACHED = "sla.breached", _("SLA breached")


#: What ``POST /webhooks/{id}/test/`` sends; not subscribable, every webhook can be pinged.
PING_EVENT = "ping"


def new_secret() -> str:
    return secrets.token_hex(32)


class WebhookQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """A webhook belongs to one organization: its technicians read it, its managers change
        it; requesters and other organizations never see it (administrators see all)."""
        if viewer.is_requester or viewer.organization_id is None:
            return None
        if action == "change" and not viewer.is_manager:
            return None
        return Q(organization_id=viewer.organization_id)

    def active(self):
        return self.filter(is_active=True)


class Webhook(models.Model):
    """An organization's HTTP endpoint that receives signed JSON events about its tickets."""

    organization = models.ForeignKey(
        "cogest.Organization",
        on_delete=models.CASCADE,
        related_name="webhooks",
        verbose_name=_("organization"),
    )
    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    # Kept in clear: it signs every delivery (HMAC-SHA256). Shown once, when the webhook is made.
    secret = models.CharField(_("secret"), max_length=128, default=new_secret, editable=False)
    events = ChoiceListField(_("events"), item_choices=WebhookEvent.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "name", "id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    REFUSED = "refused", _("Refused")


class DeliveryQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """The deliveries of the webhooks the viewer reads; nobody edits the log."""
        if action == "change":
            return None
        return Q(webhook__in=Webhook.objects.restrict(viewer.user, "view").values("pk"))

    def due(self, now):
        """Pending deliveries whose next attempt is due (indexed): what the retry sweep reads."""
        return self.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one webhook: its payload, attempts and last answer."""

    # No database constraint: a webhook deleted while a ticket change that notifies it is still
    # open must not make that change fail at commit. Django still deletes the log with the
    # webhook; a delivery left without one is skipped by the task.
    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False
    )
    event = models.CharField(_("event"), max_length=40)
    event_id = models.UUIDField(_("event id"))
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField(_("payload"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    last_status_code = models.PositiveSmallIntegerField(_("last response"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "event_id"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due_idx",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["webhook", "-created_at"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"
