from django.core.management.base import BaseCommand

from notifications.services import outbox_relay


class Command(BaseCommand):
    help = (
        "Queue pending email/SMS notifications that are due (lost tasks, retries, SMS held for "
        "quiet hours). Beat runs this every minute; use it by hand in the embedded mode."
    )

    def handle(self, *args, **options):
        result = outbox_relay()
        self.stdout.write(
            f"{result.queued} notification(s) queued, "
            f"{result.abandoned} stuck in sending marked failed."
        )
