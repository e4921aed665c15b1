"""The circuit breaker on the nightly re-evaluation and on a newly activated version: a batch
whose adverse share leaves the band is held (decisions staged, nothing applied, no borrower
told, supervisors told); a supervisor sees it by reason code and segment, then releases it
(the decisions apply and the notices go) or discards it (nothing changes). Both recorded."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.utils import timezone, translation

from credit import selectors, services, tasks
from credit.engine import breaker as rules
from credit.models import (
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionPolicy,
    DecisionReview,
    EvaluationBatch,
    EvaluationBatchKind,
    EvaluationBatchState,
    HeldDecision,
    HeldDecisionState,
)
from notifications.models import Notification
from tests.credit.conftest import NOW
from tests.credit.factories import multi_lending
from tests.credit.services.support import KEY_CUSTOMER_SEGMENT, clean_line
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):  # the refusals are matched in English
        yield


@pytest.fixture
def band(settings):
    settings.CREDIT_BREAKER_MIN_LINES = 2
    settings.CREDIT_BREAKER_ABSOLUTE_SHARE = 0.5
    settings.CREDIT_BREAKER_MULTIPLE = 3


@pytest.fixture
def supervisor(db):
    return StaffFactory(role="supervisor")


def broken_policy(**changes):
    """A draft that closes every line (keep only at 900+): the deliberate mistake."""
    policy = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    policy.keep_min_score, policy.reduce_min_score, policy.freeze_min_score = 900, 890, 880
    for name, value in changes.items():
        setattr(policy, name, value)
    services.policy_save_draft(policy=policy)
    services.policy_request_activation(policy=policy, actor=StaffFactory(role="supervisor"))
    return policy


def activate(policy, supervisor):
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.policy_activate(policy=policy, actor=supervisor)
    return EvaluationBatch.objects.get(kind=EvaluationBatchKind.ACTIVATION)


def test_a_broken_version_trips_the_breaker_and_nothing_is_applied_or_told(
    clock, sent_notices, band, supervisor
):
    lines = [clean_line() for _ in range(4)]
    agent = StaffFactory(role="agent")
    batch = activate(broken_policy(), supervisor)

    assert (batch.state, batch.held_because) == (
        EvaluationBatchState.HELD,
        rules.TOO_MANY_LINES,
    )
    assert (batch.lines_evaluated, batch.adverse) == (4, 4)
    assert not CreditDecision.objects.exists()
    assert set(CreditLine.objects.values_list("status", flat=True)) == {CreditLineStatus.ACTIVE}
    assert len(sent_notices) == 0
    staged = HeldDecision.objects.filter(batch=batch, state=HeldDecisionState.STAGED)
    assert {h.line_id for h in staged} == {line.pk for line in lines}
    told = Notification.objects.filter(event="staff.batch_held")
    assert supervisor.pk in set(told.values_list("recipient", flat=True))
    assert agent.pk not in set(told.values_list("recipient", flat=True))
    # What the supervisor sees: what would change, by outcome and segment, and by reason.
    summary = services.held_batch_summary(batch)
    assert summary["by_segment"] == [
        {"outcome": DecisionOutcome.SCHEDULE_CLOSURE, "segment": "", "lines": 4}
    ]
    assert dict(summary["by_reason"]) == {
        "account_age_short": 4,
        "income_unverified": 4,
        "bureau_score_missing": 4,
    }


def test_a_released_batch_applies_its_decisions_and_the_notices_go(
    clock, sent_notices, band, supervisor
):
    lines = [clean_line() for _ in range(4)]
    batch = activate(broken_policy(), supervisor)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.evaluation_batch_release(batch=batch, actor=supervisor, note="Checked: intended.")
    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.COMPLETED
    assert (batch.reviewed_by, batch.reviewed_at, batch.review_note) == (
        supervisor,
        NOW,
        "Checked: intended.",
    )
    assert set(CreditLine.objects.values_list("status", flat=True)) == {CreditLineStatus.CLOSING}
    decisions = CreditDecision.objects.all()
    assert {d.line_id for d in decisions} == {line.pk for line in lines}
    assert {d.policy.version for d in decisions} == {2}
    assert set(HeldDecision.objects.values_list("state", flat=True)) == {HeldDecisionState.APPLIED}
    assert sorted(n["event"] for n in sent_notices) == ["credit.closure_scheduled"] * 4
    # Each decision carries what would change it, worked out when it was staged.
    held = dict(HeldDecision.objects.values_list("line_id", "counterfactuals"))
    for decision in decisions:
        assert decision.counterfactuals and decision.counterfactuals == held[decision.line_id]
    # Releasing again is refused.
    with pytest.raises(ValidationError, match="Only a held batch"):
        services.evaluation_batch_release(batch=batch, actor=supervisor)


def test_a_discarded_batch_changes_nothing_and_later_chunks_are_discarded_too(
    clock, sent_notices, band, supervisor
):
    lines = [clean_line() for _ in range(4)]
    batch = activate(broken_policy(), supervisor)
    assert (
        services.evaluation_batch_discard(batch=batch, actor=supervisor, note="Wrong cut-offs") == 4
    )
    batch.refresh_from_db()
    assert (batch.state, batch.reviewed_by) == (EvaluationBatchState.DISCARDED, supervisor)
    # A chunk of the same batch that turns up late (a retried task) is recorded, not applied.
    late = clean_line()
    services.credit_lines_reevaluate(line_ids=[late.pk], trigger="staff", batch_id=batch.pk)
    assert not CreditDecision.objects.exists()
    assert set(CreditLine.objects.values_list("status", flat=True)) == {CreditLineStatus.ACTIVE}
    assert set(HeldDecision.objects.values_list("state", flat=True)) == {
        HeldDecisionState.DISCARDED
    }
    assert len(sent_notices) == 0
    assert len(lines) == 4


def test_a_released_line_that_changed_meanwhile_is_not_touched(
    clock, sent_notices, band, supervisor
):
    lines = [clean_line() for _ in range(4)]
    batch = activate(broken_policy(), supervisor)
    services.credit_line_decide(
        line=lines[0],
        outcome=DecisionOutcome.FREEZE,
        trigger="staff",
        reason_codes=["policy_adjustment"],
        actor=supervisor,
        note="Paused by hand while the batch was held.",
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.evaluation_batch_release(batch=batch, actor=supervisor)
    lines[0].refresh_from_db()
    assert lines[0].status == CreditLineStatus.FROZEN
    assert HeldDecision.objects.get(line=lines[0]).state == HeldDecisionState.STALE
    assert CreditDecision.objects.filter(line=lines[0]).count() == 1


def test_the_nightly_run_is_a_batch_held_when_out_of_band(clock, sent_notices, band, supervisor):
    for _ in range(4):
        clean_line()
    policy = broken_policy()
    services.policy_activate(policy=policy, actor=supervisor)  # its own batch never runs here
    EvaluationBatch.objects.all().delete()
    with TestCase.captureOnCommitCallbacks(execute=True):  # the chunks are queued work
        tasks.reevaluate_all_lines()
    batch = EvaluationBatch.objects.get()
    assert (batch.kind, batch.state, batch.lines_total) == (
        EvaluationBatchKind.NIGHTLY,
        EvaluationBatchState.HELD,
        4,
    )
    assert not CreditDecision.objects.exists()
    assert len(sent_notices) == 0


def test_a_nightly_run_within_the_band_applies_as_before(clock, sent_notices, band):
    lines = [clean_line() for _ in range(4)]
    multi_lending(lines[0], start=NOW - timedelta(days=10))
    with TestCase.captureOnCommitCallbacks(execute=True):
        tasks.reevaluate_all_lines()
    batch = EvaluationBatch.objects.get()
    assert (batch.state, batch.lines_evaluated, batch.adverse) == (
        EvaluationBatchState.COMPLETED,
        4,
        1,
    )
    assert CreditDecision.objects.get().line_id == lines[0].pk
    assert [n["event"] for n in sent_notices] == ["credit.closure_scheduled"]
    # Staged first like every batch's decisions, applied once the whole batch was in band.
    staged = HeldDecision.objects.get()
    assert (staged.state, staged.decision) == (
        HeldDecisionState.APPLIED,
        CreditDecision.objects.get(),
    )


def test_a_key_customer_in_a_released_batch_goes_to_review_not_straight_to_closure(
    clock, sent_notices, band, supervisor
):
    lines = [clean_line() for _ in range(4)]
    services.credit_lines_key_customer_set(line_ids=[lines[0].pk], key_customer=True)
    batch = activate(broken_policy(segments=[KEY_CUSTOMER_SEGMENT]), supervisor)
    assert batch.state == EvaluationBatchState.HELD
    assert services.held_batch_summary(batch)["by_segment"][-1] == {
        "outcome": DecisionOutcome.SCHEDULE_CLOSURE,
        "segment": "key_customer",
        "lines": 1,
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.evaluation_batch_release(batch=batch, actor=supervisor)
    lines[0].refresh_from_db()
    assert lines[0].status == CreditLineStatus.ACTIVE
    assert DecisionReview.objects.get().line_id == lines[0].pk
    assert HeldDecision.objects.get(line=lines[0]).state == HeldDecisionState.REVIEW
    assert CreditDecision.objects.count() == 3
    assert len(sent_notices) == 3


def test_a_nightly_run_far_above_the_trailing_rate_is_held_even_under_the_absolute_share(
    clock, sent_notices, settings
):
    settings.CREDIT_BREAKER_MIN_LINES = 2
    settings.CREDIT_BREAKER_ABSOLUTE_SHARE = 0.9
    settings.CREDIT_BREAKER_MULTIPLE = 3
    lines = [clean_line() for _ in range(10)]
    # One adverse decision in the last 30 days over 10 lines: a trailing rate of 0.1.
    multi_lending(lines[0], start=NOW - timedelta(days=20))
    services.credit_lines_reevaluate(
        line_ids=[lines[0].pk], trigger="event", now=NOW - timedelta(days=10)
    )
    for line in lines[1:5]:
        multi_lending(line, start=NOW - timedelta(days=10))
    with TestCase.captureOnCommitCallbacks(execute=True):  # the chunks are queued work
        tasks.reevaluate_all_lines()
    batch = EvaluationBatch.objects.get()
    # 4 of 10 (0.4) is under the 0.9 absolute share but above 3 x 0.1.
    assert (batch.trailing_rate, batch.adverse) == (0.1, 4)
    assert (batch.state, batch.held_because) == (
        EvaluationBatchState.HELD,
        rules.ABOVE_TRAILING_RATE,
    )
    assert CreditDecision.objects.count() == 1
    assert len(sent_notices) == 1  # the decision of 10 days ago, nothing from tonight


# --- The breaker decides for the whole batch, once every chunk is in ---------------------------


@pytest.fixture
def later_chunks_adverse(clock, settings):
    """Ten lines in chunks of two. Line 1 is adverse (its chunk alone would be too few lines to
    hold), lines 7-10 are adverse: the batch leaves the band only in its last chunks (5 of 10
    over a 30% share), after lines 1-6 were evaluated."""
    settings.CREDIT_REEVALUATION_CHUNK_SIZE = 2
    settings.CREDIT_BREAKER_MIN_LINES = 2
    settings.CREDIT_BREAKER_ABSOLUTE_SHARE = 0.3
    lines = [clean_line() for _ in range(10)]
    adverse = [lines[0], *lines[6:]]
    for line in adverse:
        multi_lending(line, start=NOW - timedelta(days=10))
    return lines, adverse


def _nightly():
    with TestCase.captureOnCommitCallbacks(execute=True):  # the chunks are queued work
        tasks.reevaluate_all_lines()
    return EvaluationBatch.objects.get(kind=EvaluationBatchKind.NIGHTLY)


def test_a_batch_adverse_only_in_its_later_chunks_is_held_whole_nothing_applied_or_told(
    later_chunks_adverse, sent_notices, supervisor
):
    lines, adverse = later_chunks_adverse
    batch = _nightly()
    assert (batch.state, batch.held_because) == (EvaluationBatchState.HELD, rules.TOO_MANY_LINES)
    assert (batch.lines_evaluated, batch.adverse, batch.chunks.count()) == (10, 5, 5)
    # Not even the first chunk's closure (decided while the batch was still in band) applied.
    assert not CreditDecision.objects.exists()
    assert set(CreditLine.objects.values_list("status", flat=True)) == {CreditLineStatus.ACTIVE}
    assert len(sent_notices) == 0
    assert services.decision_notices_sweep() == 0
    assert set(
        HeldDecision.objects.filter(state=HeldDecisionState.STAGED).values_list("line", flat=True)
    ) == {line.pk for line in adverse}
    told = Notification.objects.filter(event="staff.batch_held", recipient=supervisor)
    assert told.filter(channel="inbox").count() == 1  # once, when the last chunk was in


def test_releasing_it_applies_every_staged_decision_and_each_notice_goes_once(
    later_chunks_adverse, sent_notices, supervisor
):
    lines, adverse = later_chunks_adverse
    batch = _nightly()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.evaluation_batch_release(batch=batch, actor=supervisor, note="Looked: right.")
    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.COMPLETED
    assert set(CreditDecision.objects.values_list("line_id", flat=True)) == {
        line.pk for line in adverse
    }
    assert CreditDecision.objects.count() == 5
    assert sorted(n["event"] for n in sent_notices) == ["credit.closure_scheduled"] * 5
    # A retried apply task, the stalled-run sweep and the hourly notice sweep add nothing.
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.evaluation_batch_apply(batch_id=batch.pk) is True
        assert services.evaluation_batches_resume_released() == 0
    assert services.decision_notices_sweep() == 0
    assert CreditDecision.objects.count() == 5
    assert len(sent_notices) == 5


def test_discarding_it_changes_nothing_and_tells_no_borrower(
    later_chunks_adverse, sent_notices, supervisor
):
    batch = _nightly()
    assert services.evaluation_batch_discard(batch=batch, actor=supervisor, note="Feed bug") == 5
    assert not CreditDecision.objects.exists()
    assert set(CreditLine.objects.values_list("status", flat=True)) == {CreditLineStatus.ACTIVE}
    assert len(sent_notices) == 0
    assert set(HeldDecision.objects.values_list("state", flat=True)) == {
        HeldDecisionState.DISCARDED
    }


def test_a_chunk_run_twice_is_counted_once_so_the_batch_is_decided_on_every_chunk(
    clock, sent_notices, settings
):
    """A worker lost after a chunk committed: the chunk runs again. Counted twice, the batch
    would look complete (and be decided) before its last chunk was in."""
    settings.CREDIT_BREAKER_MIN_LINES = 2
    settings.CREDIT_BREAKER_ABSOLUTE_SHARE = 0.3
    lines = [clean_line() for _ in range(4)]
    for line in lines[2:]:
        multi_lending(line, start=NOW - timedelta(days=10))
    batch = services.evaluation_batch_start(kind="nightly", name="Night", trigger="periodic")
    first = [lines[0].pk, lines[1].pk]
    for _ in range(2):
        services.credit_lines_reevaluate(line_ids=first, trigger="periodic", batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.lines_evaluated) == (EvaluationBatchState.RUNNING, 2)
    services.credit_lines_reevaluate(
        line_ids=[lines[2].pk, lines[3].pk], trigger="periodic", batch_id=batch.pk
    )
    batch.refresh_from_db()
    assert (batch.state, batch.lines_evaluated, batch.adverse) == (
        EvaluationBatchState.HELD,
        4,
        2,
    )
    assert not CreditDecision.objects.exists()
    assert len(sent_notices) == 0


# --- Discarding the batch of a newly activated version --------------------------------------


def test_discarding_an_activation_batch_puts_the_replaced_version_back_and_audits_it(
    clock, sent_notices, band, supervisor
):
    from audit.models import AuditEntry

    for _ in range(4):
        clean_line()
    v1 = DecisionPolicy.objects.get(version=1)
    broken = broken_policy()
    batch = activate(broken, supervisor)
    assert (batch.policy, batch.replaced_policy, batch.scorecard) == (broken, v1, None)
    services.evaluation_batch_discard(batch=batch, actor=supervisor, note="Wrong cut-offs")
    broken.refresh_from_db()
    v1.refresh_from_db()
    assert (v1.status, broken.status) == ("active", "retired")
    assert selectors.active_rules().policy == v1
    acts = list(
        AuditEntry.objects.filter(kind="credit.rule_version", actor=supervisor)
        .order_by("id")
        .values_list("object_id", "summary")
    )
    assert acts[-2:] == [
        (str(broken.pk), f"retired: its batch {batch.pk} was discarded: decisionpolicy v2"),
        (str(v1.pk), f"active again: the batch {batch.pk} of v2 was discarded: decisionpolicy v1"),
    ]
    # Tomorrow's nightly run decides under v1: the clean lines stay as they are.
    with TestCase.captureOnCommitCallbacks(execute=True):
        tasks.reevaluate_all_lines()
    nightly = EvaluationBatch.objects.get(kind=EvaluationBatchKind.NIGHTLY)
    assert (nightly.state, nightly.adverse) == (EvaluationBatchState.COMPLETED, 0)
    assert not CreditDecision.objects.exists()
    assert len(sent_notices) == 0


def test_discarding_an_old_activation_batch_leaves_a_version_activated_since(
    clock, sent_notices, band, supervisor
):
    for _ in range(4):
        clean_line()
    broken = broken_policy()
    batch = activate(broken, supervisor)
    later = broken_policy(keep_min_score=600, reduce_min_score=590, freeze_min_score=580)
    services.policy_activate(policy=later, actor=supervisor)
    services.evaluation_batch_discard(batch=batch, actor=supervisor)
    later.refresh_from_db()
    assert later.status == "active"
    assert DecisionPolicy.objects.get(version=1).status == "retired"


def _told_by_recipient() -> dict[int, str]:
    """What each supervisor was told of a held batch, every channel's subject and text."""
    told: dict[int, str] = {}
    for notice in Notification.objects.filter(event="staff.batch_held"):
        told[notice.recipient_id] = (
            told.get(notice.recipient_id, "") + notice.subject + "\n" + notice.body_text + "\n"
        )
    return told


