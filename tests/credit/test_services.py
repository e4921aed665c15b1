"""Decisions applied to lines: each outcome, notices, immutability, closures and their holds."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.utils import InternalError

from credit import holds, services
from credit.models import (
    ClosureDeferral,
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionPolicy,
    DecisionReason,
    Scorecard,
    VersionStatus,
)
from tests.credit.factories import at, event, make_line, multi_lending, repayments

pytestmark = pytest.mark.django_db

NOW = at(date(2025, 12, 5), 12)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def clean_line(**kw):
    """Ten months of on-time repayments: the v1 scorecard keeps it (score 810)."""
    line = make_line(opened_at=NOW - timedelta(days=320), **kw)
    repayments(line, first_due=date(2025, 2, 10), count=10)
    return line


def reevaluate(line, trigger="event"):
    summary = services.credit_lines_reevaluate(line_ids=[line.pk], trigger=trigger)
    line.refresh_from_db()
    return summary.decisions[0] if summary.decisions else None


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
    assert line.credit_limit == Decimal("14000.00") and line.status == CreditLineStatus.ACTIVE
    assert decision.reasons_ranked[0].reason_code.code == "external_overdue"
    assert sent_notices[-1]["event"] == "credit.limit_reduced"
    assert reevaluate(line) is None, "the same verdict does not cut the limit again"
    assert line.credit_limit == Decimal("14000.00")


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
    assert line.status == CreditLineStatus.FROZEN
    assert sent_notices[-1]["event"] == "credit.frozen"


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
    # written after commit in this mode, as the nightly run does.
    with django_assert_max_num_queries(16):
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


# --- Immutability ----------------------------------------------------------------------------


def closing_decision():
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    return line, reevaluate(line)


def test_a_decision_cannot_be_changed_or_deleted(clock, sent_notices):
    _, decision = closing_decision()
    decision.score = 999
    with pytest.raises(ValidationError):
        decision.save()
    with pytest.raises(ValidationError):
        decision.delete()
    reason = decision.reasons.first()
    with pytest.raises(ValidationError):
        reason.save()
    assert CreditDecision.objects.get(pk=decision.pk).score == 610


@pytest.mark.postgres
def test_the_database_refuses_to_change_decisions_whatever_the_code_path(clock, sent_notices):
    _, decision = closing_decision()
    for statement in (
        lambda: CreditDecision.objects.filter(pk=decision.pk).update(score=1),
        lambda: CreditDecision.objects.filter(pk=decision.pk).delete(),
        lambda: DecisionReason.objects.filter(decision=decision).update(points_lost=0),
    ):
        with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
            statement()


def test_an_activated_scorecard_or_policy_cannot_change(clock):
    card = Scorecard.objects.get(version=1)
    card.base_points = 1000
    with pytest.raises(ValidationError):
        card.save()
    policy = DecisionPolicy.objects.get(version=1)
    policy.keep_min_score = 0
    with pytest.raises(ValidationError):
        policy.save()
    with pytest.raises(ValidationError):
        services.policy_save_draft(policy=DecisionPolicy.objects.get(version=1))
    with pytest.raises(ValidationError):
        Scorecard.objects.get(version=1).delete()


@pytest.mark.postgres
def test_the_database_refuses_to_change_an_activated_version(clock):
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        Scorecard.objects.filter(version=1).update(base_points=1000)
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        DecisionPolicy.objects.filter(version=1).update(reduce_share=Decimal("0.9"))
    assert connection.vendor == "postgresql"


def test_a_new_version_is_a_draft_copy_edited_then_activated_and_the_old_one_retires(
    clock, staff_user
):
    old = Scorecard.objects.get(version=1)
    draft = services.scorecard_copy_to_draft(source=old)
    assert (draft.version, draft.status) == (2, VersionStatus.DRAFT)
    draft.base_points = 320
    services.scorecard_save_draft(scorecard=draft)
    services.scorecard_activate(scorecard=draft, actor=staff_user)
    old.refresh_from_db()
    draft.refresh_from_db()
    assert (old.status, draft.status) == (VersionStatus.RETIRED, VersionStatus.ACTIVE)
    assert draft.activated_by == staff_user
    draft.base_points = 1
    with pytest.raises(ValidationError):
        draft.save()
    with pytest.raises(ValidationError, match="only a draft"):
        services.scorecard_activate(scorecard=old, actor=staff_user)


def test_new_decisions_record_the_versions_that_made_them(clock, staff_user, sent_notices):
    policy = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    policy.keep_min_score = 900
    policy.reduce_min_score = 890
    services.policy_save_draft(policy=policy)
    services.policy_activate(policy=policy, actor=staff_user)
    decision = reevaluate(clean_line())
    assert decision.policy.version == 2 and decision.outcome == "freeze"


def test_a_draft_with_broken_rules_or_unknown_reason_codes_is_refused(clock):
    draft = services.scorecard_copy_to_draft(source=Scorecard.objects.get(version=1))
    draft.attributes = [{**draft.attributes[0], "reason_code": "no_such_code"}]
    with pytest.raises(ValidationError, match="no_such_code"):
        services.scorecard_save_draft(scorecard=draft)
    draft.attributes = [{"feature": "shoe_size", "reason_code": "x", "bins": []}]
    with pytest.raises(ValidationError, match="unknown feature"):
        services.scorecard_save_draft(scorecard=draft)
    assert Scorecard.objects.get(pk=draft.pk).attributes[0]["feature"] == "on_time_ratio_12m"


# --- Closing when the notice period ends ------------------------------------------------------


def test_the_closure_takes_effect_when_the_notice_period_ends(sent_notices):
    with time_machine.travel(NOW, tick=False):
        line, scheduled = closing_decision()
    with time_machine.travel(NOW + timedelta(days=29), tick=False):
        assert services.credit_lines_close_due().closed == 0
    with time_machine.travel(NOW + timedelta(days=30, minutes=1), tick=False):
        summary = services.credit_lines_close_due()
    line.refresh_from_db()
    assert summary.closed == 1
    assert line.status == CreditLineStatus.CLOSED
    assert line.closing_effective_at is None
    closed = line.decisions.get(outcome=DecisionOutcome.CLOSE)
    assert [r.reason_code_id for r in closed.reasons_ranked] == [
        r.reason_code_id for r in scheduled.reasons_ranked
    ]
    assert sent_notices[-1]["event"] == "credit.closed"


def test_a_registered_hold_keeps_the_line_closing_and_records_why(sent_notices):
    with time_machine.travel(NOW, tick=False):
        line, _ = closing_decision()
        other, _ = closing_decision()
    # A hold of the test's own: replacing the appeals app's `open_appeal` would remove the
    # real one for every later test.
    holds.register("test_hold", lambda ids: {i: "Appeal A-1 is open" for i in ids if i == line.pk})
    try:
        for days in (31, 32):
            with time_machine.travel(NOW + timedelta(days=days), tick=False):
                summary = services.credit_lines_close_due()
    finally:
        holds.unregister("test_hold")
    line.refresh_from_db()
    other.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSING
    assert other.status == CreditLineStatus.CLOSED
    assert summary.held == 1
    deferral = ClosureDeferral.objects.get(line=line)
    assert deferral.hold == "test_hold"
    assert deferral.detail == "Appeal A-1 is open"
    assert deferral.last_deferred_at > deferral.first_deferred_at
    # Once the hold is gone, the next run closes it.
    with time_machine.travel(NOW + timedelta(days=33), tick=False):
        services.credit_lines_close_due()
    line.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSED


def test_a_line_whose_reasons_cleared_is_restored_instead_of_closed(sent_notices):
    with time_machine.travel(NOW, tick=False):
        line, _ = closing_decision()
    for platform in ("PlatformA", "PlatformB", "PlatformC"):
        event(
            line,
            "external_loan_closed",
            NOW + timedelta(days=20),
            platform=platform,
            loan_id=f"{platform}-L1",
        )
    with time_machine.travel(NOW + timedelta(days=31), tick=False):
        summary = services.credit_lines_close_due()
    line.refresh_from_db()
    assert (summary.closed, summary.cleared) == (0, 1)
    assert line.status == CreditLineStatus.ACTIVE


def test_a_closed_line_whose_reasons_no_longer_hold_is_reinstated(sent_notices):
    with time_machine.travel(NOW, tick=False):
        line, _ = closing_decision()
    with time_machine.travel(NOW + timedelta(days=31), tick=False):
        services.credit_lines_close_due()
    for platform in ("PlatformA", "PlatformB", "PlatformC"):
        event(
            line,
            "external_loan_closed",
            NOW + timedelta(days=40),
            platform=platform,
            loan_id=f"{platform}-L1",
        )
    with time_machine.travel(NOW + timedelta(days=41), tick=False):
        decision = reevaluate(line)
    assert decision.outcome == DecisionOutcome.REINSTATE
    assert (decision.old_status, line.status) == ("closed", "active")


# --- Decisions by people and campaigns ----------------------------------------------------------


def test_campaign_freeze_and_system_error_correction(clock, sent_notices, staff_user):
    line = clean_line()
    decision = services.credit_line_decide(
        line=line,
        outcome="freeze",
        trigger="campaign",
        reason_codes=["policy_adjustment"],
        actor=staff_user,
    )
    assert decision.reasons_ranked[0].reason_code.category == "policy_adjustment"
    assert sent_notices[-1]["event"] == "credit.frozen"
    fixed = services.credit_line_decide(
        line=line,
        outcome="reinstate",
        trigger="correction",
        reason_codes=["system_error"],
        actor=staff_user,
    )
    line.refresh_from_db()
    assert line.status == CreditLineStatus.ACTIVE
    assert fixed.actor == staff_user
    assert sent_notices[-1]["event"] == "credit.system_error_corrected"


def test_a_regulatory_closure_has_no_notice_period(clock, sent_notices):
    line = clean_line()
    decision = services.credit_line_decide(
        line=line,
        outcome="schedule_closure",
        trigger="staff",
        reason_codes=["regulatory_requirement"],
    )
    line.refresh_from_db()
    assert decision.outcome == DecisionOutcome.CLOSE
    assert line.status == CreditLineStatus.CLOSED
    assert sent_notices[-1]["event"] == "credit.closed"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "explode", "reason_codes": ["policy_adjustment"]}, "outcome"),
        ({"outcome": "freeze", "reason_codes": []}, "reason_codes"),
        ({"outcome": "freeze", "reason_codes": ["nope"]}, "reason_codes"),
        (
            {
                "outcome": "freeze",
                "reason_codes": [
                    "policy_adjustment",
                    "system_error",
                    "repayment_late",
                    "account_age_short",
                    "bureau_score_low",
                ],
            },
            "reason_codes",
        ),
        (
            {
                "outcome": "reduce_limit",
                "reason_codes": ["policy_adjustment"],
                "new_limit": Decimal("50000"),
            },
            "new_limit",
        ),
        # an active line is "restored" only by raising its limit (an upheld appeal)
        ({"outcome": "reinstate", "reason_codes": []}, "new_limit"),
        (
            {"outcome": "freeze", "reason_codes": ["policy_adjustment"], "trigger": "whim"},
            "trigger",
        ),
    ],
)
def test_bad_manual_decisions_are_refused_and_change_nothing(clock, sent_notices, kwargs, field):
    line = clean_line()
    kwargs = {"trigger": "staff", **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        services.credit_line_decide(line=line, **kwargs)
    assert field in excinfo.value.message_dict
    line.refresh_from_db()
    assert line.status == CreditLineStatus.ACTIVE and line.credit_limit == Decimal("20000.00")
    assert not CreditDecision.objects.exists() and sent_notices == []


# --- Lines from the core system ---------------------------------------------------------------


def test_upsert_creates_an_active_line_then_updates_its_terms(borrower):
    line, created = services.credit_line_upsert(
        borrower=borrower, credit_limit="20000", balance="150.5"
    )
    assert created and line.status == CreditLineStatus.ACTIVE
    assert line.available == Decimal("19849.50")
    again, created = services.credit_line_upsert(
        borrower=borrower, credit_limit="18000.00", balance="0"
    )
    assert not created and again.pk == line.pk
    assert CreditLine.objects.get().credit_limit == Decimal("18000.00")


@pytest.mark.parametrize(
    ("limit", "balance", "field"),
    [("-1", "0", "credit_limit"), ("abc", "0", "credit_limit"), ("100", "-5", "balance")],
)
def test_upsert_refuses_bad_amounts_and_changes_nothing(borrower, limit, balance, field):
    with pytest.raises(ValidationError) as excinfo:
        services.credit_line_upsert(borrower=borrower, credit_limit=limit, balance=balance)
    assert field in excinfo.value.message_dict
    assert not CreditLine.objects.exists()


def test_the_status_cannot_be_set_directly(borrower):
    line, _ = services.credit_line_upsert(borrower=borrower, credit_limit="100", balance="0")
    with pytest.raises(AttributeError):
        line.status = CreditLineStatus.CLOSED


# --- Notices through the real notifications app ---------------------------------------------


def test_every_credit_notice_is_accepted_and_lands_in_the_borrowers_messages(clock, staff_user):
    from notifications.models import Notification

    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    reevaluate(line)  # closure scheduled
    for platform in ("PlatformA", "PlatformB", "PlatformC"):
        event(
            line,
            "external_loan_closed",
            NOW - timedelta(hours=2),
            platform=platform,
            loan_id=f"{platform}-L1",
        )
    reevaluate(line)  # reinstated
    services.credit_line_decide(
        line=line,
        outcome="reduce_limit",
        trigger="staff",
        reason_codes=["policy_adjustment"],
        new_limit=Decimal("9000"),
    )
    services.credit_line_decide(
        line=line, outcome="freeze", trigger="campaign", reason_codes=["policy_adjustment"]
    )
    services.credit_line_decide(
        line=line, outcome="reinstate", trigger="correction", reason_codes=["system_error"]
    )
    services.credit_line_decide(
        line=line,
        outcome="schedule_closure",
        trigger="staff",
        reason_codes=["regulatory_requirement"],
    )
    inbox = Notification.objects.filter(recipient=line.borrower, channel="inbox")
    assert list(inbox.order_by("id").values_list("event", flat=True)) == [
        "credit.closure_scheduled",
        "credit.reinstated",
        "credit.limit_reduced",
        "credit.frozen",
        "credit.system_error_corrected",
        "credit.closed",
    ]
    scheduled = inbox.get(event="credit.closure_scheduled")
    assert scheduled.context["closing_effective_on"] == "2026-01-04"
    assert scheduled.context["appeal_by"] == "2026-02-03"
    assert "2026" in scheduled.body_text


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
