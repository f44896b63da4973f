from django.core.management.base import BaseCommand, CommandError

from cogest.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero at the first broken event."

    def handle(self, *args, **options):
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"Audit chain BROKEN at event {report.broken_at}: {report.reason} "
                f"({report.checked} events verified before it)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain OK: {report.checked} events verified."))
