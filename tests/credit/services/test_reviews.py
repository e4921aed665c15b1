"""Key-customer review: a closure or pause of a borrower in a segment the policy marks is
staged for staff, due in 2 business days, and takes effect (and is told) only once a reviewer
confirms it; an override is a staff decision with a reason, or keeps the line as it is."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from credit import services
from credit.models import (
    CreditDecision,
    CreditLineStatus,
    DecisionOutcome,
    DecisionReview,
    DecisionReviewState,
    DecisionTrigger,
)
from notifications.models import Notification
from tests.credit.conftest import NOW
from tests.credit.factories import event, multi_lending
from tests.credit.services.support import clean_line, reevaluate, with_key_customer_segment
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):  # the refusals are matched in English
        yield


@pytest.fixture
def reviewer(db):
    return StaffFactory(role="reviewer")


def staged_key_customer(clock):
    """A key customer whose multi-lending the engine would answer with a closure."""
    with_key_customer_segment()
    line = clean_line()
    services.credit_lines_key_customer_set(line_ids=[line.pk], key_customer=True)
    line.refresh_from_db()
    multi_lending(line, start=NOW - timedelta(days=10))
    assert reevaluate(line) is None
    return line, DecisionReview.objects.get(line=line)


def test_a_key_customers_closure_is_staged_and_nothing_is_applied_or_told(
    clock, sent_notices, reviewer
):
    agent = StaffFactory(role="agent")
    line, review = staged_key_customer(clock)

    assert line.status == CreditLineStatus.ACTIVE
    assert not CreditDecision.objects.filter(line=line).exists()
    assert len(sent_notices) == 0  # the borrower hears nothing yet
    assert (review.state, review.outcome, review.segment) == (
        DecisionReviewState.PENDING,
        DecisionOutcome.SCHEDULE_CLOSURE,
        "key_customer",
    )
    assert review.buffer_days == 60  # the segment's longer notice
    assert review.reason_codes[0] == "multi_lending_open_loans"
    told = Notification.objects.filter(event="staff.key_customer_review_needed")
    recipients = set(told.values_list("recipient", flat=True))
    assert reviewer.pk in recipients and agent.pk not in recipients
    assert line.borrower.customer_id in told.first().context["customer_id"]
    # The next evaluation does not stage the same line twice.
    assert reevaluate(line) is None
    assert DecisionReview.objects.filter(line=line).count() == 1


def test_a_review_is_due_two_business_days_after_staging():
    # NOW is Friday 2025-12-05 12:00 in Shanghai: due Tuesday 12:00.
    friday = NOW
    assert services.review_due_at(friday) == friday + timedelta(days=4)
    # Staged on a Saturday: the count starts Monday, due Wednesday 00:00 (Shanghai).
    saturday = datetime(2025, 12, 6, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert services.review_due_at(saturday) == datetime(2025, 12, 9, 16, 0, tzinfo=UTC)
    # Staged on a Monday: Wednesday, same time.
    monday = NOW + timedelta(days=3)
    assert services.review_due_at(monday) == monday + timedelta(days=2)


def test_the_review_due_date_skips_the_desks_holidays_and_counts_make_up_days():
    from appeals.models import CalendarDay, CalendarDayKind

    friday = NOW
    # Monday a holiday: Friday + 2 business days is Wednesday.
    CalendarDay.objects.create(date=date(2025, 12, 8), name="Holiday")
    assert services.review_due_at(friday) == friday + timedelta(days=5)
    # With Saturday a make-up working day, Saturday counts and Monday still does not: Tuesday.
    CalendarDay.objects.create(date=date(2025, 12, 6), kind=CalendarDayKind.WORKDAY, name="Make-up")
    assert services.review_due_at(friday) == friday + timedelta(days=4)


def test_a_staged_reviews_due_date_is_recorded(clock, sent_notices, reviewer):
    _, review = staged_key_customer(clock)
    assert review.due_at == NOW + timedelta(days=4)


def test_a_confirmed_review_takes_effect_and_the_normal_notice_goes(clock, sent_notices, reviewer):
    line, review = staged_key_customer(clock)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        decision = services.decision_review_confirm(review=review, actor=reviewer)
    line.refresh_from_db()
    review.refresh_from_db()
    assert (review.state, review.decision, review.reviewed_by) == (
        DecisionReviewState.CONFIRMED,
        decision,
        reviewer,
    )
    assert line.status == CreditLineStatus.CLOSING
    assert decision.segment == "key_customer"
    assert decision.trigger == DecisionTrigger.EVENT
    assert decision.created_at == NOW + timedelta(days=1)
    assert decision.closing_effective_at == NOW + timedelta(days=61)
    assert [r.reason_code.code for r in decision.reasons_ranked][0] == "multi_lending_open_loans"
    assert [n["event"] for n in sent_notices] == ["credit.closure_scheduled"]
    assert sent_notices[0]["recipient"] == line.borrower
    with pytest.raises(ValidationError, match="already been reviewed"):
        services.decision_review_confirm(review=review, actor=reviewer)


def test_an_override_with_a_smaller_step_is_a_staff_decision_told_as_usual(
    clock, sent_notices, reviewer
):
    line, review = staged_key_customer(clock)
    decision = services.decision_review_override(
        review=review,
        actor=reviewer,
        outcome=DecisionOutcome.REDUCE_LIMIT,
        reason_code="policy_adjustment",
        comment="Long-standing customer; the loans elsewhere are for a house purchase.",
        new_limit=Decimal("15000.00"),
    )
    line.refresh_from_db()
    review.refresh_from_db()
    assert (line.status, line.credit_limit) == (CreditLineStatus.ACTIVE, Decimal("15000.00"))
    assert (decision.trigger, decision.actor, decision.outcome) == (
        DecisionTrigger.STAFF,
        reviewer,
        DecisionOutcome.REDUCE_LIMIT,
    )
    assert "house purchase" in decision.note
    assert (review.state, review.decision, review.override_reason.code) == (
        DecisionReviewState.OVERRIDDEN,
        decision,
        "policy_adjustment",
    )
    assert [n["event"] for n in sent_notices] == ["credit.limit_reduced"]


def test_an_override_that_keeps_the_line_changes_nothing_and_stands(clock, sent_notices, reviewer):
    line, review = staged_key_customer(clock)
    assert (
        services.decision_review_override(
            review=review,
            actor=reviewer,
            outcome="keep",
            reason_code="policy_adjustment",
            comment="Known customer, verified by phone.",
        )
        is None
    )
    line.refresh_from_db()
    assert line.status == CreditLineStatus.ACTIVE
    assert not CreditDecision.objects.exists()
    assert len(sent_notices) == 0
    # The engine does not ask again for the same closure and reasons...
    assert reevaluate(line) is None
    assert DecisionReview.objects.filter(line=line).count() == 1
    # ...but does when its reasons change.
    event(line, "external_overdue", NOW - timedelta(days=2), platform="P", days_past_due=40)
    reevaluate(line)
    assert DecisionReview.objects.filter(line=line, state=DecisionReviewState.PENDING).exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"comment": "  "}, "Say why"),
        ({"reason_code": "no_such_code"}, "Unknown reason"),
        ({"outcome": "close"}, "Choose keep"),
    ],
)
def test_an_override_without_a_reason_or_comment_is_refused_and_changes_nothing(
    clock, sent_notices, reviewer, changes, message
):
    line, review = staged_key_customer(clock)
    values = {
        "outcome": DecisionOutcome.FREEZE,
        "reason_code": "policy_adjustment",
        "comment": "Pause instead.",
        **changes,
    }
    with pytest.raises(ValidationError, match=message):
        services.decision_review_override(review=review, actor=reviewer, **values)
    review.refresh_from_db()
    line.refresh_from_db()
    assert review.state == DecisionReviewState.PENDING
    assert line.status == CreditLineStatus.ACTIVE
    assert len(sent_notices) == 0


def test_a_review_of_a_line_that_changed_since_is_not_applied(clock, sent_notices, reviewer):
    line, review = staged_key_customer(clock)
    services.credit_line_decide(
        line=line,
        outcome=DecisionOutcome.FREEZE,
        trigger=DecisionTrigger.STAFF,
        reason_codes=["policy_adjustment"],
        actor=reviewer,
        note="Paused by hand meanwhile.",
    )
    assert services.decision_review_confirm(review=review, actor=reviewer) is None
    review.refresh_from_db()
    line.refresh_from_db()
    assert review.state == DecisionReviewState.STALE
    assert line.status == CreditLineStatus.FROZEN
    assert [n["event"] for n in sent_notices] == ["credit.frozen"]


def test_a_key_customers_reduction_is_not_reviewed(clock, sent_notices, reviewer):
    with_key_customer_segment()
    line = clean_line()
    services.credit_lines_key_customer_set(line_ids=[line.pk], key_customer=True)
    # Three loans opened elsewhere, no applications: 810 - 130 = 680, a reduction by score.
    for platform in ("P", "Q", "R"):
        event(
            line,
            "external_loan_opened",
            NOW - timedelta(days=3),
            platform=platform,
            loan_id="1",
            amount="5000",
        )
    decision = reevaluate(line)
    assert (decision.outcome, decision.segment) == (DecisionOutcome.REDUCE_LIMIT, "key_customer")
    assert not DecisionReview.objects.exists()
    assert [n["event"] for n in sent_notices] == ["credit.limit_reduced"]
