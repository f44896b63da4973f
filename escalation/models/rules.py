"""Escalation rules: when (a trigger), for which tickets (conditions), what to do (actions)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cogest.choices import FunctionalArea, SupportLevel, TicketType
from cogest.models.fields import ChoiceListField
from cogest.querysets import RestrictedQuerySet, Viewer

PRIORITIES = [(1, "P1"), (2, "P2"), (3, "P3"), (4, "P4")]


class Trigger(models.TextChoices):
    CREATED = "created", _("Ticket created")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    UNASSIGNED_FOR = "unassigned_for", _("Unassigned for")
    NO_UPDATE_FOR = "no_update_for", _("No update for")
    REOPENED = "reopened", _("Reopened")
    HANDOFF_NOT_ACCEPTED = "handoff_not_accepted", _("Handoff not accepted within")


# Triggers that fire when time passes (the sweep) and need a number of minutes.
TIMED_TRIGGERS = (Trigger.UNASSIGNED_FOR, Trigger.NO_UPDATE_FOR, Trigger.HANDOFF_NOT_ACCEPTED)
# Triggers read from the SLA notices by the same sweep (not inside the SLA sweep: it stays fast).
SLA_TRIGGERS = (Trigger.SLA_WARNING, Trigger.SLA_BREACHED)


class NotifyRole(models.TextChoices):
    ASSIGNEE = "assignee", _("Assignee")
    TEAM_LEAD = "team_lead", _("Team lead")
    INTERNAL_MANAGERS = "internal_managers", _("Internal managers")
    PROVIDER_MANAGERS = "provider_managers", _("Provider managers")
    ENGAGEMENT_OWNERS = "engagement_owners", _("Engagement owners")


class RuleQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Internal staff read the rules, internal managers write them; providers read the
        escalation matrix page (a rendering), not the rules' configuration (SPEC 3)."""
        if not viewer.is_internal or viewer.is_requester:
            return None
        if action == "change":
            return Q() if viewer.is_manager else None
        return Q()

    def active(self):
        return self.filter(is_active=True)


