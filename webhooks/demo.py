"""A demo endpoint, registered but disabled (nothing listens in the embedded mode), so the
admin shows the outbox filling with what the demo's decisions and appeals sent."""

from django.db import transaction

from .models import WebhookEndpoint, WebhookMessage
from .services import deliveries_replay, endpoint_create

DEMO_URL = "http://127.0.0.1:9/core-system/webhooks"


@transaction.atomic
def seed(stdout=None) -> int:
    if WebhookEndpoint.objects.filter(url=DEMO_URL).exists():
        return 0
    endpoint = endpoint_create(url=DEMO_URL, description="Core system (demo; not listening)")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason="Demo: enable it once a receiver listens here."
    )
    endpoint.refresh_from_db()
    # The other apps' demos ran first: give the endpoint what they sent, to show the backlog.
    waiting = deliveries_replay(
        endpoint=endpoint, messages=WebhookMessage.objects.values_list("pk", flat=True)
    )
    if stdout is not None:
        stdout.write(f"webhooks: a demo endpoint (disabled) with {waiting} messages waiting")
    return 1
