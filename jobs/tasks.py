from celery import shared_task

from .services import jobs_relay


@shared_task(name="jobs.relay")
def relay() -> int:
    """Publish queued work the broker missed while it was down (see jobs.services)."""
    return jobs_relay()
