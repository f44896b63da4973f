from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "SLA"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cogest.events import subscribe
        from sla import services
        from sla.businesstime import connect_cache_invalidation
        from tickets import events

        connect_cache_invalidation()
        services.connect_cache_invalidation()
        # The clocks move with the ticket, in its transaction (SPEC 2.4: driven by events).
        subscribe(events.TicketCreated, services.on_ticket_created)
        subscribe(events.TicketStatusChanged, services.on_status_changed)
        subscribe(events.TicketPriorityChanged, services.on_priority_changed)
        subscribe(events.TicketHandedOff, services.on_handed_off)
        subscribe(events.HandoffAccepted, services.on_handoff_accepted)
        subscribe(events.HandoffRejected, services.on_handoff_rejected)
        subscribe(events.TicketAssigned, services.on_assigned)
        subscribe(events.CommentAdded, services.on_comment_added)
