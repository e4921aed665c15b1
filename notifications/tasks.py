"""Thin Celery tasks: ids in, one service call, safe to run twice."""

import time

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(bind=True, name="notifications.deliver", max_retries=None, ignore_result=True)
def deliver(self, notification_id: int) -> str:
    """Deliver one outbox row. A transient error schedules a retry with backoff; if that
    retry message is lost, the relay queues the row again."""
    result = services.notification_deliver(notification_id=notification_id)
    if result.retry_in is not None and not self.request.is_eager:
        # +1 s so the retry never lands a hair before the row's send_after.
        raise self.retry(countdown=result.retry_in + 1)
    return result.outcome


# How long one batch task keeps claiming full batches before it hands over to a new task.
DELIVERY_TASK_BUDGET_SECONDS = 20


@shared_task(bind=True, name="notifications.deliver_due", ignore_result=True)
def deliver_due(self) -> int:
    """Deliver due outbox rows in batches while full batches keep coming (for a while, then
    hand over). Rows put back for a retry get a batch task of their own when the soonest is
    due; if that message is lost, the relay queues them again."""
    started, sent = time.monotonic(), 0
    while True:
        result = services.notifications_deliver_due()
        sent += result.sent
        if result.retry_in is not None and not self.request.is_eager:
            # +1 s so the retry never lands a hair before the row's send_after.
            deliver_due.apply_async(countdown=result.retry_in + 1)
        if result.claimed < settings.NOTIFICATIONS_DELIVERY_BATCH:
            return sent
        out_of_time = time.monotonic() - started > DELIVERY_TASK_BUDGET_SECONDS
        if out_of_time and not self.request.is_eager:  # eager (embedded): drain them all
            deliver_due.apply_async()
            return sent


@shared_task(name="notifications.relay_pending", ignore_result=True)
def relay_pending() -> int:
    """Periodic (config/beat.py): re-queue pending rows that are due and were never run."""
    return services.outbox_relay().queued
