"""Thin Celery tasks: ids in, one service call, safe to run twice."""

from celery import shared_task

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


@shared_task(name="notifications.relay_pending", ignore_result=True)
def relay_pending() -> int:
    """Periodic (config/beat.py): re-queue pending rows that are due and were never run."""
    return services.outbox_relay().queued
