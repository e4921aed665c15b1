"""Ending a closing line's notice period: closing the lines that are due (unless a hold
keeps them open or re-evaluation clears them) and postponing a closure to a later date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import audited, engine, holds, selectors
from ..models import (
    ClosureDeferral,
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionReason,
    DecisionTrigger,
)
from ._writes import _effective_decision, _write_decisions
from .reevaluation import credit_lines_reevaluate


@dataclass
class CloseDueSummary:
    closed: int = 0
    held: int = 0
    cleared: int = 0


@transaction.atomic
def credit_lines_close_due(*, line_ids: Sequence[int] | None = None, now=None) -> CloseDueSummary:
    """Close lines whose notice period has ended, unless something holds the closure.

    First the due lines are re-evaluated: a line whose reasons no longer hold is restored
    instead. Then each remaining line is checked against the registered holds (an open
    appeal holds its closure); a held line stays closing and the hold is recorded with its
    reason; every other line closes, with a decision and a notice.
    """
    now = now or timezone.now()
    summary = CloseDueSummary()
    due = list(line_ids) if line_ids is not None else selectors.line_ids_due_for_closure(now=now)
    if not due:
        return summary
    reevaluated = credit_lines_reevaluate(
        line_ids=due, trigger=DecisionTrigger.PERIODIC, now=now, keep_decisions=False
    )
    summary.cleared = reevaluated.outcomes.get(DecisionOutcome.REINSTATE, 0)

    lines = list(
        CreditLine.objects.select_for_update(of=("self",))
        .select_related("borrower")
        .filter(id__in=due, status=CreditLineStatus.CLOSING, closing_effective_at__lte=now)
        .order_by("id")
    )
    held = holds.holds_for([line.id for line in lines])
    to_close = []
    for line in lines:
        line_holds = held.get(line.id)
        if line_holds:
            summary.held += 1
            for hold in line_holds:
                deferral, created = ClosureDeferral.objects.get_or_create(
                    line=line,
                    closing_effective_at=line.closing_effective_at,
                    hold=hold.name,
                    defaults={
                        "detail": hold.detail,
                        "first_deferred_at": now,
                        "last_deferred_at": now,
                    },
                )
                if not created:
                    ClosureDeferral.objects.filter(pk=deferral.pk).update(
                        last_deferred_at=now, detail=hold.detail
                    )
            continue
        to_close.append(line)

    if not to_close:
        return summary
    scheduling = _scheduling_decisions([line.id for line in to_close])
    rows = []
    for line in to_close:
        plan = engine.Plan("close", CreditLineStatus.CLOSED, line.credit_limit)
        decision, reasons = _effective_decision(line, plan, scheduling.get(line.id), now=now)
        rows.append((line, decision, reasons))
    _write_decisions(rows)
    summary.closed = len(rows)
    return summary


def _scheduling_decisions(line_ids: Sequence[int]) -> dict[int, CreditDecision]:
    """The decision that scheduled each line's closure (latest schedule_closure)."""
    found: dict[int, CreditDecision] = {}
    qs = (
        CreditDecision.objects.filter(
            line_id__in=line_ids, outcome=DecisionOutcome.SCHEDULE_CLOSURE
        )
        .prefetch_related("reasons__reason_code", "reasons__wording")
        .order_by("line_id", "-created_at", "-id")
    )
    for decision in qs:
        found.setdefault(decision.line_id, decision)
    return found


@transaction.atomic
def credit_line_postpone_closure(
    *, line: CreditLine, effective_at: datetime, actor=None, note: str = ""
) -> CreditDecision:
    """Move a closing line's closure to a later date, e.g. 7 days after an appeal's denial.

    Rules: the line must be closing; the new date must be later than the current one (a
    closure is never brought forward here). The line row is locked. The audit record is an
    immutable `CreditDecision` with trigger `appeal`, outcome `schedule_closure`, status
    closing → closing, the new `closing_effective_at`, the actor and the note, and the same
    ranked reasons as the decision that scheduled the closure (so the closure, when it
    happens, still carries them). It sends no notice: the caller tells the borrower (the
    appeal's decision notice says when the closure takes effect).
    """
    line = CreditLine.objects.select_for_update().get(pk=line.pk)
    if line.status != CreditLineStatus.CLOSING:
        raise ValidationError(
            {"line": f"Only a closing line's closure can be postponed; this line is {line.status}."}
        )
    if effective_at <= line.closing_effective_at:
        raise ValidationError(
            {"effective_at": "The new closure date must be later than the current one."}
        )
    previous = line.closing_effective_at
    line.closing_effective_at = effective_at
    line.save(update_fields=["closing_effective_at", "updated_at"])
    source = _scheduling_decisions([line.pk]).get(line.pk)
    decision = CreditDecision.objects.create(
        line=line,
        trigger=DecisionTrigger.APPEAL,
        outcome=DecisionOutcome.SCHEDULE_CLOSURE,
        old_status=CreditLineStatus.CLOSING,
        new_status=CreditLineStatus.CLOSING,
        old_limit=line.credit_limit,
        new_limit=line.credit_limit,
        closing_effective_at=effective_at,
        actor=actor,
        note=(note + "\n" if note else "")
        + f"Closure postponed from {previous.isoformat()} to {effective_at.isoformat()}.",
    )
    if source is not None:
        DecisionReason.objects.bulk_create(
            DecisionReason(
                decision=decision,
                rank=r.rank,
                reason_code=r.reason_code,
                wording_id=r.wording_id,
                attribute=r.attribute,
                points_lost=r.points_lost,
                knockout=r.knockout,
            )
            for r in source.reasons.all()
        )
    audited.decisions_written([decision])
    return decision
