from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationConfig(AppConfig):
    """Escalation rules, shadow support and notifications (SPEC 2.5)."""

    name = "escalation"
    verbose_name = _("Escalation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cogest.events import subscribe
        from escalation import services, shadow, webhooks
        from sla.events import SlaBreached, SlaWarning
        from tickets import events
        from tickets.routing import register_router

        shadow.connect_cache_invalidation()
        services.connect_cache_invalidation()
        subscribe(events.TicketCreated, services.on_ticket_created)
        subscribe(events.TicketStatusChanged, services.on_status_changed)
        # SLA warnings and breaches: read from their notices by the escalation sweep.
        # Generic outbound webhooks: each organization hears what it may see (escalation.webhooks).
        webhooks.connect_cache_invalidation()
        for event_type in (
            events.TicketCreated,
            events.TicketStatusChanged,
            events.TicketAssigned,
            events.TicketHandedOff,
            events.HandoffAccepted,
            events.HandoffRejected,
            events.CommentAdded,
            SlaWarning,
            SlaBreached,
        ):
            subscribe(event_type, webhooks.on_event)
        # The CMDB's people: runbook versions to acknowledge, reviews due, proposals to decide.
        from escalation import cmdb_notify

        cmdb_notify.connect()
        # While a shadow engagement is active, new tickets in its scope go to its provider.
        register_router(shadow.route_to_shadow)
