"""Per-person notification preferences: whether normal notifications also come by email."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cogest.querysets import RestrictedQuerySet, Viewer


class NotificationPreferenceQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Each person reads and sets their own preferences, nobody else's."""
        return Q(user_id=viewer.user.pk)

    def email_muted(self, user_ids) -> set[int]:
        """Of ``user_ids``, the people who turned off email for normal notifications."""
        return set(
            self.filter(user_id__in=list(user_ids), email_normal=False).values_list(
                "user_id", flat=True
            )
        )


class NotificationPreference(models.Model):
    """How one person wants to be told: normal notifications by email or in the app only
    (urgent ones — P1, breaches — always go by email too). No row: the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_normal = models.BooleanField(
        _("email me normal notifications"),
        default=True,
        help_text=_("Urgent notifications (P1 tickets, SLA breaches) are always emailed."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = NotificationPreferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user}: {'email' if self.email_normal else 'in-app only'}"
