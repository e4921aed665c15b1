"""Decisions by people and campaigns, and decisions being immutable."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.utils import InternalError

from credit import services
from credit.models import (
    CreditDecision,
    CreditLineStatus,
    DecisionOutcome,
    DecisionPolicy,
    DecisionReason,
)
from tests.credit.conftest import NOW
from tests.credit.services.support import clean_line, closing_decision
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_a_decision_cannot_be_changed_or_deleted(clock, sent_notices):
    _, decision = closing_decision()
    decision.score = 999
    with pytest.raises(ValidationError):
        decision.save()
    with pytest.raises(ValidationError):
        decision.delete()
    reason = decision.reasons.first()
    with pytest.raises(ValidationError):
        reason.save()
    assert CreditDecision.objects.get(pk=decision.pk).score == 610


@pytest.mark.postgres
def test_the_database_refuses_to_change_decisions_whatever_the_code_path(clock, sent_notices):
    _, decision = closing_decision()
    for statement in (
        lambda: CreditDecision.objects.filter(pk=decision.pk).update(score=1),
        lambda: CreditDecision.objects.filter(pk=decision.pk).delete(),
        lambda: DecisionReason.objects.filter(decision=decision).update(points_lost=0),
    ):
        with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
            statement()


def test_campaign_freeze_and_system_error_correction(clock, sent_notices, staff_user):
    line = clean_line()
    decision = services.credit_line_decide(
        line=line,
        outcome="freeze",
        trigger="campaign",
        reason_codes=["policy_adjustment"],
        actor=staff_user,
    )
    assert decision.reasons_ranked[0].reason_code.category == "policy_adjustment"
    assert sent_notices[-1]["event"] == "credit.frozen"
    fixed = services.credit_line_decide(
        line=line,
        outcome="reinstate",
        trigger="correction",
        reason_codes=["system_error"],
        actor=staff_user,
    )
    line.refresh_from_db()
    assert line.status == CreditLineStatus.ACTIVE
    assert fixed.actor == staff_user
    assert sent_notices[-1]["event"] == "credit.system_error_corrected"


def test_a_regulatory_closure_has_no_notice_period(clock, sent_notices):
    line = clean_line()
    decision = services.credit_line_decide(
        line=line,
        outcome="schedule_closure",
        trigger="staff",
        reason_codes=["regulatory_requirement"],
    )
    line.refresh_from_db()
    assert decision.outcome == DecisionOutcome.CLOSE
    assert line.status == CreditLineStatus.CLOSED
    assert sent_notices[-1]["event"] == "credit.closed"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "explode", "reason_codes": ["policy_adjustment"]}, "outcome"),
        ({"outcome": "freeze", "reason_codes": []}, "reason_codes"),
        ({"outcome": "freeze", "reason_codes": ["nope"]}, "reason_codes"),
        (
            {
                "outcome": "freeze",
                "reason_codes": [
                    "policy_adjustment",
                    "system_error",
                    "repayment_late",
                    "account_age_short",
                    "bureau_score_low",
                ],
            },
            "reason_codes",
        ),
        (
            {
                "outcome": "reduce_limit",
                "reason_codes": ["policy_adjustment"],
                "new_limit": Decimal("50000"),
            },
            "new_limit",
        ),
        # an active line is "restored" only by raising its limit (an upheld appeal)
        ({"outcome": "reinstate", "reason_codes": []}, "new_limit"),
        (
            {"outcome": "freeze", "reason_codes": ["policy_adjustment"], "trigger": "whim"},
            "trigger",
        ),
    ],
)
def test_bad_manual_decisions_are_refused_and_change_nothing(clock, sent_notices, kwargs, field):
    line = clean_line()
    kwargs = {"trigger": "staff", **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        services.credit_line_decide(line=line, **kwargs)
    assert field in excinfo.value.message_dict
    line.refresh_from_db()
    assert line.status == CreditLineStatus.ACTIVE and line.credit_limit == Decimal("20000.00")
    assert not CreditDecision.objects.exists() and sent_notices == []


# --- Lines from the core system ---------------------------------------------------------------


def test_a_closure_by_staff_takes_the_policys_notice_period_shortened_by_its_reasons(
    clock, sent_notices, staff_user
):
    policy = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    policy.closure_buffer_days = 20
    services.policy_save_draft(policy=policy)
    services.policy_request_activation(policy=policy, actor=StaffFactory())
    services.policy_activate(policy=policy, actor=staff_user)
    line = clean_line()

    decision = services.credit_line_decide(
        line=line,
        outcome="schedule_closure",
        trigger="staff",
        reason_codes=["multi_lending_open_loans"],
    )
    assert decision.closing_effective_at == NOW + timedelta(days=20)  # the policy's, not 30

    regulatory = services.credit_line_decide(
        line=clean_line(),
        outcome="schedule_closure",
        trigger="staff",
        reason_codes=["regulatory_requirement"],
    )
    assert regulatory.outcome == "close"  # the reason's default (0) shortens it to nothing
