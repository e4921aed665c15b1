"""A chunk killed at the hard time limit never reports its failure (its process is killed, so
`on_failure` never runs, and the message is acknowledged, never handed over again). The
stalled-run sweep notices a running batch silent for longer than any chunk may live and fails
its missing chunks as the task's failure handler would; a chunk that ran after all, or that
a lost worker's broker handed over again, is never failed or counted twice."""

from datetime import timedelta

import pytest
from django.test import TestCase, override_settings

from credit import services, tasks
from credit.models import (
    CreditDecision,
    EvaluationBatch,
    EvaluationBatchFailure,
    EvaluationBatchKind,
    EvaluationBatchState,
)
from jobs.models import QueuedJob
from tests.credit.conftest import NOW
from tests.credit.services.support import clean_line
from tests.credit.services.test_batch_failures import _failed_told, in_band  # noqa: F401
from tests.factories import StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_band", "english")]

HARD_LIMIT, VISIBILITY, MARGIN = 600, 900, 300
SILENCE = VISIBILITY + MARGIN  # the longer of the two, plus the margin


@pytest.fixture
def supervisor(db):
    return StaffFactory(role="supervisor")


@pytest.fixture
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def limits():
    with override_settings(
        CELERY_TASK_TIME_LIMIT=HARD_LIMIT,
        CELERY_VISIBILITY_TIMEOUT=VISIBILITY,
        CREDIT_CHUNK_SILENCE_MARGIN=MARGIN,
    ):
        yield


def _queued_batch(supervisor, lines=4):
    """A closing policy activated; its batch's chunks (of two lines) queued and handed to the
    broker, none run yet (the worker runs them below, one by one)."""
    from credit.models import DecisionPolicy

    made = [clean_line() for _ in range(lines)]
    policy = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    policy.keep_min_score, policy.reduce_min_score, policy.freeze_min_score = 900, 890, 880
    services.policy_save_draft(policy=policy)
    services.policy_request_activation(policy=policy, actor=StaffFactory(role="supervisor"))
    services.policy_activate(policy=policy, actor=supervisor)  # its callbacks never run
    batch = EvaluationBatch.objects.get(kind=EvaluationBatchKind.ACTIVATION)
    jobs = QueuedJob.objects.filter(task="credit.reevaluate_lines").order_by("id")
    jobs.update(published_at=NOW)  # what the relay does
    return made, batch, [job.args for job in jobs]


def _run(args):
    """The chunk's task on a worker, to the end."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        tasks.reevaluate_lines(*args)


def test_a_batch_whose_chunk_was_killed_fails_once_silent_for_longer_than_a_chunk_may_live(
    clock, sent_notices, supervisor
):
    lines, batch, (first, second) = _queued_batch(supervisor)
    _run(first)  # the second chunk's process is killed at the hard limit: no word from it

    # Past the hard limit, and past the broker's hand-over of a lost worker's chunk, the
    # batch may still hear from it: nothing yet.
    clock.shift(timedelta(seconds=SILENCE - 1))
    assert services.silent_chunks_fail() == 0
    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.RUNNING

    clock.shift(timedelta(seconds=2))
    assert tasks.resume_stalled_campaigns() == 1  # the sweep beat runs
    batch.refresh_from_db()
    assert (batch.state, batch.failed_at) == (
        EvaluationBatchState.FAILED,
        NOW + timedelta(seconds=SILENCE + 1),
    )
    (failure,) = EvaluationBatchFailure.objects.filter(batch=batch)
    assert (failure.first_line_id, failure.lines, failure.task_args) == (
        lines[2].pk,
        2,
        second,
    )
    assert failure.error.startswith("TimeLimitExceeded: no word from this chunk")
    told = _failed_told().get(recipient=supervisor, channel="inbox")
    assert f"#{lines[2].pk} (+1)" in told.body_text and "TimeLimitExceeded" in told.body_text
    # Nothing of the batch applied, nobody told; the next sweep does not fail it again.
    assert not CreditDecision.objects.exists() and not sent_notices
    clock.shift(timedelta(minutes=5))
    assert services.silent_chunks_fail() == 0
    assert _failed_told().filter(channel="inbox", recipient=supervisor).count() == 1

    # The supervisor's retry: the sweep gives the chunk time again, then it runs.
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.evaluation_batch_retry_failed(batch=batch, actor=supervisor)
    clock.shift(timedelta(seconds=SILENCE - 1))
    assert services.silent_chunks_fail() == 0
    _run(second)
    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.COMPLETED
    assert sorted(CreditDecision.objects.values_list("line_id", flat=True)) == sorted(
        x.pk for x in lines
    )
    assert sorted(n["obj"].line_id for n in sent_notices) == sorted(x.pk for x in lines)


def test_a_retried_chunk_silent_again_fails_again(clock, supervisor):
    _, batch, (first, _) = _queued_batch(supervisor)
    _run(first)
    clock.shift(timedelta(seconds=SILENCE + 1))
    assert services.silent_chunks_fail() == 1
    services.evaluation_batch_retry_failed(batch=batch, actor=supervisor)
    clock.shift(timedelta(seconds=SILENCE + 1))
    assert services.silent_chunks_fail() == 1
    assert EvaluationBatchFailure.objects.get(batch=batch).failures == 2
    assert _failed_told().filter(channel="inbox", recipient=supervisor).count() == 2


def test_a_chunk_redelivered_after_a_kill_that_then_succeeds_is_never_failed_or_counted_twice(
    clock, sent_notices, supervisor
):
    """The first chunk ran twice (its worker was killed after the work, and the broker handed
    it over again 15 minutes later); the second ran only when handed over again. Neither is
    failed, and each line is decided and told once."""
    lines, batch, (first, second) = _queued_batch(supervisor)
    _run(first)
    clock.shift(timedelta(seconds=VISIBILITY + 30))
    _run(first)
    _run(second)
    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.COMPLETED
    assert batch.lines_evaluated == 4
    clock.shift(timedelta(seconds=SILENCE + 1))
    assert services.silent_chunks_fail() == 0
    assert not EvaluationBatchFailure.objects.exists() and not _failed_told().exists()
    assert CreditDecision.objects.count() == 4 == len(sent_notices)


def test_a_chunk_that_runs_after_the_sweep_failed_it_resolves_the_failure(
    clock, sent_notices, supervisor
):
    """A chunk that ran late after all (handed over after the sweep gave up on it): counted
    once, its failure resolved, and the breaker decides the whole batch as usual."""
    lines, batch, (first, second) = _queued_batch(supervisor)
    _run(first)
    clock.shift(timedelta(seconds=SILENCE + 1))
    assert services.silent_chunks_fail() == 1
    _run(second)
    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.COMPLETED
    assert EvaluationBatchFailure.objects.get(batch=batch).resolved_at is not None
    assert CreditDecision.objects.count() == 4 == len(sent_notices)


def test_a_batch_still_making_progress_is_left_alone(clock, supervisor):
    """A long batch: its chunks wait in the queue behind the others; while any chunk checks
    in, none is failed, however long ago they were handed over."""
    _, batch, (first, _) = _queued_batch(supervisor)
    clock.shift(timedelta(seconds=SILENCE + 1))
    _run(first)  # checks in late, but checks in
    assert services.silent_chunks_fail() == 0
    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.RUNNING
