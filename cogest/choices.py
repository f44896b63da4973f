"""Vocabulary shared by every app: organization kinds, roles, areas, levels, engagement models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    INTERNAL = "internal", _("Internal IT")
    PROVIDER = "provider", _("Provider")


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")
    REQUESTER = "requester", _("Requester")


class FunctionalArea(models.TextChoices):
    SYSTEMS = "systems", _("Systems")
    NETWORKS = "networks", _("Networks")
    DEVICES = "devices", _("Devices")
    CYBERSECURITY = "cybersecurity", _("Cybersecurity")
    APPLICATIONS = "applications", _("Applications")
    BACKUPS = "backups", _("Backups")
    MONITORING = "monitoring", _("Monitoring")


class SupportLevel(models.TextChoices):
    L1 = "L1", "L1"
    L2 = "L2", "L2"
    L3 = "L3", "L3"


class TicketType(models.TextChoices):
    """Declared here because the responsibility matrix routes by type before tickets/ exists."""

    INCIDENT = "incident", _("Incident")
    SERVICE_REQUEST = "service_request", _("Service request")
    PROBLEM = "problem", _("Problem")
    CHANGE = "change", _("Change")


class EngagementModel(models.TextChoices):
    CO_MANAGED = "co_managed", _("Co-managed")
    SHADOW = "shadow", _("Shadow support")
    MANAGED = "managed", _("Fully managed")


class ReviewCadence(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    SEMIANNUAL = "semiannual", _("Every six months")
    ANNUAL = "annual", _("Yearly")


class KpiMetric(models.TextChoices):
    """Metrics an engagement can be held to; the SLA engine computes them."""

    SLA_COMPLIANCE_PCT = "sla_compliance_pct", _("SLA compliance (%)")
    RESPONSE_COMPLIANCE_PCT = "response_compliance_pct", _("First-response compliance (%)")
    MTTA_MINUTES = "mtta_minutes", _("Mean time to acknowledge (business minutes)")
    MTTR_HOURS = "mttr_hours", _("Mean time to resolve (business hours)")
    HANDOFF_ACCEPT_MINUTES = "handoff_accept_minutes", _("Mean time to accept a handoff (minutes)")
    REOPEN_RATE_PCT = "reopen_rate_pct", _("Reopen rate (%)")
    BACKLOG_MAX = "backlog_max", _("Open backlog (tickets)")


# Which way "better" points for each metric: a KPI passes when the figure is on the right side.
KPI_HIGHER_IS_BETTER = {
    KpiMetric.SLA_COMPLIANCE_PCT: True,
    KpiMetric.RESPONSE_COMPLIANCE_PCT: True,
    KpiMetric.MTTA_MINUTES: False,
    KpiMetric.MTTR_HOURS: False,
    KpiMetric.HANDOFF_ACCEPT_MINUTES: False,
    KpiMetric.REOPEN_RATE_PCT: False,
    KpiMetric.BACKLOG_MAX: False,
}


# Short names for dense tables; the full label goes in the tooltip.
KPI_SHORT_LABELS = {
    KpiMetric.SLA_COMPLIANCE_PCT: _("SLA %"),
    KpiMetric.RESPONSE_COMPLIANCE_PCT: _("Response %"),
    KpiMetric.MTTA_MINUTES: _("MTTA min"),
    KpiMetric.MTTR_HOURS: _("MTTR h"),
    KpiMetric.HANDOFF_ACCEPT_MINUTES: _("Accept min"),
    KpiMetric.REOPEN_RATE_PCT: _("Reopen %"),
    KpiMetric.BACKLOG_MAX: _("Backlog"),
}


class AbsenceReason(models.TextChoices):
    VACATION = "vacation", _("Vacation")
    LEAVE = "leave", _("Leave")
    TRAINING = "training", _("Training")
    OTHER = "other", _("Other")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")