class EscalationRule(models.Model):
    """An ordered rule: on a trigger, for the tickets its conditions match, do its actions."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(
        _("order"), default=100, help_text=_("Lower runs first.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    stop_processing = models.BooleanField(
        _("stop after this rule"),
        default=False,
        help_text=_("When it fires, later rules of the same trigger are not applied."),
    )
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices)
    minutes = models.PositiveIntegerField(
        _("minutes"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("For “unassigned for”, “no update for” and “handoff not accepted within”."),
    )
    # Conditions: empty means any.
    ticket_types = ChoiceListField(_("ticket types"), item_choices=TicketType.choices)
    priorities = ChoiceListField(_("priorities"), item_choices=PRIORITIES)
    functional_areas = ChoiceListField(_("functional areas"), item_choices=FunctionalArea.choices)
    support_levels = ChoiceListField(_("support levels"), item_choices=SupportLevel.choices)
    teams = models.ManyToManyField(
        "cogest.Team", blank=True, related_name="+", verbose_name=_("teams")
    )
    engagements = models.ManyToManyField(
        "cogest.Engagement", blank=True, related_name="+", verbose_name=_("engagements")
    )
    ci_criticality_at_most = models.PositiveSmallIntegerField(
        _("a CI of criticality at most"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_(
            "1 is the most critical: 2 matches tickets affecting a CI of criticality 1 or 2."
        ),
    )
    # Actions.
    reassign_team = models.ForeignKey(
        "cogest.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reassign to team"),
        help_text=_("Another organization's team: a handoff with a generated summary."),
    )
    reassign_level = models.CharField(
        _("reassign to the matrix's team at level"),
        max_length=2,
        choices=SupportLevel.choices,
        blank=True,
        help_text=_("Functional escalation: the responsibility matrix's team for the ticket's "
                    "area at this level (e.g. L1 internal → L2 provider)."),
    )  # fmt: skip
    raise_priority = models.BooleanField(_("raise the priority by one"), default=False)
    notify = ChoiceListField(_("notify"), item_choices=NotifyRole.choices)
    post_to_channel = models.BooleanField(
        _("post to the team's channel"),
        default=False,
        help_text=_("The Slack or Teams incoming webhook of the ticket's team."),
    )
    activate_shadow = models.ForeignKey(
        "cogest.Engagement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activate shadow engagement"),
    )
    shadow_minutes = models.PositiveIntegerField(
        _("shadow activation lasts (minutes)"),
        default=8 * 60,
        validators=[MinValueValidator(1)],
    )
    add_watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("add watchers")
    )
    # The timed triggers' sweep has looked at every occasion that came before this instant.
    swept_until = models.DateTimeField(null=True, blank=True, editable=False)
    # The SLA triggers' sweep has looked at every SLA notice (warning, breach) up to this id.
    notices_after = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        indexes = [
            models.Index(fields=["trigger", "is_active", "position"], name="rule_trigger_idx")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self._state.adding and self.trigger in SLA_TRIGGERS and not self.notices_after:
            # A new rule acts on what happens from now on, not on past breaches.
            from sla.models import SlaNotice

            self.notices_after = (
                SlaNotice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            )
        super().save(*args, **kwargs)

    def clean(self):
        errors: dict[str, list] = {}
        if self.trigger in TIMED_TRIGGERS and not self.minutes:
            errors.setdefault("minutes", []).append(_("This trigger needs a number of minutes."))
        if self.trigger not in TIMED_TRIGGERS and self.minutes:
            errors.setdefault("minutes", []).append(_("Only timed triggers take minutes."))
        if self.reassign_team_id and self.reassign_level:
            errors.setdefault("reassign_level", []).append(
                _("Reassign to a team or to a level, not both.")
            )
        if self.activate_shadow_id and self.activate_shadow.model != "shadow":
            errors.setdefault("activate_shadow", []).append(_("Choose a shadow engagement."))
        for name in ("ticket_types", "priorities", "functional_areas", "support_levels", "notify"):
            try:
                self._meta.get_field(name).validate(getattr(self, name), self)
            except ValidationError as error:
                errors.setdefault(name, []).extend(error.messages)
        if not self.has_action():
            errors.setdefault("__all__", []).append(_("A rule needs at least one action."))
        if errors:
            raise ValidationError(errors)

    def has_action(self) -> bool:
        return bool(
            self.reassign_team_id
            or self.reassign_level
            or self.raise_priority
            or self.notify
            or self.post_to_channel
            or self.activate_shadow_id
            or (self.pk and self.add_watchers.exists())
        )


class EventQuerySet(RestrictedQuerySet):
    append_only = True

    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """The firings on tickets the viewer sees (the timeline shows them to both sides)."""
        from tickets.models import Ticket

        if viewer.is_requester:
            return None
        return Q(ticket__in=Ticket.objects.restrict(viewer.user, "view").values("pk"))


class EscalationEvent(models.Model):
    """One firing of a rule on a ticket: unique per (rule, ticket, trigger key), so a rule fires
    once per occasion however often a job is delivered or retried (SPEC 2.5)."""

    rule = models.ForeignKey(EscalationRule, on_delete=models.PROTECT, related_name="events")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="escalations"
    )
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices)
    trigger_key = models.CharField(_("occasion"), max_length=120)
    fired_at = models.DateTimeField(_("fired"))
    actions = models.JSONField(_("what was done"), default=list)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-fired_at", "-id"]
        verbose_name = _("escalation event")
        verbose_name_plural = _("escalation events")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "trigger_key"], name="escalation_once_per_occasion"
            )
        ]
        indexes = [models.Index(fields=["ticket", "fired_at"], name="escalation_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.rule} → {self.ticket_id} ({self.trigger_key})"
