from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import demo

# Each app that has a demo module seeds its part, in dependency order.
DEMO_MODULES = ("accounts.demo", "notifications.demo", "credit.demo", "appeals.demo")


class Command(BaseCommand):
    help = "Load demo borrowers and staff so a fresh clone shows every situation. Idempotent."

    def handle(self, *args, **options):
        if settings.ENVIRONMENT == "production":
            raise CommandError("seed_demo refuses to run in production.")
        for name in DEMO_MODULES:
            try:
                module = import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            module.seed(stdout=self.stdout)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password: {demo.DEMO_PASSWORD})"))
        for login, situation in demo.describe():
            self.stdout.write(f"  {login:<28} {situation}")
        self.stdout.write(
            f"  Borrower site: {settings.SITE_URL}/   Staff admin: {settings.SITE_URL}/admin/"
        )
