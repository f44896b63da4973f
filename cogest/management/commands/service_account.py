from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cogest.context import acting
from cogest.models import Organization
from cogest.services import service_account_create, service_account_revoke


class Command(BaseCommand):
    help = (
        "Create an integration's service account and print its API token, or revoke one. "
        "Examples: service_account create zabbix --organization internal --role agent; "
        "service_account revoke zabbix"
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "revoke"])
        parser.add_argument("name")
        parser.add_argument("--organization", help="organization slug (create)")
        parser.add_argument("--role", default="agent", choices=["agent", "manager"])

    def handle(self, *args, action, name, organization=None, role="agent", **options):
        with acting(request_id="service_account"):
            try:
                if action == "create":
                    org = Organization.objects.filter(slug=organization or "").first()
                    if org is None:
                        raise CommandError("--organization must be an organization slug.")
                    _user, token = service_account_create(
                        name=name, organization=org, role=role, by=None
                    )
                    self.stdout.write(token.key)
                else:
                    user = get_user_model().objects.filter(username=name).first()
                    if user is None:
                        raise CommandError(f"No account named {name}.")
                    service_account_revoke(user=user, by=None)
                    self.stdout.write(self.style.SUCCESS(f"{name}: token deleted, deactivated."))
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
