"""The notification outbox per channel: rows waiting to be sent and the age of the oldest due."""

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from .models import Notification, Status


def collect():
    now = timezone.now()
    pending = GaugeMetricFamily(
        "recourse_outbox_pending", "Notifications waiting to be sent", labels=["channel"]
    )
    oldest = GaugeMetricFamily(
        "recourse_outbox_oldest_age_seconds",
        "How long the oldest due notification has waited",
        labels=["channel"],
    )
    rows = (
        Notification.objects.filter(
            status__in=[Status.PENDING, Status.SENDING], send_after__lte=now
        )
        .values("channel")
        .annotate(waiting=Count("id"), since=Min("send_after"))
    )
    for row in rows:
        pending.add_metric([row["channel"]], row["waiting"])
        oldest.add_metric([row["channel"]], (now - row["since"]).total_seconds())
    yield from (pending, oldest)
