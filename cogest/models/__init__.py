"""Core domain: organizations, people, teams, engagements, the matrix and the audit trail."""

from .audit import AuditEvent
from .calendars import BusinessCalendar, CalendarHoliday, CalendarInterval
from .engagements import Absence, Engagement, ResponsibilityRule
from .grants import AccessGrant, GrantKind, GrantLevel, GrantStatus
from .organizations import Organization, Team, UserProfile
from .outbox import OutboxMessage

__all__ = [
    "AccessGrant",
    "GrantKind",
    "GrantLevel",
    "GrantStatus",
    "Absence",
    "AuditEvent",
    "BusinessCalendar",
    "CalendarHoliday",
    "CalendarInterval",
    "Engagement",
    "Organization",
    "OutboxMessage",
    "ResponsibilityRule",
    "Team",
    "UserProfile",
]
