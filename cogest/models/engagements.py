"""Engagements with providers, the responsibility matrix and absences that drive shadow support."""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cogest.choices import (
    KPI_HIGHER_IS_BETTER,
    KPI_SHORT_LABELS,
    AbsenceReason,
    EngagementModel,
    FunctionalArea,
    KpiMetric,
    OrganizationKind,
    ReviewCadence,
    SupportLevel,
    TicketType,
)
from cogest.querysets import RestrictedQuerySet, Viewer

from .fields import ChoiceListField


class EngagementQuerySet(RestrictedQuerySet):
    guardian_shares = True

    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Internal staff read every engagement and internal managers change them; a provider
        reads only its own engagements (SPEC 3, configuration: "read own engagement")."""
        if action == "change":
            return Q() if viewer.is_internal and viewer.is_manager else None
        if viewer.is_internal:
            return Q()
        return Q(provider_id=viewer.organization_id)

    def active(self):
        today = timezone.localdate()
        return self.filter(is_active=True, starts_on__lte=today).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today)
        )


class Engagement(models.Model):
    """A provider relationship: how work is shared (the co-management model), in which scope,
    who owns it on each side, and the KPIs and reviews it is held to."""

    name = models.CharField(_("name"), max_length=160)
    provider = models.ForeignKey(
        "cogest.Organization",
        on_delete=models.PROTECT,
        related_name="engagements",
        limit_choices_to={"kind": OrganizationKind.PROVIDER},
        verbose_name=_("provider"),
    )
    model = models.CharField(
        _("co-management model"), max_length=16, choices=EngagementModel.choices
    )
    scope_areas = ChoiceListField(_("areas in scope"), item_choices=FunctionalArea.choices)
    scope_levels = ChoiceListField(_("support levels in scope"), item_choices=SupportLevel.choices)
    scope_ci_filter = models.JSONField(
        _("CI filter"),
        default=dict,
        blank=True,
        help_text=_(
            'CIs in scope, e.g. {"site": "Madrid", "ci_class": ["server"]} (keys: site, '
            "environment, status, criticality, ci_class); empty: the CIs of the classes in the "
            "engagement's areas."
        ),
    )
    teams = models.ManyToManyField(
        "cogest.Team",
        related_name="engagements",
        blank=True,
        verbose_name=_("provider teams"),
        help_text=_("The provider's teams that work under this engagement."),
    )
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    internal_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_engagements",
        verbose_name=_("internal owner"),
    )
    provider_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="provider_owned_engagements",
        verbose_name=_("provider owner"),
    )
    review_cadence = models.CharField(
        _("review cadence"),
        max_length=16,
        choices=ReviewCadence.choices,
        default=ReviewCadence.MONTHLY,
    )
    kpi_targets = models.JSONField(
        _("KPI targets"),
        default=dict,
        blank=True,
        help_text=_('Target per metric, e.g. {"sla_compliance_pct": 95, "mtta_minutes": 30}.'),
    )
    is_active = models.BooleanField(_("active"), default=True)

    # Shadow support: when the provider stands in for the internal team (SPEC 1, 2.1).
    shadow_for_team = models.ForeignKey(
        "cogest.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shadowed_by",
        verbose_name=_("covers internal team"),
        help_text=_("Shadow only: the internal team whose absence or hours activate the provider."),
    )
    shadow_on_absence = models.BooleanField(_("activate on team absence"), default=False)
    shadow_out_of_hours = models.BooleanField(
        _("activate outside the internal calendar"), default=False
    )
    shadow_backlog_threshold = models.PositiveIntegerField(
        _("activate when backlog exceeds"),
        null=True,
        blank=True,
        help_text=_("Open tickets in scope above which the shadow provider takes new tickets."),
    )
    shadow_manual_until = models.DateTimeField(_("manually active until"), null=True, blank=True)
    shadow_manual_reason = models.CharField(
        _("manual activation reason"), max_length=300, blank=True
    )
    shadow_manual_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("manually activated by"),
    )
    # Whether shadow support was on at the last look of the escalation sweep, which logs and
    # announces each switch (routing decides from the causes themselves, not from this).
    shadow_active = models.BooleanField(_("shadow support on"), default=False, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EngagementQuerySet.as_manager()

    class Meta:
        ordering = ["provider__name", "name"]
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="engagement_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_area_labels(self) -> list[str]:
        """The areas in scope as people read them, in the active language."""
        labels = dict(FunctionalArea.choices)
        return [str(labels.get(area, area)) for area in self.scope_areas or []]

    def next_review_on(self, today: dt.date | None = None) -> dt.date | None:
        """The next periodic review: whole cadence periods after the start, from today on."""
        today = today or timezone.localdate()
        if self.ends_on and self.ends_on < today:
            return None
        step = CADENCE_MONTHS[self.review_cadence]
        periods = 1
        while True:
            review = _add_months(self.starts_on, step * periods)
            if review >= today:
                return review
            periods += 1

    @property
    def kpi_rows(self) -> list[dict]:
        """KPI targets in the order of the metric list, with labels and the better direction."""
        targets = self.kpi_targets or {}
        return [
            {
                "metric": metric,
                "label": label,
                "short": KPI_SHORT_LABELS[metric],
                "target": targets[metric],
                "higher_is_better": KPI_HIGHER_IS_BETTER[metric],
            }
            for metric, label in KpiMetric.choices
            if metric in targets
        ]

    @property
    def is_shadow(self) -> bool:
        return self.model == EngagementModel.SHADOW

    def manual_activation_active(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.shadow_manual_until and self.shadow_manual_until > now)

    def covers(self, *, area: str, level: str) -> bool:
        """Whether a piece of work in ``area`` at ``level`` falls in this engagement's scope."""
        return (not self.scope_areas or area in self.scope_areas) and (
            not self.scope_levels or level in self.scope_levels
        )

    def clean(self):
        errors: dict[str, list] = {}
        if self.provider_id and self.provider.kind != OrganizationKind.PROVIDER:
            errors.setdefault("provider", []).append(
                _("An engagement must point at a provider organization.")
            )
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors.setdefault("ends_on", []).append(_("The end cannot come before the start."))
        if self.internal_owner_id:
            owner_org = getattr(getattr(self.internal_owner, "profile", None), "organization", None)
            if owner_org is None or not owner_org.is_internal:
                errors.setdefault("internal_owner", []).append(
                    _("The internal owner must belong to the internal organization.")
                )
        if self.provider_owner_id and self.provider_id:
            owner_org_id = getattr(
                getattr(self.provider_owner, "profile", None), "organization_id", None
            )
            if owner_org_id != self.provider_id:
                errors.setdefault("provider_owner", []).append(
                    _("The provider owner must belong to the provider organization.")
                )
        if not isinstance(self.kpi_targets, dict):
            errors.setdefault("kpi_targets", []).append(_("KPI targets must be an object."))
        else:
            known = set(KpiMetric.values)
            for metric, target in self.kpi_targets.items():
                if metric not in known:
                    errors.setdefault("kpi_targets", []).append(
                        _("Unknown KPI metric “%(metric)s”.") % {"metric": metric}
                    )
                elif isinstance(target, bool) or not isinstance(target, int | float) or target < 0:
                    errors.setdefault("kpi_targets", []).append(
                        _("The target of “%(metric)s” must be a non-negative number.")
                        % {"metric": metric}
                    )
        if not isinstance(self.scope_ci_filter, dict):
            errors.setdefault("scope_ci_filter", []).append(_("The CI filter must be an object."))
        shadow_settings = (
            self.shadow_on_absence
            or self.shadow_out_of_hours
            or self.shadow_backlog_threshold is not None
            or self.shadow_manual_until is not None
        )
        if self.model == EngagementModel.SHADOW:
            if shadow_settings and not self.shadow_for_team_id:
                errors.setdefault("shadow_for_team", []).append(
                    _("A shadow engagement needs the internal team it covers.")
                )
            if self.shadow_for_team_id and not self.shadow_for_team.organization.is_internal:
                errors.setdefault("shadow_for_team", []).append(
                    _("The covered team must be an internal team.")
                )
            if self.shadow_manual_until and not self.shadow_manual_reason:
                errors.setdefault("shadow_manual_reason", []).append(
                    _("A manual activation needs a reason.")
                )
        elif shadow_settings or self.shadow_for_team_id:
            errors.setdefault("model", []).append(
                _("Shadow activation settings only apply to shadow engagements.")
            )
        if errors:
            raise ValidationError(errors)


