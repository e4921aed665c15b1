"""The one place the credit app tells borrowers about decisions (notifications.notify).

Each adverse outcome and each reinstatement sends its event the same day, from inside the
deciding transaction: notify() writes outbox rows there and queues delivery on commit.
"""

from __future__ import annotations

import logging

from .models import CreditDecision, DecisionOutcome, DecisionTrigger

logger = logging.getLogger(__name__)

EVENT_BY_OUTCOME = {
    DecisionOutcome.SCHEDULE_CLOSURE: "credit.closure_scheduled",
    DecisionOutcome.CLOSE: "credit.closed",
    DecisionOutcome.REDUCE_LIMIT: "credit.limit_reduced",
    DecisionOutcome.FREEZE: "credit.frozen",
    DecisionOutcome.REINSTATE: "credit.reinstated",
}
SYSTEM_ERROR_CORRECTED = "credit.system_error_corrected"


def notify(*, recipient, event: str, context: dict, obj=None):
    """The boundary: notifications.services.notify (tests replace this function)."""
    try:
        from notifications.services import notify as deliver
    except ImportError:  # pragma: no cover - until the notifications app is merged
        logger.warning("notifications.services is not available; %s not sent", event)
        return None
    return deliver(recipient=recipient, event=event, context=context, obj=obj)


def event_for(decision: CreditDecision) -> str | None:
    if (
        decision.outcome == DecisionOutcome.REINSTATE
        and decision.trigger == DecisionTrigger.CORRECTION
    ):
        return SYSTEM_ERROR_CORRECTED
    return EVENT_BY_OUTCOME.get(decision.outcome)


def decision_context(decision: CreditDecision, reasons) -> dict:
    """What every credit notice can say: amounts as strings, dates as ISO, reasons in both
    languages (the template picks the borrower's)."""
    return {
        "decision_id": decision.pk,
        "line_id": decision.line_id,
        "outcome": decision.outcome,
        "old_status": decision.old_status,
        "new_status": decision.new_status,
        "old_limit": str(decision.old_limit),
        "new_limit": str(decision.new_limit),
        "closing_effective_at": (
            decision.closing_effective_at.isoformat() if decision.closing_effective_at else None
        ),
        "reasons": [
            {
                "code": r.reason_code.code,
                "category": r.reason_code.category,
                "title_zh": r.reason_code.title_zh,
                "title_en": r.reason_code.title_en,
                "advice_zh": r.reason_code.advice_zh,
                "advice_en": r.reason_code.advice_en,
                "appealable": r.reason_code.appealable,
            }
            for r in sorted(reasons, key=lambda r: r.rank)
        ],
    }


def send_decision_notice(decision: CreditDecision, *, recipient, reasons) -> None:
    event = event_for(decision)
    if event is None:
        return
    notify(
        recipient=recipient,
        event=event,
        context=decision_context(decision, reasons),
        obj=decision,
    )
