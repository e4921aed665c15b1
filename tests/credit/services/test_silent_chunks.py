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


# --- Campaigns, corrections, shadow runs: resumed by the sweep, then failed ---------------


def test_a_campaign_whose_chunk_is_killed_each_time_is_resumed_then_fails(
    clock, supervisor, monkeypatch
):
    """A chunk killed at the hard limit looks like a lost worker: the sweep resumes the
    campaign. Killed each time, it made no progress for longer than a chunk may live: it
    fails and supervisors are told, instead of being resumed for ever."""
    from credit.models import CampaignState, PolicyCampaign, ReasonCode
    from credit.services import campaigns as campaign_services
    from tests.credit.factories import make_line

    killed = []  # each chunk queued is killed before it commits anything
    monkeypatch.setattr(campaign_services, "_queue_chunk", killed.append)
    lines = [make_line(opened_at=NOW - timedelta(days=400)) for _ in range(3)]
    campaign = services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="Pause dormant lines",
            action="freeze",
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
        ),
        actor=supervisor,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.campaign_start(campaign=campaign, actor=supervisor)
    assert killed == [campaign.pk]

    for minutes in (5, 10, 15, 20):  # the sweep's beat; each resume is killed too
        clock.move_to(NOW + timedelta(minutes=minutes))
        assert services.campaigns_resume_stalled() == 1
    assert len(killed) == 5
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.RUNNING

    clock.move_to(NOW + timedelta(seconds=SILENCE + 1))
    assert tasks.resume_stalled_campaigns() == 1
    assert len(killed) == 5  # not resumed again
    campaign.refresh_from_db()
    assert (campaign.state, campaign.failed_first_line_id) == (CampaignState.FAILED, lines[0].pk)
    assert campaign.error.startswith("TimeLimitExceeded: no progress for over 1200 s")
    told = _failed_told().get(recipient=supervisor, channel="inbox")
    assert "TimeLimitExceeded" in told.body_text
    clock.shift(timedelta(minutes=5))
    assert services.campaigns_resume_stalled() == 0

    # Retried: the sweep gives it the same time again before giving up on it.
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.campaign_retry(campaign=campaign, actor=supervisor)
    clock.shift(timedelta(minutes=10))
    assert services.campaigns_resume_stalled() == 1
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.RUNNING


@pytest.mark.parametrize("kind", ["correction", "shadow"])
def test_a_correction_or_shadow_run_silent_too_long_though_resumed_fails(
    clock, supervisor, monkeypatch, kind
):
    from credit.models import (
        CorrectionState,
        DecisionPolicy,
        Scorecard,
        ShadowRun,
        ShadowState,
        SystemCorrection,
    )
    from credit.services import corrections as correction_services
    from credit.services import shadow as shadow_services
    from tests.credit.services.test_corrections import wrongly_closed

    killed = []
    if kind == "correction":
        wrongly_closed(2)
        monkeypatch.setattr(correction_services, "_queue", killed.append)
        run = services.correction_save_draft(
            correction=SystemCorrection(
                name="Faulty v1 run",
                decided_from=NOW - timedelta(hours=1),
                decided_to=NOW + timedelta(hours=1),
                policy=DecisionPolicy.objects.get(version=1),
            ),
            actor=supervisor,
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.correction_start(correction=run, actor=supervisor)
        sweep, failed = services.corrections_resume_stalled, CorrectionState.FAILED
    else:
        clean_line()
        monkeypatch.setattr(shadow_services, "_queue_chunk", killed.append)
        run = services.shadow_save_draft(
            run=ShadowRun(
                name="Try v1 again",
                scorecard=Scorecard.objects.get(status="active"),
                policy=DecisionPolicy.objects.get(status="active"),
            ),
            actor=supervisor,
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.shadow_start(run=run, actor=supervisor)
        sweep, failed = services.shadow_runs_resume_stalled, ShadowState.FAILED
    assert killed == [run.pk]

    clock.move_to(NOW + timedelta(minutes=10))
    assert sweep() == 1
    assert len(killed) == 2
    clock.move_to(NOW + timedelta(seconds=SILENCE + 1))
    assert sweep() == 1
    assert len(killed) == 2
    run.refresh_from_db()
    assert run.state == failed
    assert run.error.startswith("TimeLimitExceeded: no progress")
    assert _failed_told().filter(recipient=supervisor, channel="inbox").count() == 1
