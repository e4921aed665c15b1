"""The one place the credit app tells borrowers about decisions (notifications.notify).

Each adverse outcome and each reinstatement sends its event the same day, from inside the
deciding transaction: notify() writes outbox rows there and queues delivery on commit. The
context keys are the ones the notifications catalogue declares for each event.
"""

from __future__ import annotations

from accounts.localtime import local_date
from notifications.services import notify as _deliver

from .appealability import appeal_deadline
from .models import (
    ADVERSE_OUTCOMES,
    CreditDecision,
    CreditLineStatus,
    DecisionOutcome,
    DecisionTrigger,
)

EVENT_BY_OUTCOME = {
    DecisionOutcome.SCHEDULE_CLOSURE: "credit.closure_scheduled",
    DecisionOutcome.CLOSE: "credit.closed",
    DecisionOutcome.REDUCE_LIMIT: "credit.limit_reduced",
    DecisionOutcome.FREEZE: "credit.frozen",
    DecisionOutcome.REINSTATE: "credit.reinstated",
}
SYSTEM_ERROR_CORRECTED = "credit.system_error_corrected"

REINSTATED_EXPLANATION = {
    "zh-hans": "此前调整额度的原因已不再适用，您的额度已恢复正常可用。",
    "en": (
        "The reasons for the earlier change no longer apply, so your credit line is active again."
    ),
}


def notify(*, recipient, event: str, context: dict, obj=None):
    """The boundary with the notifications app (tests replace this function)."""
    return _deliver(recipient=recipient, event=event, context=context, obj=obj)


def told_by_the_caller(decision: CreditDecision) -> bool:
    """A decision taken on an appeal that restores the line or only moves a closure's date is
    told by the appeal's own outcome message (approved, partially approved, denied with the
    new closure date), so the borrower gets one message per channel for one act. An adverse
    change a re-evaluation finds while an appeal is handled is still told here."""
    if decision.trigger != DecisionTrigger.APPEAL:
        return False
    return decision.outcome == DecisionOutcome.REINSTATE or (
        decision.outcome == DecisionOutcome.SCHEDULE_CLOSURE
        and decision.old_status == CreditLineStatus.CLOSING
    )


def event_for(decision: CreditDecision) -> str | None:
    """The event that tells the borrower of this decision; None when credit sends none."""
    if told_by_the_caller(decision):
        return None
    if (
        decision.outcome == DecisionOutcome.REINSTATE
        and decision.trigger == DecisionTrigger.CORRECTION
    ):
        return SYSTEM_ERROR_CORRECTED
    return EVENT_BY_OUTCOME.get(decision.outcome)


def _reasons(reasons) -> list[dict]:
    return [
        {"zh-hans": r.reason_code.title_zh, "en": r.reason_code.title_en}
        for r in sorted(reasons, key=lambda r: r.rank)
    ]


def decision_context(decision: CreditDecision, *, recipient, reasons) -> dict:
    """The context the event of this decision declares: dates as ISO dates in the borrower's
    time zone, amounts as strings, reasons as ranked {"zh-hans", "en"} titles."""
    decided_on = local_date(decision.created_at, recipient)
    appeal_by = local_date(appeal_deadline(decision.created_at), recipient).isoformat()
    outcome = decision.outcome
    if outcome == DecisionOutcome.SCHEDULE_CLOSURE:
        return {
            "closing_effective_on": local_date(
                decision.closing_effective_at, recipient
            ).isoformat(),
            "credit_limit": str(decision.new_limit),
            "reasons": _reasons(reasons),
            "appeal_by": appeal_by,
        }
    if outcome == DecisionOutcome.CLOSE:
        return {
            "closed_on": decided_on.isoformat(),
            "reasons": _reasons(reasons),
            "appeal_by": appeal_by,
        }
    if outcome == DecisionOutcome.REDUCE_LIMIT:
        return {
            "old_limit": str(decision.old_limit),
            "new_limit": str(decision.new_limit),
            "effective_on": decided_on.isoformat(),
            "reasons": _reasons(reasons),
            "appeal_by": appeal_by,
        }
    if outcome == DecisionOutcome.FREEZE:
        return {"reasons": _reasons(reasons), "appeal_by": appeal_by}
    if event_for(decision) == SYSTEM_ERROR_CORRECTED:
        wrong = (
            CreditDecision.objects.filter(
                line_id=decision.line_id,
                outcome__in=ADVERSE_OUTCOMES,
                created_at__lte=decision.created_at,
            )
            .exclude(pk=decision.pk)
            .order_by("-created_at", "-id")
            .values_list("created_at", flat=True)
            .first()
        )
        return {
            "decided_on": local_date(wrong or decision.created_at, recipient).isoformat(),
            "credit_limit": str(decision.new_limit),
        }
    return {"credit_limit": str(decision.new_limit), "explanation": REINSTATED_EXPLANATION}


def send_decision_notice(decision: CreditDecision, *, recipient, reasons) -> None:
    event = event_for(decision)
    if event is None:
        return
    notify(
        recipient=recipient,
        event=event,
        context=decision_context(decision, recipient=recipient, reasons=reasons),
        obj=decision,
    )
