"""What the borrower pages read, and the demo borrowers in their situations."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command

from credit import selectors, services
from credit.models import (
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionReview,
    EvaluationBatch,
    LineFeatureState,
    PolicyCampaign,
)
from tests.credit.factories import at, make_line, multi_lending, repayments

pytestmark = pytest.mark.django_db
NOW = at(date(2025, 12, 5), 12)


def test_a_borrower_gets_only_their_own_line(borrower):
    mine = make_line(borrower=borrower)
    make_line()
    assert selectors.credit_line_get_for_borrower(user=borrower) == mine
    from tests.factories import BorrowerFactory

    assert selectors.credit_line_get_for_borrower(user=BorrowerFactory()) is None


def test_decisions_come_with_ranked_reasons_in_both_languages_in_few_queries(
    django_assert_max_num_queries, sent_notices
):
    line = make_line(opened_at=NOW - timedelta(days=320))
    repayments(line, first_due=date(2025, 2, 10), count=10)
    multi_lending(line, start=NOW - timedelta(days=10))
    with time_machine.travel(NOW, tick=False):
        services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    for _ in range(3):
        services.credit_line_decide(
            line=line, outcome="freeze", trigger="campaign", reason_codes=["policy_adjustment"]
        )
        services.credit_line_decide(
            line=line, outcome="reinstate", trigger="correction", reason_codes=["system_error"]
        )
    with django_assert_max_num_queries(3):
        decisions = list(selectors.decisions_for_line(line=line))
        texts = [
            (r.rank, r.reason_code.title_in("en"), r.reason_code.advice_in("zh-hans"))
            for d in decisions
            for r in d.reasons_ranked
        ]
    assert len(decisions) == 7
    oldest = decisions[-1]
    assert [r.rank for r in oldest.reasons_ranked] == [1, 2, 3, 4]
    assert (
        oldest.reasons_ranked[0].reason_code.title_in("zh-hans") == "您在其他平台有多笔未结清借款"
    )
    # The advice is in Chinese, and without a "what you can do" label of its own: the page and
    # the notices put that heading above it.
    assert all(re.search(r"[\u4e00-\u9fff]", advice) for _, _, advice in texts)
    assert not any(advice.startswith("您可以这样做") for _, _, advice in texts)


def test_seed_demo_puts_each_borrower_in_their_situation_and_is_idempotent():
    call_command("seed_demo")
    first = (CreditLine.objects.count(), CreditDecision.objects.count())
    call_command("seed_demo")
    assert (CreditLine.objects.count(), CreditDecision.objects.count()) == first

    lines = {
        line.borrower.customer_id: line
        for line in CreditLine.objects.select_related("borrower").filter(
            borrower__customer_id__startswith="C-10"
        )
    }
    assert lines["C-1001"].status == CreditLineStatus.ACTIVE
    assert not lines["C-1001"].decisions.exists()

    closing = lines["C-1002"]
    assert closing.status == CreditLineStatus.CLOSING
    assert closing.closing_effective_at > closing.updated_at
    decision = selectors.latest_decision_for_line(line=closing)
    assert decision.reasons_ranked[0].reason_code.category == "multi_lending"

    assert lines["C-1003"].status == CreditLineStatus.CLOSED
    frozen = selectors.latest_decision_for_line(line=lines["C-1004"])
    assert lines["C-1004"].status == CreditLineStatus.FROZEN
    assert (frozen.trigger, frozen.reasons_ranked[0].reason_code.category) == (
        "campaign",
        "policy_adjustment",
    )
    campaign = frozen.campaign_entry.campaign
    assert campaign.state == "completed"
    assert campaign.ends_on > frozen.created_at.date()
    assert PolicyCampaign.objects.filter(state="draft").count() == 1
    held = PolicyCampaign.objects.get(state="held")
    assert held.lines_total == 2 and not held.lines.exclude(state="pending").exists()
    restored = selectors.latest_decision_for_line(line=lines["C-1005"])
    assert lines["C-1005"].status == CreditLineStatus.ACTIVE
    assert (restored.outcome, restored.trigger) == ("reinstate", "correction")
    assert restored.reasons_ranked[0].reason_code.category == "system_error"
    reduced = selectors.latest_decision_for_line(line=lines["C-1007"])
    assert lines["C-1007"].status == CreditLineStatus.ACTIVE
    assert (reduced.outcome, reduced.new_limit < reduced.old_limit) == ("reduce_limit", True)
    assert reduced.effective_at is None and lines["C-1007"].credit_limit == reduced.new_limit
    # C-1010's reduction waits for the end of its notice period: the limit is still the old one.
    scheduled = selectors.latest_decision_for_line(line=lines["C-1010"])
    assert scheduled.outcome == "reduce_limit" and scheduled.effective_at > scheduled.created_at
    assert lines["C-1010"].credit_limit == scheduled.old_limit
    assert lines["C-1010"].scheduled_limit == scheduled.new_limit
    assert lines["C-1006"].status == CreditLineStatus.CLOSING
    wrong = lines["C-1005"].decisions.get(outcome="schedule_closure")
    assert wrong.correction_entry.restore_decision == restored

    # C-1008 is a key customer whose closure waits for a staff review: nothing applied yet.
    review = DecisionReview.objects.get(line=lines["C-1008"])
    assert (review.state, review.outcome, review.segment) == (
        "pending",
        "schedule_closure",
        "key_customer",
    )
    assert lines["C-1008"].status == CreditLineStatus.ACTIVE
    assert not lines["C-1008"].decisions.exists()
    # Last night's run, held by the circuit breaker, would close C-1009; nothing applied.
    nightly = EvaluationBatch.objects.get(kind="nightly", state="held")
    staged = {h.line_id: h.outcome for h in nightly.held_decisions.all()}
    assert staged[lines["C-1009"].pk] == "schedule_closure"
    assert lines["C-1009"].status == CreditLineStatus.ACTIVE
    assert not lines["C-1009"].decisions.exists()
    # A shadow run stopped by a chunk failing every retry waits for a supervisor, who was told.
    from credit.demo import SHADOW_FAILED
    from credit.models import ShadowRun
    from notifications.models import Notification

    stopped = ShadowRun.objects.get(name=SHADOW_FAILED)
    assert (stopped.state, stopped.lines_done) == ("failed", 0)
    assert "OperationalError" in stopped.error
    assert Notification.objects.filter(
        event="staff.batch_failed", recipient__email="supervisor@demo.recourse"
    ).exists()

    # A nightly re-evaluation leaves every other demo situation as it is (C-1008's closure is
    # already waiting for its review).
    summary = services.credit_lines_reevaluate(
        line_ids=[line.pk for key, line in lines.items() if key != "C-1009"], trigger="periodic"
    )
    assert summary.changed == 0
    assert DecisionReview.objects.count() == 1
    # The demo lines carry kept facts, and the incremental nightly pass agrees.
    built = LineFeatureState.objects.filter(folded_at__isnull=False)
    assert set(built.values_list("line_id", flat=True)) >= {line.pk for line in lines.values()}
    summary = services.credit_lines_reevaluate(
        line_ids=[line.pk for key, line in lines.items() if key != "C-1009"],
        trigger="periodic",
        incremental=True,
    )
    assert summary.changed == 0
