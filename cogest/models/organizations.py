"""Organizations, the people in them and the support teams they form."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cogest.choices import FunctionalArea, OrganizationKind, Role, SupportLevel
from cogest.querysets import RestrictedQuerySet, Viewer

from .fields import ChoiceListField


class OrganizationQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Everyone sees their own organization and the internal one; internal staff see all.

        Changing organizations is configuration: administrators only (handled by ``restrict``).
        """
        if action == "change":
            return None
        if viewer.is_internal:
            return Q()
        return Q(pk=viewer.organization_id) | Q(kind=OrganizationKind.INTERNAL)


class Organization(models.Model):
    """A party in co-management: the company's internal IT, or one of its providers."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganizationKind.choices)
    contact_email = models.EmailField(_("contact email"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            # One internal organization per installation.
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="internal"), name="one_internal_organization"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_internal(self) -> bool:
        return self.kind == OrganizationKind.INTERNAL

    @property
    def is_provider(self) -> bool:
        return self.kind == OrganizationKind.PROVIDER

    def clean(self):
        if self.kind == OrganizationKind.INTERNAL:
            others = Organization.objects.filter(kind=OrganizationKind.INTERNAL).exclude(pk=self.pk)
            if others.exists():
                raise ValidationError(
                    {"kind": _("There is already an internal organization; only one is allowed.")}
                )


class UserProfileQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """People of your own organization and the internal one; internal staff see everyone.

        Each person may change their own profile (language, timezone); the rest is configuration.
        """
        if action == "change":
            return Q(user_id=viewer.user.pk)
        if viewer.is_internal:
            return Q()
        return Q(organization_id=viewer.organization_id) | Q(
            organization__kind=OrganizationKind.INTERNAL
        )


class UserProfile(models.Model):
    """What cogest knows of a user: the one organization they belong to, their role and locale."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="profiles",
        verbose_name=_("organization"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    timezone = models.CharField(_("timezone"), max_length=64, default="Europe/Madrid")
    is_service_account = models.BooleanField(
        _("service account"),
        default=False,
        help_text=_("An integration (monitoring tool, script) rather than a person."),
    )

    objects = UserProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")
        indexes = [models.Index(fields=["organization", "role"])]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.organization}, {self.get_role_display()})"

    def clean(self):
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"timezone": _("Unknown timezone.")}) from None
        if (
            self.role == Role.REQUESTER
            and self.organization_id
            and not self.organization.is_internal
        ):
            raise ValidationError(
                {"role": _("Requesters belong to the internal organization's company.")}
            )


class TeamQuerySet(RestrictedQuerySet):
    guardian_shares = True

    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Internal staff see every team; a provider sees its own teams and the internal ones.

        Team configuration (members, lead) is changed by administrators, or by a manager for the
        teams of their own organization.
        """
        if action == "change":
            if viewer.is_manager:
                return Q(organization_id=viewer.organization_id)
            return None
        if viewer.is_internal:
            return Q()
        return Q(organization_id=viewer.organization_id) | Q(
            organization__kind=OrganizationKind.INTERNAL
        )


class Team(models.Model):
    """A support group of one organization, covering functional areas at given support levels."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="teams",
        verbose_name=_("organization"),
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    functional_areas = ChoiceListField(_("functional areas"), item_choices=FunctionalArea.choices)
    support_levels = ChoiceListField(_("support levels"), item_choices=SupportLevel.choices)
    calendar = models.ForeignKey(
        "cogest.BusinessCalendar",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams",
        verbose_name=_("business calendar"),
        help_text=_("Working hours that the team's OLA clocks and notifications follow."),
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    chat_webhook_url = models.URLField(
        _("chat webhook"),
        blank=True,
        max_length=500,
        help_text=_("Incoming-webhook URL of the team's Slack or Microsoft Teams channel."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True, verbose_name=_("members")
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name=_("lead"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["organization__kind", "organization__name", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="team_name_per_org"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def support_level_label(self) -> str:
        levels = self.support_levels or []
        if not levels:
            return ""
        return levels[0] if len(levels) == 1 else f"{levels[0]}–{levels[-1]}"

    @property
    def functional_area_labels(self) -> list[str]:
        """The team's areas as people read them, in the active language."""
        labels = dict(FunctionalArea.choices)
        return [str(labels.get(area, area)) for area in self.functional_areas or []]

    @property
    def lowest_level(self) -> str:
        return (self.support_levels or [""])[0]

    def clean(self):
        if not self.support_levels:
            raise ValidationError({"support_levels": _("Choose at least one support level.")})
