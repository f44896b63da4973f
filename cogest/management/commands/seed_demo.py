import importlib
import importlib.util

from django.core.management.base import BaseCommand

from cogest.context import acting

# Layer order (STYLE.md): each app's demo.py may use what the apps to its left seeded. ``sla`` and
# ``escalation`` seed their configuration (policies, rules) before ``tickets`` plays the demo
# stories — it needs nothing of tickets —, so the stories' clocks run and their rules fire; each
# app's ``finish`` runs once every app has seeded.
DEMO_APPS = ["cogest", "cmdb", "sla", "escalation", "tickets"]


class Command(BaseCommand):
    help = "Create or refresh the demo world of SPEC 6 (idempotent). Password: cogest-demo."

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets",
            type=int,
            default=0,
            help="Add N more realistic tickets quickly (bulk), for benchmarks.",
        )

    def handle(self, *args, **options):
        world = None
        seeded = []
        with acting(request_id="seed_demo"):
            for app in DEMO_APPS:
                try:
                    module = importlib.import_module(f"{app}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app}.demo":
                        raise
                    continue
                world = module.seed(world)
                seeded.append(module)
                self.stdout.write(f"  seeded {app}")
            for module in seeded:
                if hasattr(module, "finish"):
                    module.finish(world)
            if options["tickets"]:
                extra = importlib.util.find_spec("tickets.demo")
                if extra is None:
                    self.stderr.write("--tickets needs the tickets app's demo seeder; skipped.")
                else:
                    importlib.import_module("tickets.demo").seed_bulk(options["tickets"], world)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo world ready. Users: admin, ana, ivan, marta, pablo, lucia, sam, rita "
                "(password: cogest-demo)."
            )
        )
