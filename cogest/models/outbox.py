"""The task outbox: Celery jobs recorded in the same transaction as the change that needs them."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A job to send to Celery once its transaction commits; kept until the broker took it, so
    a broker outage delays jobs instead of losing them (the flush job sends what is left)."""

    task_name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    queue = models.CharField(_("queue"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("task outbox")
        indexes = [
            # The flush job reads only unsent rows: a partial index keeps that O(pending).
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"
