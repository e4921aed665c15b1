"""How a decision is written, whoever takes it: the line's FSM transition, one bulk UPDATE per
new state, the immutable decision with its ranked reasons, and the borrower's notice (in the
same transaction, or queued on commit for big batches). Internals of the services package."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from config.copy_values import copy_create

from .. import audited, engine, notices, outbound, restorations, selectors
from ..models import (
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionReason,
    DecisionTrigger,
)
from .rechecks import rechecks_schedule

logger = logging.getLogger(__name__)

NOTICES_INLINE = "inline"
NOTICES_DEFERRED = "deferred"


def _apply_plan(line: CreditLine, plan: engine.Plan, *, now: datetime) -> CreditDecision:
    """Run the FSM transition the plan names on the (locked) line; return the unsaved decision."""
    old_status, old_limit = line.status, line.credit_limit
    # Whatever is decided now replaces a reduction or pause still waiting for its date.
    line.clear_scheduled_change()
    if (
        plan.outcome in (DecisionOutcome.FREEZE, DecisionOutcome.REDUCE_LIMIT)
        and plan.buffer_days > 0
        and line.status == CreditLineStatus.ACTIVE
    ):
        # A notice period: the line keeps its limit and status until the date, when
        # `credit_lines_apply_scheduled_due` makes the change (unless a hold keeps it back).
        effective_at = now + timedelta(days=plan.buffer_days)
        line.scheduled_change = plan.outcome
        line.scheduled_limit = plan.new_limit
        line.scheduled_change_at = effective_at
        line.updated_at = now
        return CreditDecision(
            line=line,
            created_at=now,
            outcome=plan.outcome,
            old_status=old_status,
            new_status=plan.new_status,
            old_limit=old_limit,
            new_limit=plan.new_limit,
            effective_at=effective_at,
        )
    if plan.outcome == DecisionOutcome.SCHEDULE_CLOSURE:
        line.schedule_closure(effective_at=now + timedelta(days=plan.buffer_days))
    elif plan.outcome == DecisionOutcome.FREEZE:
        line.freeze()
    elif plan.outcome == DecisionOutcome.REDUCE_LIMIT:
        line.reduce_limit(new_limit=plan.new_limit)
    elif plan.outcome == DecisionOutcome.REINSTATE and line.status == CreditLineStatus.ACTIVE:
        line.restore_limit(new_limit=plan.new_limit)
    elif plan.outcome == DecisionOutcome.REINSTATE:
        line.reinstate(new_limit=plan.new_limit)
    elif plan.outcome == DecisionOutcome.CLOSE:
        line.close()
    else:  # pragma: no cover - the engine plans only the outcomes above
        raise ValueError(plan.outcome)
    line.updated_at = now
    return CreditDecision(
        line=line,
        created_at=now,
        outcome=plan.outcome,
        old_status=old_status,
        new_status=line.status,
        old_limit=old_limit,
        new_limit=line.credit_limit,
        closing_effective_at=line.closing_effective_at,
    )


# What a decision was made on, carried onto a decision made later from it (a scheduled change
# taking effect, a staged plan applied): the same fields on a decision and a staged plan.
DECISION_FACTS = (
    "scorecard_id",
    "policy_id",
    "features",
    "points",
    "score",
    "segment",
    "counterfactuals",
)


def carry_decision_facts(decision: CreditDecision, source) -> None:
    for name in DECISION_FACTS:
        setattr(decision, name, getattr(source, name))


def _effective_decision(
    line: CreditLine, plan: engine.Plan, source: CreditDecision | None, *, now: datetime
) -> tuple[CreditDecision, list[tuple]]:
    """The decision that makes a scheduled change take effect once its notice has ended (a
    closure, a reduction or a pause): the plan applied to the locked line, carrying the facts
    of the decision that scheduled it (scorecard, policy, features, score, segment) and its
    ranked reasons, so history and reports count it where it was decided."""
    decision = _apply_plan(line, plan, now=now)
    decision.trigger = DecisionTrigger.PERIODIC
    decision.note = "The notice period ended."
    if source is None:
        return decision, []
    carry_decision_facts(decision, source)
    reasons = [
        (r.reason_code.code, r.attribute, r.points_lost, r.knockout) for r in source.reasons.all()
    ]
    return decision, reasons


# The columns a decision changes on its line (all of them, whichever the transition set).
_LINE_COLUMNS = (
    "status",
    "credit_limit",
    "closing_effective_at",
    "updated_at",
    "scheduled_change",
    "scheduled_limit",
    "scheduled_change_at",
)


def _update_lines(lines: Sequence[CreditLine]) -> None:
    """Write the changed lines: on PostgreSQL one UPDATE from arrays for the whole batch (a
    night's chunk has a dozen distinct new states: a statement each was a round trip each),
    elsewhere one UPDATE per distinct new state."""
    if not lines:
        return
    if connection.vendor == "postgresql":
        meta = CreditLine._meta
        fields = [meta.get_field(name) for name in _LINE_COLUMNS]
        # Each value prepared as QuerySet.update prepares it (no pre_save: `updated_at` is
        # the transition's, not the time of this statement).
        columns = [
            [f.get_db_prep_save(getattr(line, f.attname), connection) for line in lines]
            for f in fields
        ]
        qn = connection.ops.quote_name
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
        names = ", ".join(qn(f.column) for f in fields)
        assignments = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {qn(meta.db_table)} AS l SET {assignments} "  # noqa: S608 - names from the model's meta; values as arrays
                f"FROM unnest(%s::bigint[], {arrays}) AS v(id, {names}) WHERE l.id = v.id",
                [[line.pk for line in lines], *columns],
            )
        return
    groups: dict[tuple, list[int]] = {}
    for line in lines:
        key = tuple(getattr(line, name) for name in _LINE_COLUMNS)
        groups.setdefault(key, []).append(line.pk)
    for key, ids in groups.items():
        CreditLine.objects.filter(pk__in=ids).update(**dict(zip(_LINE_COLUMNS, key, strict=True)))


def _write_decisions(
    rows: list[tuple[CreditLine, CreditDecision, list[tuple[str, str, int, bool]]]],
    *,
    notice_mode: str = NOTICES_INLINE,
) -> None:
    """Bulk-write changed lines, their decisions and reasons, then notify each borrower."""
    _update_lines([line for line, _, _ in rows])
    decisions = copy_create(CreditDecision, [decision for _, decision, _ in rows])
    audited.decisions_written(decisions)
    rechecks_schedule(decisions)
    codes = selectors.reason_codes_by_code(code for _, _, reasons in rows for code, *_ in reasons)
    reasons_by_decision: dict[int, list[DecisionReason]] = {}
    all_reasons = []
    for (_, _, reasons), decision in zip(rows, decisions, strict=True):
        objs = [
            DecisionReason(
                decision=decision,
                rank=rank,
                reason_code=codes[code],
                # The texts as they are now, kept (read with the code: the notice below
                # renders them without a query per reason).
                wording=codes[code].wording,
                attribute=attribute,
                points_lost=points_lost,
                knockout=knockout,
            )
            for rank, (code, attribute, points_lost, knockout) in enumerate(reasons, start=1)
        ]
        reasons_by_decision[id(decision)] = objs
        all_reasons.extend(objs)
    copy_create(DecisionReason, all_reasons)
    outbound.decisions_written(
        [
            (line, d, [c for c, *_ in reasons])
            for (line, _, reasons), d in zip(rows, decisions, strict=True)
        ]
    )
    # What the line's earlier adverse notices said no longer holds once it is restored.
    notices.supersede_adverse_notices(
        [d for d in decisions if d.outcome == DecisionOutcome.REINSTATE]
    )
    told_elsewhere = _tell_restorations(decisions)
    if told_elsewhere:
        rows = [row for row in rows if row[0].pk not in told_elsewhere]
        decisions = [d for d in decisions if d.line_id not in told_elsewhere]
    if notice_mode == NOTICES_DEFERRED:
        ids = [d.pk for d in decisions]
        transaction.on_commit(lambda: _queue_notices(ids))
        return
    uncached = [line.borrower_id for line, _, _ in rows if not CreditLine.borrower.is_cached(line)]
    borrowers = get_user_model().objects.in_bulk(uncached) if uncached else {}
    notices.send_decision_notices(
        [
            (
                decision,
                borrowers.get(line.borrower_id) or line.borrower,
                reasons_by_decision[id(decision)],
            )
            for (line, _, _), decision in zip(rows, decisions, strict=True)
        ],
        new_decisions=True,
    )


def _tell_restorations(decisions: Sequence[CreditDecision]) -> set[int]:
    """Lines restored by these decisions (not on an appeal: that is the appeal's outcome) are
    announced to `credit.restorations`; returns the lines whose notice a listener sends."""
    restored = {
        d.line_id: d
        for d in decisions
        if d.outcome == DecisionOutcome.REINSTATE and d.trigger != DecisionTrigger.APPEAL
    }
    return restorations.lines_restored(restored)


def _queue_notices(decision_ids: list[int]) -> None:
    from ..tasks import send_decision_notices  # tasks import the services: a real cycle

    try:
        send_decision_notices.delay(decision_ids)
    except Exception:  # broker down: the hourly sweep sends them
        logger.warning(
            "Could not queue %d decision notices; the sweep will send them",
            len(decision_ids),
            exc_info=True,
        )
