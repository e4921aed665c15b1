"""A worker killed (SIGKILL) half-way through the nightly re-evaluation: a new worker finishes
the run, including the chunk the dead one held; the nightly task run again and the notice sweep
then change nothing. The run is one batch the circuit breaker decides on as a whole, so at
the kill its chunks are staged and nothing is applied or told yet. Every line that should get a
decision has exactly one, with exactly one notice per channel; no other line has any."""

import os
import signal
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from credit import services, tasks
from credit.models import CreditDecision, CreditLine, CreditLineStatus, EvaluationBatchChunk
from jobs.models import QueuedJob
from notifications.models import Notification
from tests.credit.factories import make_line, multi_lending
from tests.faults.conftest import celery_on, wait_until, worker

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LINES = 120  # lines the nightly run schedules for closure (multi-lending)
STEADY = 10  # lines it leaves as they are
CHUNK = 3
CHUNKS = -(-(LINES + STEADY) // CHUNK)


def _decided() -> int:
    return CreditDecision.objects.filter(trigger="periodic").count()


def test_a_worker_killed_mid_nightly_run_loses_and_doubles_no_decision_or_notice(
    private_redis, settings
):
    now = timezone.now()
    changing = []
    for _ in range(LINES):
        line = make_line(opened_at=now - timedelta(days=320))
        multi_lending(line, start=now - timedelta(days=10))
        changing.append(line.pk)
    steady = [make_line(opened_at=now - timedelta(days=320)).pk for _ in range(STEADY)]
    # This test is about a killed worker, not the circuit breaker: a night that closes most
    # lines would be held by it (tests/credit/services/test_batch_breaker.py), so it is off.
    settings.CREDIT_BREAKER_MIN_LINES = 10**9
    env = {
        "CREDIT_BREAKER_MIN_LINES": str(10**9),
        "CREDIT_REEVALUATION_CHUNK_SIZE": str(CHUNK),
        "NOTIFICATIONS_SMS_BACKEND": "notifications.sms.LocMemSmsBackend",
    }
    broker, cache = private_redis.url(0), private_redis.url(1)

    with celery_on(broker):
        with worker(broker, cache, **env) as first:
            tasks.reevaluate_all_lines.delay()  # what beat sends at 02:30
            wait_until(
                lambda: EvaluationBatchChunk.objects.count() >= CHUNKS // 4,
                what="a quarter of the chunks",
            )
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        killed_at = EvaluationBatchChunk.objects.count()
        assert CHUNKS // 4 <= killed_at < CHUNKS, "the worker was not killed half-way"
        # Staged, not applied: the batch is decided when all its chunks are in.
        assert _decided() == 0
        assert not Notification.objects.filter(event__startswith="credit.").exists()
        # The fan-out was one transaction: every chunk is queued and handed to the broker.
        assert QueuedJob.objects.filter(task="credit.reevaluate_lines").count() == CHUNKS
        assert not QueuedJob.objects.filter(published_at__isnull=True).exists()

        # A new worker takes the chunks still queued and, once the visibility timeout has
        # passed (2 s here, 15 minutes in production), the one the killed worker held.
        with worker(broker, cache, CELERY_VISIBILITY_TIMEOUT="2", **env):
            wait_until(lambda: _decided() >= LINES, seconds=120, what="the rest of the run")

    # The nightly task once more (in this process, eagerly: a rerun by hand), and the hourly
    # notice sweep: neither finds anything left to do.
    tasks.reevaluate_all_lines()
    assert not QueuedJob.objects.filter(published_at__isnull=True).exists()
    services.decision_notices_sweep()

    per_line = Counter(
        CreditDecision.objects.filter(trigger="periodic").values_list("line_id", flat=True)
    )
    assert set(per_line) == set(changing)
    assert set(per_line.values()) == {1}
    assert not CreditDecision.objects.filter(line_id__in=steady).exists()
    assert set(CreditLine.objects.filter(pk__in=changing).values_list("status", flat=True)) == {
        CreditLineStatus.CLOSING
    }
    notices = Counter(
        Notification.objects.filter(event="credit.closure_scheduled").values_list(
            "object_id", "channel"
        )
    )
    decision_ids = {str(pk) for pk in CreditDecision.objects.values_list("pk", flat=True)}
    assert {object_id for object_id, _ in notices} == decision_ids
    assert set(notices.values()) == {1}
    assert set(Counter(channel for _, channel in notices).values()) == {LINES}
