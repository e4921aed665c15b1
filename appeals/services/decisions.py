"""A reviewer's decision on an appeal: approve, partly approve, deny.

Approval restores the line through the credit services in the same transaction; a denial
ends the hold on the closure but never lets a closing line close sooner than
APPEAL_DENIAL_CLOSURE_NOTICE_DAYS after the borrower is told.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from credit import services as credit_services
from credit.models import (
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionTrigger,
)

from .. import notices
from ..models import Appeal
from ._input import clean_text
from ._transition import appeal_transition


def reinstate_line(appeal: Appeal, *, actor, note: str, new_limit: Decimal | None):
    """Restore the appealed line (a CreditDecision with trigger `appeal`): a closing, frozen
    or closed line becomes active; a reduced limit goes back up, in full or to `new_limit`."""
    line = appeal.line
    if line.status == CreditLineStatus.ACTIVE and line.scheduled_change:
        # The reduction or pause appealed has not taken effect: approving calls it off and
        # the line keeps its limit (or gets the higher one given).
        new_limit = max(new_limit or line.credit_limit, line.credit_limit)
    elif line.status == CreditLineStatus.ACTIVE:
        # The decision appealed reduced the limit: approving gives it back, in full or in part.
        wanted = new_limit if new_limit is not None else appeal.decision.old_limit
        if wanted <= line.credit_limit:
            raise ValidationError(
                {
                    "new_limit": _(
                        "The credit line is active with a limit of %(limit)s already; "
                        "an approval must raise it."
                    )
                    % {"limit": line.credit_limit}
                }
            )
        new_limit = wanted
    return credit_services.credit_line_decide(
        line=line,
        outcome=DecisionOutcome.REINSTATE,
        trigger=DecisionTrigger.APPEAL,
        reason_codes=[],
        actor=actor,
        note=note,
        new_limit=new_limit,
    )


def postpone_closure_after_denial(appeal: Appeal, *, actor, now: datetime) -> datetime | None:
    """The closure takes effect at the later of its date and N days after the borrower is
    told (now: the notice is written in this transaction). Returns the closure date."""
    line = CreditLine.objects.select_for_update().get(pk=appeal.line_id)
    if line.status != CreditLineStatus.CLOSING:
        return None
    earliest = now + timedelta(days=settings.APPEAL_DENIAL_CLOSURE_NOTICE_DAYS)
    if line.closing_effective_at >= earliest:
        return line.closing_effective_at
    credit_services.credit_line_postpone_closure(
        line=line,
        effective_at=earliest,
        actor=actor,
        note=f"Appeal {appeal.reference} denied: the closure takes effect no earlier than "
        f"{settings.APPEAL_DENIAL_CLOSURE_NOTICE_DAYS} days after the borrower is told.",
    )
    return earliest


@transaction.atomic
def appeal_approve(*, appeal: Appeal, actor, explanation: str) -> Appeal:
    """in_review → approved: the line is restored in full, in this transaction, by the credit
    services (a CreditDecision with trigger `appeal`); the borrower sees the before and after."""
    with appeal_transition(
        appeal, "approve", _("approved"), actor=actor, permission="decide_appeal"
    ) as step:
        explanation = clean_text(explanation, field="explanation", required=True)
        appeal = step.appeal
        credit_decision: CreditDecision = reinstate_line(
            appeal, actor=actor, note=f"Appeal {appeal.reference} approved.", new_limit=None
        )
        step.apply(
            at=step.now, actor=actor, explanation=explanation, credit_decision=credit_decision
        )
        step.comment = explanation
        step.then(
            lambda: notices.appeal_decided(appeal, outcome="approved", explanation=explanation)
        )
    return appeal


def _partial_limit(value) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError({"new_limit": _("Enter an amount, e.g. 8000.00.")}) from exc


@transaction.atomic
def appeal_partially_approve(*, appeal: Appeal, actor, explanation: str, new_limit) -> Appeal:
    """in_review → partially_approved: the line is restored with a lower limit (more than 0,
    less than the limit before the decision appealed)."""
    with appeal_transition(
        appeal, "partially_approve", _("partly approved"), actor=actor, permission="decide_appeal"
    ) as step:
        explanation = clean_text(explanation, field="explanation", required=True)
        limit = _partial_limit(new_limit)
        appeal = step.appeal
        if not (Decimal("0") < limit < appeal.decision.old_limit):
            raise ValidationError(
                {
                    "new_limit": _(
                        "A partial approval needs a limit above 0 and below the limit before "
                        "the decision."
                    )
                }
            )
        credit_decision = reinstate_line(
            appeal,
            actor=actor,
            note=f"Appeal {appeal.reference} partly approved.",
            new_limit=limit,
        )
        step.apply(
            at=step.now,
            actor=actor,
            explanation=explanation,
            credit_decision=credit_decision,
            granted_limit=limit,
        )
        step.comment = explanation
        step.then(
            lambda: notices.appeal_decided(
                appeal, outcome="partially_approved", explanation=explanation
            )
        )
    return appeal


@transaction.atomic
def appeal_deny(*, appeal: Appeal, actor, explanation: str) -> Appeal:
    """in_review → denied, by a named reviewer with a reason the borrower reads.

    The hold on the closure ends; a closing line closes at the later of its date and
    APPEAL_DENIAL_CLOSURE_NOTICE_DAYS after this notice. The borrower may ask for a second
    review within APPEAL_SECOND_REVIEW_WINDOW_DAYS.
    """
    with appeal_transition(
        appeal, "deny", _("denied"), actor=actor, permission="decide_appeal"
    ) as step:
        explanation = clean_text(explanation, field="explanation", required=True)
        appeal, now = step.appeal, step.now
        step.apply(
            at=now,
            actor=actor,
            explanation=explanation,
            second_review_until=now + timedelta(days=settings.APPEAL_SECOND_REVIEW_WINDOW_DAYS),
        )
        closes_at = postpone_closure_after_denial(appeal, actor=actor, now=now)
        step.comment = explanation
        step.then(
            lambda: notices.appeal_decided(
                appeal,
                outcome="denied",
                explanation=notices.denial_text(explanation, closes_at, appeal.borrower),
            )
        )
    return appeal
