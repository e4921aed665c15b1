"""Thin Celery tasks, safe to run twice (every attempt takes the delivery's row lock)."""

from celery import shared_task

from . import services


@shared_task(name="webhooks.deliver_due", ignore_result=True)
def deliver_due() -> int:
    """Queued when messages are written and run periodically (config/beat.py)."""
    return services.deliveries_run_due().delivered
