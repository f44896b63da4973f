"""CI classes, configuration items and the relations between them (SPEC 2.3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cmdb.choices import CRITICALITY_CHOICES, CIStatus, RelationType
from cmdb.querysets import CIClassQuerySet, CIRelationQuerySet, ConfigurationItemQuerySet
from cogest.choices import FunctionalArea


class CIClass(models.Model):
    """A kind of configuration item (server, database, business service...) and its attributes."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    attribute_schema = models.JSONField(
        _("attribute schema"),
        default=dict,
        blank=True,
        help_text=_(
            "A JSON Schema subset: an object with properties (type string, integer, number, "
            "boolean; enum, minimum, maximum, minLength, maxLength, pattern) and required."
        ),
    )
    is_service = models.BooleanField(
        _("business service"),
        default=False,
        help_text=_("Items of this class are business services (shown as affected services)."),
    )
    functional_area = models.CharField(
        _("functional area"),
        max_length=20,
        choices=FunctionalArea.choices,
        blank=True,
        help_text=_("The area its incidents belong to; engagements in that area see its CIs."),
    )
    icon = models.CharField(_("icon"), max_length=40, blank=True, help_text=_("Bootstrap icon."))

    objects = CIClassQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("CI class")
        verbose_name_plural = _("CI classes")

    def __str__(self) -> str:
        return self.name


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
        _("criticality"), default=3, choices=CRITICALITY_CHOICES
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
        ordering = ["name", "id"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        indexes = [
            models.Index(fields=["managed_by", "name"]),
            models.Index(fields=["name", "id"], name="ci_name_idx"),
            models.Index(fields=["ci_class", "name"], name="ci_class_name_idx"),
            models.Index(fields=["site", "name"], name="ci_site_name_idx"),
        ]
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


class CIRelation(models.Model):
    """``source`` —type→ ``target``: ``A depends_on B`` means A needs B."""

    source = models.ForeignKey(
        ConfigurationItem,
        on_delete=models.CASCADE,
        related_name="outgoing",
        verbose_name=_("source"),
    )
    type = models.CharField(_("type"), max_length=16, choices=RelationType.choices)
    target = models.ForeignKey(
        ConfigurationItem,
        on_delete=models.CASCADE,
        related_name="incoming",
        verbose_name=_("target"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = CIRelationQuerySet.as_manager()

    class Meta:
        ordering = ["source_id", "type", "target_id"]
        verbose_name = _("CI relation")
        verbose_name_plural = _("CI relations")
        constraints = [
            models.UniqueConstraint(fields=["source", "type", "target"], name="ci_relation_unique"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="ci_relation_no_self"),
        ]
        indexes = [
            # Impact analysis walks from a CI to the ones that depend on it.
            models.Index(fields=["target", "type", "source"], name="ci_relation_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.type} {self.target_id}"
