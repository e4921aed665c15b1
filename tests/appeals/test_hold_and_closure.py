"""An open appeal holds a closing line's closure; after a denial the closure takes effect at
the later of its date and 7 days after the borrower is told."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from appeals import services
from credit import holds
from credit.models import ClosureDeferral, CreditDecision, CreditLineStatus
from credit.services import credit_lines_close_due
from tests.appeals import factories as f
from tests.credit.story import closing_line

pytestmark = pytest.mark.django_db


def test_the_open_appeal_hold_is_registered():
    assert "open_appeal" in holds.registered()


def test_a_draft_does_not_hold_but_a_submitted_appeal_does():
    appeal = f.draft_appeal()
    assert holds.holds_for([appeal.line_id]) == {}
    services.appeal_submit(appeal=appeal, actor=appeal.borrower)
    held = holds.holds_for([appeal.line_id])[appeal.line_id]
    assert held[0].name == "open_appeal"
    assert appeal.reference in held[0].detail


def test_the_buffer_job_does_not_close_a_line_under_appeal():
    appeal = f.in_review_appeal()
    line = appeal.line
    with time_machine.travel(line.closing_effective_at + timedelta(hours=1), tick=False):
        summary = credit_lines_close_due(line_ids=[line.pk])
    line.refresh_from_db()
    assert summary.held == 1 and summary.closed == 0
    assert line.status == CreditLineStatus.CLOSING
    assert ClosureDeferral.objects.get(line=line).hold == "open_appeal"


def test_a_withdrawn_appeal_releases_the_hold():
    appeal = f.in_review_appeal()
    services.appeal_withdraw(appeal=appeal, actor=appeal.borrower)
    line = appeal.line
    with time_machine.travel(line.closing_effective_at + timedelta(hours=1), tick=False):
        summary = credit_lines_close_due(line_ids=[line.pk])
    line.refresh_from_db()
    assert summary.closed == 1
    assert line.status == CreditLineStatus.CLOSED


def test_denial_after_the_original_date_moves_the_closure_7_days_after_the_notice():
    appeal = f.in_review_appeal()
    line = appeal.line
    original = line.closing_effective_at
    late = original + timedelta(days=3)
    decider = f.reviewer()
    with time_machine.travel(late, tick=False):
        credit_lines_close_due(line_ids=[line.pk])  # held while in review
        appeal = services.appeal_deny(appeal=appeal, actor=decider, explanation="理由仍然成立")
    line.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSING
    assert line.closing_effective_at == late + timedelta(days=7)
    record = CreditDecision.objects.filter(line=line).first()
    assert (record.trigger, record.outcome, record.actor) == ("appeal", "schedule_closure", decider)
    assert record.closing_effective_at == late + timedelta(days=7)
    assert record.reasons.exists()  # the closure keeps its reasons
    # The hold is released: the line closes at the new date, not before.
    with time_machine.travel(late + timedelta(days=6), tick=False):
        assert credit_lines_close_due(line_ids=[line.pk]).closed == 0
    with time_machine.travel(late + timedelta(days=7, minutes=1), tick=False):
        summary = credit_lines_close_due(line_ids=[line.pk])
    line.refresh_from_db()
    assert summary.closed == 1 and summary.held == 0
    assert line.status == CreditLineStatus.CLOSED


def test_denial_well_before_the_original_date_keeps_the_original_date():
    line = closing_line(days_ago=1)  # closes in about 29 days
    appeal = f.in_review_appeal(line=line)
    original = line.closing_effective_at
    services.appeal_deny(appeal=appeal, actor=f.reviewer(), explanation="理由仍然成立")
    line.refresh_from_db()
    assert line.closing_effective_at == original
    assert not CreditDecision.objects.filter(line=line, trigger="appeal").exists()


def test_the_denial_notice_says_when_the_line_closes_and_until_when_to_ask_again():
    from notifications.models import Notification

    appeal = f.in_review_appeal()
    with time_machine.travel(appeal.line.closing_effective_at + timedelta(days=1), tick=False):
        services.appeal_deny(appeal=appeal, actor=f.reviewer(), explanation="理由仍然成立")
        told = timezone.now()
    row = Notification.objects.get(event="appeal.decided", channel="inbox")
    assert row.context["outcome"] == "denied"
    assert (
        row.context["second_review_by"] == timezone.localdate(told + timedelta(days=14)).isoformat()
    )
    assert "理由仍然成立" in row.body_text
    assert "关闭" in row.body_text  # "您的信用额度将于…关闭"


def test_a_second_review_holds_the_closure_again_and_a_final_denial_moves_it_again():
    appeal = f.in_review_appeal()
    line = appeal.line
    t0 = line.closing_effective_at + timedelta(days=1)
    with time_machine.travel(t0, tick=False):
        appeal = services.appeal_deny(appeal=appeal, actor=f.reviewer(), explanation="不通过")
    with time_machine.travel(t0 + timedelta(days=5), tick=False):
        services.appeal_request_second_review(appeal=appeal, actor=appeal.borrower)
    with time_machine.travel(t0 + timedelta(days=8), tick=False):
        summary = credit_lines_close_due(line_ids=[line.pk])
        assert summary.held == 1
    t1 = t0 + timedelta(days=10)
    with time_machine.travel(t1, tick=False):
        services.appeal_decide_second_review(
            appeal=appeal, actor=f.supervisor(), approve=False, explanation="复核维持"
        )
    line.refresh_from_db()
    assert line.closing_effective_at == t1 + timedelta(days=7)
