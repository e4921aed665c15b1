"""The circuit breaker on PostgreSQL with a real worker: a deliberately broken policy version is
activated, its re-evaluation batch runs on the worker and is held with nothing applied and
nothing sent to any borrower; released, the decisions apply and the notices go; discarded (in
another test), nothing changes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from credit import services
from credit.models import (
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionPolicy,
    EvaluationBatch,
    EvaluationBatchKind,
    EvaluationBatchState,
    HeldDecision,
    HeldDecisionState,
)
from notifications.models import Notification
from tests.conftest import start_celery_worker, stop_celery_worker, wait_until
from tests.credit.factories import make_line
from tests.factories import StaffFactory

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,  # the worker process must see the test database
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

LINES = 6


def _wait_for(predicate, what: str, timeout: float = 90) -> None:
    wait_until(predicate, what, timeout)


@pytest.fixture
def band(monkeypatch, settings):
    """A band a handful of lines can leave, in this process and in the worker's."""
    for name, value in (("CREDIT_BREAKER_MIN_LINES", 2), ("CREDIT_BREAKER_ABSOLUTE_SHARE", 0.5)):
        monkeypatch.setenv(name, str(value))
        setattr(settings, name, value)
    monkeypatch.setenv("NOTIFICATIONS_SMS_BACKEND", "notifications.sms.LocMemSmsBackend")


@pytest.fixture
def worker(redis_url, band):
    was_eager = app.conf.task_always_eager
    proc, log = start_celery_worker(redis_url, "breaker-worker.log")
    try:
        yield proc
    finally:
        stop_celery_worker(proc, log)
        app.conf.task_always_eager = was_eager


def _activate_broken_version() -> tuple[EvaluationBatch, object]:
    """A policy draft that closes every line (keep only at 900), asked for and approved."""
    supervisor = StaffFactory(role="supervisor")
    policy = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    policy.keep_min_score, policy.reduce_min_score, policy.freeze_min_score = 900, 890, 880
    services.policy_save_draft(policy=policy)
    services.policy_request_activation(policy=policy, actor=StaffFactory(role="supervisor"))
    services.policy_activate(policy=policy, actor=supervisor)
    batch = EvaluationBatch.objects.get(kind=EvaluationBatchKind.ACTIVATION)
    _wait_for(
        lambda: EvaluationBatch.objects.get(pk=batch.pk).state != EvaluationBatchState.RUNNING,
        "the worker to evaluate the batch",
    )
    batch.refresh_from_db()
    return batch, supervisor


def _borrower_notices():
    return Notification.objects.filter(event__startswith="credit.")


def test_a_broken_version_is_held_on_the_worker_then_released_and_the_notices_go(worker):
    lines = [make_line(opened_at=timezone.now()) for _ in range(LINES)]
    batch, supervisor = _activate_broken_version()

    assert batch.state == EvaluationBatchState.HELD
    assert (batch.lines_evaluated, batch.adverse) == (LINES, LINES)
    assert not CreditDecision.objects.exists()
    assert set(CreditLine.objects.values_list("status", flat=True)) == {CreditLineStatus.ACTIVE}
    assert not _borrower_notices().exists()
    assert Notification.objects.filter(event="staff.batch_held").exists()
    # Even the hourly sweep finds nothing to send while the batch is held.
    assert services.decision_notices_sweep() == 0

    services.evaluation_batch_release(batch=batch, actor=supervisor, note="Intended.")
    _wait_for(
        lambda: EvaluationBatch.objects.get(pk=batch.pk).state == EvaluationBatchState.COMPLETED,
        "the released batch to apply",
    )
    ids = {line.pk for line in lines}
    _wait_for(
        lambda: (
            {
                int(i)
                for i in _borrower_notices()
                .filter(event="credit.closure_scheduled")
                .values_list("object_id", flat=True)
            }
            == set(CreditDecision.objects.values_list("pk", flat=True))
        ),
        "every decision's notice",
    )
    assert set(CreditDecision.objects.values_list("line_id", flat=True)) == ids
    assert CreditDecision.objects.count() == LINES
    assert set(CreditLine.objects.values_list("status", flat=True)) == {CreditLineStatus.CLOSING}
    assert set(HeldDecision.objects.values_list("state", flat=True)) == {HeldDecisionState.APPLIED}


