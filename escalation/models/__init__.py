"""Models of the escalation app (SPEC 2.5): rules, their firings, notifications and webhooks."""

from .notifications import Notification
from .preferences import NotificationPreference
from .rules import EscalationEvent, EscalationRule
from .webhooks import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent

__all__ = [
    "DeliveryStatus",
    "EscalationEvent",
    "EscalationRule",
    "Notification",
    "NotificationPreference",
    "Webhook",
    "WebhookDelivery",
    "WebhookEvent",
]
