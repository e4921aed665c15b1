"""While a newly activated version's batch has not settled, a line evaluated on its own (its
new events) gets nothing of the unguarded version: no decision, no notice. It waits for the
batch and is evaluated again when the batch settles: released, under the version now
checked; discarded, under the version put back. The events are kept all along."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.urls import reverse

from credit import services
from credit.models import (
    BatchWaitingLine,
    CreditDecision,
    CreditEvent,
    CreditLineStatus,
    DecisionOutcome,
    EvaluationBatch,
    EvaluationBatchKind,
    EvaluationBatchState,
)
from jobs.models import QueuedJob
from tests.credit.conftest import NOW
from tests.credit.factories import multi_lending
from tests.credit.services.support import clean_line
from tests.credit.services.test_batch_breaker import activate, broken_policy
from tests.factories import StaffFactory
from tests.support import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def band(settings):
    settings.CREDIT_BREAKER_MIN_LINES = 2
    settings.CREDIT_BREAKER_ABSOLUTE_SHARE = 0.5


@pytest.fixture
def supervisor(db):
    return StaffFactory(role="supervisor")


def _held_with_events_for(line_count: int, supervisor):
    """Lines, a broken version's batch held by the breaker, then new events for the first
    line and its own evaluation (what ingestion's debounced task runs)."""
    lines = [clean_line() for _ in range(line_count)]
    batch = activate(broken_policy(), supervisor)
    assert batch.state == EvaluationBatchState.HELD
    line = lines[0]
    multi_lending(line, start=NOW - timedelta(days=10))
    events = CreditEvent.objects.filter(line=line).count()
    with TestCase.captureOnCommitCallbacks(execute=True):
        summary = services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    return lines, batch, line, events, summary


def test_an_event_while_the_activation_batch_is_held_applies_nothing_of_the_new_version(
    clock, sent_notices, band, supervisor
):
    lines, batch, line, events, summary = _held_with_events_for(4, supervisor)

    assert summary.changed == 0
    assert not CreditDecision.objects.exists()
    line.refresh_from_db()
    assert line.status == CreditLineStatus.ACTIVE
    assert len(sent_notices) == 0
    (waiting,) = BatchWaitingLine.objects.all()
    assert (waiting.batch_id, waiting.line_id, waiting.trigger, waiting.looked_at) == (
        batch.pk,
        line.pk,
        "event",
        None,
    )
    # Asked again (more events): the line waits once; its events are all kept.
    services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    assert BatchWaitingLine.objects.count() == 1
    assert CreditEvent.objects.filter(line=line).count() == events


def test_released_the_batch_applies_and_the_waiting_line_is_evaluated_again(
    clock, sent_notices, band, supervisor
):
    lines, batch, line, _, _ = _held_with_events_for(4, supervisor)

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.evaluation_batch_release(batch=batch, actor=supervisor)

    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.COMPLETED
    waiting = BatchWaitingLine.objects.get()
    assert waiting.looked_at == NOW
    assert QueuedJob.objects.filter(
        task="credit.request_reevaluation", args=[[line.pk], "event"]
    ).exists()
    # Exactly one decision and one notice per line: the batch's, released; the line's own
    # evaluation after it (now under a checked version) finds nothing more to change.
    assert sorted(CreditDecision.objects.values_list("line_id", flat=True)) == sorted(
        x.pk for x in lines
    )
    assert sorted(n["obj"].line_id for n in sent_notices) == sorted(x.pk for x in lines)
    # Once settled, the version applies line by line as usual: nothing waits any more.
    other = lines[1]
    multi_lending(other, start=NOW - timedelta(days=5))
    services.credit_lines_reevaluate(line_ids=[other.pk], trigger="event")
    assert BatchWaitingLine.objects.count() == 1


def test_discarded_nothing_of_the_version_applies_and_the_line_is_evaluated_under_the_old_one(
    clock, sent_notices, band, supervisor
):
    lines, batch, line, _, _ = _held_with_events_for(4, supervisor)

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.evaluation_batch_discard(batch=batch, actor=supervisor, note="Broken cut-offs.")

    assert BatchWaitingLine.objects.get().looked_at == NOW
    # Only the line with new events changed, and by the version put back (v1): its events
    # (three loans at other platforms) close it under v1 too, with v1's reasons.
    (decision,) = CreditDecision.objects.all()
    assert (decision.line_id, decision.policy.version, decision.trigger) == (line.pk, 1, "event")
    assert decision.outcome == DecisionOutcome.SCHEDULE_CLOSURE
    assert decision.reasons_ranked[0].reason_code.code == "multi_lending_open_loans"
    assert [n["obj"].pk for n in sent_notices] == [decision.pk]
    for other in lines[1:]:
        other.refresh_from_db()
        assert other.status == CreditLineStatus.ACTIVE


def test_no_batch_pending_a_line_is_evaluated_at_once(clock, sent_notices, supervisor):
    """A version whose batch completed (no lines then) leaves every later evaluation alone."""
    activate(broken_policy(), supervisor)
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    assert CreditDecision.objects.filter(line=line).count() == 1
    assert not BatchWaitingLine.objects.exists()


def test_the_held_batch_page_counts_the_lines_waiting_for_it(client, clock, band, supervisor):
    _, batch, _, _, _ = _held_with_events_for(3, supervisor)
    client.cookies["recourse_language"] = "en"
    client.force_login(supervisor)
    page = text(client.get(reverse("admin:credit_evaluationbatch_change", args=[batch.pk])))
    assert "1 credit line had its own evaluation asked for" in page
    assert "evaluated again when the batch is released or discarded" in page
    assert "The nightly re-evaluation does not run while this batch is pending" in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.evaluation_batch_discard(batch=batch, actor=supervisor, note="Broken.")
    page = text(client.get(reverse("admin:credit_evaluationbatch_change", args=[batch.pk])))
    assert "The nightly re-evaluation does not run" not in page


def test_the_nightly_run_does_not_start_while_the_activation_batch_has_not_settled(
    clock, sent_notices, band, supervisor, caplog
):
    """Its chunks carry their own batch: they would evaluate every line under the unchecked
    version, and apply it if that batch alone fell within the band. The night is skipped,
    with a log line; once the activation batch settles, the next night runs as usual."""
    from credit import tasks

    lines, batch, _, _, _ = _held_with_events_for(4, supervisor)
    jobs = QueuedJob.objects.count()

    with caplog.at_level("WARNING", logger="credit.services.activation_guard"):
        assert tasks.reevaluate_all_lines() == 0

    assert not EvaluationBatch.objects.filter(kind=EvaluationBatchKind.NIGHTLY).exists()
    assert QueuedJob.objects.count() == jobs
    assert not CreditDecision.objects.exists()
    assert len(sent_notices) == 0
    assert f"Nightly re-evaluation skipped: activation batch {batch.pk}" in caplog.text

    # Failed (a chunk that did not run) is not settled either.
    EvaluationBatch.objects.filter(pk=batch.pk).update(state=EvaluationBatchState.FAILED)
    assert tasks.reevaluate_all_lines() == 0
    EvaluationBatch.objects.filter(pk=batch.pk).update(state=EvaluationBatchState.HELD)

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.evaluation_batch_discard(batch=batch, actor=supervisor, note="Broken cut-offs.")
    assert tasks.reevaluate_all_lines() >= 1
    assert EvaluationBatch.objects.filter(kind=EvaluationBatchKind.NIGHTLY).count() == 1


def test_a_settled_activation_batch_of_an_older_version_does_not_stop_the_night(
    clock, band, supervisor
):
    """Only the active version's batch counts: a held batch of a version since replaced (by
    hand in the admin) leaves the night alone."""
    from credit import tasks

    _, batch, _, _, _ = _held_with_events_for(2, supervisor)
    EvaluationBatch.objects.filter(pk=batch.pk).update(policy=None, scorecard=None)
    assert tasks.reevaluate_all_lines() >= 1