CADENCE_MONTHS = {
    ReviewCadence.MONTHLY: 1,
    ReviewCadence.QUARTERLY: 3,
    ReviewCadence.SEMIANNUAL: 6,
    ReviewCadence.ANNUAL: 12,
}


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class ResponsibilityRuleQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """The matrix is read by both sides (SPEC 3), but a provider never sees the rows that
        route to another provider's teams. Internal managers change it."""
        if action == "change":
            return Q() if viewer.is_internal and viewer.is_manager else None
        if viewer.is_internal:
            return Q()
        return Q(team__organization_id=viewer.organization_id) | Q(
            team__organization__kind=OrganizationKind.INTERNAL
        )


class ResponsibilityRule(models.Model):
    """A row of the responsibility matrix: (area, level, ticket type or any) → the handling team."""

    functional_area = models.CharField(
        _("functional area"), max_length=20, choices=FunctionalArea.choices
    )
    support_level = models.CharField(_("support level"), max_length=2, choices=SupportLevel.choices)
    ticket_type = models.CharField(
        _("ticket type"),
        max_length=20,
        choices=TicketType.choices,
        blank=True,
        help_text=_("Empty: any type."),
    )
    team = models.ForeignKey(
        "cogest.Team",
        on_delete=models.PROTECT,
        related_name="responsibilities",
        verbose_name=_("team"),
    )
    engagement = models.ForeignKey(
        Engagement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responsibilities",
        verbose_name=_("engagement"),
        help_text=_("Required when the team is a provider's: the engagement the work falls under."),
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ResponsibilityRuleQuerySet.as_manager()

    class Meta:
        ordering = ["functional_area", "support_level", "ticket_type"]
        verbose_name = _("responsibility rule")
        verbose_name_plural = _("responsibility matrix")
        constraints = [
            models.UniqueConstraint(
                fields=["functional_area", "support_level", "ticket_type"],
                name="one_rule_per_cell",
            ),
        ]

    def __str__(self) -> str:
        kind = self.get_ticket_type_display() if self.ticket_type else _("any type")
        return f"{self.get_functional_area_display()} · {self.support_level} · {kind} → {self.team}"

    def clean(self):
        errors: dict[str, list] = {}
        if not self.team_id:
            return
        team = self.team
        if self.functional_area and self.functional_area not in (team.functional_areas or []):
            errors.setdefault("team", []).append(
                _("This team does not cover the area %(area)s.")
                % {"area": self.get_functional_area_display()}
            )
        if self.support_level and self.support_level not in (team.support_levels or []):
            errors.setdefault("team", []).append(
                _("This team does not work at level %(level)s.") % {"level": self.support_level}
            )
        if team.organization.is_internal:
            if self.engagement_id:
                errors.setdefault("engagement", []).append(
                    _("An internal team cannot hold a provider engagement.")
                )
        else:
            if not self.engagement_id:
                errors.setdefault("engagement", []).append(
                    _("A provider team is routed work through one of its engagements.")
                )
            elif self.engagement.provider_id != team.organization_id:
                errors.setdefault("engagement", []).append(
                    _("The engagement belongs to another provider than the team.")
                )
            elif not self.engagement.covers(area=self.functional_area, level=self.support_level):
                errors.setdefault("engagement", []).append(
                    _("This area and level are outside the engagement's scope.")
                )
        if errors:
            raise ValidationError(errors)


class AbsenceQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Internal staff see every absence (they plan coverage with them); a provider sees its
        own. Managers record absences of their own organization; internal managers of all."""
        own = Q(team__organization_id=viewer.organization_id) | Q(
            user__profile__organization_id=viewer.organization_id
        )
        if action == "change":
            if not viewer.is_manager:
                return None
            return Q() if viewer.is_internal else own
        if viewer.is_internal:
            return Q()
        return own

    def current(self, now=None):
        now = now or timezone.now()
        return self.filter(starts_at__lte=now, ends_at__gt=now)


class Absence(models.Model):
    """A team or a person unavailable from-to (vacation, leave): shadow support activates on it."""

    team = models.ForeignKey(
        "cogest.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="absences",
        verbose_name=_("team"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="absences",
        verbose_name=_("person"),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(
        _("reason"), max_length=16, choices=AbsenceReason.choices, default=AbsenceReason.VACATION
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = AbsenceQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        indexes = [models.Index(fields=["ends_at", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="absence_ends_after_start"
            ),
            models.CheckConstraint(
                condition=(Q(team__isnull=False) & Q(user__isnull=True))
                | (Q(team__isnull=True) & Q(user__isnull=False)),
                name="absence_of_team_or_person",
            ),
        ]

    def __str__(self) -> str:
        who = self.team or self.user
        return f"{who}: {self.starts_at:%Y-%m-%d} → {self.ends_at:%Y-%m-%d}"

    def clean(self):
        errors = {}
        if bool(self.team_id) == bool(self.user_id):
            errors["team"] = _("Choose either a team or a person, not both.")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The absence must end after it starts.")
        if errors:
            raise ValidationError(errors)
