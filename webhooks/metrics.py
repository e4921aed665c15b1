"""Webhook backlog per endpoint: pending deliveries and the age of the oldest."""

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from .models import DeliveryStatus, WebhookEndpoint


def collect():
    backlog = GaugeMetricFamily(
        "recourse_webhook_backlog", "Deliveries not yet made, per endpoint", labels=["endpoint"]
    )
    oldest = GaugeMetricFamily(
        "recourse_webhook_oldest_age_seconds",
        "Age of the oldest message still to deliver, per endpoint",
        labels=["endpoint"],
    )
    active = GaugeMetricFamily(
        "recourse_webhook_endpoint_active", "1 when the endpoint is enabled", labels=["endpoint"]
    )
    pending = Q(deliveries__status=DeliveryStatus.PENDING)
    now = timezone.now()
    for endpoint in WebhookEndpoint.objects.annotate(
        waiting=Count("deliveries", filter=pending),
        since=Min("deliveries__message__created_at", filter=pending),
    ):
        label = [str(endpoint.pk)]
        backlog.add_metric(label, endpoint.waiting)
        oldest.add_metric(label, (now - endpoint.since).total_seconds() if endpoint.since else 0)
        active.add_metric(label, 1 if endpoint.is_active else 0)
    yield from (backlog, oldest, active)
