"""A reduction or pause the scorecard decides gets the policy's notice period, like a closure:
the borrower is told at once, the change takes effect on its date (not before), an open appeal
holds it, reasons that clear call it off, and a reason with no notice (fraud, a regulator)
applies it at once."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from appeals import services as appeals
from credit import engine, services
from credit.models import CreditDecision, CreditLineStatus, DecisionOutcome, ReasonCode
from tests.appeals import factories as f
from tests.credit.conftest import NOW
from tests.credit.factories import (
    close_external_loans,
    make_line,
    multi_lending,
    repayments,
)
from tests.credit.services.support import reevaluate

pytestmark = pytest.mark.django_db
DUE = NOW + timedelta(days=30)


def _reduced_on_notice():
    """30 months of clean history, then loans at three platforms (still open): the policy's
    long-clean-history segment reduces the limit instead of closing the line."""
    line = make_line(credit_limit="36000.00", balance="3000.00", opened_at=NOW - timedelta(900))
    repayments(line, first_due=(NOW - timedelta(days=365)).date(), count=12)
    multi_lending(line, start=NOW - timedelta(days=12))
    with time_machine.travel(NOW, tick=False):
        decision = reevaluate(line)
    return line, decision


def test_a_reduction_takes_effect_on_its_date_and_not_before(sent_notices):
    line, decision = _reduced_on_notice()
    assert decision.outcome == DecisionOutcome.REDUCE_LIMIT and decision.effective_at == DUE
    assert line.credit_limit == Decimal("36000.00")
    assert line.available == Decimal("33000.00"), "until the date, the current limit applies"
    notice = sent_notices[-1]
    assert notice["event"] == "credit.limit_reduced"

    with time_machine.travel(DUE - timedelta(minutes=1), tick=False):
        assert services.credit_lines_apply_scheduled_due().applied == 0
    line.refresh_from_db()
    assert line.credit_limit == Decimal("36000.00") and line.scheduled_change == "reduce_limit"

    with time_machine.travel(DUE + timedelta(minutes=1), tick=False):
        summary = services.credit_lines_apply_scheduled_due()
    line.refresh_from_db()
    assert summary.applied == 1
    assert (line.credit_limit, line.scheduled_change, line.scheduled_change_at) == (
        Decimal("18000.00"),
        "",
        None,
    )
    applied = line.decisions.order_by("-created_at", "-id").first()
    assert (applied.outcome, applied.old_limit, applied.new_limit) == (
        DecisionOutcome.REDUCE_LIMIT,
        Decimal("36000.00"),
        Decimal("18000.00"),
    )
    assert applied.effective_at is None
    assert [r.reason_code_id for r in applied.reasons_ranked] == [
        r.reason_code_id for r in decision.reasons_ranked
    ]


def test_the_hourly_task_makes_the_due_change():
    from credit.tasks import close_due_lines

    line, _ = _reduced_on_notice()
    with time_machine.travel(DUE + timedelta(minutes=1), tick=False):
        result = close_due_lines()
    line.refresh_from_db()
    assert result["changed"] == 1 and line.credit_limit == Decimal("18000.00")


def test_an_open_appeal_holds_the_reduction_until_it_is_decided(sent_notices):
    line, decision = _reduced_on_notice()
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        appeal = f.in_review_appeal(line=line)
    assert appeal.decision_id == decision.pk
    with time_machine.travel(DUE + timedelta(hours=1), tick=False):
        summary = services.credit_lines_apply_scheduled_due()
    line.refresh_from_db()
    assert (summary.applied, summary.held) == (0, 1)
    assert line.credit_limit == Decimal("36000.00") and line.scheduled_change == "reduce_limit"

    # Denied: the hold ends and the next run makes the change.
    with time_machine.travel(DUE + timedelta(days=1), tick=False):
        appeals.appeal_deny(appeal=appeal, actor=f.reviewer(), explanation="其他平台借款仍未结清。")
    with time_machine.travel(DUE + timedelta(days=1, hours=1), tick=False):
        services.credit_lines_apply_scheduled_due()
    line.refresh_from_db()
    assert line.credit_limit == Decimal("18000.00") and line.scheduled_change == ""


def test_reasons_that_clear_before_the_date_call_the_reduction_off(sent_notices):
    line, _ = _reduced_on_notice()
    close_external_loans(line, when=NOW + timedelta(days=10))
    with time_machine.travel(DUE + timedelta(minutes=1), tick=False):
        summary = services.credit_lines_apply_scheduled_due()
    line.refresh_from_db()
    assert (summary.applied, summary.cleared) == (0, 1)
    assert (line.credit_limit, line.scheduled_change) == (Decimal("36000.00"), "")


def test_a_reason_without_notice_applies_the_reduction_at_once(sent_notices):
    # Staff set a reason's notice to none (as the regulatory and fraud codes carry).
    ReasonCode.objects.filter(category="multi_lending").update(default_buffer_days=0)
    line, decision = _reduced_on_notice()
    assert decision.effective_at is None
    assert line.credit_limit == Decimal("18000.00") and line.scheduled_change == ""
    assert sent_notices[-1]["event"] == "credit.limit_reduced"


def test_a_regulatory_reason_pauses_at_once_in_the_engine():
    verdict = engine.Verdict(
        outcome="freeze",
        score=650,
        reasons=(engine.Reason("regulatory_requirement", "", 0, True),),
        closure_buffer_days=30,
    )
    state = engine.LineState(status="active", credit_limit=Decimal("10000"))
    assert engine.plan_change(state, verdict, {"regulatory_requirement": 0}).buffer_days == 0
    assert engine.plan_change(state, verdict, {}).buffer_days == 30
    # A scheduled pause is not decided again; a clean verdict calls it off.
    waiting = engine.LineState(status="active", credit_limit=Decimal("10000"), scheduled="freeze")
    assert engine.plan_change(waiting, verdict, {}) is None
    keep = engine.Verdict(outcome="keep", score=800, reasons=(), closure_buffer_days=30)
    assert engine.plan_change(waiting, keep, {}).outcome == "reinstate"


def test_a_staff_decision_replaces_a_scheduled_change():
    line, _ = _reduced_on_notice()
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        services.credit_line_decide(
            line=line,
            outcome=DecisionOutcome.FREEZE,
            trigger="staff",
            reason_codes=["multi_lending_open_loans"],
            note="Paused by a person.",
        )
    line.refresh_from_db()
    assert line.status == CreditLineStatus.FROZEN and line.scheduled_change == ""
    assert CreditDecision.objects.filter(line=line).count() == 2


def test_an_upheld_appeal_calls_the_scheduled_reduction_off(sent_notices):
    line, decision = _reduced_on_notice()
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        appeal = f.in_review_appeal(line=line)
        appeals.appeal_approve(appeal=appeal, actor=f.reviewer(), explanation="记录有误。")
    line.refresh_from_db()
    assert (line.credit_limit, line.scheduled_change) == (Decimal("36000.00"), "")
    with time_machine.travel(DUE + timedelta(hours=1), tick=False):
        assert services.credit_lines_apply_scheduled_due().applied == 0
    line.refresh_from_db()
    assert line.credit_limit == Decimal("36000.00")


@pytest.mark.parametrize(
    ("language", "title", "text"),
    [
        (
            "en",
            "Your limit will be reduced to ¥18,000.00 on Jan. 4",
            "From Jan. 4, 2026, your credit limit is ¥18,000.00 instead of ¥36,000.00. "
            "Until then you can keep using your current limit",
        ),
        (
            "zh-hans",
            "您的额度将于1月4日调低至 ¥18,000.00",
            "自2026年1月4日起，您的额度由 ¥36,000.00 调整为 ¥18,000.00。"
            "在此之前，您可继续使用当前额度",
        ),
    ],
)
def test_the_notice_gives_the_date_the_reduction_takes_effect(sent_notices, language, title, text):
    from notifications.registry import registry
    from notifications.rendering import render, validate_context

    _reduced_on_notice()
    notice = sent_notices[-1]
    assert notice["context"]["effective_on"] == "2026-01-04"  # NOW + 30 days, Shanghai
    spec = next(s for s in registry.events() if s.name == "credit.limit_reduced")
    inbox = render(
        spec=spec,
        channel="inbox",
        context=validate_context(spec, notice["context"]),
        language=language,
        time_zone="Asia/Shanghai",
        recipient_name="",
        site_url="https://example.test",
        link="/",
    )
    assert inbox.subject == title
    assert text in inbox.text