def test_a_broken_version_held_on_the_worker_and_discarded_changes_nothing(worker):
    for _ in range(LINES):
        make_line(opened_at=timezone.now())
    batch, supervisor = _activate_broken_version()
    assert batch.state == EvaluationBatchState.HELD

    assert services.evaluation_batch_discard(batch=batch, actor=supervisor) == LINES
    # A retried chunk of the discarded batch, run by the worker, is recorded and not applied.
    from credit.tasks import reevaluate_lines

    result = reevaluate_lines.delay(
        list(CreditLine.objects.values_list("pk", flat=True)), "staff", None, batch.pk
    )
    result.get(timeout=60)
    assert not CreditDecision.objects.exists()
    assert set(CreditLine.objects.values_list("status", flat=True)) == {CreditLineStatus.ACTIVE}
    assert not _borrower_notices().exists()
    assert services.decision_notices_sweep() == 0
    batch.refresh_from_db()
    assert (batch.state, batch.reviewed_by) == (EvaluationBatchState.DISCARDED, supervisor)
    assert set(HeldDecision.objects.values_list("state", flat=True)) == {
        HeldDecisionState.DISCARDED
    }


@pytest.fixture
def chunks_of_two(monkeypatch, settings):
    """Chunks of two lines, in this process (the fan-out) and in the worker's."""
    monkeypatch.setenv("CREDIT_REEVALUATION_CHUNK_SIZE", "2")
    settings.CREDIT_REEVALUATION_CHUNK_SIZE = 2


def test_a_version_adverse_only_in_its_later_chunks_is_held_whole_on_the_worker(
    chunks_of_two, worker
):
    """A broken knock-out closes only young lines, which come last: chunk by chunk the batch
    stays in the band until its last chunk (1 of 4, then 3 of 6 lines). Deciding per chunk
    would have closed and told three borrowers; the batch is held whole, then released."""
    now = timezone.now()
    old = [make_line(opened_at=now - timedelta(days=320)) for _ in range(3)]
    young = [make_line(opened_at=now) for _ in range(5)]
    supervisor = StaffFactory(role="supervisor")
    policy = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    policy.knockouts = [
        *policy.knockouts,
        {
            "name": "broken_young_lines",
            "feature": "account_age_months",
            "op": "lt",
            "value": 6,
            "outcome": "close",
            "reason_code": "account_age_short",
        },
    ]
    services.policy_save_draft(policy=policy)
    services.policy_request_activation(policy=policy, actor=StaffFactory(role="supervisor"))
    services.policy_activate(policy=policy, actor=supervisor)
    batch = EvaluationBatch.objects.get(kind=EvaluationBatchKind.ACTIVATION)
    _wait_for(
        lambda: EvaluationBatch.objects.get(pk=batch.pk).state != EvaluationBatchState.RUNNING,
        "the worker to evaluate the batch",
    )
    batch.refresh_from_db()
    assert (batch.state, batch.lines_evaluated, batch.adverse) == (
        EvaluationBatchState.HELD,
        8,
        5,
    )
    assert batch.chunks.count() == 4
    assert not CreditDecision.objects.exists()
    assert not _borrower_notices().exists()
    assert services.decision_notices_sweep() == 0

    services.evaluation_batch_release(batch=batch, actor=supervisor)
    _wait_for(
        lambda: EvaluationBatch.objects.get(pk=batch.pk).state == EvaluationBatchState.COMPLETED,
        "the released batch to apply",
    )
    assert set(CreditDecision.objects.values_list("line_id", flat=True)) == {
        line.pk for line in young
    }
    _wait_for(
        lambda: _borrower_notices().filter(channel="inbox").count() == len(young),
        "one notice per decision",
    )
    inbox = list(_borrower_notices().filter(channel="inbox").values_list("event", "object_id"))
    assert sorted(inbox) == sorted(
        ("credit.closure_scheduled", str(pk))
        for pk in CreditDecision.objects.values_list("pk", flat=True)
    )
    assert not CreditDecision.objects.filter(line__in=old).exists()
