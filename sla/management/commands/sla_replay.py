"""``manage.py sla_replay``: recompute clocks from the event log and report any difference."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from sla.models import Clock
from sla.replay import replay_tickets


class Command(BaseCommand):
    help = (
        "Recompute SLA clocks from the audit trail (nothing is saved) and list every difference "
        "with the stored clocks. Exit status 1 when there is one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ticket", type=int, action="append", help="Ticket id (repeatable).")
        parser.add_argument(
            "--since", help="Only tickets whose clocks started on or after this date (ISO)."
        )

    def handle(self, *args, **options):
        tickets = Clock.objects.values_list("ticket_id", flat=True).distinct().order_by()
        if options["ticket"]:
            tickets = tickets.filter(ticket_id__in=options["ticket"])
        if options["since"]:
            since = parse_date(options["since"])
            if since is None:
                raise CommandError("--since takes a date such as 2026-11-01.")
            tickets = tickets.filter(started_at__date__gte=since)
        ids = sorted(set(tickets))
        differences = 0
        for difference in replay_tickets(ids):
            differences += 1
            self.stdout.write(str(difference))
        summary = f"{len(ids)} tickets replayed, {differences} differences."
        if differences:
            self.stdout.write(self.style.ERROR(summary))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(summary))
