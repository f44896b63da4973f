"""In-app notifications: what a person was told, read or not."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cogest.querysets import RestrictedQuerySet, Viewer


class NotificationQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Each person sees and marks read their own notifications, nobody else's."""
        return Q(recipient_id=viewer.user.pk)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message for one person about a ticket (an escalation, a breach…), with a link to it."""

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    # The occasion it belongs to (an escalation event…): one notification per person and occasion.
    occasion = models.CharField(max_length=160)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "occasion"], name="notification_once_per_occasion"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.title
