"""The ticket itself, the record of which teams held it, numbering and saved views."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cogest.choices import FunctionalArea, SupportLevel
from tickets.choices import (
    OPEN_STATUSES,
    TRANSITIONS,
    Level,
    PendingReason,
    ResolutionCode,
    Source,
    Status,
    TicketType,
)
from tickets.querysets import SavedViewQuerySet, TicketQuerySet


class Ticket(models.Model):
    """A piece of support work: an incident, a request, a problem or a change."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    type = models.CharField(_("type"), max_length=20, choices=TicketType.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    impact = models.CharField(
        _("impact"), max_length=8, choices=Level.choices, default=Level.MEDIUM
    )
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Level.choices, default=Level.MEDIUM
    )
    priority = models.PositiveSmallIntegerField(_("priority"), default=3)
    functional_area = models.CharField(
        _("functional area"), max_length=20, choices=FunctionalArea.choices
    )
    support_level = models.CharField(
        _("support level"), max_length=2, choices=SupportLevel.choices, default=SupportLevel.L1
    )
    team = models.ForeignKey(
        "cogest.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requested_tickets",
        verbose_name=_("requester"),
    )
    engagement = models.ForeignKey(
        "cogest.Engagement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("engagement"),
    )
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        related_name="tickets",
        blank=True,
        verbose_name=_("affected CIs"),
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="watched_tickets",
        blank=True,
        verbose_name=_("watchers"),
    )
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.WEB
    )
    pending_reason = models.CharField(
        _("pending reason"), max_length=12, choices=PendingReason.choices, blank=True
    )
    resolution_code = models.CharField(
        _("resolution code"), max_length=16, choices=ResolutionCode.choices, blank=True
    )
    resolution = models.TextField(_("resolution"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "-id"], name="ticket_status_idx"),
            models.Index(fields=["team", "status", "-id"], name="ticket_team_status_idx"),
            models.Index(fields=["assignee", "status", "-id"], name="ticket_assignee_status_idx"),
            models.Index(fields=["requester", "-id"], name="ticket_requester_idx"),
            models.Index(fields=["priority", "-id"], name="ticket_priority_idx"),
            models.Index(fields=["functional_area", "-id"], name="ticket_area_idx"),
            models.Index(fields=["-updated_at"], name="ticket_updated_idx"),
            models.Index(fields=["status", "resolved_at"], name="ticket_autoclose_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4), name="ticket_priority_1_4"
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | ~Q(pending_reason=""),
                name="ticket_pending_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def allowed_transitions(self) -> list[str]:
        """The statuses this ticket may move to next, in workflow order."""
        allowed = TRANSITIONS[self.status]
        return [s for s in Status.values if s in allowed]


class TicketCounter(models.Model):
    """The last number used per prefix (SQLite; PostgreSQL uses one sequence per prefix)."""

    prefix = models.CharField(max_length=8, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket counter")

    def __str__(self) -> str:
        return f"{self.prefix}: {self.value}"


class TicketHolding(models.Model):
    """A team held the ticket from–to: providers see what their teams held now or before, and
    SLA attribution reads who held it when."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="holdings")
    team = models.ForeignKey("cogest.Team", on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        "cogest.Organization", on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "started_at"]
        indexes = [
            models.Index(fields=["organization", "ticket"], name="holding_org_ticket_idx"),
            # Timed escalation ("unassigned for"): current holdings that started in a window.
            models.Index(
                fields=["started_at"],
                name="holding_current_started_idx",
                condition=Q(ended_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(ended_at__isnull=True), name="one_current_holding"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} held by {self.team_id}"


class SavedView(models.Model):
    """A person's named ticket-list filter (a query string), shown beside the list."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_ticket_views"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_view_name_per_user"),
        ]

    def __str__(self) -> str:
        return self.name
