"""The durable after-commit queue: `job_enqueue` in a transaction, publish on commit, relay.

Like the notifications outbox, but for any task: what must happen after an act (an appeal's
automatic review, a line's re-evaluation after new events, a welcome email) is a row written
with the act, never only a message to a broker that may be down. A broker outage therefore
never turns a saved act into an error answer; the work runs once the broker is back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from .models import QueuedJob

logger = logging.getLogger(__name__)

# The relay leaves rows younger than this to the publisher that runs on commit.
RELAY_GRACE = timedelta(minutes=2)
# Published rows are kept this long for the operator to look at, then removed by the relay.
KEEP_PUBLISHED = timedelta(days=7)
RELAY_BATCH = 500
BROKER_ERRORS = (KombuError, RedisError, OSError, TimeoutError)


def job_enqueue(*, task: str, args: Sequence = (), countdown: int = 0) -> QueuedJob:
    """Queue `task(*args)` to run after the caller's transaction commits (nothing if it rolls
    back). Must be called inside a transaction: the row belongs to the act that queues it."""
    job = QueuedJob.objects.create(task=task, args=list(args), countdown=countdown)
    transaction.on_commit(lambda: _publish_after_commit(job.pk))
    return job


def _publish_after_commit(job_id: int) -> None:
    """The act is saved: a database lost now (marking the row, or an eager task) must not
    turn its answer into an error. The row stays unpublished and the relay hands it over."""
    try:
        jobs_publish(job_ids=[job_id])
    except (OperationalError, InterfaceError):
        logger.warning("Job %s not published after commit; the relay will", job_id, exc_info=True)


def jobs_publish(*, job_ids: Sequence[int]) -> int:
    """Hand these rows to the broker, each at most once per call; returns how many went.

    A broker error is logged and counted on the row, never raised: the relay tries again.
    An error of the task itself (eager mode runs it here) is not a broker error and is raised.
    """
    sent = 0
    for job in QueuedJob.objects.filter(pk__in=job_ids, published_at__isnull=True):
        try:
            # Nobody waits for a queued job's result: publishing must not subscribe to the
            # result store, whose lost connection Celery reports as a RuntimeError.
            _task(job.task).apply_async(
                args=job.args, countdown=job.countdown or None, ignore_result=True
            )
        except BROKER_ERRORS as exc:
            QueuedJob.objects.filter(pk=job.pk).update(
                attempts=job.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            logger.warning("Could not queue %s; the relay will retry", job, exc_info=True)
            continue
        QueuedJob.objects.filter(pk=job.pk).update(published_at=timezone.now())
        sent += 1
    return sent


def _task(name: str):
    """The registered task by name; the apps' task modules are imported on first need."""
    from celery import current_app

    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def jobs_relay(*, now=None) -> int:
    """Publish what the broker never got (rows older than the grace), oldest first, and
    forget rows published more than a week ago. Returns how many were published."""
    now = now or timezone.now()
    QueuedJob.objects.filter(published_at__lt=now - KEEP_PUBLISHED).delete()
    due = list(
        QueuedJob.objects.filter(published_at__isnull=True, created_at__lte=now - RELAY_GRACE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:RELAY_BATCH]
    )
    return jobs_publish(job_ids=due) if due else 0
