"""An appeal against a limit reduction: approving gives the limit back, in full or in part."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from appeals import services
from credit import services as credit_services
from credit.models import CreditLineStatus, DecisionOutcome, DecisionTrigger
from tests.appeals.factories import agent, reviewer
from tests.credit.story import active_line

pytestmark = pytest.mark.django_db


def reduced_line():
    line = active_line()  # limit 15,000.00
    credit_services.credit_line_decide(
        line=line,
        outcome=DecisionOutcome.REDUCE_LIMIT,
        trigger=DecisionTrigger.STAFF,
        reason_codes=["debt_to_income_high"],
        new_limit=Decimal("6000.00"),
    )
    line.refresh_from_db()
    return line


def reviewed_appeal(line):
    decision = line.decisions.order_by("-created_at", "-id").first()
    appeal = services.appeal_create(
        borrower=line.borrower,
        decision=decision,
        grounds=["information_wrong"],
        statement="My income was verified last month; the debt figure is out of date.",
    )
    appeal = services.appeal_submit(appeal=appeal, actor=line.borrower)
    appeal.refresh_from_db()
    return services.appeal_start_review(appeal=appeal, actor=agent())


def test_approving_restores_the_limit_before_the_reduction():
    line = reduced_line()
    appeal = reviewed_appeal(line)
    services.appeal_approve(appeal=appeal, actor=reviewer(), explanation="Income verified.")
    line.refresh_from_db()
    assert line.status == CreditLineStatus.ACTIVE
    assert line.credit_limit == Decimal("15000.00")
    restored = line.decisions.order_by("-created_at", "-id").first()
    assert restored.trigger == DecisionTrigger.APPEAL
    assert (restored.old_limit, restored.new_limit) == (Decimal("6000.00"), Decimal("15000.00"))


def test_partial_approval_raises_it_part_of_the_way():
    line = reduced_line()
    appeal = reviewed_appeal(line)
    services.appeal_partially_approve(
        appeal=appeal, actor=reviewer(), explanation="Partly.", new_limit="10000.00"
    )
    line.refresh_from_db()
    assert line.credit_limit == Decimal("10000.00")


def test_a_partial_limit_that_would_not_raise_it_is_refused_and_changes_nothing():
    line = reduced_line()
    appeal = reviewed_appeal(line)
    with pytest.raises(ValidationError):
        services.appeal_partially_approve(
            appeal=appeal, actor=reviewer(), explanation="Partly.", new_limit="5000.00"
        )
    line.refresh_from_db()
    appeal.refresh_from_db()
    assert line.credit_limit == Decimal("6000.00")
    assert appeal.status == "in_review"


def test_credit_refuses_a_restore_that_does_not_raise_an_active_line():
    line = active_line()
    with pytest.raises(ValidationError):
        credit_services.credit_line_decide(
            line=line,
            outcome=DecisionOutcome.REINSTATE,
            trigger=DecisionTrigger.STAFF,
            reason_codes=[],
            new_limit=Decimal("15000.00"),
        )
    assert line.decisions.count() == 0
