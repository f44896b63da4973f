"""SLA policies: which commitments hold for which tickets, measured on which calendar."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cogest.choices import TicketType
from cogest.models.fields import ChoiceListField
from cogest.querysets import RestrictedQuerySet, Viewer

PRIORITY_CHOICES = [(1, "P1"), (2, "P2"), (3, "P3"), (4, "P4")]
PENDING_REASON_CHOICES = [
    ("requester", _("Waiting for the requester")),
    ("provider", _("Waiting for a provider")),
    ("change", _("Waiting for a change")),
]


class Scope(models.TextChoices):
    """Whose commitment a policy describes."""

    END_TO_END = "end_to_end", _("End to end, to the requester (SLA)")
    PARTY = "party", _("The team holding the ticket (OLA internal, UC provider)")


class Metric(models.TextChoices):
    """What a target measures; the API calls it ``target`` (SPEC 5)."""

    RESPONSE = "response", _("First response")
    RESOLUTION = "resolution", _("Resolution")
    ACCEPT = "accept", _("Handoff acceptance")
    PARTY_RESOLUTION = "party_resolution", _("Resolution by the holding party")


END_TO_END_METRICS = (Metric.RESPONSE, Metric.RESOLUTION)
PARTY_METRICS = (Metric.ACCEPT, Metric.PARTY_RESOLUTION)


class PolicyQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Internal staff read every policy and internal managers maintain them (SPEC 3:
        configuration); a provider reads the policies of its own engagements."""
        if action == "change":
            return Q() if viewer.is_internal and viewer.is_manager else None
        if viewer.is_internal:
            return Q() if not viewer.is_requester else None
        if viewer.is_provider:
            return Q(engagement__provider_id=viewer.organization_id)
        return None

    def active(self):
        return self.filter(is_active=True)


class SlaPolicy(models.Model):
    """A set of targets for the tickets in its scope (engagement or internal default, types,
    priorities), measured in business time on its calendar."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    scope = models.CharField(
        _("whose commitment"), max_length=16, choices=Scope.choices, default=Scope.END_TO_END
    )
    engagement = models.ForeignKey(
        "cogest.Engagement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("engagement"),
        help_text=_(
            "Empty: the internal default (end to end: every ticket; per party: internal teams' "
            "OLA). An engagement: its tickets (end to end) or its provider's UC (per party)."
        ),
    )
    ticket_types = ChoiceListField(
        _("ticket types"),
        item_choices=TicketType.choices,
        help_text=_("Empty: every type."),
    )
    priorities = ChoiceListField(
        _("priorities"), item_choices=PRIORITY_CHOICES, help_text=_("Empty: every priority.")
    )
    calendar = models.ForeignKey(
        "cogest.BusinessCalendar",
        on_delete=models.PROTECT,
        related_name="sla_policies",
        verbose_name=_("calendar"),
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warning at (% of the target)"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    pause_reasons = ChoiceListField(
        _("pending reasons that pause the clock"),
        item_choices=PENDING_REASON_CHOICES,
        default=list,
        help_text=_("A ticket pending for one of these reasons stops counting time."),
    )
    precedence = models.PositiveSmallIntegerField(
        _("precedence"),
        default=100,
        help_text=_("Lower first, when several policies match a ticket."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["scope", "precedence", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name

    def matches(self, *, ticket_type: str, priority: int) -> bool:
        return (not self.ticket_types or ticket_type in self.ticket_types) and (
            not self.priorities or priority in self.priorities
        )

    def clean(self):
        for name in ("ticket_types", "priorities", "pause_reasons"):
            field = self._meta.get_field(name)
            try:
                field.validate(getattr(self, name), self)
            except ValidationError as error:
                raise ValidationError({name: error.messages}) from None


class SlaTarget(models.Model):
    """One target of a policy: a metric, optionally for one priority, in business minutes."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("target"), max_length=20, choices=Metric.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        choices=PRIORITY_CHOICES,
        null=True,
        blank=True,
        help_text=_("Empty: every priority the policy covers."),
    )
    minutes = models.PositiveIntegerField(_("business minutes"), validators=[MinValueValidator(1)])
    calendar = models.ForeignKey(
        "cogest.BusinessCalendar",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("calendar"),
        help_text=_("Empty: the policy's calendar."),
    )

    class Meta:
        ordering = ["policy", "metric", "priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "metric", "priority"],
                condition=Q(priority__isnull=False),
                name="sla_target_unique",
            ),
            models.UniqueConstraint(
                fields=["policy", "metric"],
                condition=Q(priority__isnull=True),
                name="sla_target_unique_any_priority",
            ),
        ]

    def __str__(self) -> str:
        priority = f" P{self.priority}" if self.priority else ""
        return f"{self.get_metric_display()}{priority}: {self.minutes} min"

    def clean(self):
        policy = getattr(self, "policy", None)
        if policy is None:
            return
        allowed = END_TO_END_METRICS if policy.scope == Scope.END_TO_END else PARTY_METRICS
        if self.metric not in allowed:
            raise ValidationError(
                {"metric": _("This target does not belong to a policy of this scope.")}
            )
