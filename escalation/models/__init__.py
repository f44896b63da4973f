"""Models of the escalation app (SPEC 2.5): rules, their firings, and in-app notifications."""

from .notifications import Notification
from .rules import EscalationEvent, EscalationRule

__all__ = ["EscalationEvent", "EscalationRule", "Notification"]
