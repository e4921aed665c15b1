"""Re-evaluating lines: each outcome the engine plans, batches, and their notices."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from credit import services
from credit.models import (
    CreditDecision,
    CreditLineStatus,
    DecisionOutcome,
)
from tests.credit.conftest import NOW
from tests.credit.factories import event, make_line, multi_lending, repayments
from tests.credit.services.support import clean_line, reevaluate

pytestmark = pytest.mark.django_db


def test_a_clean_line_is_kept_and_gets_no_decision(clock, sent_notices):
    line = clean_line()
    assert reevaluate(line) is None
    assert line.status == CreditLineStatus.ACTIVE
    assert not CreditDecision.objects.exists()
    assert sent_notices == []


def test_reduce_limit_cuts_the_limit_once_and_tells_the_borrower(clock, sent_notices):
    line = clean_line(credit_limit="20000.00")
    # One loan elsewhere (-35), one application (-20): 755 ... plus a 45-day overdue (-70) = 685.
    event(
        line,
        "external_loan_opened",
        NOW - timedelta(days=5),
        platform="A",
        loan_id="1",
        amount="2000",
    )
    event(line, "external_loan_application", NOW - timedelta(days=6), platform="A")
    event(
        line,
        "external_overdue",
        NOW - timedelta(days=40),
        days_past_due=45,
        amount="500",
        platform="B",
    )
    decision = reevaluate(line)
    assert decision.outcome == DecisionOutcome.REDUCE_LIMIT
    assert (decision.old_limit, decision.new_limit) == (Decimal("20000.00"), Decimal("14000.00"))
    # The policy's notice period: the borrower is told now, the limit changes on the date.
    assert decision.effective_at == NOW + timedelta(days=30)
    assert line.credit_limit == Decimal("20000.00") and line.status == CreditLineStatus.ACTIVE
    assert (line.scheduled_change, line.scheduled_limit) == ("reduce_limit", Decimal("14000.00"))
    assert decision.reasons_ranked[0].reason_code.code == "external_overdue"
    assert sent_notices[-1]["event"] == "credit.limit_reduced"
    assert reevaluate(line) is None, "the same verdict does not schedule the cut again"
    assert line.credit_limit == Decimal("20000.00")
    # Taking effect on the date: tests/credit/services/test_scheduled_changes.py.


def test_freeze_pauses_the_line(clock, sent_notices):
    line = clean_line()
    # Two open loans elsewhere (-80), two applications (-40) -> 690? plus 1-day overdue (-40) = 650
    # ... tuned: loans 2 (-80) + 1 application (-20) + overdue 10 days (-40) = 670: pause band.
    for i in range(2):
        event(
            line,
            "external_loan_opened",
            NOW - timedelta(days=50 + i),
            platform=f"P{i}",
            loan_id="1",
            amount="1000",
        )
    event(line, "external_loan_application", NOW - timedelta(days=3), platform="P0")
    event(
        line,
        "external_overdue",
        NOW - timedelta(days=30),
        days_past_due=10,
        amount="200",
        platform="P1",
    )
    decision = reevaluate(line)
    assert decision.score == 670
    assert decision.outcome == DecisionOutcome.FREEZE
    assert line.status == CreditLineStatus.ACTIVE and line.scheduled_change == "freeze"
    assert sent_notices[-1]["event"] == "credit.frozen"
    assert decision.effective_at == NOW + timedelta(days=30)


def test_schedule_closure_sets_the_notice_period_and_records_everything(clock, sent_notices):
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=14))
    decision = reevaluate(line)
    assert decision.outcome == DecisionOutcome.SCHEDULE_CLOSURE
    assert line.status == CreditLineStatus.CLOSING
    assert line.closing_effective_at == NOW + timedelta(days=30)
    assert decision.closing_effective_at == line.closing_effective_at
    assert decision.scorecard.version == 1 and decision.policy.version == 1
    assert decision.features["open_external_loans"] == 3
    assert decision.score == 610
    assert (decision.old_status, decision.new_status) == ("active", "closing")
    assert [r.rank for r in decision.reasons_ranked] == [1, 2, 3, 4]
    assert [r.reason_code.code for r in decision.reasons_ranked][:2] == [
        "multi_lending_open_loans",
        "multi_lending_applications",
    ]
    notice = sent_notices[-1]
    assert notice["event"] == "credit.closure_scheduled"
    assert notice["obj"] == decision
    assert notice["context"]["closing_effective_on"] == "2026-01-04"


def test_knock_out_serious_overdue_schedules_closure_first_reason_first(clock, sent_notices):
    line = clean_line()
    event(
        line,
        "external_overdue",
        NOW - timedelta(days=3),
        days_past_due=92,
        amount="9000",
        platform="X",
    )
    decision = reevaluate(line)
    assert decision.outcome == DecisionOutcome.SCHEDULE_CLOSURE
    first = decision.reasons_ranked[0]
    assert (first.reason_code.code, first.knockout) == ("external_overdue_serious", True)
    assert "serious_overdue_elsewhere" in decision.note


def test_knock_out_expired_identity_pauses_and_reverification_restores(clock, sent_notices):
    line = clean_line()
    event(line, "identity_expired", NOW - timedelta(days=1), document="id_card")
    decision = reevaluate(line)
    assert decision.outcome == DecisionOutcome.FREEZE
    assert decision.reasons_ranked[0].reason_code.category == "regulatory"
    event(line, "income_verified", NOW - timedelta(hours=1), monthly_income="12000.00")
    restored = reevaluate(line)
    assert restored.outcome == DecisionOutcome.REINSTATE
    assert list(restored.reasons.all()) == []
    assert sent_notices[-1]["event"] == "credit.reinstated"


def test_knock_out_too_many_open_loans_elsewhere(clock, sent_notices):
    line = make_line(opened_at=NOW - timedelta(days=1000))
    repayments(line, first_due=date(2024, 12, 10), count=12)
    for i in range(6):
        event(
            line,
            "external_loan_opened",
            NOW - timedelta(days=200 + i),
            platform=f"P{i}",
            loan_id="1",
            amount="100",
        )
    decision = reevaluate(line)
    # A long clean history would soften a score closure, never a knock-out.
    assert decision.outcome == DecisionOutcome.SCHEDULE_CLOSURE
    assert decision.reasons_ranked[0].reason_code.code == "multi_lending_excessive"


def test_long_clean_history_gets_a_reduction_instead_of_a_closure(clock, sent_notices):
    line = make_line(opened_at=NOW - timedelta(days=1000), credit_limit="30000.00")
    repayments(line, first_due=date(2024, 12, 10), count=12)
    multi_lending(line, start=NOW - timedelta(days=14))
    decision = reevaluate(line)
    assert decision.outcome == DecisionOutcome.REDUCE_LIMIT
    assert decision.new_limit == Decimal("15000.00")
    assert "long_clean_history" in decision.note


def test_a_campaign_pause_is_not_lifted_by_a_re_evaluation(clock, sent_notices):
    line = clean_line()
    services.credit_line_decide(
        line=line, outcome="freeze", trigger="campaign", reason_codes=["policy_adjustment"]
    )
    assert reevaluate(line) is None
    assert line.status == CreditLineStatus.FROZEN


def test_only_changed_lines_produce_decisions_in_a_batch(clock, sent_notices):
    lines = [clean_line() for _ in range(5)]
    multi_lending(lines[2], start=NOW - timedelta(days=10))
    summary = services.credit_lines_reevaluate(line_ids=[x.pk for x in lines], trigger="periodic")
    assert summary.evaluated == 5
    assert summary.changed == 1
    assert CreditDecision.objects.get().line_id == lines[2].pk


def test_batch_reads_and_writes_in_a_constant_number_of_queries(
    clock, sent_notices, django_assert_max_num_queries
):
    lines = [clean_line() for _ in range(3)]
    for line in lines:
        multi_lending(line, start=NOW - timedelta(days=10))
    services.credit_lines_reevaluate(line_ids=[lines[0].pk], trigger="periodic")
    more = [clean_line() for _ in range(12)]
    for line in more:
        multi_lending(line, start=NOW - timedelta(days=10))
    # The batch's own reads and writes; its notices (real ones, one per changed line) are
    # written after commit in this mode, as the nightly run does. The webhook outbox adds a
    # constant few per batch (line counters, messages, endpoints, customer ids); the monitoring
    # tally one INSERT, and the audit trail one INSERT for all the batch's decisions; the
    # scheduled re-evaluations ("by time alone" dates) one DELETE and one INSERT.
    with django_assert_max_num_queries(24):
        summary = services.credit_lines_reevaluate(
            line_ids=[x.pk for x in lines + more],
            trigger="periodic",
            notice_mode=services.NOTICES_DEFERRED,
        )
    assert summary.changed == 14


def test_reevaluating_one_line_returns_its_decision(clock, sent_notices):
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    decision = services.credit_line_reevaluate(line=line, trigger="appeal")
    assert decision.trigger == "appeal"
    assert line.status == CreditLineStatus.CLOSING
    assert services.credit_line_reevaluate(line=line, trigger="appeal") is None


def test_unknown_trigger_is_refused(clock):
    with pytest.raises(ValueError, match="trigger"):
        services.credit_lines_reevaluate(line_ids=[], trigger="whim")


def test_a_line_that_changed_while_it_was_being_scored_is_evaluated_again_under_its_lock(
    clock, sent_notices, monkeypatch
):
    from credit import selectors

    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    stale = selectors.lines_for_evaluation([line.pk])  # read before another worker acted
    reevaluate(line)  # the other worker schedules the closure
    assert line.status == CreditLineStatus.CLOSING

    real = selectors.lines_for_evaluation
    calls = []

    def first_read_is_stale(ids, *, lock=False):
        calls.append(lock)
        return stale if not lock else real(ids, lock=lock)

    monkeypatch.setattr(selectors, "lines_for_evaluation", first_read_is_stale)
    summary = services.credit_lines_reevaluate(line_ids=[line.pk], trigger="periodic")
    assert calls == [False, True]
    assert summary.changed == 0
    assert line.decisions.count() == 1
