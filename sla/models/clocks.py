"""SLA clocks: one per ticket and target, driven by the ticket's domain events (SPEC 2.4)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cogest.querysets import RestrictedQuerySet, Viewer

from .policies import Metric


class Kind(models.TextChoices):
    SLA = "sla", _("SLA (end to end, to the requester)")
    OLA = "ola", _("OLA (an internal team)")
    UC = "uc", _("UC (a provider's underpinning contract)")


class State(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")


class ClockQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Clocks of the tickets the viewer sees. Internal staff see every clock; a provider the
        end-to-end clocks and its own organization's (never another party's OLA or UC); a
        requester the end-to-end clocks. Clocks change only through the SLA services."""
        if action == "change":
            return None
        from tickets.models import Ticket

        tickets = Q(ticket__in=Ticket.objects.restrict(viewer.user, "view").values("pk"))
        if viewer.is_internal and not viewer.is_requester:
            return Q()
        if viewer.is_provider and not viewer.is_requester:
            return tickets & (Q(kind=Kind.SLA) | Q(party_id=viewer.organization_id))
        return tickets & Q(kind=Kind.SLA)

    def running(self):
        return self.filter(state=State.RUNNING)

    def open(self):
        """Clocks still counting or paused (not stopped)."""
        return self.filter(stopped_at__isnull=True)

    def due(self, now):
        """Clocks whose next event (warning or breach) is due: what the sweep reads (indexed)."""
        return self.filter(next_event_at__lte=now)


class Clock(models.Model):
    """The time a ticket has against one target: started, paused, resumed, stopped, and the due
    instant in business time, kept current on every change (SPEC 2.4)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="clocks")
    target = models.CharField(_("target"), max_length=20, choices=Metric.choices)
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    party = models.ForeignKey(
        "cogest.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("party"),
        help_text=_("The organization the clock binds."),
    )
    team = models.ForeignKey(
        "cogest.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("For a party's clock: the team that holds the ticket."),
    )
    policy = models.ForeignKey(
        "sla.SlaPolicy", on_delete=models.PROTECT, related_name="clocks", verbose_name=_("policy")
    )
    calendar = models.ForeignKey(
        "cogest.BusinessCalendar",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("calendar"),
    )
    target_minutes = models.PositiveIntegerField(_("target (business minutes)"))
    warning_percent = models.PositiveSmallIntegerField(_("warning at (%)"), default=75)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RUNNING
    )
    started_at = models.DateTimeField(_("started"))
    # Business seconds counted before ``running_since`` (earlier running stretches).
    elapsed_seconds = models.BigIntegerField(default=0)
    running_since = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    pause_reason = models.CharField(_("pause reason"), max_length=20, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warning due"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    stop_reason = models.CharField(_("stop reason"), max_length=40, blank=True)
    # The earlier of the pending warning and the pending breach, while running: the sweep's key.
    next_event_at = models.DateTimeField(null=True, blank=True)

    objects = ClockQuerySet.as_manager()

    class Meta:
        ordering = ["ticket", "started_at", "id"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            # The sweep: only clocks with something still to happen are in this index.
            models.Index(
                fields=["next_event_at"],
                name="clock_next_event_idx",
                condition=Q(next_event_at__isnull=False),
            ),
            models.Index(fields=["ticket", "target"], name="clock_ticket_target_idx"),
            models.Index(fields=["party", "started_at"], name="clock_party_started_idx"),
            models.Index(fields=["state", "due_at"], name="clock_state_due_idx"),
            # Dashboards count clocks by the period their outcome became known.
            models.Index(
                fields=["stopped_at"],
                name="clock_stopped_idx",
                condition=Q(stopped_at__isnull=False),
            ),
            models.Index(
                fields=["breached_at"],
                name="clock_breached_idx",
                condition=Q(breached_at__isnull=False),
            ),
        ]
        constraints = [
            # One open clock per ticket, target and party at a time.
            models.UniqueConstraint(
                fields=["ticket", "target", "party"],
                condition=Q(stopped_at__isnull=True),
                name="clock_one_open_per_target_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_target_display()} ({self.get_state_display()})"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None and self.paused_at is None


class ClockEvent(models.Model):
    """One thing that happened to a clock (start, pause with its reason, resume, recomputation,
    warning, breach, stop): how the ticket page explains the clock, and what replay checks."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        RECOMPUTED = "recomputed", _("Recomputed")
        WARNED = "warned", _("Warning")
        BREACHED = "breached", _("Breached")
        STOPPED = "stopped", _("Stopped")

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("when"))
    reason = models.CharField(_("why"), max_length=200, blank=True)
    due_at = models.DateTimeField(_("due after it"), null=True, blank=True)
    elapsed_seconds = models.BigIntegerField(_("business seconds counted"), default=0)

    class Meta:
        ordering = ["clock", "at", "id"]
        verbose_name = _("clock event")
        verbose_name_plural = _("clock events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class SlaNotice(models.Model):
    """A warning or a breach of a clock, recorded exactly once (a unique constraint): what the
    sweep publishes and escalation consumes."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACHED = "breached", _("Breached")

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="notices")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("what"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("when"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("SLA notice")
        verbose_name_plural = _("SLA notices")
        constraints = [
            models.UniqueConstraint(fields=["clock", "kind"], name="sla_notice_once"),
        ]
        indexes = [models.Index(fields=["ticket", "kind"], name="sla_notice_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.clock_id}"
