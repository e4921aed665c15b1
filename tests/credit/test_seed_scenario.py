"""The issue's story end to end: on-time repayments, multi-lending, closure scheduled with
multi-lending first and a notice; loans closed, the line restored before the notice ends."""

from datetime import date, timedelta

import pytest
import time_machine

from credit import services
from credit.models import CreditLineStatus, DecisionOutcome, ReasonCategory
from tests.credit.factories import at, close_external_loans, make_line, multi_lending, repayments

pytestmark = [pytest.mark.django_db]


def _run_story(last_notice):
    """`last_notice()` returns the newest notice as {"event", "recipient", "context"}."""
    with time_machine.travel(at(date(2025, 1, 5)), tick=False):
        line = make_line(credit_limit="20000.00", balance="3000.00")
    repayments(line, first_due=date(2025, 2, 10), count=10)

    with time_machine.travel(at(date(2025, 11, 20)), tick=False):
        summary = services.credit_lines_reevaluate(line_ids=[line.pk], trigger="periodic")
    assert summary.changed == 0, "ten on-time repayments keep the line"

    multi_lending(line, start=at(date(2025, 11, 21)))
    evaluated_at = at(date(2025, 12, 5), 12)
    with time_machine.travel(evaluated_at, tick=False):
        summary = services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    line.refresh_from_db()
    (decision,) = summary.decisions
    assert decision.outcome == DecisionOutcome.SCHEDULE_CLOSURE
    assert line.status == CreditLineStatus.CLOSING
    assert line.closing_effective_at == evaluated_at + timedelta(days=30)
    reasons = decision.reasons_ranked
    assert reasons[0].reason_code.category == ReasonCategory.MULTI_LENDING
    assert 1 <= len(reasons) <= 4
    notice = last_notice()
    assert notice["event"] == "credit.closure_scheduled"
    assert notice["recipient"] == line.borrower
    assert notice["context"]["reasons"][0]["en"].startswith("You have several loans open")
    assert notice["context"]["closing_effective_on"] == "2026-01-04"

    close_external_loans(line, when=at(date(2025, 12, 12)))
    with time_machine.travel(at(date(2025, 12, 13)), tick=False):
        summary = services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    line.refresh_from_db()
    (restored,) = summary.decisions
    assert restored.outcome == DecisionOutcome.REINSTATE
    assert line.status == CreditLineStatus.ACTIVE
    assert line.closing_effective_at is None
    assert last_notice()["event"] == "credit.reinstated"
    return line


def test_multi_lending_schedules_closure_and_closing_the_loans_restores_the_line(sent_notices):
    _run_story(lambda: sent_notices[-1])


@pytest.mark.postgres
def test_the_story_on_postgresql_with_the_real_notices():
    from notifications.models import Notification

    def newest_inbox_notice():
        row = Notification.objects.filter(channel="inbox").order_by("-id").first()
        return {"event": row.event, "recipient": row.recipient, "context": row.context}

    line = _run_story(newest_inbox_notice)
    assert line.decisions.count() == 2
    assert set(
        Notification.objects.filter(recipient=line.borrower).values_list("event", "channel")
    ) >= {("credit.closure_scheduled", "inbox"), ("credit.reinstated", "inbox")}
