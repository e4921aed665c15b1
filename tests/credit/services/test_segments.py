"""Segments on real lines: the segment is stored on each decision the engine takes, and the
staff flag on a line puts it in a key-customer segment."""

from datetime import date, timedelta

import pytest
import time_machine

from credit import services
from credit.models import CreditDecision, CreditLine, DecisionOutcome
from tests.credit.conftest import NOW
from tests.credit.factories import make_line, multi_lending, repayments
from tests.credit.services.support import (
    KEY_CUSTOMER_SEGMENT,
    activate_policy,
    clean_line,
    reevaluate,
)
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_the_segment_that_softened_a_closure_is_stored_on_the_decision(clock, sent_notices):
    line = make_line(opened_at=NOW - timedelta(days=1000), credit_limit="30000.00")
    repayments(line, first_due=date(2024, 12, 10), count=12)
    multi_lending(line, start=NOW - timedelta(days=14))
    decision = reevaluate(line)
    assert (decision.outcome, decision.segment) == (
        DecisionOutcome.REDUCE_LIMIT,
        "long_clean_history",
    )
    assert CreditDecision.objects.filter(segment="long_clean_history").count() == 1


def test_a_decision_outside_every_segment_stores_none(clock, sent_notices):
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    decision = reevaluate(line)
    assert decision.outcome == DecisionOutcome.SCHEDULE_CLOSURE
    assert decision.segment == ""


def test_staff_mark_a_key_customer_and_the_policy_segment_then_applies(clock, sent_notices):
    # A key-customer segment giving a longer notice (no review here: see test_reviews).
    activate_policy(segments=[{**KEY_CUSTOMER_SEGMENT, "review": False}])
    line, other = clean_line(), clean_line()
    changed = services.credit_lines_key_customer_set(
        line_ids=[line.pk], key_customer=True, actor=StaffFactory()
    )
    assert changed == 1
    # Marking again changes nothing.
    assert services.credit_lines_key_customer_set(line_ids=[line.pk], key_customer=True) == 0
    for each in (line, other):
        multi_lending(each, start=NOW - timedelta(days=10))
    services.credit_lines_reevaluate(line_ids=[line.pk, other.pk], trigger="event")
    decisions = {d.line_id: d for d in CreditDecision.objects.all()}
    assert decisions[other.pk].segment == ""
    assert decisions[line.pk].segment == "key_customer"
    # The segment's longer notice (60 days, the policy's is 30).
    assert decisions[line.pk].closing_effective_at - NOW == timedelta(days=60)
    assert decisions[other.pk].closing_effective_at - NOW == timedelta(days=30)
    assert CreditLine.objects.get(pk=line.pk).key_customer


def test_the_closure_taking_effect_keeps_the_segment_that_scheduled_it(clock, sent_notices):
    # Monitoring and the overturn reports count a decision under its segment: the closure
    # that ends the notice period counts where the scheduling decision did.
    activate_policy(segments=[{**KEY_CUSTOMER_SEGMENT, "review": False}])
    line = clean_line()
    services.credit_lines_key_customer_set(line_ids=[line.pk], key_customer=True)
    multi_lending(line, start=NOW - timedelta(days=10))
    scheduled = reevaluate(line)
    assert (scheduled.outcome, scheduled.segment) == (
        DecisionOutcome.SCHEDULE_CLOSURE,
        "key_customer",
    )
    due = scheduled.closing_effective_at
    multi_lending(line, start=due - timedelta(days=10))  # still borrowing elsewhere on the day
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        services.credit_lines_close_due()
    closed = CreditDecision.objects.filter(line=line).latest("created_at")
    assert (closed.outcome, closed.segment) == (DecisionOutcome.CLOSE, "key_customer")
    assert closed.policy_id == scheduled.policy_id
