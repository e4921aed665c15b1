from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import demo
from config.discovery import project_app_modules


class Command(BaseCommand):
    help = "Load demo borrowers and staff so a fresh clone shows every situation. Idempotent."

    def handle(self, *args, **options):
        if settings.ENVIRONMENT == "production":
            raise CommandError("seed_demo refuses to run in production.")
        # Each project app with a `demo` module seeds its part, in INSTALLED_APPS order, which
        # puts an app after the ones it builds on (accounts, notifications, credit, appeals).
        for _app, module in project_app_modules("demo"):
            module.seed(stdout=self.stdout)
        demo.seed_later_acceptances(stdout=self.stdout)
        demo.seed_data_rights(stdout=self.stdout)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password: {demo.DEMO_PASSWORD})"))
        for login, situation in demo.describe():
            self.stdout.write(f"  {login:<28} {situation}")
        self.stdout.write(
            f"  Borrower site: {settings.SITE_URL}/   Staff admin: {settings.SITE_URL}/admin/"
        )
