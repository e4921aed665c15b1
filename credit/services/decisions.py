"""Decisions not made by the scorecard (staff, campaigns, corrections, appeals), and the
notices of decisions sent after commit for big batches (with the hourly sweep)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from .. import engine, notices, selectors
from ..fanout import chunked
from ..models import (
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionTrigger,
    ReasonCategory,
)
from ._writes import _apply_plan, _write_decisions
from .rechecks import regulatory_counterfactuals

# Notices of decisions younger than this are checked by the sweep.
NOTICE_SWEEP_WINDOW = timedelta(days=3)
NOTICE_SWEEP_CHUNK_SIZE = 500


MANUAL_OUTCOMES = (
    DecisionOutcome.REDUCE_LIMIT,
    DecisionOutcome.FREEZE,
    DecisionOutcome.SCHEDULE_CLOSURE,
    DecisionOutcome.REINSTATE,
)


@transaction.atomic
def credit_line_decide(
    *,
    line: CreditLine,
    outcome: str,
    trigger: str,
    reason_codes: Sequence[str],
    actor=None,
    note: str = "",
    new_limit: Decimal | None = None,
    buffer_days: int | None = None,
    now: datetime | None = None,
) -> CreditDecision:
    """Apply an outcome chosen by a person or a campaign, with the reasons they give.

    Rules: at least one reason for an adverse outcome, at most four, each a known code; a
    reduction needs a new, lower limit; a closure's notice period defaults to the active
    policy's, shortened to the smallest default of its reasons (0 for regulatory and
    system-error codes; `engine.closure_buffer_days`); the transition must be
    allowed from the line's status. The decision is recorded and the borrower told.
    """
    if outcome not in MANUAL_OUTCOMES:
        raise ValidationError({"outcome": f"Choose one of {', '.join(MANUAL_OUTCOMES)}."})
    if trigger not in DecisionTrigger.values:
        raise ValidationError({"trigger": f"Unknown trigger {trigger!r}."})
    codes = list(dict.fromkeys(reason_codes))
    if outcome != DecisionOutcome.REINSTATE and not codes:
        raise ValidationError({"reason_codes": "Give at least one reason for this decision."})
    if len(codes) > engine.MAX_REASONS:
        raise ValidationError({"reason_codes": "Give at most four reasons."})
    known = selectors.reason_codes_by_code(codes)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationError({"reason_codes": f"Unknown reason code(s): {', '.join(unknown)}."})

    line = CreditLine.objects.select_for_update().select_related("borrower").get(pk=line.pk)
    if outcome == DecisionOutcome.REDUCE_LIMIT and (
        new_limit is None or not (0 <= Decimal(new_limit) < line.credit_limit)
    ):
        raise ValidationError({"new_limit": "Give a new limit below the current one."})
    if (
        outcome == DecisionOutcome.REINSTATE
        and line.status == CreditLineStatus.ACTIVE
        and (new_limit is None or Decimal(new_limit) <= line.credit_limit)
        # A reduction or pause still waiting for its date is called off at the current limit.
        and not (line.scheduled_change and new_limit is not None and new_limit == line.credit_limit)
    ):
        raise ValidationError(
            {"new_limit": "An active line is restored only by raising its limit back."}
        )
    if buffer_days is None and outcome == DecisionOutcome.SCHEDULE_CLOSURE:
        buffer_days = engine.closure_buffer_days(
            selectors.policy_closure_buffer_days(),
            codes,
            {code: known[code].default_buffer_days for code in codes},
        )
    plan = engine.Plan(
        outcome=outcome,
        new_status={
            DecisionOutcome.REDUCE_LIMIT: CreditLineStatus.ACTIVE,
            DecisionOutcome.FREEZE: CreditLineStatus.FROZEN,
            DecisionOutcome.SCHEDULE_CLOSURE: CreditLineStatus.CLOSING,
            DecisionOutcome.REINSTATE: CreditLineStatus.ACTIVE,
        }[outcome],
        new_limit=Decimal(new_limit) if new_limit is not None else line.credit_limit,
        # A person's reduction or pause takes effect at once (the notice field is a closure's).
        buffer_days=(buffer_days or 0) if outcome == DecisionOutcome.SCHEDULE_CLOSURE else 0,
    )
    if not _transition_allowed(line, outcome):
        raise ValidationError(
            {"outcome": f"A line that is {line.status} cannot take the outcome {outcome}."}
        )
    now = now or timezone.now()
    decision = _apply_plan(line, plan, now=now)
    if outcome == DecisionOutcome.SCHEDULE_CLOSURE and buffer_days == 0:
        # No notice period (regulatory, fraud): the line closes at once.
        line.close()
        decision.outcome = DecisionOutcome.CLOSE
        decision.new_status = line.status
    decision.trigger = trigger
    decision.actor = actor
    decision.note = note
    regulatory = [c for c in codes if known[c].category == ReasonCategory.REGULATORY]
    if outcome != DecisionOutcome.REINSTATE and regulatory:
        # A regulation decided: say that no action of the borrower's changes it.
        decision.counterfactuals = regulatory_counterfactuals(reason_codes=regulatory)
    _write_decisions([(line, decision, [(code, "", 0, False) for code in codes])])
    return decision


def _transition_allowed(line: CreditLine, outcome: str) -> bool:
    method = {
        DecisionOutcome.REDUCE_LIMIT: line.reduce_limit,
        DecisionOutcome.FREEZE: line.freeze,
        DecisionOutcome.SCHEDULE_CLOSURE: line.schedule_closure,
        DecisionOutcome.REINSTATE: (
            line.restore_limit if line.status == CreditLineStatus.ACTIVE else line.reinstate
        ),
    }[outcome]

    return can_proceed(method)


@transaction.atomic
def decision_notices_send(*, decision_ids: Sequence[int]) -> int:
    """Send the notice of each of these decisions that has none yet. Safe to run twice:
    notify() never writes a second row for the same decision, event and channel."""
    decisions = list(
        CreditDecision.objects.filter(pk__in=decision_ids)
        .select_related("line__borrower")
        .prefetch_related("reasons__reason_code", "reasons__wording")
        .order_by("id")
    )
    already = selectors.decision_ids_with_notices([d.pk for d in decisions])
    due = [
        (decision, decision.line.borrower, list(decision.reasons.all()))
        for decision in decisions
        if decision.pk not in already and notices.event_for(decision) is not None
    ]
    notices.send_decision_notices(due)
    return len(due)


def decision_notices_sweep(*, now: datetime | None = None) -> int:
    """Send notices that a lost task never sent, for recent decisions (hourly)."""
    now = now or timezone.now()
    ids = selectors.recent_decision_ids(since=now - NOTICE_SWEEP_WINDOW)
    sent = 0
    for chunk in chunked(ids, size=NOTICE_SWEEP_CHUNK_SIZE):
        sent += decision_notices_send(decision_ids=chunk)
    return sent
