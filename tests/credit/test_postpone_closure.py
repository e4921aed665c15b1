"""credit_line_postpone_closure: only later, only while closing, recorded as a decision."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from credit.models import CreditDecision, CreditLineStatus, DecisionTrigger
from credit.services import credit_line_postpone_closure
from tests.credit.story import active_line, closing_line
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


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