def test_each_supervisor_reads_a_held_batch_by_its_name_in_their_own_language(
    clock, sent_notices, band
):
    chinese = StaffFactory(role="supervisor", preferred_language="zh-hans")
    english = StaffFactory(role="supervisor", preferred_language="en")
    for _ in range(4):
        clean_line()
    policy = broken_policy()
    batch = activate(policy, english)
    assert batch.state == EvaluationBatchState.HELD
    told = _told_by_recipient()
    assert f"决策策略 v{policy.version} 已启用" in told[chinese.pk]
    assert "activated" not in told[chinese.pk]
    assert f"Decision policy v{policy.version} activated" in told[english.pk]
    # The name the batch was given stays as it was: the record of what ran.
    assert batch.name == f"Decision policy v{policy.version} activated"


def test_a_held_nightly_run_is_named_in_each_supervisors_language(clock, sent_notices, band):
    chinese = StaffFactory(role="supervisor", preferred_language="zh-hans")
    english = StaffFactory(role="supervisor", preferred_language="en")
    for _ in range(4):
        clean_line()
    services.policy_activate(policy=broken_policy(), actor=english)  # its batch never runs here
    EvaluationBatch.objects.all().delete()
    with TestCase.captureOnCommitCallbacks(execute=True):
        tasks.reevaluate_all_lines()
    day = f"{timezone.localdate():%Y-%m-%d}"
    told = _told_by_recipient()
    assert f"{day} 夜间重新评估" in told[chinese.pk]
    assert "Nightly" not in told[chinese.pk]
    assert f"Nightly re-evaluation {day}" in told[english.pk]
    batch = EvaluationBatch.objects.get()
    assert batch.state == EvaluationBatchState.HELD
    with translation.override("zh-hans"):
        assert str(batch) == f"{day} 夜间重新评估"
