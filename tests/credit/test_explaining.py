"""The one rule for the decision that explains a line: the page, the borrower API and the
appeal service read it from `credit.explaining` through `decision_explaining_line`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from credit import selectors, services
from credit.appealability import appeal_until
from credit.explaining import NEEDS_OLDER, DecisionFacts, explaining_index
from credit.models import CreditLineStatus, DecisionOutcome, DecisionTrigger
from tests.credit.story import active_line, closing_line, restored_line
from tests.factories import StaffFactory


def facts(*outcomes_with_reasons) -> list[DecisionFacts]:
    return [DecisionFacts(outcome, has_reasons) for outcome, has_reasons in outcomes_with_reasons]


def test_the_rule_over_a_lines_status_and_its_decisions_newest_first():
    closing = ("schedule_closure", True)
    assert explaining_index(line_status="active", decisions=[]) is None
    assert explaining_index(line_status="closing", decisions=facts(closing)) == 0
    # A postponement carries the closure's reasons: it is what explains the line now.
    assert explaining_index(line_status="closing", decisions=facts(closing, closing)) == 0
    assert explaining_index(line_status="closed", decisions=facts(("close", True), closing)) == 0
    # A closure with no reasons of its own points back to the decision that gave them.
    assert explaining_index(line_status="closed", decisions=facts(("close", False), closing)) == 1
    assert explaining_index(line_status="active", decisions=facts(("reduce_limit", True))) == 0
    # An active line restored (or reinstated on an appeal) needs no explanation.
    assert explaining_index(line_status="active", decisions=facts(("reinstate", False))) is None
    reinstated_then_frozen = facts(("freeze", False), ("reinstate", False), closing)
    assert explaining_index(line_status="frozen", decisions=reinstated_then_frozen) == 0


def test_the_rule_on_the_newest_decisions_only_asks_for_older_ones_when_it_needs_them():
    """My credit reads the newest decisions only; the rule says when that cannot settle it."""
    closing, closed_bare = ("schedule_closure", True), ("close", False)
    newest = facts(closed_bare, closed_bare)
    whole = facts(closed_bare, closed_bare, closing)
    assert explaining_index(line_status="closed", decisions=whole) == 2
    assert explaining_index(line_status="closed", decisions=newest, complete=False) == NEEDS_OLDER
    # Settled within the newest: the same answer as over the whole history.
    for line_status, history in [
        ("closing", facts(closing, closed_bare)),
        ("frozen", facts(("freeze", False), ("reinstate", False), closing)),
        ("active", facts(("keep", False), closing)),
    ]:
        assert explaining_index(
            line_status=line_status, decisions=history[:2], complete=False
        ) == explaining_index(line_status=line_status, decisions=history)


pytestmark = pytest.mark.django_db


def test_a_closing_line_is_explained_by_the_decision_that_scheduled_it(sent_notices):
    line = closing_line(days_ago=7)
    explaining = selectors.decision_explaining_line(line=line)
    assert explaining.outcome == DecisionOutcome.SCHEDULE_CLOSURE
    assert explaining.reasons.all()
    assert appeal_until(explaining, now=timezone.now()) is not None


def test_a_closed_line_is_explained_by_its_closure(sent_notices):
    line = closing_line(days_ago=31)
    services.credit_lines_close_due(line_ids=[line.pk])
    line.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSED
    explaining = selectors.decision_explaining_line(line=line)
    assert explaining.outcome == DecisionOutcome.CLOSE
    assert [r.reason_code_id for r in explaining.reasons.all()]


def test_a_reduced_limit_on_an_active_line_is_explained(sent_notices):
    line = active_line()
    decision = services.credit_line_decide(
        line=line,
        outcome=DecisionOutcome.REDUCE_LIMIT,
        trigger=DecisionTrigger.STAFF,
        reason_codes=["policy_adjustment"],
        new_limit="10000.00",
    )
    line.refresh_from_db()
    assert selectors.decision_explaining_line(line=line) == decision


def test_a_restored_or_untouched_line_needs_no_explanation(sent_notices):
    assert selectors.decision_explaining_line(line=restored_line()) is None
    assert selectors.decision_explaining_line(line=active_line()) is None


def test_after_a_denial_the_postponed_closure_explains_the_line_and_is_not_appealed_again(
    sent_notices,
):
    line = closing_line(days_ago=28)
    scheduled = selectors.decision_explaining_line(line=line)
    postponed = services.credit_line_postpone_closure(
        line=line, effective_at=timezone.now() + timedelta(days=7), actor=StaffFactory()
    )
    line.refresh_from_db()
    explaining = selectors.decision_explaining_line(line=line)
    assert explaining == postponed != scheduled
    # Taken on an appeal: contested through that appeal's second review, not a new appeal.
    assert appeal_until(explaining, now=timezone.now()) is None
