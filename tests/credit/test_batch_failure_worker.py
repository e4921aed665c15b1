"""A chunk failing every retry on PostgreSQL with a real worker: the database refuses one line's
staged decision (a trigger raising a serialization failure, which the task retries with
backoff), so after its retries the chunk fails for good. The batch is marked failed with the
chunk and the error, nothing is applied or told, supervisors are told; the fault removed, a
supervisor's retry runs the chunk on the worker and every line gets exactly one decision and
one notice."""

import pytest
from django.db import connection
from django.utils import timezone

from config.celery import app
from credit import services
from credit.models import (
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionPolicy,
    EvaluationBatch,
    EvaluationBatchFailure,
    EvaluationBatchKind,
    EvaluationBatchState,
    HeldDecision,
)
from notifications.models import Notification
from tests.conftest import start_celery_worker, stop_celery_worker, wait_until
from tests.credit.factories import make_line
from tests.factories import StaffFactory

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,  # the worker process must see the test database; the fault is a trigger
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

LINES = 4


def _wait_for(predicate, what: str, timeout: float = 150) -> None:
    wait_until(predicate, what, timeout)


@pytest.fixture
def settings_for_both(monkeypatch, settings):
    """Chunks of two and a band nothing leaves, in this process and in the worker's."""
    for name, value in (("CREDIT_REEVALUATION_CHUNK_SIZE", 2), ("CREDIT_BREAKER_MIN_LINES", 1000)):
        monkeypatch.setenv(name, str(value))
        setattr(settings, name, value)
    monkeypatch.setenv("NOTIFICATIONS_SMS_BACKEND", "notifications.sms.LocMemSmsBackend")
    # The worker queues what it starts (a task's retry, the notices) on the broker, as in
    # production: the test settings would run them eagerly inside the worker, where a retry
    # is a nested call whose error rejects the message instead of retrying it.
    monkeypatch.setenv("CELERY_TASK_ALWAYS_EAGER", "false")


@pytest.fixture
def worker(redis_url, settings_for_both):
    was_eager = app.conf.task_always_eager
    proc, log = start_celery_worker(redis_url, "batch-failure-worker.log")
    try:
        yield proc
    finally:
        stop_celery_worker(proc, log)
        app.conf.task_always_eager = was_eager


@pytest.fixture
def refused_line():
    """A trigger refusing to stage a decision for one line (set by the test), as a database
    under strain refuses a transaction: SQLSTATE 40001, which Django raises as OperationalError."""
    table = HeldDecision._meta.db_table
    target = {}

    def refuse(line_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE OR REPLACE FUNCTION guards_refuse_line() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.line_id = {int(line_id)} THEN "
                "RAISE EXCEPTION 'could not serialize access for line %', NEW.line_id "
                "USING ERRCODE = '40001'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER guards_refuse_line BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION guards_refuse_line()"
            )
        target["line"] = line_id

    def heal() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS guards_refuse_line ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS guards_refuse_line()")

    refuse.heal = heal
    try:
        yield refuse
    finally:
        heal()


def _borrower_notices():
    return Notification.objects.filter(event__startswith="credit.")


def test_a_chunk_failing_every_retry_on_the_worker_fails_the_batch_then_a_retry_applies_it(
    worker, refused_line
):
    lines = [make_line(opened_at=timezone.now()) for _ in range(LINES)]
    refused_line(lines[3].pk)  # in the second chunk
    supervisor = StaffFactory(role="supervisor")
    policy = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    policy.keep_min_score, policy.reduce_min_score, policy.freeze_min_score = 900, 890, 880
    services.policy_save_draft(policy=policy)
    services.policy_request_activation(policy=policy, actor=StaffFactory(role="supervisor"))
    services.policy_activate(policy=policy, actor=supervisor)
    batch = EvaluationBatch.objects.get(kind=EvaluationBatchKind.ACTIVATION)

    _wait_for(
        lambda: EvaluationBatch.objects.get(pk=batch.pk).state == EvaluationBatchState.FAILED,
        "the chunk's retries to be spent",
    )
    batch.refresh_from_db()
    assert batch.lines_evaluated == 2
    (failure,) = EvaluationBatchFailure.objects.filter(batch=batch)
    assert (failure.first_line_id, failure.lines) == (lines[2].pk, 2)
    assert failure.error.startswith("OperationalError: could not serialize access for line")
    assert not CreditDecision.objects.exists()
    assert set(CreditLine.objects.values_list("status", flat=True)) == {CreditLineStatus.ACTIVE}
    assert not _borrower_notices().exists()
    assert Notification.objects.filter(event="staff.batch_failed", recipient=supervisor).exists()

    refused_line.heal()
    services.evaluation_batch_retry_failed(batch=batch, actor=supervisor)
    _wait_for(
        lambda: EvaluationBatch.objects.get(pk=batch.pk).state == EvaluationBatchState.COMPLETED,
        "the retried chunk and the batch to apply",
    )
    _wait_for(
        lambda: (
            {int(i) for i in _borrower_notices().values_list("object_id", flat=True)}
            == set(CreditDecision.objects.values_list("pk", flat=True))
        ),
        "every decision's notice",
    )
    assert sorted(CreditDecision.objects.values_list("line_id", flat=True)) == sorted(
        line.pk for line in lines
    )
    notices = _borrower_notices().filter(channel="inbox")
    assert sorted(int(i) for i in notices.values_list("object_id", flat=True)) == sorted(
        CreditDecision.objects.values_list("pk", flat=True)
    )
    failure.refresh_from_db()
    assert failure.resolved_at is not None and failure.retried_by == supervisor
