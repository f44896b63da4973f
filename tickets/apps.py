from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    """Tickets: the lifecycle, comments, attachments, work logs, handoffs and decisions."""

    name = "tickets"
    verbose_name = _("Tickets")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cogest.grants import register_grantable
        from tickets.models import Ticket
        from tickets.routing import connect_cache_invalidation

        connect_cache_invalidation()

        def by_number_or_id(reference: str):
            if reference.isdigit():
                return Ticket.objects.filter(pk=int(reference)).first()
            return Ticket.objects.filter(number=reference.upper()).first()

        register_grantable("ticket", Ticket, by_number_or_id, label=lambda ticket: ticket.number)
