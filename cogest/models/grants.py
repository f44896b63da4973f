"""Access beyond scope: shares from the internal side and time-boxed grants a provider asks for
(SPEC 2.6, 3). The visibility rules of tickets (and, as they arrive, CIs) read active grants;
the check itself ignores expired ones, and a beat job marks them expired."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cogest.querysets import RestrictedQuerySet, Viewer


class GrantKind(models.TextChoices):
    SHARE = "share", _("Shared by the internal team")
    REQUEST = "request", _("Requested by the provider")


class GrantLevel(models.TextChoices):
    VIEW = "view", _("Read")
    COMMENT = "comment", _("Read and comment")


class GrantStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    ACTIVE = "active", _("Active")
    REFUSED = "refused", _("Refused")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class AccessGrantQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Internal staff see every grant and managers decide them (agents may share and revoke
        shares); a provider sees the grants of its organization and its own requests."""
        if viewer.is_requester:
            return None
        if viewer.is_internal:
            return Q()
        if action == "change":
            return None
        return Q(organization_id=viewer.organization_id) | Q(requested_by_id=viewer.user.pk)

    def in_force(self, now=None):
        """Grants that give access now: active and not past their end (expired ones never count,
        whether or not the expiry job has run yet)."""
        now = now or timezone.now()
        return self.filter(status=GrantStatus.ACTIVE).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )

    def for_viewer(self, viewer: Viewer, model, *, level: str = GrantLevel.VIEW):
        """Ids of ``model`` objects the viewer reaches through a grant in force."""
        qs = self.in_force().filter(content_type=ContentType.objects.get_for_model(model))
        qs = qs.filter(
            Q(organization_id=viewer.organization_id, grantee_user__isnull=True)
            | Q(grantee_user_id=viewer.user.pk)
        )
        if level == GrantLevel.COMMENT:
            qs = qs.filter(level=GrantLevel.COMMENT)
        return qs.values("object_id")


class AccessGrant(models.Model):
    """Access to one object (a ticket, a team's queue, a CI) for a provider organization or one
    of its people, beyond what their engagement gives them."""

    kind = models.CharField(_("kind"), max_length=10, choices=GrantKind.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    object_label = models.CharField(_("object"), max_length=200)
    organization = models.ForeignKey(
        "cogest.Organization",
        on_delete=models.PROTECT,
        related_name="grants",
        verbose_name=_("organization"),
    )
    grantee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
        help_text=_("Empty: everyone in the organization."),
    )
    level = models.CharField(
        _("access"), max_length=10, choices=GrantLevel.choices, default=GrantLevel.VIEW
    )
    status = models.CharField(_("status"), max_length=10, choices=GrantStatus.choices)
    reason = models.TextField(_("reason"))
    expires_at = models.DateTimeField(_("until"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        indexes = [
            models.Index(fields=["content_type", "object_id", "status"], name="grant_object_idx"),
            models.Index(fields=["status", "expires_at"], name="grant_expiry_idx"),
            models.Index(fields=["organization", "status"], name="grant_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.object_label} → {self.organization} ({self.get_status_display()})"

    @property
    def in_force(self) -> bool:
        return self.status == GrantStatus.ACTIVE and (
            self.expires_at is None or self.expires_at > timezone.now()
        )
