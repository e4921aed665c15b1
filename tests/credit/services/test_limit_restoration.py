"""A reduced limit has a way back: when the reasons for the scorecard's cut clear, the next
re-evaluation restores the limit it cut (not only an appeal can)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from credit import engine, services
from credit.models import CreditLineStatus
from notifications.models import Notification
from tests.credit.factories import at, close_external_loans, make_line, multi_lending, repayments

pytestmark = pytest.mark.django_db


def _reduced_line():
    """30 months with the lender, 12 on-time instalments, then multi-lending: the long-clean-
    history segment reduces the limit instead of closing the line."""
    today = timezone.localdate()
    line = make_line(
        credit_limit="36000.00", balance="3000.00", opened_at=at(today - timedelta(days=900))
    )
    repayments(line, first_due=today - timedelta(days=365), count=12)
    decided = at(today - timedelta(days=40))
    multi_lending(line, start=decided - timedelta(days=12))
    with time_machine.travel(decided, tick=False):
        services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    # The reduction's notice period (30 days) has ended: it took effect 10 days ago.
    services.credit_lines_apply_scheduled_due(line_ids=[line.pk], now=decided + timedelta(days=30))
    line.refresh_from_db()
    assert (line.status, line.credit_limit) == (CreditLineStatus.ACTIVE, Decimal("18000.00"))
    return line


def test_the_limit_comes_back_when_the_reasons_clear(sent_notices):
    line = _reduced_line()
    close_external_loans(line, when=at(timezone.localdate() - timedelta(days=1)))
    services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    line.refresh_from_db()
    assert (line.status, line.credit_limit) == (CreditLineStatus.ACTIVE, Decimal("36000.00"))
    restored = line.decisions.order_by("-created_at", "-id").first()
    assert (restored.outcome, restored.old_limit, restored.new_limit) == (
        "reinstate",
        Decimal("18000.00"),
        Decimal("36000.00"),
    )
    assert Notification.objects.filter(
        recipient=line.borrower, event="credit.reinstated", channel="inbox"
    ).exists()


def test_while_the_reasons_remain_the_limit_stays_reduced(sent_notices):
    line = _reduced_line()
    services.credit_lines_reevaluate(line_ids=[line.pk], trigger="periodic")
    line.refresh_from_db()
    assert line.credit_limit == Decimal("18000.00")


def test_the_engine_restores_only_a_cut_it_made():
    keep = engine.Verdict(
        outcome="keep", score=720, reasons=(), reduce_share=Decimal("0.3"), closure_buffer_days=30
    )
    by_scorecard = engine.LineState(
        status="active",
        credit_limit=Decimal("14000"),
        limit_reduced=True,
        limit_before_reduction=Decimal("20000"),
    )
    plan = engine.plan_change(by_scorecard, keep)
    assert (plan.outcome, plan.new_status, plan.new_limit) == ("reinstate", "active", 20000)
    by_a_person = engine.LineState(
        status="active", credit_limit=Decimal("14000"), limit_reduced=True
    )
    assert engine.plan_change(by_a_person, keep) is None
