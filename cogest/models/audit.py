"""The append-only audit trail, chained by hashes so that tampering shows."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cogest.querysets import RestrictedQuerySet, Viewer

GENESIS_HASH = "0" * 64


class AuditEventQuerySet(RestrictedQuerySet):
    append_only = True

    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Internal staff read the whole trail; a provider reads what its own people and jobs did.
        Nobody changes it: the database itself refuses UPDATE and DELETE."""
        if action == "change":
            return None
        if viewer.is_internal and not viewer.is_requester:
            return Q()
        if viewer.is_requester:
            return Q(actor_id=viewer.user.pk)
        return Q(actor_organization_id=viewer.organization_id)


class AuditEvent(models.Model):
    """One recorded change: who (person, token or job), on behalf of which organization, did what
    to which object, with the values before and after. Never updated, never deleted."""

    created_at = models.DateTimeField(_("when"), db_index=True)
    # No database constraint: the trail outlives the people and objects it mentions.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(
        _("actor label"),
        max_length=150,
        help_text=_("The username, 'token:<user>' or 'system:<job>' at the time of the event."),
    )
    actor_organization = models.ForeignKey(
        "cogest.Organization",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor's organization"),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        indexes = [
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_idx"),
            models.Index(fields=["actor_organization", "id"], name="audit_actor_org_idx"),
        ]

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M:%S}"
        return f"{when} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")

    def payload(self) -> dict:
        """Everything the hash covers, in a stable form."""
        return {
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "actor_organization": self.actor_organization_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "before": self.before,
            "after": self.after,
            "note": self.note,
            "request_id": self.request_id,
            "ip_address": self.ip_address,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        canonical = json.dumps(self.payload(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()
