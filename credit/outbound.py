"""What credit tells the lender's systems (webhooks): every decision that changed a line.

Written by `services._writes` in the deciding transaction, one message per decision, in the
line's sequence. The event type says what kind of act it was; `data.change` says what it did.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from webhooks.registry import register
from webhooks.services import Outgoing, emit_many

from .models import DecisionTrigger

LINE_CHANGED = register(
    "credit_line.changed",
    _(
        "A decision changed a credit line: closure scheduled, closed, restored, limit changed, "
        "paused or lifted; with the status and limit before and after, the decision id and its "
        "reason codes."
    ),
)
CORRECTION_APPLIED = register(
    "credit_line.corrected",
    _("A system-error correction reversed a wrong decision (same data as credit_line.changed)."),
)


def decision_data(decision, *, customer_id: str, reason_codes: list[str]) -> dict:
    return {
        "decision_id": decision.pk,
        "customer_id": customer_id,
        "change": decision.outcome,
        "trigger": decision.trigger,
        "decided_at": decision.created_at.isoformat(),
        "old_status": decision.old_status,
        "new_status": decision.new_status,
        "old_limit": str(decision.old_limit),
        "new_limit": str(decision.new_limit),
        "closing_effective_at": (
            decision.closing_effective_at.isoformat() if decision.closing_effective_at else None
        ),
        "reason_codes": reason_codes,
    }


def decisions_written(rows) -> None:
    """`rows`: (line, saved decision, reason codes ranked) for each decision just written."""
    borrower_ids = {line.borrower_id for line, _, _ in rows}
    customers = dict(
        get_user_model().objects.filter(pk__in=borrower_ids).values_list("pk", "customer_id")
    )
    emit_many(
        Outgoing(
            CORRECTION_APPLIED.name
            if decision.trigger == DecisionTrigger.CORRECTION
            else LINE_CHANGED.name,
            line.pk,
            decision_data(
                decision, customer_id=customers.get(line.borrower_id) or "", reason_codes=codes
            ),
        )
        for line, decision, codes in rows
    )
