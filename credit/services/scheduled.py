"""Ending a reduction's or pause's notice period: making the change on its date, unless a hold
keeps it back (an open appeal) or re-evaluation finds its reasons cleared (it is called off)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .. import engine, holds
from ..models import CreditDecision, CreditLine, CreditLineStatus, DecisionOutcome, DecisionTrigger
from ._writes import _effective_decision, _write_decisions
from .reevaluation import credit_lines_reevaluate


@dataclass
class ScheduledDueSummary:
    applied: int = 0
    held: int = 0
    cleared: int = 0


def line_ids_with_change_due(*, now: datetime) -> list[int]:
    return list(
        CreditLine.objects.filter(scheduled_change_at__lte=now).values_list("id", flat=True)
    )


@transaction.atomic
def credit_lines_apply_scheduled_due(
    *, line_ids: Sequence[int] | None = None, now: datetime | None = None
) -> ScheduledDueSummary:
    """Make the reductions and pauses whose notice period has ended.

    As for closures (`credit_lines_close_due`): the due lines are re-evaluated first (a line
    whose reasons cleared has its change called off), then each is checked against the
    registered holds; a held line keeps its current limit and status and waits for the hold to
    end (an upheld appeal or a restoration clears the change; a denied one lets it through on
    the next run). Every other line changes, with a decision and a notice.
    """
    now = now or timezone.now()
    summary = ScheduledDueSummary()
    due = list(line_ids) if line_ids is not None else line_ids_with_change_due(now=now)
    if not due:
        return summary
    reevaluated = credit_lines_reevaluate(
        line_ids=due, trigger=DecisionTrigger.PERIODIC, now=now, keep_decisions=False
    )
    summary.cleared = reevaluated.outcomes.get(DecisionOutcome.REINSTATE, 0)

    lines = list(
        CreditLine.objects.select_for_update(of=("self",))
        .select_related("borrower")
        .filter(id__in=due, status=CreditLineStatus.ACTIVE, scheduled_change_at__lte=now)
        .order_by("id")
    )
    held = holds.holds_for([line.id for line in lines])
    to_apply = [line for line in lines if not held.get(line.id)]
    summary.held = len(lines) - len(to_apply)
    if not to_apply:
        return summary
    sources = _scheduling_decisions(to_apply)
    rows = []
    for line in to_apply:
        change, limit = line.scheduled_change, line.scheduled_limit
        new_status = CreditLineStatus.FROZEN if change == "freeze" else CreditLineStatus.ACTIVE
        plan = engine.Plan(change, new_status, limit)
        decision, reasons = _effective_decision(line, plan, sources.get(line.id), now=now)
        rows.append((line, decision, reasons))
    _write_decisions(rows)
    summary.applied = len(rows)
    return summary


def _scheduling_decisions(lines: Sequence[CreditLine]) -> dict[int, CreditDecision]:
    """The decision that scheduled each line's change (its latest with that effective date)."""
    found: dict[int, CreditDecision] = {}
    qs = (
        CreditDecision.objects.filter(
            line_id__in=[line.id for line in lines], effective_at__isnull=False
        )
        .prefetch_related("reasons__reason_code")
        .order_by("line_id", "-created_at", "-id")
    )
    for decision in qs:
        found.setdefault(decision.line_id, decision)
    return found
