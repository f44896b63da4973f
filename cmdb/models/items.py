"""CI classes and configuration items."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cogest.querysets import RestrictedQuerySet, Viewer


class CIStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    MAINTENANCE = "maintenance", _("Maintenance")
    RETIRED = "retired", _("Retired")


class CIClass(models.Model):
    """A kind of configuration item (server, database, business service...) and its attributes."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    attribute_schema = models.JSONField(_("attribute schema"), default=dict, blank=True)
    is_service = models.BooleanField(
        _("business service"),
        default=False,
        help_text=_("Items of this class are business services (shown as affected services)."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("CI class")
        verbose_name_plural = _("CI classes")

    def __str__(self) -> str:
        return self.name


class ConfigurationItemQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Internal staff read and write the CMDB; a provider reads and writes what its
        organization manages (the CMDB issue widens reads to engagement scope and to CIs linked
        to tickets the provider sees)."""
        if viewer.is_requester:
            return None
        if viewer.is_internal:
            return Q()
        return Q(managed_by_id=viewer.organization_id)


class ConfigurationItem(models.Model):
    """Something IT runs: a server, an application, a firewall, a business service."""

    name = models.CharField(_("name"), max_length=200)
    ci_class = models.ForeignKey(
        CIClass, on_delete=models.PROTECT, related_name="items", verbose_name=_("class")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CIStatus.choices, default=CIStatus.ACTIVE
    )
    environment = models.CharField(_("environment"), max_length=40, blank=True)
    site = models.CharField(_("site"), max_length=80, blank=True)
    criticality = models.PositiveSmallIntegerField(
        _("criticality"), default=3, help_text=_("1 (critical) to 4 (low).")
    )
    owner_team = models.ForeignKey(
        "cogest.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cis",
        verbose_name=_("owner team"),
    )
    managed_by = models.ForeignKey(
        "cogest.Organization",
        on_delete=models.PROTECT,
        related_name="managed_cis",
        verbose_name=_("managed by"),
    )
    internal_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("internal technical owner"),
    )
    provider_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provider technical owner"),
    )
    asset_tag = models.CharField(_("asset tag"), max_length=60, blank=True)
    serial = models.CharField(_("serial number"), max_length=80, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConfigurationItemQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        indexes = [models.Index(fields=["managed_by", "name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["asset_tag"], condition=~Q(asset_tag=""), name="ci_unique_asset_tag"
            ),
            models.CheckConstraint(
                condition=Q(criticality__gte=1, criticality__lte=4), name="ci_criticality_1_4"
            ),
        ]

    def __str__(self) -> str:
        return self.name
