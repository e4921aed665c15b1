"""A change the core system makes to a line's limit or status is a decision (trigger
`lender`): on record in the borrower's history, told to the borrower, sent back out by
webhook like any other. A change that would contradict an open appeal's hold is refused."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError

from .. import holds
from ..models import CreditDecision, CreditLine, CreditLineStatus, DecisionOutcome, DecisionTrigger
from .decisions import credit_line_decide

# What the lender may set a line's status to.
LENDER_STATUSES = (CreditLineStatus.ACTIVE, CreditLineStatus.FROZEN, CreditLineStatus.CLOSED)
# Reason recorded for an adverse change the core system sent without one.
DEFAULT_LENDER_REASON = "policy_adjustment"
HELD_BY_APPEAL = "held_by_appeal"
ADVERSE = (DecisionOutcome.REDUCE_LIMIT, DecisionOutcome.FREEZE, DecisionOutcome.SCHEDULE_CLOSURE)


class LineHeld(ValidationError):
    """The change would act against a line an open appeal holds."""


def _planned(line: CreditLine, *, credit_limit: Decimal, status: str | None):
    """(outcome, new_limit) the lender's terms call for, or None when nothing changes."""
    status = status or line.status
    limit_changes = credit_limit != line.credit_limit
    if status != line.status and status not in LENDER_STATUSES:
        raise ValidationError(
            {"status": f"The core system may set {', '.join(LENDER_STATUSES)}; got {status!r}."}
        )
    if status == CreditLineStatus.ACTIVE:
        if status == line.status and not limit_changes:
            return None
        if status == line.status and credit_limit < line.credit_limit:
            return DecisionOutcome.REDUCE_LIMIT, credit_limit
        return DecisionOutcome.REINSTATE, credit_limit
    if limit_changes:
        raise ValidationError(
            {"credit_limit": "Only an active line's limit changes; send the status first."}
        )
    if status == line.status:
        return None
    if status == CreditLineStatus.FROZEN:
        return DecisionOutcome.FREEZE, None
    return DecisionOutcome.SCHEDULE_CLOSURE, None  # closed: at once (no notice period)


def credit_line_lender_change(
    *,
    line: CreditLine,
    credit_limit: Decimal,
    status: str | None,
    reason_code: str | None,
    origin: str = "",
) -> CreditDecision | None:
    """Record the core system's new limit or status as a decision; None when it changes
    nothing. The caller holds the line's row lock (credit_line_upsert)."""
    plan = _planned(line, credit_limit=credit_limit, status=status)
    if plan is None:
        return None
    outcome, new_limit = plan
    if outcome in ADVERSE:
        held = holds.holds_for([line.pk]).get(line.pk)
        if held:
            # Answered to the core system, in English like every ingestion reason.
            why = "; ".join(h.detail for h in held)
            raise LineHeld(
                f"An open appeal holds this line ({why}); this change waits for its decision.",
                code=HELD_BY_APPEAL,
            )
    reasons = [reason_code] if reason_code else []
    if outcome in ADVERSE and not reasons:
        reasons = [DEFAULT_LENDER_REASON]
    return credit_line_decide(
        line=line,
        outcome=outcome,
        trigger=DecisionTrigger.LENDER,
        reason_codes=reasons,
        new_limit=new_limit,
        buffer_days=0 if outcome == DecisionOutcome.SCHEDULE_CLOSURE else None,
        note=f"Sent by the core system{f' ({origin})' if origin else ''}.",
    )
