"""Closing lines when the notice period ends, unless held or cleared; postponing a closure
(only later, only while closing, recorded as a decision)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from credit import holds, services
from credit.models import (
    ClosureDeferral,
    CreditDecision,
    CreditLineStatus,
    DecisionOutcome,
    DecisionTrigger,
)
from credit.services import credit_line_postpone_closure
from tests.credit.conftest import NOW
from tests.credit.factories import event
from tests.credit.services.support import closing_decision, reevaluate
from tests.credit.story import active_line, closing_line
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


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


# --- Postponing a closure (after an appeal is denied) ---


def test_a_closing_line_is_postponed_and_the_change_is_recorded(sent_notices):
    line = closing_line()
    scheduled = line.decisions.first()
    actor = StaffFactory()
    new_date = line.closing_effective_at + timedelta(days=10)
    sent_before = len(sent_notices)
    decision = credit_line_postpone_closure(
        line=line, effective_at=new_date, actor=actor, note="appeal denied"
    )
    line.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSING
    assert line.closing_effective_at == new_date
    assert decision.trigger == DecisionTrigger.APPEAL
    assert (decision.old_status, decision.new_status) == ("closing", "closing")
    assert decision.closing_effective_at == new_date
    assert decision.actor == actor
    assert "appeal denied" in decision.note and "postponed" in decision.note
    assert [r.reason_code_id for r in decision.reasons_ranked] == [
        r.reason_code_id for r in scheduled.reasons_ranked
    ]
    assert len(sent_notices) == sent_before  # the caller tells the borrower


def test_a_closure_is_never_brought_forward(sent_notices):
    line = closing_line()
    original = line.closing_effective_at
    for when in (original, original - timedelta(days=1)):
        with pytest.raises(ValidationError, match="later"):
            credit_line_postpone_closure(line=line, effective_at=when)
    line.refresh_from_db()
    assert line.closing_effective_at == original
    assert not CreditDecision.objects.filter(line=line, trigger="appeal").exists()


def test_only_a_closing_line_can_be_postponed(sent_notices):
    line = active_line()
    from django.utils import timezone

    with pytest.raises(ValidationError, match="closing"):
        credit_line_postpone_closure(line=line, effective_at=timezone.now() + timedelta(days=7))
    line.refresh_from_db()
    assert line.status == CreditLineStatus.ACTIVE
    assert not line.decisions.filter(trigger="appeal").exists()
